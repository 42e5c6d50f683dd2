"""coursekit.video.conv3d: shapes and costs against nn.Conv3d, I3D inflation reproduces the 2D response on a
static clip exactly, SlowFast's sampling and widths."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.video.conv3d import (
    conv3d_output_shape,
    conv_cost,
    inflate_conv2d,
    inflate_conv2d_weight,
    slowfast_channels,
    slowfast_pathways,
)
from tests.torch_battery import TorchOp, battery, randn, run_check


@pytest.mark.parametrize("shape, k, s, p", [
    ((2, 3, 16, 32, 32), (3, 7, 7), (1, 2, 2), (1, 3, 3)),
    ((1, 4, 9, 15, 17), 3, 2, 0),
    ((1, 1, 8, 16, 16), (5, 1, 1), (2, 1, 1), (2, 0, 0)),
])
def test_output_shape_matches_nn_conv3d(shape, k, s, p):
    conv = nn.Conv3d(shape[1], 5, k, stride=s, padding=p)
    with torch.no_grad():
        want = tuple(conv(torch.zeros(shape)).shape)
    assert conv3d_output_shape(shape, 5, k, s, p) == want


def test_conv_cost_params_equal_numel_and_macs_equal_flop_counter():
    from torch.utils.flop_counter import FlopCounterMode
    for k, out, conv, x in [((3, 3, 3), (4, 8, 8), nn.Conv3d(4, 6, 3, padding=1), torch.zeros(1, 4, 4, 8, 8)),
                            ((3, 3), (8, 8), nn.Conv2d(4, 6, 3, padding=1), torch.zeros(1, 4, 8, 8))]:
        cost = conv_cost(4, 6, k, out)
        assert cost["params"] == sum(p.numel() for p in conv.parameters())
        with FlopCounterMode(display=False) as fc, torch.no_grad():
            conv(x)
        assert 2 * cost["macs"] == fc.get_total_flops()        # the counter counts a MAC as 2 FLOPs


@pytest.mark.parametrize("K_T", [1, 3, 5])
def test_inflated_kernel_gives_the_2d_response_on_a_static_clip(K_T):
    g = torch.Generator().manual_seed(K_T)
    conv2d = nn.Conv2d(3, 8, 3, padding=1).double()
    with torch.no_grad():
        conv2d.weight.copy_(torch.randn(8, 3, 3, 3, generator=g, dtype=torch.float64))
        conv2d.bias.copy_(torch.randn(8, generator=g, dtype=torch.float64))
    frame = torch.randn(2, 3, 12, 12, generator=g, dtype=torch.float64)
    T = 7
    clip = frame.unsqueeze(2).expand(2, 3, T, 12, 12)          # (B, C, T, H, W): the same frame T times
    conv3d = inflate_conv2d(conv2d, K_T)
    with torch.no_grad():
        want = conv2d(frame)                                   # (B, 8, H, W)
        padded = F.pad(clip, (0, 0, 0, 0, K_T // 2, K_T // 2), mode="replicate")   # static beyond the ends too
        got = F.conv3d(padded, conv3d.weight, conv3d.bias, padding=(0, 1, 1))
    assert got.shape == (2, 8, T, 12, 12)
    for t in range(T):
        # float64: sum of K_T copies of w/K_T differs from w by a few ulps: 1e-12 on values of size ~10
        torch.testing.assert_close(got[:, :, t], want, rtol=0, atol=1e-12)
    with torch.no_grad():                                      # zero padding in time: the ends see empty frames
        ends = conv3d(clip)
    torch.testing.assert_close(ends[:, :, T // 2], want, rtol=0, atol=1e-12)
    if K_T > 1:
        assert not torch.allclose(ends[:, :, 0], want)


def test_inflated_weight_sums_back_to_the_2d_weight():
    w = torch.randn(4, 2, 3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    w3 = inflate_conv2d_weight(w, 4)
    assert w3.shape == (4, 2, 4, 3, 3)
    torch.testing.assert_close(w3.sum(2), w, rtol=0, atol=1e-15)
    torch.testing.assert_close(w3[:, :, 0], w / 4, rtol=0, atol=0)


def test_slowfast_sampling_and_widths():
    x = torch.arange(2 * 3 * 32 * 4 * 4, dtype=torch.float32).reshape(2, 3, 32, 4, 4)
    slow, fast = slowfast_pathways(x, alpha=8)
    assert slow.shape == (2, 3, 4, 4, 4) and fast.shape == x.shape
    assert torch.equal(slow[:, :, 1], x[:, :, 8])
    assert slowfast_channels(64) == 8 and slowfast_channels(256, 1 / 4) == 64 and slowfast_channels(4) == 1


@pytest.mark.parametrize("call, words", [
    (lambda: conv3d_output_shape((1, 3, 8, 8), 4, 3), "B, C, T, H, W"),
    (lambda: conv3d_output_shape((1, 3, 2, 8, 8), 4, 5), "longer"),
    (lambda: conv3d_output_shape((1, 3, 8, 8, 8), 4, (3, 3)), "triple"),
    (lambda: inflate_conv2d_weight(torch.zeros(4, 3, 3), 3), "weight"),
    (lambda: inflate_conv2d_weight(torch.zeros(4, 3, 3, 3), 0), "K_T"),
    (lambda: inflate_conv2d(nn.Conv2d(4, 4, 3, groups=2), 3), "groups"),
    (lambda: slowfast_pathways(torch.zeros(1, 3, 10, 4, 4), 8), "multiple"),
    (lambda: slowfast_channels(64, 0), "beta"),
    (lambda: conv_cost(3, 4, (3, 3), (8,)), "same length"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_costs_of_2d_3d_and_factorised_convolutions():
    # a (2+1)D block: K_H·K_W spatial then K_T temporal: fewer MACs than the full 3D kernel
    full = conv_cost(64, 64, (3, 3, 3), (8, 28, 28))["macs"]
    two_plus_one = conv_cost(64, 64, (1, 3, 3), (8, 28, 28))["macs"] + conv_cost(64, 64, (3, 1, 1), (8, 28, 28))["macs"]
    assert two_plus_one * 27 == full * 12 and np.isclose(full / two_plus_one, 27 / 12)


OPS = [
    TorchOp("inflate_conv2d_weight", make=lambda g: (randn(g, 3, 2, 3, 3),),
            op=lambda w: inflate_conv2d_weight(w, 4), shape=(3, 2, 4, 3, 3),
            bad=[(lambda: inflate_conv2d_weight(torch.zeros(3, 2, 3), 4), "weight"),
                 (lambda: inflate_conv2d_weight(torch.zeros(3, 2, 3, 3), 0), "K_T")],
            grad=(0,),
            reference=lambda w: np.repeat(w.numpy()[:, :, None], 4, axis=2) / 4,
            atol=1e-15, why="the same division of the same float64 numbers: exact up to one rounding"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)
