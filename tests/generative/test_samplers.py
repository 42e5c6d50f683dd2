"""Samplers (Chapter 17): the DDPM step's mean is the forward posterior's mean when ε̂ is the true noise and
its noise has variance β_t (not β_t²); DDIM with η = 1 has DDPM's posterior variance and with η = 0 follows the
closed form exactly; both samplers, driven by the exact ε* of Gaussian data, reproduce that Gaussian."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_battery import TorchOp, battery, randn, run_check

from coursekit.generative.forward import posterior_mean_variance, q_sample
from coursekit.generative.samplers import ddim_sample, ddim_step, ddim_timesteps, ddpm_sample, ddpm_step
from coursekit.generative.schedules import alpha_bars, linear_betas

pytestmark = pytest.mark.usefixtures("one_torch_thread")

BETAS = linear_betas(1000)
AB = alpha_bars(BETAS)


def gaussian_eps(m: float, s: float):
    """The exact minimiser of the diffusion loss for data N(m, s² I):
    ε*(x_t, t) = √(1-ᾱ)(x_t − √ᾱ m)/(ᾱ s² + 1 − ᾱ) (Gaussian conditioning, E[ε | x_t])."""
    def eps(x, t):
        ab = torch.as_tensor(AB, dtype=x.dtype)[t][:, None]
        return (1 - ab) ** 0.5 * (x - ab ** 0.5 * m) / (ab * s * s + 1 - ab)
    return eps


@pytest.mark.parametrize("t", [1, 10, 500, 999])
def test_ddpm_mean_is_the_posterior_mean_given_the_true_noise(t):
    g = torch.Generator().manual_seed(t)
    x0, eps = torch.randn(2, 6, 3, generator=g, dtype=torch.float64)
    xt = q_sample(x0, t, AB, eps)
    mean = ddpm_step(xt, t, eps, BETAS, torch.zeros_like(xt))
    expected, _ = posterior_mean_variance(x0, xt, t, BETAS)
    torch.testing.assert_close(mean, expected, rtol=1e-9, atol=1e-9)


def test_ddpm_noise_has_variance_beta_not_beta_squared():
    t = 300
    z = torch.randn(200_000, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x = torch.zeros_like(z)
    out = ddpm_step(x, t, torch.zeros_like(z), BETAS, z)
    # Var = β_t = 6.1e-3 (σ = √β); σ = β would give β² = 3.7e-5, 160× smaller. 5 standard errors of a variance.
    assert abs(out.var().item() - BETAS[t]) < 5 * BETAS[t] * np.sqrt(2 / len(z))


def test_ddpm_last_step_adds_no_noise():
    x = torch.ones(3, 2, dtype=torch.float64)
    out = ddpm_step(x, 0, torch.zeros_like(x), BETAS)
    torch.testing.assert_close(out, x / np.sqrt(1 - BETAS[0]))


def test_ddim_eta_one_has_the_posterior_variance():
    t = 400
    z = torch.randn(200_000, 1, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x = torch.zeros_like(z)
    out = ddim_step(x, t, t - 1, torch.zeros_like(z), AB, eta=1.0, z=z)
    _, var = posterior_mean_variance(np.zeros(1), np.zeros(1), t, BETAS)
    assert abs(out.var().item() - var) < 5 * var * np.sqrt(2 / len(z))


def test_ddim_with_the_true_noise_lands_on_the_closed_form():
    g = torch.Generator().manual_seed(2)
    x0, eps = torch.randn(2, 5, 4, generator=g, dtype=torch.float64)
    xt = q_sample(x0, 800, AB, eps)
    for t_prev in [799, 300, 0]:
        torch.testing.assert_close(ddim_step(xt, 800, t_prev, eps, AB), q_sample(x0, t_prev, AB, eps))
    torch.testing.assert_close(ddim_step(xt, 800, -1, eps, AB), x0)


def test_ddim_timesteps_are_evenly_spaced_and_end_at_T():
    taus = ddim_timesteps(1000, 50)
    assert taus[-1] == 999 and len(taus) == 50 and set(np.diff(taus)) == {20}
    assert ddim_timesteps(10, 10).tolist() == list(range(10))


@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
def test_samplers_with_the_exact_noise_reproduce_gaussian_data(sampler):
    m, s = 1.5, 0.3
    g = torch.Generator().manual_seed(3)
    if sampler == "ddpm":
        x = ddpm_sample(gaussian_eps(m, s), (20_000, 1), BETAS, g)
    else:
        x = ddim_sample(gaussian_eps(m, s), (20_000, 1), AB, 100, g)
    # Sampling error of the mean: s/√N = 2e-3; discretisation error of 1000 (100) steps adds ~1e-3 in the
    # scale. 0.02 absolute on the mean and 5% on the std still fail on σ_t = β_t (std ≈ 0.11 instead of 0.3).
    assert abs(x.mean().item() - m) < 0.02
    assert x.std().item() == pytest.approx(s, rel=0.05)


def test_ddim_is_deterministic_given_x_T():
    x_T = torch.randn(10, 2, generator=torch.Generator().manual_seed(4))
    a = ddim_sample(gaussian_eps(0.0, 1.0), (10, 2), AB, 20, torch.Generator().manual_seed(5), x_T=x_T)
    b = ddim_sample(gaussian_eps(0.0, 1.0), (10, 2), AB, 20, torch.Generator().manual_seed(6), x_T=x_T)
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("call, words", [
    (lambda: ddpm_step(torch.ones(2, 2), 5, torch.ones(2, 2), BETAS), "z must be"),
    (lambda: ddpm_step(torch.ones(2, 2), 1000, torch.ones(2, 2), BETAS), "t must be"),
    (lambda: ddpm_step(torch.ones(2, 2), 5, torch.ones(2, 3), BETAS, torch.ones(2, 2)), "shape of x_t"),
    (lambda: ddpm_step(np.ones((2, 2)), 5, np.ones((2, 2)), BETAS), "torch tensors"),
    (lambda: ddim_step(torch.ones(2, 2), 5, 5, torch.ones(2, 2), AB), "t_prev"),
    (lambda: ddim_step(torch.ones(2, 2), 5, 4, torch.ones(2, 2), AB, eta=0.5), "z must be"),
    (lambda: ddim_timesteps(10, 11), "steps"),
    (lambda: ddim_sample(gaussian_eps(0, 1), (2, 2), AB, 5, torch.Generator(), x_T=torch.ones(3, 2)), "x_T"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def _ddpm_reference(xt, eps, z, t=7):
    """DDPM's Algorithm 2 line 4 written out in NumPy with ᾱ from an explicit product."""
    b = BETAS[t]
    ab = np.prod(1 - BETAS[:t + 1])
    return (xt.numpy() - b / np.sqrt(1 - ab) * eps.numpy()) / np.sqrt(1 - b) + np.sqrt(b) * z.numpy()


