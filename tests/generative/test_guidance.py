"""Guidance (Chapter 17): label dropout's rate, CFG's end points and its one-batch implementation, the classifier
gradient against the analytic gradient of a linear softmax classifier, and classifier guidance on exact Gaussian
scores (tilting N(0, 1) by p(y | x)^s of a logistic classifier has a closed form)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_battery import TorchOp, battery, randn, run_check

from coursekit.generative.guidance import (
    cfg_eps,
    cfg_model,
    classifier_grad,
    classifier_guided_eps,
    classifier_guided_model,
    drop_labels,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_drop_labels_drops_at_the_requested_rate():
    y = torch.arange(10).repeat(10_000)
    out = drop_labels(y, 0.2, 10, torch.Generator().manual_seed(0))
    dropped = (out == 10).double().mean().item()
    assert abs(dropped - 0.2) < 5 * np.sqrt(0.2 * 0.8 / len(y))          # 5 binomial standard errors
    kept = out != 10
    assert torch.equal(out[kept], y[kept])
    assert torch.equal(drop_labels(y, 0.0, 10, torch.Generator()), y)


def test_cfg_end_points_are_unconditional_and_conditional():
    c, u = torch.randn(2, 5, 3, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(cfg_eps(c, u, 0.0), u)
    torch.testing.assert_close(cfg_eps(c, u, 1.0), c)
    torch.testing.assert_close(cfg_eps(c, u, 3.0), (1 + 2.0) * c - 2.0 * u)     # Ho & Salimans with their w = 2


def test_cfg_model_equals_two_separate_calls():
    W = torch.randn(11, 4, generator=torch.Generator().manual_seed(1))
    model = lambda x, t, y: x * W[y] + t[:, None]                       # noqa: E731  any model of (x, t, y)
    x, t, y = torch.randn(6, 4), torch.arange(6), torch.tensor([0, 3, 3, 9, 1, 2])
    expected = cfg_eps(model(x, t, y), model(x, t, torch.full_like(y, 10)), 2.5)
    torch.testing.assert_close(cfg_model(model, y, 2.5, 10)(x, t), expected)


def test_classifier_grad_matches_the_analytic_softmax_gradient():
    g = torch.Generator().manual_seed(2)
    W, b = torch.randn(3, 5, generator=g, dtype=torch.float64), torch.randn(3, generator=g, dtype=torch.float64)
    x = torch.randn(4, 5, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 2, 1, 2])
    grad = classifier_grad(lambda x, t: x @ W.T + b, x, torch.zeros(4, dtype=torch.long), y)
    p = torch.softmax(x @ W.T + b, 1)                                    # ∇ log p_y = W_y − Σ_k p_k W_k
    torch.testing.assert_close(grad, W[y] - p @ W)
    assert not grad.requires_grad


def test_classifier_guidance_on_exact_scores_tilts_the_gaussian():
    # Data N(0, 1) (one step, ᾱ = a), classifier p(y=1 | x) = sigmoid(k x). At s = 1 the guided score is the
    # score of N(0, 1)·sigmoid(kx); check ε̃ = −√(1−a) (∇ log p(x) + s ∇ log p(y|x)) pointwise.
    a, k, s = 0.6, 2.0, 1.5
    x = torch.linspace(-3, 3, 13, dtype=torch.float64)[:, None]
    eps_hat = x * (1 - a) ** 0.5                                         # data N(0,1): x_t ~ N(0,1), ε* = √(1−a) x
    clf = lambda x, t: torch.cat([torch.zeros_like(x), k * x], 1)       # noqa: E731  logits (0, kx)
    guided = classifier_guided_model(lambda x, t: eps_hat, clf, torch.ones(13, dtype=torch.long), [a], s)
    out = guided(x, torch.zeros(13, dtype=torch.long))
    expected = -(1 - a) ** 0.5 * (-x + s * k * (1 - torch.sigmoid(k * x)))
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize("call, words", [
    (lambda: drop_labels(torch.tensor([1.0]), 0.1, 3, torch.Generator()), "long tensor"),
    (lambda: drop_labels(torch.tensor([1]), 1.5, 3, torch.Generator()), "p_uncond"),
    (lambda: drop_labels(torch.tensor([1]), 0.5, 3, None), "generator"),
    (lambda: cfg_eps(torch.ones(2), torch.ones(3), 1.0), "same shape"),
    (lambda: cfg_eps(torch.ones(2), torch.ones(2), -1.0), "w"),
    (lambda: classifier_guided_eps(torch.ones(2), torch.ones(2), 0.0, 1.0), "alpha_bar_t"),
    (lambda: classifier_guided_eps(torch.ones(2), torch.ones(3), 0.5, 1.0), "shape"),
    (lambda: classifier_grad(lambda x, t: x, torch.ones(2, 2), torch.zeros(2, dtype=torch.long), torch.ones(3)),
     "long tensor"),
    (lambda: cfg_model(lambda x, t, y: x, torch.tensor([1, 2]), 2.0, 3)(torch.ones(3, 2), torch.zeros(3)),
     "one label per sample"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()


OPS = [
    TorchOp("cfg_eps", lambda g: (randn(g, 4, 3), randn(g, 4, 3)), lambda c, u: cfg_eps(c, u, 2.5), (4, 3),
            grad=(0, 1), bad=[(lambda: cfg_eps(torch.ones(4, 3), torch.ones(4, 2), 1.0), "same shape")],
            reference=lambda c, u: 2.5 * c.numpy() - 1.5 * u.numpy(), rtol=1e-12, atol=1e-12,
            why="(1 + w') ε_c − w' ε_u with w' = w − 1, the same float64 terms regrouped"),
    TorchOp("classifier_guided_eps", lambda g: (randn(g, 4, 3), randn(g, 4, 3)),
            lambda e, gr: classifier_guided_eps(e, gr, 0.36, 2.0), (4, 3), grad=(0, 1),
            bad=[(lambda: classifier_guided_eps(torch.ones(4, 3), torch.ones(4, 3), 1.0, -1.0), "s")],
            reference=lambda e, gr: e.numpy() - 2.0 * 0.8 * gr.numpy(), rtol=1e-12, atol=1e-12,
            why="√(1 − 0.36) = 0.8 exactly in binary up to one rounding"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)
