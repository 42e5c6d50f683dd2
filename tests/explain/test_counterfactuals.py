"""coursekit.explain.counterfactuals: the linear closed form is the nearest boundary point, proximal gradient
descent reaches the closed-form minimiser of its own objective on a linear model, L1 gives sparse changes,
and the result on a CNN flips the decision within the image's range."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.optimize import minimize
from torch import nn

from coursekit.explain.counterfactuals import gradient_counterfactual, linear_counterfactual, target_margin
from coursekit.models.utils import init_parameters_

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_linear_counterfactual_is_the_nearest_point_with_the_target_score():
    rng = np.random.default_rng(0)
    w, b, x = rng.standard_normal(5), 0.3, rng.standard_normal((4, 5))
    xs = linear_counterfactual(w, b, x, margin=1.0)
    np.testing.assert_allclose(xs @ w + b, 1.0, atol=1e-12)
    for x0, x1 in zip(x, xs):                     # SciPy's constrained minimiser of ||x' - x||² agrees
        res = minimize(lambda z: np.sum((z - x0) ** 2), x0, constraints={"type": "eq", "fun": lambda z: z @ w + b - 1},
                       method="SLSQP", options={"ftol": 1e-12})
        np.testing.assert_allclose(x1, res.x, atol=1e-5)   # SLSQP's tolerance, not ours


def test_target_margin_is_positive_exactly_when_the_target_wins():
    logits = torch.randn(50, 6, generator=torch.Generator().manual_seed(1))
    t = torch.randint(0, 6, (50,), generator=torch.Generator().manual_seed(2))
    m = target_margin(logits, t)
    assert torch.equal(m > 0, logits.argmax(1) == t)
    second = logits.clone()
    second[torch.arange(50), t] = -np.inf
    torch.testing.assert_close(m, logits[torch.arange(50), t] - second.max(1).values)


def _two_class_linear(seed=0, d=6):
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(d, 2)).double()
    with torch.no_grad():
        model[1].weight.copy_(torch.randn(2, d, generator=g, dtype=torch.float64))
        model[1].bias.copy_(torch.randn(2, generator=g, dtype=torch.float64))
    return model


@pytest.mark.parametrize("lam", [0.0, 0.5, 2.0])
def test_l2_counterfactual_reaches_the_closed_form_minimiser_on_a_linear_model(lam):
    model = _two_class_linear()
    x = torch.randn(3, 1, 2, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    with torch.no_grad():
        target = 1 - model(x).argmax(1)
    W, bias = model[1].weight.detach().numpy(), model[1].bias.detach().numpy()
    kappa = 1.0
    ww = [(W[t] - W[1 - t]) for t in target.numpy()]
    L = max(float(w @ w) for w in ww)
    cf = gradient_counterfactual(model, x, target, lam=lam, kappa=kappa, steps=300, lr=0.9 / (L + lam),
                                 bounds=None)
    for i, t in enumerate(target.numpy()):
        w = ww[i]
        m0 = float(x[i].reshape(-1).numpy() @ w + bias[t] - bias[1 - t])
        want = (kappa - m0) / (lam + w @ w) * w                          # minimiser of ½(κ - m)² + λ/2 |δ|²
        # the loss is quadratic along w (curvature L + λ) while the hinge is active: step 0.9/(L + λ) shrinks
        # the error by 10x per step, so 300 steps end far below 1e-8
        np.testing.assert_allclose(cf.delta[i].reshape(-1).numpy(), want, atol=1e-8)
    if lam == 0.0:
        assert cf.success.all()


def test_l1_counterfactual_changes_few_pixels_and_l2_many():
    model = _two_class_linear(seed=4, d=16)
    x = torch.rand(1, 1, 4, 4, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    target = 1 - int(model(x).argmax(1))
    l1 = gradient_counterfactual(model, x, target, lam=0.5, penalty="l1", steps=800, lr=0.02, bounds=None)
    l2 = gradient_counterfactual(model, x, target, lam=0.05, penalty="l2", steps=800, lr=0.02, bounds=None)
    assert l1.success.all() and l2.success.all()
    assert (l1.delta.abs() > 1e-9).sum() <= 4 < (l2.delta.abs() > 1e-9).sum()


def test_cnn_counterfactual_flips_the_decision_stays_in_range_and_leaves_the_model_alone():
    """A seeded conv net without BatchNorm (an untrained SmallCNN's logits hardly depend on the input)."""
    model = init_parameters_(nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.Flatten(), nn.Linear(600, 10)),
                             torch.Generator().manual_seed(0))
    model.train()
    before = [p.clone() for p in model.parameters()]
    x = torch.rand(4, 1, 12, 12, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        pred = model.eval()(x).argmax(1)
    model.train()
    target = (pred + 1) % 10
    cf = gradient_counterfactual(model, x, target, lam=0.01, steps=300, lr=0.5)
    assert cf.success.all() and float(cf.x.min()) >= 0.0 and float(cf.x.max()) <= 1.0
    assert model.training and all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    torch.testing.assert_close(cf.x, x + cf.delta)


@pytest.mark.parametrize("call, words", [
    (lambda: linear_counterfactual(np.zeros(3), 0.0, np.ones(3)), "non-zero"),
    (lambda: linear_counterfactual(np.ones(3), 0.0, np.ones(4)), "features"),
    (lambda: target_margin(torch.zeros(2, 3), torch.zeros(3, dtype=torch.int64)), "one target per row"),
    (lambda: gradient_counterfactual(nn.Flatten(), torch.zeros(2, 4), 0), "(B, C, H, W)"),
    (lambda: gradient_counterfactual(nn.Flatten(), torch.zeros(2, 1, 2, 2), [0, 1, 1]), "one per image"),
    (lambda: gradient_counterfactual(nn.Flatten(), torch.zeros(1, 1, 2, 2), 0, penalty="l3"), "penalty"),
    (lambda: gradient_counterfactual(nn.Flatten(), torch.zeros(1, 1, 2, 2), 0, lam=-1), "lam"),
    (lambda: gradient_counterfactual(nn.Flatten(), torch.zeros(1, 1, 2, 2), 0, bounds=(1, 0)), "bounds"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()