def _ddim_reference(xt, eps, t=30, t_prev=10):
    x0 = (xt.numpy() - np.sqrt(1 - AB[t]) * eps.numpy()) / np.sqrt(AB[t])
    return np.sqrt(AB[t_prev]) * x0 + np.sqrt(1 - AB[t_prev]) * eps.numpy()


OPS = [
    TorchOp("ddpm_step", lambda g: (randn(g, 4, 3), randn(g, 4, 3), randn(g, 4, 3)),
            lambda xt, eps, z: ddpm_step(xt, 7, eps, BETAS, z), (4, 3), grad=(0, 1, 2),
            bad=[(lambda: ddpm_step(torch.ones(4, 3), -1, torch.ones(4, 3), BETAS), "t must be")],
            reference=_ddpm_reference, rtol=1e-12, atol=1e-12, why="the same float64 arithmetic, other order"),
    TorchOp("ddim_step", lambda g: (randn(g, 4, 3), randn(g, 4, 3)),
            lambda xt, eps: ddim_step(xt, 30, 10, eps, AB), (4, 3), grad=(0, 1),
            bad=[(lambda: ddim_step(torch.ones(4, 3), 30, 31, torch.ones(4, 3), AB), "t_prev")],
            reference=_ddim_reference, rtol=1e-12, atol=1e-12, why="the same float64 arithmetic, other order"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)
