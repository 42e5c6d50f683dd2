"""Convolution layers from scratch against torch.nn.functional: values and autograd gradients.

Tolerances. The float32 comparisons use ``rtol = atol = 1e-5``: both sides round every product and
partial sum to float32 (eps = 1.2e-7), but they add in different orders, so the disagreement grows like
sqrt(n) * eps * |value|; the weight and bias gradients sum n = B * H_out * W_out ≈ 200 terms of size ~1
and reach |value| ≈ 20, hence a relative term. float64 comparisons use 1e-10 (pure rounding).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.nn import conv
from coursekit.nn import pooling
from coursekit.data import load_image

F32 = dict(rtol=1e-5, atol=1e-5)


def _t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


def _grid():
    """stride {1,2} × padding {0,1,2} × dilation {1,2} × groups {1, 2, C} × kernel {1,3,5}, valid combos only."""
    C, H = 4, 11
    for s, p, d, g, k in itertools.product([1, 2], [0, 1, 2], [1, 2], [1, 2, C], [1, 3, 5]):
        if H + 2 * p >= d * (k - 1) + 1 and not (k == 1 and d == 2):  # dilation does nothing to a 1×1 kernel
            yield s, p, d, g, k


GRID = list(_grid())


def test_grid_covers_the_issue_targets():
    assert len(GRID) >= 80 and {g for *_, g, _ in GRID} == {1, 2, 4}


@pytest.mark.parametrize("s,p,d,g,k", GRID)
def test_conv2d_forward_and_backward_match_torch_float32(s, p, d, g, k):
    rng = np.random.default_rng(1000 * s + 100 * p + 10 * d + 3 * g + k)
    B, C, H, W, C_out = 2, 4, 11, 10, 8
    x = rng.normal(size=(B, C, H, W)).astype(np.float32)
    w = (rng.normal(size=(C_out, C // g, k, k)) / np.sqrt(C // g * k * k)).astype(np.float32)  # Kaiming-like scale
    b = rng.normal(size=C_out).astype(np.float32)
    xt, wt, bt = _t(x, True), _t(w, True), _t(b, True)
    yt = F.conv2d(xt, wt, bt, stride=s, padding=p, dilation=d, groups=g)
    y = conv.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=g)
    assert y.dtype == np.float32 and y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y, yt.detach().numpy(), **F32)
    dy = rng.normal(size=y.shape).astype(np.float32)
    yt.backward(_t(dy))
    dx, dw, db = conv.conv2d_backward(dy, x, w, stride=s, padding=p, dilation=d, groups=g)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **F32)
    np.testing.assert_allclose(dw, wt.grad.numpy(), **F32)
    np.testing.assert_allclose(db, bt.grad.numpy(), **F32)


def test_conv2d_on_real_images_matches_torch_in_float64():
    imgs = np.stack([load_image(n)[100:164, 100:164] for n in ("camera", "coins")]).astype(np.float64) / 255
    x = imgs[:, None]                                                    # (2, 1, 64, 64)
    sobel = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    w = np.stack([sobel, sobel.T, np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]])])[:, None]  # (3, 1, 3, 3)
    got = conv.conv2d(x, w, padding=1, stride=(1, 2))
    ref = F.conv2d(_t(x), _t(w), padding=1, stride=(1, 2)).numpy()
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, ref, atol=1e-10)


def test_im2col_is_torch_unfold_and_col2im_is_torch_fold(rng):
    x = rng.normal(size=(2, 3, 9, 8))
    for k, s, p, d in [(3, 1, 1, 1), (2, 2, 0, 1), (3, 2, 2, 2), ((3, 1), (1, 2), (0, 1), 1)]:
        cols = conv.im2col(x, k, s, p, d)
        np.testing.assert_allclose(cols, F.unfold(_t(x), k, d, p, s).numpy(), atol=1e-12)
        np.testing.assert_allclose(conv.col2im(cols, (9, 8), k, s, p, d),
                                   F.fold(_t(cols), (9, 8), k, d, p, s).numpy(), atol=1e-12)


def test_col2im_is_the_adjoint_of_im2col(rng):
    """<im2col(x), c> = <x, col2im(c)> — the identity that makes col2im the backward of im2col."""
    x = rng.normal(size=(2, 3, 10, 7))
    c = rng.normal(size=conv.im2col(x, 3, 2, 1, 2).shape)
    lhs = np.sum(conv.im2col(x, 3, 2, 1, 2) * c)
    rhs = np.sum(x * conv.col2im(c, (10, 7), 3, 2, 1, 2))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_loop_ladder_agrees_with_im2col(rng):
    x = rng.normal(size=(2, 4, 9, 9))
    w = rng.normal(size=(6, 2, 3, 3))
    b = rng.normal(size=6)
    np.testing.assert_allclose(conv.conv2d_loops(x, w, b, 2, 1, 2, groups=2),
                               conv.conv2d(x, w, b, 2, 1, 2, groups=2), atol=1e-12)


def test_conv1x1_is_a_per_pixel_linear_layer(rng):
    x = rng.normal(size=(2, 5, 6, 7))
    w, b = rng.normal(size=(3, 5)), rng.normal(size=3)
    y = conv.conv1x1(x, w, b)
    lin = F.linear(_t(x).permute(0, 2, 3, 1), _t(w), _t(b)).permute(0, 3, 1, 2).numpy()  # (B, H, W, C) -> Linear
    np.testing.assert_allclose(y, lin, atol=1e-12)
    np.testing.assert_allclose(y, conv.conv2d(x, w[:, :, None, None], b), atol=1e-12)


@pytest.mark.parametrize("k,s,p", [(2, None, 0), (3, 2, 1), (3, 1, 1), ((2, 3), (2, 1), (1, 0))])
def test_pooling_values_and_gradients_match_torch(k, s, p, rng):
    x = rng.normal(size=(2, 3, 9, 10)).astype(np.float32)                # continuous: no ties in max pool
    for ours, back, ref in [(pooling.max_pool2d, pooling.max_pool2d_backward, F.max_pool2d),
                            (pooling.avg_pool2d, pooling.avg_pool2d_backward, F.avg_pool2d)]:
        xt = _t(x, True)
        yt = ref(xt, k, s, p)
        y = ours(x, k, s, p)
        np.testing.assert_allclose(y, yt.detach().numpy(), **F32)
        dy = rng.normal(size=y.shape).astype(np.float32)
        yt.backward(_t(dy))
        np.testing.assert_allclose(back(dy, x, k, s, p), xt.grad.numpy(), **F32)


def test_max_pool_gradient_goes_only_to_the_winners(rng):
    x = rng.normal(size=(1, 1, 8, 8))
    dx = pooling.max_pool2d_backward(np.ones((1, 1, 4, 4)), x, 2)
    assert np.count_nonzero(dx) == 16 and dx.sum() == 16
    assert np.array_equal(np.sort(x[dx == 1]), np.sort(pooling.max_pool2d(x, 2).ravel()))


def test_global_avg_pool_matches_adaptive_avg_pool(rng):
    x = rng.normal(size=(3, 4, 7, 5))
    np.testing.assert_allclose(pooling.global_avg_pool(x), F.adaptive_avg_pool2d(_t(x), 1).numpy()[:, :, 0, 0],
                               atol=1e-12)


def _object_image(rng, size=40):
    """A random 10×10 textured object on a zero background, well inside the frame."""
    x = np.zeros((1, 1, size, size))
    x[0, 0, 15:25, 12:22] = rng.uniform(0.2, 1.0, (10, 10))
    return x


def test_conv_is_translation_equivariant_away_from_borders(rng):
    x = _object_image(rng)
    w = rng.normal(size=(4, 1, 3, 3))
    dy_, dx_ = 3, -5
    shifted = np.roll(x, (dy_, dx_), axis=(2, 3))                        # the object stays inside the frame
    lhs = conv.conv2d(shifted, w, padding=1)                            # conv(shift(x))
    rhs = np.roll(conv.conv2d(x, w, padding=1), (dy_, dx_), axis=(2, 3))  # shift(conv(x))
    np.testing.assert_allclose(lhs[..., 8:-8, 8:-8], rhs[..., 8:-8, 8:-8], atol=1e-12)
    # ... and global average pooling of the feature maps makes the result invariant to the shift
    np.testing.assert_allclose(pooling.global_avg_pool(lhs), pooling.global_avg_pool(conv.conv2d(x, w, padding=1)),
                               atol=1e-12)


def test_stride_two_is_equivariant_only_to_even_shifts(rng):
    x = _object_image(rng)
    w = rng.normal(size=(1, 1, 3, 3))
    y = conv.conv2d(x, w, stride=2, padding=1)
    even = conv.conv2d(np.roll(x, 2, axis=3), w, stride=2, padding=1)
    odd = conv.conv2d(np.roll(x, 1, axis=3), w, stride=2, padding=1)
    np.testing.assert_allclose(even, np.roll(y, 1, axis=3), atol=1e-12)
    assert not any(np.allclose(odd, np.roll(y, t, axis=3), atol=1e-3) for t in (0, 1))


def test_conv_is_not_rotation_equivariant_unless_the_kernel_is_symmetric(rng):
    x = _object_image(rng)
    rot = lambda a: np.rot90(a, 1, axes=(2, 3))                          # noqa: E731
    w = rng.normal(size=(1, 1, 3, 3))
    err = np.abs(conv.conv2d(rot(x), w, padding=1) - rot(conv.conv2d(x, w, padding=1))).max()
    assert err > 0.1                                                     # a random kernel has an orientation
    lap = np.array([[[[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]]])              # unchanged by a 90° rotation
    np.testing.assert_allclose(conv.conv2d(rot(x), lap, padding=1), rot(conv.conv2d(x, lap, padding=1)),
                               atol=1e-12)


def test_float32_in_float32_out_and_ints_become_float64():
    x = np.ones((1, 1, 4, 4), np.float32)
    assert conv.conv2d(x, np.ones((1, 1, 3, 3), np.float32)).dtype == np.float32
    assert conv.conv2d(x, np.ones((1, 1, 3, 3))).dtype == np.float64
    assert pooling.max_pool2d(np.ones((1, 1, 4, 4), int), 2).dtype == np.float64


def test_bad_inputs_raise_clear_errors():
    x = np.ones((1, 4, 8, 8))
    with pytest.raises(ValueError, match="batch of feature maps"):
        conv.conv2d(np.ones((8, 8)), np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="divisible by groups"):
        conv.conv2d(x, np.ones((3, 2, 3, 3)), groups=2)
    with pytest.raises(ValueError, match="expects 2 input channels"):
        conv.conv2d(x, np.ones((4, 1, 3, 3)), groups=2)
    with pytest.raises(ValueError, match="padded input has only"):
        conv.conv2d(x, np.ones((1, 4, 9, 9)))
    with pytest.raises(ValueError, match="stride must be an integer >= 1"):
        conv.im2col(x, 3, stride=0)
    with pytest.raises(ValueError, match="bias must have shape"):
        conv.conv2d(x, np.ones((2, 4, 3, 3)), bias=np.ones(3))
    with pytest.raises(ValueError, match="do not fit"):
        conv.col2im(np.ones((1, 5, 36)), (8, 8), 3)
    with pytest.raises(ValueError, match="at most half the kernel"):
        pooling.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="dy has shape"):
        conv.conv2d_backward(np.ones((1, 1, 5, 5)), x, np.ones((1, 4, 3, 3)))
    with pytest.raises(ValueError, match=r"\(C_out, C, 1, 1\)"):
        conv.conv1x1(x, np.ones((2, 4, 3, 3)))
