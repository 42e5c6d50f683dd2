"""YOLO v1 loss and the sigmoid focal loss: the torch battery (shapes, bad input, float64 gradcheck,
module == function) and agreement with references written from the papers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from torch_battery import TorchOp, battery, randn, run_check

from coursekit.detection.centers import heatmap_focal_loss
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


def _yolo_inputs(g: torch.Generator):
    """Predictions near their targets (no IoU ties, so the responsible predictor is stable under gradcheck)."""
    pred, target = random_yolo(np.random.default_rng(int(torch.randint(0, 2 ** 31, (1,), generator=g))), B=2, S=3)
    return torch.from_numpy(pred), torch.from_numpy(target)


def _heat_inputs(g: torch.Generator):
    heat = torch.rand(2, 3, 5, 5, generator=g, dtype=torch.float64) * 0.9
    heat[0, 1, 2, 3] = heat[1, 0, 0, 0] = 1.0                                # two peaks
    return randn(g, 2, 3, 5, 5), heat


OPS = [
    TorchOp("sigmoid_focal_loss", lambda g: (randn(g, 4, 6, scale=3), (torch.rand(4, 6, generator=g) < 0.3).double()),
            sigmoid_focal_loss, (4, 6), grad=(0,),
            bad=[(lambda: sigmoid_focal_loss(torch.zeros(2, 3), torch.zeros(3, 2)), "same shape"),
                 (lambda: sigmoid_focal_loss(torch.zeros(2), torch.zeros(2), reduction="max"), "reduction"),
                 (lambda: sigmoid_focal_loss(torch.zeros(2), torch.zeros(2), gamma=-1.0), "gamma"),
                 (lambda: sigmoid_focal_loss(torch.zeros(2, dtype=torch.int64), torch.zeros(2)), "float")],
            module=lambda inputs: (SigmoidFocalLoss(), inputs),
            reference=lambda x, t: focal_reference(x.numpy(), t.numpy(), 0.25, 2.0),
            rtol=1e-10, atol=1e-14, why="float64; log σ written with log1p here, by torch's BCE there"),
    TorchOp("yolo_loss", _yolo_inputs, lambda p, t: yolo_loss(p, t, rescore=False), (), grad=(0,),
            bad=[(lambda: yolo_loss(torch.zeros(1, 2, 2, 10), torch.zeros(1, 2, 2, 6)), "channels"),
                 (lambda: yolo_loss(torch.zeros(1, 2, 2, 11), torch.zeros(1, 1, 2, 6)), "same grid")],
            module=lambda inputs: (YOLOLoss(rescore=False), inputs),
            reference=lambda p, t: np.float64(yolo_loss_loops(p.numpy(), t.numpy(), rescore=False)),
            rtol=1e-12, why="float64; the same sums in another order"),
    TorchOp("heatmap_focal_loss", _heat_inputs, heatmap_focal_loss, (), grad=(0,),
            bad=[(lambda: heatmap_focal_loss(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4)), "B, K, G, G")],
            reference=lambda x, y: np.float64(_penalty_focal_reference(x.numpy(), y.numpy())),
            rtol=1e-10, why="float64; log p from NumPy's log of the sigmoid vs torch's logsigmoid"),
]


def _penalty_focal_reference(x, y, a=2.0, b=4.0):
    p = 1 / (1 + np.exp(-x))
    peak = y == 1
    loss = np.where(peak, (1 - p) ** a * np.log(p), (1 - y) ** b * p ** a * np.log(1 - p))
    return -loss.sum() / max(peak.sum(), 1)


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)
