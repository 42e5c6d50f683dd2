"""Training recipes of Chapter 3: warmup + cosine against its closed form and torch's LambdaLR, weighted CE and
focal loss against torch's cross_entropy, distillation against F.kl_div, L1/L2 penalties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch_battery import TorchOp, battery, randn, run_check

from coursekit.data.tabular import imbalanced_blobs
from coursekit.nn.mlp import numerical_gradient
from coursekit.training.losses import (
    distillation_loss,
    distillation_loss_torch,
    fit_linear_classifier_torch,
    focal_loss,
    focal_loss_torch,
    penalty,
    weighted_cross_entropy,
)
from coursekit.training.schedules import warmup_cosine_lr


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_warmup_cosine_matches_its_closed_form_at_key_steps():
    eta, eta_min, W, T = 0.4, 0.01, 100, 1100
    f = lambda t: warmup_cosine_lr(t, eta, W, T, eta_min)   # noqa: E731
    assert f(0) == 0.0                                     # warmup starts from zero
    assert f(50) == pytest.approx(eta / 2, abs=1e-15)      # linear: halfway up at W/2
    assert f(W) == pytest.approx(eta, abs=1e-15)           # the peak
    assert f(W + 500) == pytest.approx((eta + eta_min) / 2, abs=1e-15)   # cos(π/2) = 0 at the middle
    assert f(W + 250) == pytest.approx(eta_min + (eta - eta_min) * (1 + np.cos(np.pi / 4)) / 2, abs=1e-15)
    assert f(T) == pytest.approx(eta_min, abs=1e-15) and f(5 * T) == pytest.approx(eta_min, abs=1e-15)
    lr = f(np.arange(T + 1))
    assert np.all(np.diff(lr[:W + 1]) > 0) and np.all(np.diff(lr[W:]) <= 0)


def test_torch_lambdalr_driving_the_same_function_gives_the_same_rates():
    eta, eta_min, W, T = 0.3, 0.03, 20, 120
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=eta)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: warmup_cosine_lr(t, 1.0, W, T, eta_min / eta))
    for t in range(T + 10):
        # the schedule is linear in (eta, eta_min) jointly, so scaling the unit schedule by eta is exact
        assert opt.param_groups[0]["lr"] == pytest.approx(warmup_cosine_lr(t, eta, W, T, eta_min), abs=1e-15)
        opt.step()
        sched.step()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_cross_entropy_equals_torch_cross_entropy_with_weight(reduction, rng):
    logits, y, w = rng.standard_normal((20, 4)), rng.integers(0, 4, 20), rng.uniform(0.1, 5, 4)
    ours = weighted_cross_entropy(logits, y, w, reduction)
    theirs = F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(y), weight=torch.from_numpy(w),
                             reduction=reduction).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-13)   # float64, log-sum-exp in both: rounding only


def test_focal_loss_with_gamma_zero_equals_weighted_cross_entropy(rng):
    logits, y, a = 3 * rng.standard_normal((50, 3)), rng.integers(0, 3, 50), rng.uniform(0.1, 2, 3)
    np.testing.assert_allclose(focal_loss(logits, y, 0.0, a, "none"), weighted_cross_entropy(logits, y, a, "none"),
                               atol=1e-15)

    assert focal_loss(logits, y, 0.0, a, "sum") == pytest.approx(weighted_cross_entropy(logits, y, a, "sum"), rel=1e-14)
    t_ce = F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(y), weight=torch.from_numpy(a), reduction="sum")
    assert focal_loss(logits, y, 0.0, a, "sum") == pytest.approx(t_ce.item(), rel=1e-13)


def test_focal_loss_down_weights_easy_examples_and_never_exceeds_cross_entropy(rng):
    logits, y = 3 * rng.standard_normal((200, 3)), rng.integers(0, 3, 200)
    ce = weighted_cross_entropy(logits, y, reduction="none")
    fl = focal_loss(logits, y, 2.0, reduction="none")
    assert np.all(fl <= ce + 1e-15)
    p_t = np.exp(-ce)
    np.testing.assert_allclose(fl, (1 - p_t) ** 2 * ce, atol=1e-14)   # the modulating factor itself
    easy, hard = p_t > 0.9, p_t < 0.1
    assert (fl[easy] / ce[easy]).max() < 0.01 and (fl[hard] / ce[hard]).min() > 0.81


def test_focal_loss_torch_twin_equals_numpy(rng):
    logits, y, a = rng.standard_normal((30, 4)), rng.integers(0, 4, 30), rng.uniform(0.1, 2, 4)
    for reduction in ("mean", "sum", "none"):
        t = focal_loss_torch(torch.from_numpy(logits), torch.from_numpy(y), 2.0, torch.from_numpy(a), reduction)
        np.testing.assert_allclose(t.numpy(), focal_loss(logits, y, 2.0, a, reduction), atol=1e-14)


def _kl_div_reference(z, v, T):
    # Written independently with torch's own KL-divergence loss, as Hinton et al. describe it.
    zt, vt = torch.from_numpy(z), torch.from_numpy(v)
    return (F.kl_div(F.log_softmax(zt / T, 1), F.softmax(vt / T, 1), reduction="batchmean") * T ** 2).item()


@pytest.mark.parametrize("T", [1.0, 4.0, 20.0])
def test_distillation_loss_matches_torch_kl_div(T, rng):
    z, v, y = rng.standard_normal((16, 5)), 3 * rng.standard_normal((16, 5)), rng.integers(0, 5, 16)
    assert distillation_loss(z, v, T=T) == pytest.approx(_kl_div_reference(z, v, T), rel=1e-12)
    ce = F.cross_entropy(torch.from_numpy(z), torch.from_numpy(y)).item()
    full = 0.7 * _kl_div_reference(z, v, T) + 0.3 * ce
    assert distillation_loss(z, v, y, T=T, alpha=0.7) == pytest.approx(full, rel=1e-12)
    twin = distillation_loss_torch(torch.from_numpy(z), torch.from_numpy(v), torch.from_numpy(y), T=T, alpha=0.7)
    assert twin.item() == pytest.approx(full, rel=1e-12)


def test_t_squared_keeps_the_soft_gradient_size_independent_of_temperature(rng):
    z, v = rng.standard_normal((8, 10)), rng.standard_normal((8, 10))
    z -= z.mean(1, keepdims=True)
    v -= v.mean(1, keepdims=True)
    grads = {}
    for T in (10.0, 40.0, 400.0):
        zt = torch.from_numpy(z).requires_grad_()
        distillation_loss_torch(zt, torch.from_numpy(v), T=T).backward()
        grads[T] = zt.grad.numpy()
    # High-T limit (Hinton et al., Sec. 2.1): T² · ∂KL/∂z → (z - v) / (K B), with K = 10 classes, B = 8.
    # The first neglected term is O(|z| / T) relative (|z| ~ 2 here: ~0.5 % at T = 400); allow 2 %.
    np.testing.assert_allclose(grads[400.0], (z - v) / 80, rtol=0, atol=0.02 * np.abs(z - v).max() / 80)
    # So the gradient's size hardly moves between T = 10 and T = 400 (without T² it would shrink 1600x).
    assert abs(np.linalg.norm(grads[10.0]) / np.linalg.norm(grads[400.0]) - 1) < 0.05


def test_penalty_gradients(rng):
    ws = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    value, grads = penalty(ws, 0.3, "l2")
    assert value == pytest.approx(0.15 * sum((w ** 2).sum() for w in ws))
    for w, g in zip(ws, grads):
        num = numerical_gradient(lambda: penalty(ws, 0.3, "l2")[0], w)
        np.testing.assert_allclose(g, num, atol=1e-8)
        num = numerical_gradient(lambda: penalty(ws, 0.3, "l1")[0], w)   # no entry within eps of 0
        np.testing.assert_allclose(penalty([w], 0.3, "l1")[1][0], num, atol=1e-8)


def test_l2_penalty_gradient_is_torch_sgd_weight_decay(rng):
    w, g = rng.standard_normal(6), rng.standard_normal(6)
    p = torch.tensor(w.copy(), requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, weight_decay=0.05)
    p.grad = torch.from_numpy(g.copy())
    opt.step()
    np.testing.assert_allclose(w - 0.1 * (g + penalty([w], 0.05)[1][0]), p.detach().numpy(), atol=1e-15)


def test_focal_and_weighted_losses_raise_minority_recall_over_plain_cross_entropy(rng):
    X, y = imbalanced_blobs(2000, rng, positive_fraction=0.05, separation=2.0)
    gen = torch.Generator().manual_seed(0)
    recall = {}
    losses = {"ce": F.cross_entropy,
              "weighted": lambda l, t: F.cross_entropy(l, t, weight=torch.tensor([0.05, 0.95], dtype=torch.float64)),
              "focal": lambda l, t: focal_loss_torch(l, t, 2.0, torch.tensor([0.25, 0.75], dtype=torch.float64))}
    for name, fn in losses.items():
        model = fit_linear_classifier_torch(X, y, fn, steps=200, lr=0.1, generator=gen)
        pred = model(torch.from_numpy(X)).argmax(1).numpy()
        recall[name] = (pred[y == 1] == 1).mean()
    assert recall["weighted"] > recall["ce"] + 0.2 and recall["focal"] > recall["ce"]


def test_bad_inputs_raise_clear_errors(rng):
    with pytest.raises(ValueError, match="warmup_steps < total_steps"):
        warmup_cosine_lr(0, 0.1, 10, 10)
    with pytest.raises(ValueError, match="min_lr"):
        warmup_cosine_lr(0, 0.1, 1, 10, min_lr=0.2)
    with pytest.raises(ValueError, match="step must be"):
        warmup_cosine_lr(-1, 0.1, 1, 10)
    with pytest.raises(ValueError, match="weights"):
        weighted_cross_entropy(np.zeros((2, 3)), np.array([0, 1]), [1.0, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        focal_loss(np.zeros((2, 3)), np.array([0, 1]), 2.0, [1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="gamma"):
        focal_loss(np.zeros((2, 3)), np.array([0, 1]), -1.0)
    with pytest.raises(ValueError, match="reduction"):
        focal_loss(np.zeros((2, 3)), np.array([0, 1]), reduction="avg")
    with pytest.raises(ValueError, match="teacher_logits"):
        distillation_loss(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="T must be"):
        distillation_loss(np.zeros((2, 3)), np.zeros((2, 3)), T=0.0)
    with pytest.raises(ValueError, match="kind"):
        penalty([np.ones(2)], 0.1, "l3")


def test_fit_linear_classifier_leaves_the_global_rng_alone_and_is_reproducible(rng):
    X, y = imbalanced_blobs(200, rng, positive_fraction=0.2, separation=2.0)
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    a = fit_linear_classifier_torch(X, y, F.cross_entropy, steps=20)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = fit_linear_classifier_torch(X, y, F.cross_entropy, steps=20)
    assert torch.equal(a.weight, b.weight)


# ----------------------------------------------------------------------------- the torch battery

def _labels(g, B=6, K=4):
    return torch.randint(0, K, (B,), generator=g)


def _np(*tensors):
    return tuple(t.detach().numpy() if isinstance(t, torch.Tensor) else t for t in tensors)


_Z = torch.zeros(6, 4, dtype=torch.float64)
_Y = torch.zeros(6, dtype=torch.int64)

OPS = [
    TorchOp("focal_loss_torch", lambda g: (randn(g, 6, 4, scale=2.0), _labels(g), 2.0, randn(g, 4).abs() + 0.1),
            focal_loss_torch, (), grad=(0, 3),
            bad=[(lambda: focal_loss_torch(_Z[0], _Y), "shape \\(B, K\\)"),
                 (lambda: focal_loss_torch(_Z, _Y.float()), "int64"),
                 (lambda: focal_loss_torch(_Z, _Y + 4), "labels must lie"),
                 (lambda: focal_loss_torch(_Z, _Y, -1.0), "gamma"),
                 (lambda: focal_loss_torch(_Z, _Y, 2.0, torch.ones(3)), "alpha"),
                 (lambda: focal_loss_torch(_Z, _Y, reduction="avg"), "reduction")],
            reference=lambda z, y, gamma, a: focal_loss(*_np(z, y, gamma, a)), atol=1e-12,
            why="float64 NumPy twin: the same log-softmax formula"),
    TorchOp("focal_loss_torch-gamma0-per-example", lambda g: (randn(g, 6, 4, scale=3.0), _labels(g)),
            lambda z, y: focal_loss_torch(z, y, 0.0, reduction="none"), (6,), grad=(0,),
            reference=lambda z, y: F.cross_entropy(z, y, reduction="none"), atol=1e-12,
            why="γ = 0 is cross-entropy; float64, torch's own kernel"),
    TorchOp("distillation_loss_torch", lambda g: (randn(g, 6, 4), randn(g, 6, 4, scale=2.0), _labels(g)),
            lambda z, v, y: distillation_loss_torch(z, v, y, T=3.0, alpha=0.7), (), grad=(0,),
            bad=[(lambda: distillation_loss_torch(_Z, _Z[:, :3]), "teacher_logits must have the shape"),
                 (lambda: distillation_loss_torch(_Z, _Z, T=0.0), "T must be"),
                 (lambda: distillation_loss_torch(_Z, _Z, _Y, alpha=1.5), "alpha"),
                 (lambda: distillation_loss_torch(_Z.numpy(), _Z), "student_logits")],
            reference=lambda z, v, y: distillation_loss(*_np(z, v, y), T=3.0, alpha=0.7), atol=1e-12,
            why="float64 NumPy twin: KL written out, T² and the CE term"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)
