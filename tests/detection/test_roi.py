"""RoI Align equals exact bilinear sampling (and torch's grid_sample); RoI Pool equals adaptive max pooling of
its rounded crop, and shows its quantisation error where RoI Align has none."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.detection.roi import roi_align, roi_pool


def linear_map(C=2, H=12, W=15):
    """f_c(x, y) = a_c x + b_c y + c_c at pixel centres (x, y) = (col + 0.5, row + 0.5): bilinear is exact."""
    coef = np.array([[0.7, -1.3, 2.0], [-0.4, 0.25, 1.0]])[:C]
    y, x = np.mgrid[0:H, 0:W] + 0.5
    return np.stack([a * x + b * y + c for a, b, c in coef]), coef


def test_roi_align_of_a_linear_map_is_the_map_at_each_bin_centre(rng):
    f, coef = linear_map()
    for _ in range(10):
        x0, y0 = rng.uniform(1, 5, 2)
        x1, y1 = x0 + rng.uniform(2, 8), y0 + rng.uniform(2, 6)
        out = roi_align(f, [[x0, y0, x1, y1]], output_size=(3, 4), sampling_ratio=2)[0]       # (C, 3, 4)
        cy = y0 + (np.arange(3) + 0.5) * (y1 - y0) / 3
        cx = x0 + (np.arange(4) + 0.5) * (x1 - x0) / 4
        ref = coef[:, 0, None, None] * cx[None, None] + coef[:, 1, None, None] * cy[None, :, None] + coef[:, 2, None, None]
        np.testing.assert_allclose(out, ref, atol=1e-12)      # samples are symmetric about each bin centre


def grid_sample_reference(f, box, out, g):
    """Average of g × g torch grid_sample points per bin (align_corners=False = continuous pixel coordinates)."""
    C, H, W = f.shape
    x0, y0, x1, y1 = box
    ys = y0 + (np.arange(out[0] * g) + 0.5) * (y1 - y0) / (out[0] * g)
    xs = x0 + (np.arange(out[1] * g) + 0.5) * (x1 - x0) / (out[1] * g)
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    grid = torch.from_numpy(np.stack([2 * xx / W - 1, 2 * yy / H - 1], -1))[None]   # (1, h*g, w*g, 2)
    v = F.grid_sample(torch.from_numpy(f)[None], grid, mode="bilinear", align_corners=False)[0].numpy()
    return v.reshape(C, out[0], g, out[1], g).mean(axis=(2, 4))


def test_roi_align_equals_torch_grid_sample_inside_the_map(rng):
    f = rng.normal(size=(3, 16, 20))
    for _ in range(10):
        x0, y0 = rng.uniform(0.6, 8, 2)
        box = [x0, y0, x0 + rng.uniform(1, 10), y0 + rng.uniform(1, 7)]
        ours = roi_align(f, [box], output_size=(2, 3), sampling_ratio=3)[0]
        # 1e-12: the same bilinear weights in float64, summed in a different order
        np.testing.assert_allclose(ours, grid_sample_reference(f, box, (2, 3), 3), atol=1e-12)


def test_roi_align_adaptive_sampling_and_spatial_scale():
    f, coef = linear_map(C=1, H=8, W=8)
    a = roi_align(f, [[8.0, 8.0, 40.0, 24.0]], output_size=(2, 2), spatial_scale=0.25)   # stride-4 map
    b = roi_align(f, [[2.0, 2.0, 10.0, 6.0]], output_size=(2, 2))
    np.testing.assert_allclose(a, b, atol=1e-12)


def adaptive_max_reference(f, box, out):
    """RoI Pool's bins are adaptive max pooling of the rounded, inclusive crop (floor/ceil bin edges)."""
    x0, y0, x1, y1 = (int(np.floor(v + 0.5)) for v in box)
    crop = torch.from_numpy(f[:, y0:y1 + 1, x0:x1 + 1])
    return F.adaptive_max_pool2d(crop, out).numpy()


def test_roi_pool_equals_adaptive_max_pool_of_the_rounded_crop(rng):
    f = rng.normal(size=(2, 20, 20))
    for _ in range(15):
        x0, y0 = rng.uniform(0, 8, 2)
        box = [x0, y0, x0 + rng.uniform(3, 10), y0 + rng.uniform(3, 10)]
        np.testing.assert_array_equal(roi_pool(f, [box], (3, 3))[0], adaptive_max_reference(f, box, (3, 3)))


def test_roi_pool_rounds_halves_away_from_zero():
    f = np.arange(36.0).reshape(1, 6, 6)
    # x0 = 0.5 rounds to 1 (C's round), not to 0 (numpy's round-half-to-even)
    assert roi_pool(f, [[0.5, 0.5, 2.5, 2.5]], (1, 1))[0, 0, 0, 0] == f[0, 3, 3]


def test_roi_pool_jumps_where_roi_align_moves_smoothly():
    """Shift a box by sub-cell steps on a ramp: RoI Pool changes in whole-cell jumps, RoI Align linearly."""
    f, _ = linear_map(C=1, H=10, W=30)
    f = f[:1]
    shifts = np.linspace(0, 1, 9)
    pool = [roi_pool(f, [[4 + s, 2, 10 + s, 6]], (1, 1))[0, 0, 0, 0] for s in shifts]
    align = [roi_align(f, [[4 + s, 2, 10 + s, 6]], (1, 1), sampling_ratio=2)[0, 0, 0, 0] for s in shifts]
    assert len(set(np.round(pool, 9))) == 2                                  # one jump of a whole cell
    np.testing.assert_allclose(np.diff(align), 0.7 * np.diff(shifts), atol=1e-12)


def test_roi_ops_reject_bad_input():
    with pytest.raises(ValueError, match="3-D"):
        roi_align(np.zeros((4, 4)), [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match="output_size"):
        roi_pool(np.zeros((1, 4, 4)), [[0, 0, 1, 1]], output_size=(2,))
    with pytest.raises(ValueError, match="spatial_scale"):
        roi_align(np.zeros((1, 4, 4)), [[0, 0, 1, 1]], spatial_scale=0)
