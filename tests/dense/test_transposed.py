"""coursekit.dense.transposed: transposed convolution equals torch.nn.ConvTranspose2d (values and gradients), is
the adjoint of conv2d, and the bilinear kernel reproduces F.interpolate away from the border."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.dense import transposed as tr
from coursekit.nn.conv import conv2d

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# (kernel, stride, padding, output_padding, dilation) configurations, including uneven overlaps (k=3, s=2)
CONFIGS = [c for c in itertools.product((1, 2, 3, 4), (1, 2, 3), (0, 1), (0, 1), (1, 2))
           if c[3] < c[1] and (5 - 1) * c[1] - 2 * c[2] + c[4] * (c[0] - 1) + c[3] + 1 >= 1]


def _torch_layer(x, w, b, k, s, p, op, d):
    layer = torch.nn.ConvTranspose2d(w.shape[0], w.shape[1], k, stride=s, padding=p, output_padding=op,
                                     dilation=d).double()
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w))
        layer.bias.copy_(torch.from_numpy(b))
    xt = torch.from_numpy(x).requires_grad_(True)
    return layer, xt, layer(xt)


@pytest.mark.parametrize("k,s,p,op,d", CONFIGS)
def test_conv_transpose2d_equals_torch_convtranspose2d_values_and_gradients(k, s, p, op, d):
    rng = np.random.default_rng(k * 100 + s * 10 + p + 7 * op + 3 * d)
    x = rng.normal(size=(2, 3, 5, 4))
    w = rng.normal(size=(3, 2, k, k))
    b = rng.normal(size=2)
    layer, xt, yt = _torch_layer(x, w, b, k, s, p, op, d)
    y = tr.conv_transpose2d(x, w, b, stride=s, padding=p, output_padding=op, dilation=d)
    # float64 on both sides; they differ only in summation order, ~1e-15 relative
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    dy = rng.normal(size=y.shape)
    yt.backward(torch.from_numpy(dy))
    dx, dw, db = tr.conv_transpose2d_backward(dy, x, w, stride=s, padding=p, output_padding=op, dilation=d)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-11)
    np.testing.assert_allclose(dw, layer.weight.grad.numpy(), atol=1e-11)
    np.testing.assert_allclose(db, layer.bias.grad.numpy(), atol=1e-11)


@pytest.mark.parametrize("k,s,p,op,d", CONFIGS[::5])
def test_stamping_loop_equals_col2im_version(k, s, p, op, d):
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(1, 2, 4, 3)), rng.normal(size=(2, 3, k, k))
    np.testing.assert_allclose(tr.conv_transpose2d_loops(x, w, stride=s, padding=p, output_padding=op, dilation=d),
                               tr.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op, dilation=d),
                               atol=1e-12)   # same sums in a different order


@pytest.mark.parametrize("k,s,p,op,d", CONFIGS)
def test_output_size_matches_torch(k, s, p, op, d):
    for H in (1, 4, 7):
        if (H - 1) * s - 2 * p + d * (k - 1) + op + 1 < 1:
            continue
        out = F.conv_transpose2d(torch.zeros(1, 1, H, H), torch.zeros(1, 1, k, k), stride=s, padding=p,
                                 output_padding=op, dilation=d)
        assert tr.conv_transpose_output_size(H, k, s, p, op, d) == out.shape[-1]


def test_transposed_conv_is_the_adjoint_of_conv2d():
    """<conv2d(y, w), x> = <y, conv_transpose2d(x, w)>: the 'transpose' in the name."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3, 3, 3))            # conv2d: 3 -> 4 channels; transposed: 4 -> 3
    y = rng.normal(size=(2, 3, 9, 9))
    x = rng.normal(size=(2, 4, 4, 4))            # conv2d(y, w, stride=2) is (2, 4, 4, 4)
    lhs = np.sum(conv2d(y, w, stride=2) * x)
    rhs = np.sum(y * tr.conv_transpose2d(x, w, stride=2))
    assert abs(lhs - rhs) < 1e-10 * abs(lhs)     # float64 dot products of ~1e3 terms


def test_float32_inputs_stay_float32_and_match_torch():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 2, 6, 6)).astype(np.float32)
    w = rng.normal(size=(2, 3, 4, 4)).astype(np.float32)
    y = tr.conv_transpose2d(x, w, stride=2, padding=1)
    assert y.dtype == np.float32
    ref = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), stride=2, padding=1).numpy()
    np.testing.assert_allclose(y, ref, atol=1e-5)  # float32: ~1e-7 relative per term, 32 terms per output


@pytest.mark.parametrize("f", [2, 3, 4])
def test_bilinear_kernel_reproduces_interpolate_away_from_the_border(f):
    rng = np.random.default_rng(f)
    x = rng.normal(size=(1, 1, 8, 8))
    k = tr.bilinear_kernel(f)
    y = tr.conv_transpose2d(x, k[None, None], stride=f, padding=int(np.ceil((f - 1) / 2)))
    ref = F.interpolate(torch.from_numpy(x), scale_factor=f, mode="bilinear", align_corners=False).numpy()
    assert y.shape == ref.shape
    m = f                                         # interpolate clamps at the border; compare the interior
    np.testing.assert_allclose(y[..., m:-m, m:-m], ref[..., m:-m, m:-m], atol=1e-12)


def test_checkerboard_appears_when_kernel_is_not_a_multiple_of_stride():
    uneven = tr.transposed_overlap(3, 2, size=6)[2:-2, 2:-2]     # interior
    even = tr.transposed_overlap(4, 2, size=6)[2:-2, 2:-2]
    assert uneven.min() == 1 and uneven.max() == 4               # 1, 2, 4 in a checkerboard
    assert even.min() == even.max() == 4                         # every interior pixel gets 2 x 2 stamps


def test_bad_inputs_raise_actionable_errors():
    x = np.zeros((1, 3, 4, 4))
    with pytest.raises(ValueError, match="C_in first"):
        tr.conv_transpose2d(x, np.zeros((2, 3, 3, 3)))           # Conv2d's layout by mistake
    with pytest.raises(ValueError, match="output_padding"):
        tr.conv_transpose2d(x, np.zeros((3, 2, 3, 3)), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="4-D"):
        tr.conv_transpose2d(np.zeros((3, 4, 4)), np.zeros((3, 2, 3, 3)))
    with pytest.raises(ValueError, match="forward output"):
        tr.conv_transpose2d_backward(np.zeros((1, 2, 5, 5)), x, np.zeros((3, 2, 3, 3)), stride=2)
    with pytest.raises(ValueError, match="crops the whole output"):
        tr.conv_transpose_output_size(1, 1, padding=1)
