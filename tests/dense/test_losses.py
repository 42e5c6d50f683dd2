"""coursekit.dense.losses: soft Dice equals 1 - mean Dice on hard predictions (coursekit's metric and
torchmetrics), the torch battery (gradcheck, module == function, bad input), and the class-imbalance claim:
cross-entropy gives a rare class a rare share of the gradient, Dice does not."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.dense import losses
from coursekit.metrics.segmentation import dice_per_class

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _random(seed, B=2, K=4, H=6, W=7):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(B, K, H, W, generator=g, dtype=torch.float64),
            torch.randint(0, K, (B, H, W), generator=g))


def test_soft_dice_on_one_hot_predictions_is_one_minus_mean_dice():
    DiceScore = pytest.importorskip("torchmetrics.segmentation").DiceScore
    for seed in range(5):
        logits, target = _random(seed)
        pred = logits.argmax(1)
        hard = 1e4 * F.one_hot(pred, 4).permute(0, 3, 1, 2).double()   # softmax is one-hot to ~1e-4000
        loss = losses.soft_dice_loss(hard, target, eps=0.0).item()
        ours = dice_per_class(pred.numpy(), target.numpy(), 4)
        assert loss == pytest.approx(1 - np.mean(ours), abs=1e-12)
        # torchmetrics' DiceScore over the whole batch at once, per class, is the same ratio of pixel counts
        tm = DiceScore(num_classes=4, input_format="index", average="none",
                                                 aggregation_level="global")
        np.testing.assert_allclose(ours, tm(pred, target).numpy(), atol=1e-6)   # torchmetrics computes in float32


def test_soft_dice_passes_gradcheck_and_module_equals_function():
    logits, target = _random(0, B=1, K=3, H=3, W=3)
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda z: losses.soft_dice_loss(z, target), (logits,))
    assert torch.autograd.gradcheck(lambda z: losses.ce_dice_loss(z, target, dice_weight=0.5), (logits,))
    assert losses.SoftDiceLoss(eps=0.5)(logits, target).item() == losses.soft_dice_loss(logits, target, 0.5).item()


def test_soft_dice_is_in_unit_interval_and_zero_when_perfect():
    logits, target = _random(1)
    assert 0 <= losses.soft_dice_loss(logits, target).item() <= 1
    perfect = 50 * F.one_hot(target, 4).permute(0, 3, 1, 2).double()
    assert losses.soft_dice_loss(perfect, target).item() < 1e-12 + 4e-21   # softmax of a 50 gap: e^-50


def test_ce_dice_without_dice_is_cross_entropy():
    logits, target = _random(2)
    assert losses.ce_dice_loss(logits, target, dice_weight=0).item() == F.cross_entropy(logits, target).item()


def test_under_imbalance_dice_weighs_the_rare_class_more_than_cross_entropy():
    """1% foreground, a confident all-background guess: CE barely notices, Dice counts the missed class as half."""
    H = W = 40
    target = torch.zeros(1, H, W, dtype=torch.long)
    target[0, 18:22, 18:22] = 1                                    # 16 of 1600 pixels
    logits = torch.zeros(1, 2, H, W, dtype=torch.float64)
    logits[:, 0] = 2.0                                             # confident background everywhere
    ce = losses.gradient_share_by_class(F.cross_entropy, logits, target)
    dice = losses.gradient_share_by_class(lambda z, y: losses.soft_dice_loss(z, y, eps=0.0), logits, target)
    # CE's gradient at a pixel is (p - y) / N: |p - y| summed over the 2 logits is 2 (1 - q) on the 16
    # foreground pixels and 2 q on the 1584 background ones, q = P(foreground) = sigmoid(-2)
    q = 1 / (1 + np.exp(2.0))
    assert ce[1] == pytest.approx(16 * (1 - q) / (16 * (1 - q) + 1584 * q), abs=1e-12)
    assert dice[1] > 2 * ce[1]
    # the losses themselves: CE of the lazy guess is far below a coin flip's log 2, Dice loss is about 1/2
    assert F.cross_entropy(logits, target).item() < 0.25 * np.log(2)
    assert losses.soft_dice_loss(logits, target, eps=0.0).item() > 0.5


def test_bad_inputs_raise():
    logits, target = _random(0)
    with pytest.raises(ValueError, match="int64"):
        losses.soft_dice_loss(logits, target.int())
    with pytest.raises(ValueError, match=r"\(B, H, W\)"):
        losses.soft_dice_loss(logits, target[:, :3])
    with pytest.raises(ValueError, match="outside"):
        losses.soft_dice_loss(logits, target + 4)
    with pytest.raises(ValueError, match="float tensor"):
        losses.soft_dice_loss(target, target)
