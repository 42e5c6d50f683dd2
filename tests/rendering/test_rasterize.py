"""Tests for coursekit.rendering.rasterize (Chapter 9): tiles == all pairs == a per-pixel loop; gradients."""

import numpy as np
import pytest
import torch

from coursekit.rendering.rasterize import (
    ALPHA_MAX,
    ALPHA_MIN,
    composite,
    conic_and_radius,
    gaussian_alpha,
    rasterize,
    rasterize_dense,
)

f64 = torch.float64


def _splats(n, H, W, seed=0, dtype=f64):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g, dtype=dtype) * torch.tensor([W, H], dtype=dtype)
    A = torch.randn(n, 2, 2, generator=g, dtype=dtype)
    cov = A @ A.transpose(1, 2) * 2 + 0.3 * torch.eye(2, dtype=dtype)
    opacity = torch.rand(n, generator=g, dtype=dtype) * 0.9 + 0.05
    conic, radius = conic_and_radius(cov, opacity)
    depth = torch.rand(n, generator=g, dtype=dtype) * 3 + 1
    colors = torch.rand(n, 3, generator=g, dtype=dtype)
    return xy, conic, depth, opacity, colors, radius, cov


def _loop_reference(xy, cov, depth, opacity, colors, H, W, bg):
    """Plain NumPy: for every pixel, every Gaussian in depth order, the "over" operator."""
    xy, cov, depth, opacity, colors = (t.detach().numpy() for t in (xy, cov, depth, opacity, colors))
    img = np.zeros((H, W, 3))
    inv = np.linalg.inv(cov)
    for i in range(H):
        for j in range(W):
            T, c = 1.0, np.zeros(3)
            for k in np.argsort(depth):
                d = np.array([j + 0.5, i + 0.5]) - xy[k]
                a = min(ALPHA_MAX, opacity[k] * np.exp(-0.5 * d @ inv[k] @ d))
                if a < ALPHA_MIN:
                    continue
                c += T * a * colors[k]
                T *= 1 - a
            img[i, j] = c + T * bg
    return img


def test_dense_rasteriser_equals_a_per_pixel_compositing_loop():
    xy, conic, depth, opacity, colors, _, cov = _splats(12, 10, 12)
    bg = torch.tensor([0.2, 0.4, 0.6], dtype=f64)
    ref = _loop_reference(xy, cov, depth, opacity, colors, 10, 12, bg.numpy())
    assert np.allclose(rasterize_dense(xy, conic, depth, opacity, colors, 10, 12, bg).numpy(), ref, atol=1e-12)


@pytest.mark.parametrize("tile", [2, 4, 8, 16])
def test_tile_culling_changes_nothing(tile):
    # the footprint radius is where alpha falls below 1/255, so culling drops only zero contributions
    xy, conic, depth, opacity, colors, radius, _ = _splats(200, 30, 26, seed=tile)
    a = rasterize(xy, conic, depth, opacity, colors, 30, 26, radius=radius, tile=tile)
    b = rasterize_dense(xy, conic, depth, opacity, colors, 30, 26)
    assert torch.allclose(a, b, atol=1e-12)


def test_gaussians_behind_the_camera_are_skipped():
    xy, conic, depth, opacity, colors, radius, _ = _splats(5, 8, 8)
    depth = -depth
    assert torch.equal(rasterize(xy, conic, depth, opacity, colors, 8, 8, radius=radius), torch.ones(8, 8, 3,
                                                                                                   dtype=f64))


def test_rasteriser_gradients_match_finite_differences():
    xy, conic, depth, opacity, colors, radius, _ = _splats(6, 8, 8, seed=3)
    conic = conic.detach()

    def f(xy, conic, opacity, colors):
        return rasterize(xy, conic, depth, opacity, colors, 8, 8, radius=radius, tile=4)

    args = tuple(t.clone().requires_grad_() for t in (xy, conic, opacity, colors))
    # away from the 1/255 cut-off the map is smooth; eps = 1e-6 in float64
    assert torch.autograd.gradcheck(f, args, eps=1e-6, atol=1e-5)


def test_composite_weights_sum_with_transmittance_to_one():
    alpha = torch.rand(5, 7, generator=torch.Generator().manual_seed(0), dtype=f64)
    white, T = composite(alpha, torch.ones(5, 7, 3, dtype=f64), torch.zeros(3, dtype=f64))
    assert torch.allclose(white[:, 0] + T, torch.ones(5, dtype=f64))
    assert torch.allclose(T, torch.prod(1 - alpha, dim=1))


def test_alpha_is_capped_and_cut():
    conic = torch.tensor([[1.0, 0.0, 1.0]], dtype=f64)
    assert gaussian_alpha(torch.zeros(1, 2, dtype=f64), conic, torch.tensor([1.0], dtype=f64)).item() == ALPHA_MAX
    assert gaussian_alpha(torch.tensor([[5.0, 0.0]], dtype=f64), conic, torch.tensor([0.5], dtype=f64)).item() == 0.0


def test_bad_inputs_raise():
    xy, conic, depth, opacity, colors, radius, _ = _splats(3, 8, 8)
    with pytest.raises(ValueError, match="conic"):
        rasterize(xy, conic[:2], depth, opacity, colors, 8, 8)
    with pytest.raises(ValueError, match="colors"):
        rasterize_dense(xy, conic, depth, opacity, colors[:, :2], 8, 8)
    with pytest.raises(ValueError, match="tile"):
        rasterize(xy, conic, depth, opacity, colors, 8, 8, tile=0)
