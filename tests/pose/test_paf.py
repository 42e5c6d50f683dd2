"""Tests for coursekit.pose.paf (Chapter 7): PAF targets against a per-cell loop, line integrals against
closed forms and an independent bilinear sampler (SciPy), peaks against scikit-image, and the grouping target
(>= 95 % of limbs) on generated crowded scenes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage.feature import peak_local_max

from coursekit.data.figures import SKELETON, stick_figure_crowd
from coursekit.metrics.pose import limb_accuracy
from coursekit.pose.heatmaps import gaussian_heatmaps
from coursekit.pose.paf import (
    assemble_people,
    distance_scores,
    group_people,
    heatmap_peaks,
    limb_scores,
    paf_line_integral,
    paf_targets,
)


def test_paf_targets_equal_a_per_cell_loop_with_averaging():
    rng = np.random.default_rng(0)
    kp = rng.uniform(0, 40, (3, 4, 2))
    skeleton = [(0, 1), (1, 2), (2, 3)]
    ours = paf_targets(kp, skeleton, (20, 20), stride=2, width=1.5)
    ref = np.zeros_like(ours)
    for e, (i, j) in enumerate(skeleton):
        for r in range(20):
            for c in range(20):
                vs = []
                for p in range(3):
                    a, b = kp[p, i] / 2, kp[p, j] / 2
                    v = (b - a) / np.linalg.norm(b - a)
                    q = np.array([c + 0.5, r + 0.5]) - a
                    if 0 <= q @ v <= np.linalg.norm(b - a) and abs(q @ np.array([-v[1], v[0]])) <= 1.5:
                        vs.append(v)
                if vs:
                    ref[e, :, r, c] = np.mean(vs, axis=0)
    np.testing.assert_allclose(ours, ref, atol=1e-12)              # same arithmetic, float64 rounding only


def test_paf_vectors_are_unit_length_on_a_single_limb_and_zero_elsewhere():
    f = paf_targets(np.array([[[5.0, 5.0], [30.0, 22.0]]]), [(0, 1)], (32, 32), width=1.0)[0]
    norm = np.hypot(f[0], f[1])
    on = norm > 0
    np.testing.assert_allclose(norm[on], 1.0, atol=1e-12)
    assert 25 < on.sum() < 3 * 31                                  # a band about 2 cells wide along a 30-px limb


def test_line_integral_of_a_constant_field_is_its_projection():
    rng = np.random.default_rng(1)
    c = np.array([0.6, -0.8])
    field = np.broadcast_to(c[:, None, None], (2, 30, 30)).copy()
    for _ in range(5):
        a, b = rng.uniform(3, 27, (2, 2))                          # away from the zero-padded border
        v = (b - a) / np.linalg.norm(b - a)
        assert paf_line_integral(field, a, b, n_samples=7) == pytest.approx(c @ v, abs=1e-12)


def test_line_integral_along_a_true_limb_is_near_one_and_reversed_near_minus_one():
    kp = np.array([[[10.5, 8.5], [40.5, 30.5]]])
    field = paf_targets(kp, [(0, 1)], (24, 24), stride=2, width=1.0)[0]
    for S in (10, 50):
        # interior samples read unit vectors along v (dot 1); only the two end samples straddle the edge of
        # the support, where bilinear interpolation mixes in zeros: so 1 - 2/S <= E <= 1
        along = paf_line_integral(field, kp[0, 0], kp[0, 1], stride=2, n_samples=S)
        assert 1 - 2 / S <= along <= 1 + 1e-12
        assert paf_line_integral(field, kp[0, 1], kp[0, 0], stride=2, n_samples=S) == pytest.approx(-along, abs=1e-12)
    assert abs(paf_line_integral(field, (10.5, 40.5), (40.5, 8.5), stride=2)) < 0.2   # across the limb


def test_line_integral_equals_scipy_bilinear_sampling():
    rng = np.random.default_rng(2)
    field = ndi.gaussian_filter(rng.normal(size=(2, 16, 20)), (0, 2, 2))
    a, b = np.array([6.3, 9.1]), np.array([31.7, 22.4])            # image pixels, stride 2
    u = np.linspace(0, 1, 12)
    pts = (a + u[:, None] * (b - a)) / 2 - 0.5                       # cell units, centres at integers
    sampled = np.stack([ndi.map_coordinates(field[c], [pts[:, 1], pts[:, 0]], order=1, mode="grid-constant")
                        for c in range(2)], axis=1)                  # (12, 2)
    ref = (sampled @ ((b - a) / np.linalg.norm(b - a))).mean()
    # two bilinear interpolations of the same values: agreement to float64 rounding
    assert paf_line_integral(field, a, b, stride=2, n_samples=12) == pytest.approx(ref, abs=1e-12)


def test_limb_scores_are_line_integrals_or_zero_when_support_is_too_thin():
    rng = np.random.default_rng(3)
    field = ndi.gaussian_filter(rng.normal(size=(2, 20, 20)), (0, 3, 3)) * 5
    starts, ends = rng.uniform(2, 38, (4, 2)), rng.uniform(2, 38, (3, 2))
    S = limb_scores(field, starts, ends, stride=2, n_samples=10, threshold=0.05, min_fraction=0.8)
    for m in range(4):
        for n in range(3):
            full = paf_line_integral(field, starts[m], ends[n], stride=2, n_samples=10)
            assert S[m, n] == 0.0 or S[m, n] == pytest.approx(full, abs=1e-12)
    loose = limb_scores(field, starts, ends, stride=2, min_fraction=0.0)   # no support test
    np.testing.assert_allclose(loose, [[paf_line_integral(field, s, e, 2) for e in ends] for s in starts], atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_heatmap_peaks_match_scikit_image(seed):
    rng = np.random.default_rng(seed)
    h = ndi.gaussian_filter(rng.random((40, 50)), 2.0)
    h = (h - h.min()) / np.ptp(h)
    scores, points = heatmap_peaks(h, threshold=0.3)
    ref = peak_local_max(h, min_distance=1, threshold_abs=0.3, exclude_border=False)   # (M, 2) [row, col]
    ours = {(int(y), int(x)) for x, y in np.floor(points)}         # refined points stay in their cell
    assert ours == {tuple(map(int, rc)) for rc in ref} and len(ours) > 3
    assert np.all(np.diff(scores) <= 0)


def test_assemble_people_follows_the_optimal_matching_not_the_greedy_one():
    # greedy (best pair first) would take (0, 0) = 0.9, then be left with (1, 1) = 0.1 (total 1.0);
    # the Hungarian matching takes (0, 1) + (1, 0) = 0.8 + 0.8 = 1.6
    cands = [np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[0.0, 9.0], [10.0, 9.0]])]
    S = np.array([[0.9, 0.8], [0.8, 0.1]])
    people = assemble_people(cands, [S], [(0, 1)], min_score=0.05)
    pairs = {tuple(p.ravel()) for p in people}
    assert pairs == {(0.0, 0.0, 10.0, 9.0), (10.0, 0.0, 0.0, 9.0)}


def test_assemble_people_never_puts_two_keypoints_of_one_type_in_a_person():
    # a triangle of limbs 0-1, 1-2, 2-0 where limb 2-0 would link person A's keypoint 2 to person B's keypoint 0
    cands = [np.array([[0.0, 0.0], [50.0, 0.0]]), np.array([[0.0, 10.0], [50.0, 10.0]]),
             np.array([[0.0, 20.0], [50.0, 20.0]])]
    eye = np.eye(2)
    people = assemble_people(cands, [eye, eye, np.array([[0.0, 0.0], [0.0, 0.0]]) + [[0, 0.95], [0, 0]]],
                             [(0, 1), (1, 2), (2, 0)])
    assert len(people) == 2 and not np.isnan(people).any()         # the conflicting 0.95 link is refused
    assert np.allclose(people[:, :, 0].std(axis=1), 0)            # each person keeps one x


def test_group_people_is_independent_of_the_order_of_people():
    rng = np.random.default_rng(4)
    f = stick_figure_crowd(rng, n_people=3)
    out = []
    for kp in (f.keypoints, f.keypoints[::-1]):
        hm = gaussian_heatmaps(kp, (48, 48), 1.0, 2).max(axis=0)
        out.append(group_people(hm, paf_targets(kp, SKELETON, (48, 48), 2), SKELETON, 2, threshold=0.3))
    key = lambda p: tuple(np.nan_to_num(p[:, 0]).round(6))
    a, b = sorted(out[0], key=key), sorted(out[1], key=key)
    np.testing.assert_allclose(np.nan_to_num(a), np.nan_to_num(b), atol=1e-9)


def _crowd_accuracies(n_scenes: int, noise: float, seed: int = 7):
    """Limb accuracy of PAF grouping and of the distance baseline on crowded generated scenes."""
    rng = np.random.default_rng(seed)
    paf, dist = [], []
    for _ in range(n_scenes):
        f = stick_figure_crowd(rng, size=96, n_people=(3, 5), max_iou=0.5)
        hm = gaussian_heatmaps(f.keypoints, (48, 48), 1.0, 2).max(axis=0)
        fields = paf_targets(f.keypoints, SKELETON, (48, 48), 2, width=1.0)
        hm = hm + rng.normal(0, noise, hm.shape)                   # what an imperfect network would output
        fields = fields + rng.normal(0, noise, fields.shape)
        people = group_people(hm, fields, SKELETON, 2, threshold=0.3)
        paf.append(limb_accuracy(people, f.keypoints, SKELETON, tol=2.0))
        cands = [heatmap_peaks(h, threshold=0.3, stride=2)[1] for h in hm]
        near = [distance_scores(cands[i], cands[j], scale=30.0) for i, j in SKELETON]
        dist.append(limb_accuracy(assemble_people(cands, near, SKELETON), f.keypoints, SKELETON, tol=2.0))
    return np.mean(paf), np.mean(dist)


def test_paf_grouping_assembles_95_percent_of_limbs_in_crowded_scenes():
    # 3-5 full-size people per 96×96 image, boxes overlapping up to IoU 0.5; fields at stride 2 with
    # Gaussian noise of 0.1 (10 % of a unit vector) added to every heatmap and field value
    paf, dist = _crowd_accuracies(n_scenes=25, noise=0.1)
    assert paf >= 0.95
    assert dist < paf - 0.1                                        # nearest-candidate grouping is far worse


@pytest.mark.parametrize("call", [
    lambda: paf_targets(np.zeros((1, 3, 2)), [(0, 3)], (8, 8)),
    lambda: paf_targets(np.zeros((1, 3, 2)), [(1, 1)], (8, 8)),
    lambda: paf_targets(np.zeros((3, 2)), [(0, 1)], (8, 8)),
    lambda: paf_targets(np.zeros((1, 3, 2)), [(0, 1)], (8, 8), width=0),
    lambda: paf_line_integral(np.zeros((3, 8, 8)), (0, 0), (1, 1)),
    lambda: paf_line_integral(np.zeros((2, 8, 8)), (0, 0), (1, 1), n_samples=1),
    lambda: limb_scores(np.zeros((2, 8, 8)), np.zeros((2, 2)), np.zeros((2, 2)), min_fraction=1.5),
    lambda: heatmap_peaks(np.zeros((2, 8, 8))),
    lambda: assemble_people([np.zeros((1, 2)), np.zeros((1, 2))], [], [(0, 1)]),
    lambda: assemble_people([np.zeros((1, 2)), np.zeros((2, 2))], [np.zeros((1, 1))], [(0, 1)]),
    lambda: group_people(np.zeros((3, 8, 8)), np.zeros((2, 2, 8, 9)), [(0, 1), (1, 2)]),
    lambda: distance_scores(np.zeros((1, 2)), np.zeros((1, 2)), scale=0),
])
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
