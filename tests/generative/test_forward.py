"""The forward process (Chapter 17): iterating the one-step process has the moments of the closed form
(Monte Carlo), the posterior matches Gaussian conditioning derived independently, x̂₀ inverts the closed form,
and the torch and NumPy paths agree (torch battery)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_battery import TorchOp, battery, randn, run_check

from coursekit.generative.forward import forward_step, iterate_forward, posterior_mean_variance, predict_x0, q_sample
from coursekit.generative.schedules import alpha_bars, cosine_betas, linear_betas

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize("t", [0, 9, 99])
def test_iterating_one_step_has_the_closed_form_moments(schedule, t):
    betas = linear_betas(100, 1e-3, 0.2) if schedule == "linear" else cosine_betas(100)
    ab = alpha_bars(betas)[t]
    N = 200_000
    x0 = np.full((N, 1), 1.5)
    x = iterate_forward(x0, betas, t, np.random.default_rng(t))[:, 0]
    # Closed form: mean √ᾱ·x₀, variance 1 − ᾱ. Standard error of the mean √(var/N) ≈ 2e-3, of the variance
    # var·√(2/N) ≈ 3e-3: five standard errors is a test that fails only on a wrong formula.
    assert abs(x.mean() - np.sqrt(ab) * 1.5) < 5 * np.sqrt((1 - ab) / N)
    assert abs(x.var() - (1 - ab)) < 5 * (1 - ab) * np.sqrt(2 / N)
    z = q_sample(x0, t, alpha_bars(betas), np.random.default_rng(99).standard_normal(x0.shape))[:, 0]
    assert abs(z.mean() - x.mean()) < 10 * np.sqrt((1 - ab) / N)


def test_first_step_of_the_closed_form_is_the_one_step_process():
    x0, eps = np.random.default_rng(0).normal(size=(2, 5, 3))
    betas = linear_betas(10)
    np.testing.assert_allclose(q_sample(x0, 0, alpha_bars(betas), eps), forward_step(x0, betas[0], eps), rtol=1e-12, atol=1e-15)


def test_q_sample_accepts_one_step_per_example():
    x0 = np.ones((3, 2))
    eps = np.zeros((3, 2))
    ab = alpha_bars(linear_betas(10))
    out = q_sample(x0, np.array([0, 4, 9]), ab, eps)
    np.testing.assert_allclose(out[:, 0], np.sqrt(ab[[0, 4, 9]]))


def test_predict_x0_with_the_true_noise_recovers_x0():
    rng = np.random.default_rng(1)
    x0, eps = rng.normal(size=(2, 8, 4))
    ab = alpha_bars(linear_betas(1000))
    t = rng.integers(0, 1000, 8)
    np.testing.assert_allclose(predict_x0(q_sample(x0, t, ab, eps), t, ab, eps), x0, atol=1e-9)


@pytest.mark.parametrize("t", [1, 50, 999])
def test_posterior_matches_gaussian_conditioning(t):
    # Independent derivation: given x₀, (x_{t-1}, x_t) is jointly Gaussian with
    # x_{t-1} = √ᾱ_{t-1} x₀ + √(1-ᾱ_{t-1}) e₁, x_t = √α_t x_{t-1} + √β_t e₂; condition x_{t-1} on x_t.
    betas = linear_betas(1000)
    ab = alpha_bars(betas)
    x0, xt = np.array([0.7, -1.2]), np.array([0.1, 0.4])
    m1, v1 = np.sqrt(ab[t - 1]) * x0, 1 - ab[t - 1]
    m2, v2 = np.sqrt(ab[t]) * x0, 1 - ab[t]
    cov = np.sqrt(1 - betas[t]) * v1
    mean, var = posterior_mean_variance(x0, xt, t, betas)
    np.testing.assert_allclose(mean, m1 + cov / v2 * (xt - m2), rtol=1e-10)
    assert var == pytest.approx(v1 - cov ** 2 / v2, rel=1e-10)
    assert var < betas[t]


@pytest.mark.parametrize("call, words", [
    (lambda: q_sample(np.ones((2, 2)), 10, np.ones(10) * 0.5, np.ones((2, 2))), "0 … 9"),
    (lambda: q_sample(np.ones((2, 2)), 1.5, np.ones(10) * 0.5, np.ones((2, 2))), "integer"),
    (lambda: q_sample(np.ones((2, 2)), 0, np.ones(10) * 0.5, np.ones((2, 3))), "same type and shape"),
    (lambda: q_sample(np.ones((2, 2)), np.array([0, 1, 2]), np.ones(10) * 0.5, np.ones((2, 2))), "one per example"),
    (lambda: q_sample(torch.ones(2, 2), 0, np.ones(10) * 0.5, np.ones((2, 2))), "same type"),
    (lambda: forward_step(np.ones(2), 1.5, np.ones(2)), "beta_t"),
    (lambda: iterate_forward(np.ones(2), [0.1], 1, np.random.default_rng(0)), "t must be"),
    (lambda: posterior_mean_variance(np.ones(2), np.ones(2), 0, [0.1, 0.2]), "t must be"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()


AB = alpha_bars(linear_betas(50))
T_IDX = torch.tensor([0, 7, 25, 49])


def _np(*xs):
    return [x.numpy() for x in xs]


OPS = [
    TorchOp("q_sample", lambda g: (randn(g, 4, 3), randn(g, 4, 3)),
            lambda x0, eps: q_sample(x0, T_IDX, AB, eps), (4, 3), grad=(0, 1),
            bad=[(lambda: q_sample(torch.ones(4, 3), T_IDX, AB, torch.ones(4, 2)), "shape")],
            reference=lambda x0, eps: q_sample(*_np(x0), T_IDX.numpy(), AB, *_np(eps)),
            rtol=1e-12, why="the NumPy path runs the same float64 formula"),
    TorchOp("predict_x0", lambda g: (randn(g, 4, 3), randn(g, 4, 3)),
            lambda xt, eps: predict_x0(xt, T_IDX, AB, eps), (4, 3), grad=(0, 1),
            bad=[(lambda: predict_x0(torch.ones(4, 3), 50, AB, torch.ones(4, 3)), "0 … 49")],
            reference=lambda xt, eps: predict_x0(*_np(xt), T_IDX.numpy(), AB, *_np(eps)),
            rtol=1e-12, why="the NumPy path runs the same float64 formula"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)
