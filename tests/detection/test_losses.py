"""YOLO v1 loss and the sigmoid focal loss: the torch battery (shapes, bad input, float64 gradcheck,
module == function) and agreement with references written from the papers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.detection.losses import SigmoidFocalLoss, YOLOLoss, sigmoid_focal_loss, yolo_loss, yolo_loss_loops

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def focal_reference(x, t, alpha, gamma):
    """-α_t (1 - p_t)^γ log p_t in NumPy, with log p from log1p(exp(-|x|)) (no shared code with torch)."""
    p = 1 / (1 + np.exp(-x))
    log_p = -(np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))           # log σ(x)
    log_not_p = -(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))        # log σ(-x)
    p_t = np.where(t == 1, p, 1 - p)
    a_t = np.where(t == 1, alpha, 1 - alpha) if alpha >= 0 else 1.0
    return -a_t * (1 - p_t) ** gamma * np.where(t == 1, log_p, log_not_p)


@pytest.mark.parametrize("alpha,gamma", [(0.25, 2.0), (0.5, 0.0), (-1, 1.5), (0.9, 5.0)])
def test_focal_loss_matches_the_formula(rng, alpha, gamma):
    x = rng.normal(0, 4, (6, 7))
    t = (rng.random((6, 7)) < 0.3).astype(float)
    got = sigmoid_focal_loss(torch.from_numpy(x), torch.from_numpy(t), alpha, gamma).numpy()
    np.testing.assert_allclose(got, focal_reference(x, t, alpha, gamma), rtol=1e-10, atol=1e-14)


def test_focal_loss_with_gamma_zero_and_no_alpha_is_bce(rng):
    x, t = torch.randn(50, dtype=torch.float64), (torch.rand(50) < 0.5).double()
    torch.testing.assert_close(sigmoid_focal_loss(x, t, alpha=-1, gamma=0, reduction="mean"),
                               F.binary_cross_entropy_with_logits(x, t))


def test_focal_loss_down_weights_easy_examples():
    x = torch.tensor([6.0, 0.0], dtype=torch.float64)                 # an easy and a hard positive
    ratio = sigmoid_focal_loss(x, torch.ones(2, dtype=torch.float64), alpha=-1) / \
        F.binary_cross_entropy_with_logits(x, torch.ones(2, dtype=torch.float64), reduction="none")
    assert ratio[0] < 1e-4 and ratio[1] == pytest.approx(0.25)


def test_focal_loss_battery():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    t = (torch.rand(3, 4) < 0.4).double()
    assert sigmoid_focal_loss(x, t).shape == (3, 4) and sigmoid_focal_loss(x, t, reduction="sum").ndim == 0
    assert torch.autograd.gradcheck(lambda z: sigmoid_focal_loss(z, t, 0.25, 2.0, "sum"), (x,))
    for red in ("none", "mean", "sum"):
        torch.testing.assert_close(SigmoidFocalLoss(0.3, 1.5, red)(x, t), sigmoid_focal_loss(x, t, 0.3, 1.5, red))
    with pytest.raises(ValueError, match="same shape"):
        sigmoid_focal_loss(x, t[:2])
    with pytest.raises(ValueError, match="reduction"):
        sigmoid_focal_loss(x, t, reduction="max")
    with pytest.raises(ValueError, match="gamma"):
        sigmoid_focal_loss(x, t, gamma=-1.0)


def random_yolo(rng, B=2, S=3, nb=2, K=3):
    pred = np.concatenate([np.c_[rng.random((B * S * S * nb, 4)) * [1, 1, 0.6, 0.6] + [0, 0, 0.1, 0.1],
                                 rng.random((B * S * S * nb, 1))].reshape(B, S, S, nb * 5),
                           rng.normal(size=(B, S, S, K))], axis=-1)
    target = np.zeros((B, S, S, 5 + K))
    obj = rng.random((B, S, S)) < 0.4
    n = int(obj.sum())
    target[obj, 0] = 1
    target[obj, 1:3] = rng.random((n, 2))
    target[obj, 3:5] = rng.uniform(0.05, 0.5, (n, 2))
    target[obj, 5 + rng.integers(0, K, n)] = 1
    return pred, target


@pytest.mark.parametrize("rescore", [True, False])
def test_yolo_loss_equals_the_papers_sums(rng, rescore):
    for _ in range(5):
        pred, target = random_yolo(rng)
        got = yolo_loss(torch.from_numpy(pred), torch.from_numpy(target), rescore=rescore).item()
        assert got == pytest.approx(yolo_loss_loops(pred, target, rescore=rescore), rel=1e-12)


def test_yolo_loss_hand_worked_cell():
    # One object in cell (0, 1) of a 2×2 grid: x = y = 0.5, w = h = 0.25, class 0 of K = 1.
    # Predictor 0: perfect box (x, y, √w, √h) = (.5, .5, .5, .5), C = 0.6; predictor 1: C = 0.4 elsewhere.
    target = torch.zeros(1, 2, 2, 6, dtype=torch.float64)
    target[0, 0, 1] = torch.tensor([1, .5, .5, .25, .25, 1.0])
    pred = torch.zeros(1, 2, 2, 11, dtype=torch.float64)
    pred[0, 0, 1, :5] = torch.tensor([.5, .5, .5, .5, .6])
    pred[0, 0, 1, 5:10] = torch.tensor([.1, .1, .1, .1, .4])
    pred[0, 0, 1, 10] = 0.8
    pred[0, 1, 1, 4] = 0.2                                            # a predictor of an empty cell
    total, terms = yolo_loss(pred, target, return_terms=True)
    # responsible: predictor 0 (IoU 1). Box terms 0; (0.6 - 1)² = 0.16; λ_noobj (0.4² + 0.2²) = 0.1; (0.8 - 1)² = 0.04
    assert terms["coord"].item() == 0 and terms["size"].item() == 0
    assert terms["conf_obj"].item() == pytest.approx(0.16)
    assert terms["conf_noobj"].item() == pytest.approx(0.5 * (0.16 + 0.04))
    assert total.item() == pytest.approx(0.16 + 0.1 + 0.04)


def test_yolo_loss_weights_small_boxes_more_through_square_roots():
    def size_term(w_true, w_pred):
        target = torch.zeros(1, 1, 1, 6, dtype=torch.float64)
        target[0, 0, 0] = torch.tensor([1, .5, .5, w_true, w_true, 1])
        pred = torch.zeros(1, 1, 1, 11, dtype=torch.float64)
        pred[0, 0, 0, :4] = torch.tensor([.5, .5, w_pred ** 0.5, w_pred ** 0.5])
        return yolo_loss(pred, target, return_terms=True)[1]["size"].item()
    assert size_term(0.1, 0.15) > 3 * size_term(0.8, 0.85)            # the same 0.05 error


def test_yolo_loss_battery(rng):
    pred, target = random_yolo(rng, B=1, S=2)
    p = torch.from_numpy(pred).requires_grad_(True)
    t = torch.from_numpy(target)
    assert yolo_loss(p, t).ndim == 0
    assert torch.autograd.gradcheck(lambda z: yolo_loss(z, t, rescore=False), (p,))
    torch.testing.assert_close(YOLOLoss(rescore=False)(p, t), yolo_loss(p, t, rescore=False))
    with pytest.raises(ValueError, match="channels"):
        yolo_loss(p[..., :-1], t)
    with pytest.raises(ValueError, match="same grid"):
        yolo_loss(p, t[:, :1])
