"""Tests for coursekit.metrics.pose (Chapter 7): PCK and OKS on hand-worked cases, OKS against pycocotools'
COCOeval.computeOks, and the limb accuracy of a grouping."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.metrics.pose import COCO_KEYPOINT_SIGMAS, STICK_FIGURE_SIGMAS, limb_accuracy, oks, pck

pycocotools = pytest.importorskip("pycocotools")   # a pinned test-time oracle (requirements.txt)


# ----------------------------------------------------------------------------- PCK

def test_pck_hand_worked_case():
    # two people, K = 3; person 0 has ref 20 (tolerance 2 px at alpha 0.1), person 1 ref 50 (5 px)
    gt = np.array([[[0, 0], [10, 0], [20, 0]], [[0, 0], [0, 10], [0, 20]]], float)
    err = np.array([[[1, 1], [2, 0], [3, 0]],              # 1.41 ok, 2.0 ok (boundary), 3.0 miss
                    [[0, 4.9], [3, 4], [6, 8]]], float)     # 4.9 ok, 5.0 ok (boundary), 10 miss
    pred = gt + err
    assert pck(pred, gt, ref=[20.0, 50.0], alpha=0.1) == pytest.approx(4 / 6)
    assert pck(pred, gt, ref=[20.0, 50.0], alpha=0.1, per_keypoint=True).tolist() == [1.0, 1.0, 0.0]
    # hiding the two misses (visibility 0) leaves only correct keypoints
    vis = np.array([[2, 2, 0], [2, 1, 0]])
    assert pck(pred, gt, ref=[20.0, 50.0], alpha=0.1, visibility=vis) == 1.0


def test_pck_counts_nan_predictions_as_misses_and_grows_with_alpha():
    rng = np.random.default_rng(0)
    gt = rng.uniform(0, 64, (5, 13, 2))
    pred = gt + rng.normal(0, 3, gt.shape)
    pred[0, 0] = np.nan
    values = [pck(pred, gt, ref=40.0, alpha=a) for a in (0.02, 0.05, 0.1, 0.2, 1.0)]
    assert values == sorted(values) and values[-1] < 1.0          # the NaN keypoint is never correct
    assert values[-1] == pytest.approx(64 / 65)


def test_pck_equals_a_plain_loop():
    rng = np.random.default_rng(1)
    gt = rng.uniform(0, 100, (4, 13, 2))
    pred = gt + rng.normal(0, 5, gt.shape)
    ref = rng.uniform(30, 60, 4)
    vis = rng.integers(0, 3, (4, 13))
    hits = n = 0
    for p in range(4):
        for k in range(13):
            if vis[p, k] > 0:
                n += 1
                hits += np.hypot(*(pred[p, k] - gt[p, k])) <= 0.1 * ref[p]
    assert pck(pred, gt, ref, 0.1, vis) == hits / n


@pytest.mark.parametrize("call", [
    lambda: pck(np.zeros((2, 13, 2)), np.zeros((3, 13, 2)), 10.0),
    lambda: pck(np.zeros((2, 13, 3)), np.zeros((2, 13, 3)), 10.0),
    lambda: pck(np.zeros((2, 13, 2)), np.zeros((2, 13, 2)), [10.0, 0.0]),
    lambda: pck(np.zeros((2, 13, 2)), np.zeros((2, 13, 2)), 10.0, alpha=0.0),
    lambda: pck(np.zeros((2, 13, 2)), np.zeros((2, 13, 2)), 10.0, visibility=np.zeros((2, 13))),
    lambda: pck(np.zeros((1, 13, 2)), np.full((1, 13, 2), np.nan), 10.0),
])
def test_pck_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()


# ----------------------------------------------------------------------------- OKS

def test_stick_figure_sigmas_are_cocos_without_eyes_and_ears():
    # COCO order: nose, l/r eye, l/r ear, l/r shoulder, l/r elbow, l/r wrist, l/r hip, l/r knee, l/r ankle
    expected = [0.026, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062, 0.107, 0.107, 0.087, 0.087, 0.089, 0.089]
    np.testing.assert_allclose(STICK_FIGURE_SIGMAS, expected, rtol=1e-15)    # x / 10 rounds in the last bit
    from pycocotools.cocoeval import Params
    assert np.array_equal(COCO_KEYPOINT_SIGMAS, Params(iouType="keypoints").kpt_oks_sigmas)


def test_oks_hand_worked_case_half_credit_for_the_nose():
    # s² = 400 (s = 20 px), nose k = 2 σ = 0.052: an error d with d² = 2 s² k² ln 2 scores exp(-ln 2) = 1/2
    gt = np.zeros((13, 2))
    pred = gt.copy()
    pred[0, 0] = 0.052 * 20 * np.sqrt(2 * np.log(2))             # 1.2245 px
    assert oks(pred, gt, np.full(13, 2), 400.0)[0, 0] == pytest.approx((12 + 0.5) / 13, abs=1e-12)
    # the same error on a hip (k = 0.214) costs less: exp(-d² / (2 · 400 · 0.214²)) = 2^(-(0.052/0.214)²)
    pred = gt.copy()
    pred[7, 0] = 0.052 * 20 * np.sqrt(2 * np.log(2))
    assert oks(pred, gt, np.full(13, 2), 400.0)[0, 0] == pytest.approx((12 + 2 ** -((0.052 / 0.214) ** 2)) / 13)


def test_oks_ignores_unlabelled_keypoints_and_counts_hidden_ones():
    gt = np.zeros((13, 2))
    pred = gt.copy()
    pred[3] = [100.0, 100.0]                                       # far off: scores exp(-huge) = 0
    vis = np.full(13, 2)
    assert oks(pred, gt, vis, 400.0)[0, 0] == pytest.approx(12 / 13)
    vis[3] = 1                                                     # labelled but hidden: still counted
    assert oks(pred, gt, vis, 400.0)[0, 0] == pytest.approx(12 / 13)
    vis[3] = 0                                                     # not labelled: left out
    assert oks(pred, gt, vis, 400.0)[0, 0] == 1.0


def _coco_oks(pred, gt, vis, areas, sigmas):
    """pycocotools' computeOks for D detections and G true people in one image."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    K = gt.shape[1]
    anns = []
    for g in range(len(gt)):
        kp = np.concatenate([gt[g], vis[g][:, None]], axis=1).ravel().tolist()
        x0, y0 = gt[g].min(0)
        w, h = gt[g].max(0) - gt[g].min(0)
        anns.append({"id": g + 1, "image_id": 1, "category_id": 1, "keypoints": kp, "num_keypoints": int((vis[g] > 0).sum()),
                     "area": float(areas[g]), "bbox": [float(x0), float(y0), float(w), float(h)], "iscrowd": 0})
    coco = COCO()
    coco.dataset = {"images": [{"id": 1, "width": 200, "height": 200}], "annotations": anns,
                    "categories": [{"id": 1, "name": "person", "keypoints": [str(k) for k in range(K)]}]}
    coco.createIndex()
    dets = [{"image_id": 1, "category_id": 1, "score": 1.0 - 0.01 * d,          # keeps our order
             "keypoints": np.concatenate([pred[d], np.ones((K, 1))], axis=1).ravel().tolist()}
            for d in range(len(pred))]
    E = COCOeval(coco, coco.loadRes(dets), "keypoints")
    E.params.kpt_oks_sigmas = np.asarray(sigmas)
    E._prepare()
    return np.asarray(E.computeOks(1, 1))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_oks_equals_pycocotools_on_random_people(seed):
    from coursekit.data.figures import stick_figures

    rng = np.random.default_rng(seed)
    f = stick_figures(rng, size=96, n_people=3, occlusion=0.5)
    gt = f.keypoints
    areas = (f.boxes[:, 2] - f.boxes[:, 0]) * (f.boxes[:, 3] - f.boxes[:, 1])
    vis = f.visibility.copy()
    vis[0, rng.integers(13, size=3)] = 0                              # some unlabelled keypoints
    pred = np.concatenate([gt + rng.normal(0, s, gt.shape) for s in (0.5, 2.0, 6.0)])   # D = 3 P detections
    ours = oks(pred, gt, vis, areas)
    theirs = _coco_oks(pred, gt, vis, areas, STICK_FIGURE_SIGMAS)
    # pycocotools adds np.spacing(1) = 2.2e-16 to areas of 100s of px² and sums in another order:
    # a relative difference ~1e-16 per term, so 1e-12 absolute is generous and still catches any slip
    np.testing.assert_allclose(ours, theirs, atol=1e-12)
    assert ours.shape == (9, len(gt)) and ours.diagonal().min() > 0.3


