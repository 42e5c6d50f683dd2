"""coursekit.dense.atrous: a zero-inserted kernel equals torch's dilation, the span formula, and gridding."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.dense import atrous

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("k,r", [(3, 1), (3, 2), (3, 4), (2, 3), (5, 2)])
def test_dilated_kernel_conv_equals_torch_dilation(k, r):
    rng = np.random.default_rng(k + r)
    x = torch.from_numpy(rng.normal(size=(2, 3, 20, 20)))
    w = rng.normal(size=(4, 3, k, k))
    ref = F.conv2d(x, torch.from_numpy(w), dilation=r)
    got = F.conv2d(x, torch.from_numpy(atrous.dilate_kernel(w, r)))
    torch.testing.assert_close(got, ref, atol=1e-12, rtol=0)     # the zeros add exact 0s


@pytest.mark.parametrize("k,r", [(3, 1), (3, 2), (3, 6), (5, 3)])
def test_span_is_the_size_torch_consumes(k, r):
    out = F.conv2d(torch.zeros(1, 1, 40, 40), torch.zeros(1, 1, k, k), dilation=r)
    assert 40 - out.shape[-1] + 1 == atrous.atrous_span(k, r)


def test_coverage_equals_backpropagated_paths_through_a_conv_stack():
    rates = [1, 2, 3]
    convs = [torch.nn.Conv2d(1, 1, 3, dilation=r, bias=False).double() for r in rates]
    for c in convs:
        torch.nn.init.ones_(c.weight)
    S = 1 + 2 * sum(rates)
    x = torch.zeros(1, 1, S, S, dtype=torch.float64, requires_grad=True)
    y = x
    for c in convs:
        y = c(y)
    y.sum().backward()                          # y is 1x1: its gradient counts the paths to each input pixel
    np.testing.assert_array_equal(atrous.atrous_coverage(rates), x.grad[0, 0].numpy())


def test_equal_rates_leave_holes_and_coprime_rates_do_not():
    grid = atrous.atrous_coverage([2, 2, 2])
    hdc = atrous.atrous_coverage([1, 2, 5])
    assert (grid == 0).mean() > 0.5              # three rate-2 layers read only even offsets
    assert (hdc > 0).all()                       # hybrid dilation covers every pixel of its field
    assert hdc.sum() == 9 ** 3                   # 9 taps per layer, 3 layers: every path counted once


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="rate"):
        atrous.dilate_kernel(np.ones((3, 3)), 0)
    with pytest.raises(ValueError, match="last two axes"):
        atrous.dilate_kernel(np.ones(3), 2)
    with pytest.raises(ValueError, match="at least one"):
        atrous.atrous_coverage([])
