"""Detection metrics: hand-worked AP cases, and the COCO summary equal to pycocotools' COCOeval."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.metrics.detection import (
    COCO_STAT_NAMES,
    ap_all_points,
    ap_interpolated,
    coco_evaluate,
    detection_pr_curve,
    match_detections,
    mean_average_precision,
)

pytest.importorskip("pycocotools")
from coco_oracle import cocoeval_stats  # noqa: E402  (tests/coco_oracle.py)


def generated_detections(rng, n_images=30, K=3, size=400, jitter=0.15, n_fp=4, ties=False):
    """Objects of every COCO size range, detections = jittered copies (some missed, some duplicated) + clutter.

    Coordinates are multiples of 1/8, so IoUs are computed exactly alike here and in C."""
    dets, gts = [], []
    for _ in range(n_images):
        G = int(rng.integers(0, 6))
        wh = np.exp(rng.uniform(np.log(8), np.log(200), size=(G, 2)))             # 8..200 px: small to large
        xy = rng.uniform(0, size - wh)
        gb = np.round(np.c_[xy, xy + wh] * 8) / 8
        gl = rng.integers(0, K, G)
        keep = rng.random(G) < 0.85
        dup = rng.random(G) < 0.2
        src = np.r_[np.flatnonzero(keep), np.flatnonzero(dup)]
        w = (gb[src, 2:] - gb[src, :2])
        db = gb[src] + np.c_[w, w] * rng.uniform(-jitter, jitter, size=(len(src), 4))
        fp_wh = np.exp(rng.uniform(np.log(8), np.log(150), size=(n_fp, 2)))
        fp_xy = rng.uniform(0, size - fp_wh)
        db = np.r_[db, np.c_[fp_xy, fp_xy + fp_wh]]
        db = np.round(np.c_[np.minimum(db[:, :2], db[:, 2:]), np.maximum(db[:, :2], db[:, 2:])] * 8) / 8
        dl = np.r_[gl[src], rng.integers(0, K, n_fp)]
        ds = rng.choice([0.25, 0.5, 0.75], len(db)) if ties else rng.random(len(db))
        dets.append({"boxes": db, "scores": ds, "labels": dl})
        gts.append({"boxes": gb, "labels": gl})
    return dets, gts


@pytest.mark.parametrize("seed,ties", [(0, False), (1, False), (2, True), (3, True)])
def test_coco_evaluate_equals_pycocotools_cocoeval(seed, ties):
    rng = np.random.default_rng(seed)
    dets, gts = generated_detections(rng, ties=ties)
    ours = coco_evaluate(dets, gts, num_classes=3)
    stats, precision = cocoeval_stats(dets, gts, 3)
    # 1e-6: both sides do the same float64 arithmetic on the same exactly-representable boxes; the only
    # difference allowed is summation order in the final means.
    np.testing.assert_allclose([ours[n] for n in COCO_STAT_NAMES], stats, atol=1e-6)
    np.testing.assert_allclose(ours["precision"], precision, atol=1e-6)
    assert {ours["AP_small"], ours["AP_medium"], ours["AP_large"]}.isdisjoint({-1.0})   # all ranges exercised


def test_coco_evaluate_caps_detections_per_image_like_cocoeval():
    rng = np.random.default_rng(5)
    dets, gts = generated_detections(rng, n_images=4, n_fp=130)                    # > 100 per image
    ours = coco_evaluate(dets, gts, num_classes=3)
    stats, _ = cocoeval_stats(dets, gts, 3)
    np.testing.assert_allclose([ours[n] for n in COCO_STAT_NAMES], stats, atol=1e-6)


def test_coco_evaluate_marks_undefined_ranges_with_minus_one():
    gts = [{"boxes": np.array([[0, 0, 10, 10.]]), "labels": np.array([0])}]            # one small object
    dets = [{"boxes": np.array([[0, 0, 10, 10.]]), "scores": np.array([0.9]), "labels": np.array([0])}]
    s = coco_evaluate(dets, gts)
    assert s["AP"] == pytest.approx(1.0) and s["AP_medium"] == -1.0 and s["AP_large"] == -1.0


def test_hand_worked_ap_five_detections_three_objects():
    # Ranked: TP, FP, TP, FP, TP with 3 objects. Precision 1, 1/2, 2/3, 2/4, 3/5; recall 1/3, 1/3, 2/3, 2/3, 1.
    # Envelope at recall 1/3: 1; at 2/3: 2/3; at 1: 3/5. All-point AP = (1 + 2/3 + 3/5) / 3 = 34/45.
    # 11-point: levels 0..0.3 -> 1 (4 levels), 0.4..0.6 -> 2/3 (3), 0.7..1.0 -> 3/5 (4): (4 + 2 + 2.4) / 11.
    p, r = detection_pr_curve([0.9, 0.8, 0.7, 0.6, 0.5], [1, 0, 1, 0, 1], n_gt=3)
    np.testing.assert_allclose(p, [1, 1 / 2, 2 / 3, 2 / 4, 3 / 5])
    np.testing.assert_allclose(r, [1 / 3, 1 / 3, 2 / 3, 2 / 3, 1])
    assert ap_all_points(p, r) == pytest.approx(34 / 45, abs=1e-12)
    assert ap_interpolated(p, r, 11) == pytest.approx(8.4 / 11, abs=1e-12)
    # 101 points: levels 0..0.33 (34 levels) -> 1, 0.34..0.66 (33) -> 2/3, 0.67..1 (34) -> 3/5.
    assert ap_interpolated(p, r, 101) == pytest.approx((34 + 33 * 2 / 3 + 34 * 3 / 5) / 101, abs=1e-12)


def test_hand_worked_ap_when_an_object_is_never_found():
    # Two objects, one detection that hits: precision 1 up to recall 1/2, nothing beyond.
    p, r = detection_pr_curve([0.7], [True], n_gt=2)
    assert ap_all_points(p, r) == 0.5
    assert ap_interpolated(p, r, 11) == pytest.approx(6 / 11)                      # levels 0, .1, ..., .5


def test_pr_curve_sorts_by_score_and_ignores_ignored():
    p, r = detection_pr_curve([0.1, 0.9, 0.5], [True, False, True], n_gt=2, ignore=[False, False, True])
    np.testing.assert_allclose(p, [0, 0, 0.5])                                       # FP, ignored, TP
    np.testing.assert_allclose(r, [0, 0, 0.5])


def test_match_detections_takes_each_object_once_best_score_first():
    gt = np.array([[0, 0, 10, 10.], [20, 0, 30, 10.]])
    det = np.array([[0, 0, 10, 10.], [0, 0, 10, 9.], [21, 0, 30, 10.], [50, 50, 60, 60.]])
    matched, ign = match_detections(det, np.array([0.5, 0.9, 0.8, 0.95]), gt, 0.5)
    assert matched.tolist() == [-1, 0, 1, -1] and not ign.any()                    # the 0.5 duplicate is a FP


def test_voc_map_hand_worked_two_classes():
    gts = [{"boxes": np.array([[0, 0, 10, 10.], [20, 20, 30, 30.]]), "labels": np.array([0, 1])},
           {"boxes": np.array([[0, 0, 10, 10.]]), "labels": np.array([0])}]
    dets = [{"boxes": np.array([[0, 0, 10, 10.], [20, 20, 30, 30.], [40, 40, 50, 50.]]),
             "scores": np.array([0.9, 0.8, 0.95]), "labels": np.array([0, 1, 0])},
            {"boxes": np.array([[30, 30, 40, 40.]]), "scores": np.array([0.6]), "labels": np.array([0])}]
    # class 0: ranked FP(0.95), TP(0.9), FP(0.6) with 2 objects -> precision 0, 1/2, 1/3; recall 0, 1/2, 1/2:
    # AP = 1/2 · 1/2 = 1/4.  class 1: one TP -> AP 1.  mAP = 5/8.
    assert mean_average_precision(dets, gts, 0.5) == pytest.approx(5 / 8)


def test_voc_map_and_coco_ap50_agree_on_101_points():
    rng = np.random.default_rng(7)
    dets, gts = generated_detections(rng, n_images=20)
    s = coco_evaluate(dets, gts, num_classes=3)
    assert mean_average_precision(dets, gts, 0.5, method="101") == pytest.approx(s["AP50"], abs=1e-12)


def test_metrics_reject_bad_input():
    with pytest.raises(ValueError, match="n_gt"):
        detection_pr_curve([0.5], [True], n_gt=0)
    with pytest.raises(ValueError, match="one entry per image"):
        coco_evaluate([], [{"boxes": np.zeros((0, 4)), "labels": np.zeros(0, int)}])
    with pytest.raises(ValueError, match="'boxes'"):
        mean_average_precision([{"boxes": np.zeros((0, 4))}], [{"boxes": np.zeros((0, 4)), "labels": []}])
    with pytest.raises(ValueError, match="x1 >= x0"):
        match_detections(np.array([[5, 0, 1, 1.]]), np.array([1.0]), np.zeros((0, 4)))