@pytest.mark.parametrize("call", [
    lambda: oks(np.zeros((13, 2)), np.zeros((13, 2)), np.zeros(13), 100.0),          # nothing labelled
    lambda: oks(np.zeros((13, 2)), np.zeros((13, 2)), np.full(13, 2), 0.0),
    lambda: oks(np.zeros((12, 2)), np.zeros((13, 2)), np.full(13, 2), 100.0),
    lambda: oks(np.zeros((13, 2)), np.zeros((13, 2)), np.full(12, 2), 100.0),
    lambda: oks(np.zeros((5, 2)), np.zeros((5, 2)), np.full(5, 2), 100.0),           # default sigmas are 13
])
def test_oks_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()


# ----------------------------------------------------------------------------- limb accuracy

def test_limb_accuracy_needs_both_ends_in_the_same_person():
    gt = np.array([[[0, 0], [0, 10], [0, 20]], [[50, 0], [50, 10], [50, 20]]], float)
    skeleton = [(0, 1), (1, 2)]
    assert limb_accuracy(gt + 0.5, gt, skeleton, tol=1.0) == 1.0
    swapped = gt.copy()
    swapped[:, 2] = gt[::-1, 2]                                    # the last keypoints joined to the wrong person
    assert limb_accuracy(swapped, gt, skeleton, tol=1.0) == 0.5
    split = np.full((4, 3, 2), np.nan)                              # each keypoint pair in its own "person"
    split[0, :2], split[1, 2], split[2, :2], split[3, 2] = gt[0, :2], gt[0, 2], gt[1, :2], gt[1, 2]
    assert limb_accuracy(split, gt, skeleton, tol=1.0) == 0.5
    assert limb_accuracy(np.zeros((0, 3, 2)), gt, skeleton, tol=1.0) == 0.0


def test_limb_accuracy_leaves_out_unlabelled_limbs_and_checks_input():
    gt = np.array([[[0, 0], [0, 10], [0, 20]]], float)
    people = gt.copy()
    people[0, 2] = np.nan
    assert limb_accuracy(people, gt, [(0, 1), (1, 2)], tol=1.0, visibility=[[2, 2, 0]]) == 1.0
    with pytest.raises(ValueError):
        limb_accuracy(people, gt, [(0, 3)], tol=1.0)
    with pytest.raises(ValueError):
        limb_accuracy(people, gt, [(0, 1)], tol=0.0)
    with pytest.raises(ValueError):
        limb_accuracy(people, gt, [(1, 2)], tol=1.0, visibility=[[2, 2, 0]])
