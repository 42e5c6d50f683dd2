"""Convolution arithmetic against real torch.nn modules: output shapes, numel(), FLOP counts and the
receptive field measured by backpropagation. All comparisons are exact (integers)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from coursekit.nn import conv_arithmetic as ca


@pytest.mark.parametrize("H", [7, 32, 33])
def test_output_size_matches_torch_modules(H):
    x = torch.zeros(1, 2, H, H)
    checked = 0
    for k, s, p, d in itertools.product([1, 2, 3, 5], [1, 2, 3], [0, 1, 2], [1, 2, 3]):
        if H + 2 * p < d * (k - 1) + 1:
            with pytest.raises(ValueError, match="padded input has only"):
                ca.conv_output_size(H, k, s, p, d)
            continue
        with torch.no_grad():
            out = nn.Conv2d(2, 1, k, s, p, d)(x)
        assert out.shape[2] == ca.conv_output_size(H, k, s, p, d)
        if 2 * p <= k:                                          # torch's rule for pooling padding
            assert nn.MaxPool2d(k, s, p, d)(x).shape[2] == ca.conv_output_size(H, k, s, p, d)
            assert nn.AvgPool2d(k, s, p)(x).shape[2] == ca.conv_output_size(H, k, s, p)
        checked += 1
    assert checked > 50


def test_same_padding_keeps_the_size_and_stride_two_halves_it():
    for k in (3, 5, 7):
        assert ca.conv_output_size(64, k, padding=k // 2) == 64
        assert ca.conv_output_size(64, k, stride=2, padding=k // 2) == 32


@pytest.mark.parametrize("c_in,c_out,k,g,bias", [(3, 64, 3, 1, True), (64, 128, 3, 1, False), (32, 64, 5, 4, True),
                                                  (16, 16, 3, 16, False), (16, 48, (3, 1), 16, True), (8, 8, 1, 1, True)])
def test_param_count_matches_numel(c_in, c_out, k, g, bias):
    layer = nn.Conv2d(c_in, c_out, k, groups=g, bias=bias)
    assert ca.conv_params(c_in, c_out, k, g, bias) == sum(p.numel() for p in layer.parameters())


def test_param_count_does_not_depend_on_image_size_but_macs_do():
    assert ca.conv_macs(16, 32, 3, 64) == 4 * ca.conv_macs(16, 32, 3, 32)


def _flops(module, shape):
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(torch.zeros(shape))
    return counter.get_total_flops()


@pytest.mark.parametrize("c_in,c_out,k,g", [(16, 32, 3, 1), (16, 32, 5, 4), (32, 32, 3, 32)])
def test_macs_match_torch_flop_counter(c_in, c_out, k, g):
    layer = nn.Conv2d(c_in, c_out, k, padding=k // 2, groups=g, bias=False)
    assert 2 * ca.conv_macs(c_in, c_out, k, (12, 10), g) == _flops(layer, (1, c_in, 12, 10))  # a MAC is 2 FLOPs


@pytest.mark.parametrize("c_in,c_out,k", [(32, 64, 3), (64, 128, 3), (16, 256, 5), (8, 8, 7)])
def test_separable_ratio_equals_measured_params_and_flops(c_in, c_out, k):
    standard = nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)
    separable = nn.Sequential(nn.Conv2d(c_in, c_in, k, padding=k // 2, groups=c_in, bias=False),
                              nn.Conv2d(c_in, c_out, 1, bias=False))
    n = lambda m: sum(p.numel() for p in m.parameters())                 # noqa: E731
    ratio = ca.separable_cost_ratio(c_out, k)
    assert ca.separable_params(c_in, c_out, k) == n(separable)
    assert n(separable) / n(standard) == pytest.approx(ratio, rel=1e-12)   # exact rationals, float rounding only
    shape = (1, c_in, 16, 16)
    assert _flops(separable, shape) / _flops(standard, shape) == pytest.approx(ratio, rel=1e-12)


def test_receptive_field_of_stacked_3x3_is_2L_plus_1():
    for L in range(1, 8):
        assert ca.receptive_field([(3, 1)] * L) == 2 * L + 1


def test_two_3x3_see_as_far_as_one_5x5_with_fewer_weights():
    assert ca.receptive_field([(3, 1), (3, 1)]) == ca.receptive_field([(5, 1)])
    assert 2 * ca.conv_params(64, 64, 3, bias=False) < ca.conv_params(64, 64, 5, bias=False)


def test_jumps_are_products_of_strides():
    r, j = ca.receptive_field_growth([(3, 2), (3, 1), (2, 2), (3, 3)])
    assert j.tolist() == [1, 2, 2, 4, 12]
    assert r.tolist() == [1, 3, 7, 9, 17]


STACKS = {
    "stacked 3x3": nn.Sequential(*[nn.Conv2d(2, 2, 3, padding=1) for _ in range(4)]),
    "strided": nn.Sequential(nn.Conv2d(1, 2, 3, 2, 1), nn.ReLU(), nn.Conv2d(2, 2, 3, 2, 1), nn.ReLU(),
                             nn.Conv2d(2, 2, 3, 1, 1)),
    "dilated 1-2-4": nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Conv2d(2, 2, 3, padding=2, dilation=2),
                                   nn.Conv2d(2, 2, 3, padding=4, dilation=4)),
    "conv + max pool": nn.Sequential(nn.Conv2d(1, 2, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(2, 2, 3, padding=1),
                                     nn.AvgPool2d(3, 2, 1), nn.Conv2d(2, 2, 3)),
    "dilated only (holes)": nn.Sequential(nn.Conv2d(1, 1, 3, dilation=3), nn.Conv2d(1, 1, 3, dilation=3)),
}


@pytest.mark.parametrize("name", STACKS)
def test_theoretical_receptive_field_matches_the_gradient_measurement(name):
    torch.manual_seed(0)
    model = STACKS[name]
    c_in = next(model.parameters()).shape[1]
    r = ca.receptive_field(ca.layer_specs(model))
    h, w, grad = ca.empirical_receptive_field(model, (1, c_in, 64, 64), generator=torch.Generator().manual_seed(0))
    assert (h, w) == (r, r)
    if name.startswith("dilated only"):                  # two dilation-3 layers: the 13×13 field has holes
        assert np.count_nonzero(grad) == 25 < r * r     # only the 5×5 grid of taps 3 pixels apart


def test_layer_specs_reads_kernels_strides_and_dilations():
    assert ca.layer_specs(STACKS["conv + max pool"]) == [(5, 1, 1), (2, 2, 1), (3, 1, 1), (3, 2, 1), (3, 1, 1)]
    with pytest.raises(ValueError, match="non-square"):
        ca.layer_specs(nn.Sequential(nn.Conv2d(1, 1, (3, 1))))


def test_empirical_receptive_field_refuses_an_input_that_is_too_small():
    with pytest.raises(ValueError, match="reaches the border"):
        ca.empirical_receptive_field(STACKS["stacked 3x3"], (1, 2, 9, 9))


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="stride must be an integer >= 1"):
        ca.conv_output_size(32, 3, stride=0)
    with pytest.raises(ValueError, match="kernel_size must be an integer"):
        ca.conv_output_size(32, 2.5)
    with pytest.raises(ValueError, match="divisible by groups"):
        ca.conv_params(6, 8, 3, groups=4)
    with pytest.raises(ValueError, match="layer 1 must be"):
        ca.receptive_field([(3, 1), (3,)])
    with pytest.raises(ValueError, match="dilation of layer 0"):
        ca.receptive_field([(3, 1, 0)])
    with pytest.raises(ValueError, match="input_shape must be"):
        ca.empirical_receptive_field(STACKS["stacked 3x3"], (64, 64))
    assert np.isclose(ca.separable_cost_ratio(1, 1), 2.0)
