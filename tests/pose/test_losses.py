"""Tests for coursekit.pose.losses (Chapter 7): the torch battery for the heatmap loss with intermediate
supervision and for the coordinate loss, against torch.nn.functional."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from coursekit.pose.losses import coordinate_loss, heatmap_loss
from torch_battery import TorchOp, battery, randn, run_check

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _heatmap_inputs(g):
    pred = randn(g, 3, 2, 4, 5, 6)                                  # (B, S, K, H, W)
    target = torch.rand(3, 4, 5, 6, generator=g, dtype=torch.float64)
    weight = (torch.rand(3, 4, generator=g) > 0.3).double()
    return pred, target, weight


def _coordinate_inputs(g):
    return randn(g, 5, 13, 2), torch.rand(5, 13, 2, generator=g, dtype=torch.float64), \
        torch.rand(5, 13, generator=g, dtype=torch.float64)


OPS = [
    TorchOp(
        "heatmap_loss", _heatmap_inputs, heatmap_loss, shape=(), grad=(0,),
        # with 0/1 weights, w (p − t)² = (w p − w t)²: a sum over stages of F.mse_loss on the masked maps
        reference=lambda p, t, w: sum(F.mse_loss(p[:, s] * w[..., None, None], t * w[..., None, None],
                                                 reduction="sum") / t.numel() for s in range(p.shape[1])),
        atol=1e-12, why="the same sums in float64 in another order: rounding ~1e-16 relative",
        bad=[(lambda: heatmap_loss(torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 4, 5)), "target|pred"),
             (lambda: heatmap_loss(torch.zeros(2, 2, 3, 4, 4), torch.zeros(2, 4, 4, 4)), "pred"),
             (lambda: heatmap_loss(torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 4, 4), torch.ones(2, 4)), "weight"),
             (lambda: heatmap_loss([0.0], torch.zeros(2, 3, 4, 4)), "tensors")]),
    TorchOp(
        "coordinate_loss", _coordinate_inputs, coordinate_loss, shape=(), grad=(0,),
        reference=lambda p, t, w: (F.l1_loss(p, t, reduction="none") * w[..., None]).sum() / p.numel(),
        atol=1e-12, why="the same sums in float64 in another order",
        bad=[(lambda: coordinate_loss(torch.zeros(2, 13, 3), torch.zeros(2, 13, 3)), "target"),
             (lambda: coordinate_loss(torch.zeros(2, 13, 2), torch.zeros(3, 13, 2)), "pred")]),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


def test_heatmap_loss_with_unit_weights_is_the_sum_over_stages_of_mse():
    g = torch.Generator().manual_seed(1)
    pred, target, _ = _heatmap_inputs(g)
    expected = F.mse_loss(pred[:, 0], target) + F.mse_loss(pred[:, 1], target)
    torch.testing.assert_close(heatmap_loss(pred, target), expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(heatmap_loss(pred[:, 1], target), F.mse_loss(pred[:, 1], target), rtol=0, atol=1e-12)


def test_intermediate_supervision_sends_a_direct_gradient_to_every_stage():
    g = torch.Generator().manual_seed(2)
    pred, target, _ = _heatmap_inputs(g)
    pred.requires_grad_(True)
    heatmap_loss(pred, target).backward()
    # d/dpred of Σ_s mean((p_s − t)²) is 2 (p_s − t) / N for every stage s: no stage is left without a signal
    torch.testing.assert_close(pred.grad, 2 * (pred - target[:, None]).detach() / target.numel())


def test_zero_weight_keypoints_do_not_count():
    pred, target = torch.zeros(1, 2, 3, 3), torch.zeros(1, 2, 3, 3)
    pred[0, 1] = 5.0                                                # keypoint 1 is badly wrong...
    assert heatmap_loss(pred, target, torch.tensor([[1.0, 0.0]])) == 0      # ...but not labelled
    assert coordinate_loss(torch.ones(1, 2, 2), torch.zeros(1, 2, 2), torch.tensor([[0.0, 1.0]])) == 0.5
