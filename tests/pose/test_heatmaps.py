"""Tests for coursekit.pose.heatmaps (Chapter 7): Gaussian targets against a brute-force loop, and
sub-pixel decoding against analytic peaks whose true position is known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.pose.heatmaps import decode_heatmaps, gaussian_heatmaps, parabola_offset


def test_gaussian_heatmaps_equal_a_per_cell_loop():
    rng = np.random.default_rng(0)
    kp = rng.uniform(0, 64, (3, 5, 2))                            # 3 people, K = 5, image 64×64
    sigma, stride, H, W = 1.5, 4, 16, 16
    ours = gaussian_heatmaps(kp, (H, W), sigma, stride)           # (3, 5, 16, 16)
    ref = np.zeros((3, 5, H, W))
    for p in range(3):
        for k in range(5):
            for i in range(H):
                for j in range(W):
                    cx, cy = stride * (j + 0.5), stride * (i + 0.5)          # the cell centre in pixels
                    d2 = ((cx - kp[p, k, 0]) ** 2 + (cy - kp[p, k, 1]) ** 2) / stride ** 2
                    ref[p, k, i, j] = np.exp(-d2 / (2 * sigma ** 2))
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15)   # same formula, float64 rounding only


def test_heatmap_peaks_at_the_keypoint_and_unlabelled_maps_are_zero():
    kp = np.array([[10.5, 20.5], [3.5, 3.5]])                     # exactly on cell centres
    h = gaussian_heatmaps(kp, (32, 32), sigma=2.0, visibility=[2, 0])
    assert h[0, 20, 10] == 1.0 and h[0].argmax() == 20 * 32 + 10
    assert not h[1].any()


def test_several_people_stay_separate_peaks_under_the_maximum():
    kp = np.array([[[10.5, 10.5]], [[14.5, 10.5]]])               # two people 4 cells apart, K = 1
    h = gaussian_heatmaps(kp, (21, 25), sigma=1.0).max(axis=0)[0]
    row = h[10]
    assert row[10] == row[14] == 1.0 and row[12] < row[10]        # a dip between them: two peaks
    summed = gaussian_heatmaps(kp, (21, 25), sigma=2.5).sum(axis=0)[0]
    assert summed[10].argmax() == 12                              # adding wide bumps would merge them


@pytest.mark.parametrize("vertex", [-0.5, -0.31, 0.0, 0.07, 0.49])
def test_parabola_offset_recovers_the_vertex_of_any_parabola(vertex):
    for a, c in [(-1.0, 3.0), (-0.02, 0.0), (-7.5, -2.0)]:
        f = lambda t: a * (t - vertex) ** 2 + c
        assert parabola_offset(f(-1), f(0), f(1)) == pytest.approx(vertex, abs=1e-12)


def test_parabola_offset_is_zero_without_a_maximum_and_clipped_to_half_a_cell():
    assert parabola_offset(1.0, 1.0, 1.0) == 0.0                  # flat
    assert parabola_offset(2.0, 1.0, 2.0) == 0.0                  # a minimum
    assert parabola_offset(0.0, 1.0, 3.0) == 0.0                  # bends upwards: not a maximum
    # the centre is not the largest sample (never the case at an argmax): the vertex, at 1.5, is clipped
    assert parabola_offset(0.0, 1.0, 1.5) == 0.5


def _analytic_peaks(rng, n, sigma, shape=(24, 24)):
    """n analytic Gaussian heatmaps with known sub-pixel centres away from the border."""
    H, W = shape
    centres = np.stack([rng.uniform(4, W - 4, n), rng.uniform(4, H - 4, n)], axis=1)   # (n, 2)
    return centres, gaussian_heatmaps(centres, shape, sigma)       # (n, H, W)


@pytest.mark.parametrize("sigma", [0.6, 1.0, 2.0, 3.0])
def test_log_parabola_recovers_analytic_gaussian_peaks_exactly(sigma):
    rng = np.random.default_rng(1)
    centres, maps = _analytic_peaks(rng, 200, sigma)
    coords, scores = decode_heatmaps(maps, refine="log-parabola")
    # the log of a Gaussian is a parabola, so the fit is exact: only float64 rounding remains
    assert np.abs(coords - centres).max() < 1e-9
    assert np.all(scores <= 1.0) and np.all(scores > np.exp(-0.25 / sigma ** 2) - 1e-12)


@pytest.mark.parametrize("sigma", [1.0, 1.5, 2.0, 3.0])
def test_argmax_plus_parabola_is_within_a_tenth_of_a_pixel_on_analytic_peaks(sigma):
    rng = np.random.default_rng(2)
    centres, maps = _analytic_peaks(rng, 300, sigma)
    err = {r: np.abs(decode_heatmaps(maps, refine=r)[0] - centres).max() for r in ("none", "quarter", "parabola")}
    assert err["parabola"] < 0.1                                   # the chapter's target (per axis, pixels)
    assert err["none"] <= 0.5 + 1e-12                              # the argmax cell's centre: half a cell at worst
    assert err["quarter"] <= 0.25 + 1e-12                          # the hourglass shift halves that bound
    assert err["parabola"] < err["quarter"] < err["none"]


def test_log_parabola_stays_within_a_tenth_of_a_pixel_under_mild_noise():
    rng = np.random.default_rng(3)
    centres, maps = _analytic_peaks(rng, 300, sigma=2.0)
    noisy = maps + rng.normal(0, 0.005, maps.shape)                # 0.5 % of the peak height
    err = np.linalg.norm(decode_heatmaps(noisy)[0] - centres, axis=1)
    assert np.percentile(err, 95) < 0.1


def test_decode_scales_by_the_stride_and_keeps_leading_axes():
    rng = np.random.default_rng(4)
    kp = rng.uniform(8, 56, (2, 3, 13, 2))                         # (batch, people-like axis, K, 2)
    maps = gaussian_heatmaps(kp, (16, 16), sigma=1.0, stride=4)    # (2, 3, 13, 16, 16)
    coords, scores = decode_heatmaps(maps, stride=4)
    assert coords.shape == (2, 3, 13, 2) and scores.shape == (2, 3, 13)
    np.testing.assert_allclose(coords, kp, atol=1e-8)              # exact up to rounding, in image pixels


def test_decode_at_the_border_makes_no_offset_on_that_axis():
    maps = gaussian_heatmaps([[0.3, 5.2]], (10, 10), sigma=1.0)   # the peak is in column 0
    coords, _ = decode_heatmaps(maps)
    assert coords[0, 0] == 0.5                                     # the cell centre: no left neighbour
    assert coords[0, 1] == pytest.approx(5.2, abs=1e-9)            # rows are refined as usual


@pytest.mark.parametrize("call", [
    lambda: gaussian_heatmaps(np.zeros((13, 3)), (8, 8)),
    lambda: gaussian_heatmaps(np.zeros((13, 2)), (8, 0)),
    lambda: gaussian_heatmaps(np.zeros((13, 2)), (8, 8), sigma=0),
    lambda: gaussian_heatmaps(np.zeros((13, 2)), (8, 8), stride=0),
    lambda: gaussian_heatmaps(np.zeros((13, 2)), (8, 8), visibility=np.ones(12)),
    lambda: gaussian_heatmaps(np.full((13, 2), np.nan), (8, 8)),
    lambda: decode_heatmaps(np.zeros((8, 8))),
    lambda: decode_heatmaps(np.zeros((2, 8, 8)), refine="gaussian"),
    lambda: decode_heatmaps(np.zeros((2, 8, 8)), stride=1.5),
])
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
