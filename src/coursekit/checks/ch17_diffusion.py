"""Checks of Chapter 17's exercises: ᾱ_t of a schedule, the closed-form forward process, one DDPM step, one
DDIM step, the Fréchet distance of FID and the unbiased MMD².

Each check runs the student's NumPy function on seeded random inputs (schedules, batches of points, covariance
matrices) and compares with the coursekit reference; :func:`review_with` names the usual slips (σ_t = β_t
instead of σ_t² = β_t, a missing square root, the biased MMD) without revealing expected values.
"""

from __future__ import annotations

import numpy as np
import torch

from coursekit.generative.forward import q_sample
from coursekit.generative.samplers import ddim_step, ddpm_step
from coursekit.generative.schedules import alpha_bars, cosine_betas, linear_betas
from coursekit.grading import Case, Check, review_with
from coursekit.metrics.generative import frechet_distance, mmd_rbf

__all__ = ["CHECKS", "ddpm_step_reference", "ddim_step_reference"]


def ddpm_step_reference(x_t, t, eps_hat, betas, z):
    """NumPy face of :func:`coursekit.generative.samplers.ddpm_step` (float64 throughout)."""
    out = ddpm_step(torch.as_tensor(x_t), int(t), torch.as_tensor(eps_hat), betas,
                    torch.as_tensor(z) if t > 0 else None)
    return out.numpy()


def ddim_step_reference(x_t, t, t_prev, eps_hat, alpha_bar):
    """NumPy face of :func:`coursekit.generative.samplers.ddim_step` with η = 0."""
    return ddim_step(torch.as_tensor(x_t), int(t), int(t_prev), torch.as_tensor(eps_hat), alpha_bar).numpy()


# ----------------------------------------------------------------------------- ch17.alpha_bars

def _ab_cases(rng):
    yield Case("hand-made: betas [0.5, 0.5, 0.5]", (np.array([0.5, 0.5, 0.5]),))
    yield Case("DDPM's linear schedule, T = 1000", (linear_betas(1000),))
    yield Case("the cosine schedule, T = 200", (cosine_betas(200),))
    yield Case("30 random betas in (0.01, 0.3)", (rng.uniform(0.01, 0.3, 30),))


def _ab_of_betas(b):
    return np.cumprod(b)


def _ab_cumsum(b):
    return 1.0 - np.cumsum(b)


def _ab_shifted(b):
    return np.r_[1.0, np.cumprod(1.0 - b)[:-1]]


# ----------------------------------------------------------------------------- ch17.q_sample

def _q_cases(rng):
    ab = alpha_bars(linear_betas(1000))
    yield Case("hand-made: one point, ᾱ = 0.64", (np.array([[1.0, 1.0]]), np.array([0]), np.array([0.64]),
                                                 np.array([[0.0, 1.0]])))
    for B, D in [(8, 2), (5, 64)]:
        yield Case(f"{B} examples of dimension {D}, one random step each (linear schedule)",
                   (rng.normal(size=(B, D)), rng.integers(0, 1000, B), ab, rng.normal(size=(B, D))))
    yield Case("6 examples at the first and last steps (t = 0 and 999)",
               (rng.normal(size=(6, 3)), np.array([0, 999, 0, 999, 0, 999]), ab, rng.normal(size=(6, 3))))


def _q_no_sqrt(x0, t, ab, eps):
    a = ab[t][:, None]
    return a * x0 + (1 - a) * eps


def _q_alpha_t(x0, t, ab, eps):
    alpha = np.r_[ab[0], ab[1:] / ab[:-1]][t][:, None]        # α_t instead of ᾱ_t
    return np.sqrt(alpha) * x0 + np.sqrt(1 - alpha) * eps


def _q_reference(x0, t, ab, eps):
    return q_sample(x0, t, ab, eps)


# ----------------------------------------------------------------------------- ch17.ddpm_step

def _ddpm_cases(rng):
    betas = linear_betas(1000)
    yield Case("hand-made: the last step (t = 0) adds no noise", (np.ones((1, 2)), 0, np.zeros((1, 2)),
                                                                   np.array([0.19, 0.5]), np.ones((1, 2))))
    for t in (1, 250, 999):
        yield Case(f"8 points at step t = {t} of the linear schedule",
                   (rng.normal(size=(8, 2)), t, rng.normal(size=(8, 2)), betas, rng.normal(size=(8, 2))))
    yield Case("4 digits (64 values) at step 500 of the cosine schedule",
               (rng.normal(size=(4, 64)), 500, rng.normal(size=(4, 64)), cosine_betas(1000), rng.normal(size=(4, 64))))


def _ddpm_sigma_beta(x_t, t, eps_hat, betas, z):
    return ddpm_step_reference(x_t, t, eps_hat, betas, z * np.sqrt(betas[t]))     # σ z = β z


def _ddpm_noise_at_zero(x_t, t, eps_hat, betas, z):
    out = ddpm_step_reference(x_t, t, eps_hat, betas, z)
    return out + np.sqrt(betas[0]) * z if t == 0 else out


def _ddpm_alpha_bar_denominator(x_t, t, eps_hat, betas, z):
    ab = np.cumprod(1 - betas)[t]
    mean = (x_t - betas[t] / np.sqrt(1 - ab) * eps_hat) / np.sqrt(ab)
    return mean + (np.sqrt(betas[t]) * z if t > 0 else 0)


# ----------------------------------------------------------------------------- ch17.ddim_step

def _ddim_cases(rng):
    ab = alpha_bars(linear_betas(1000))
    yield Case("hand-made: ᾱ = 0.64 to clean data (t_prev = -1)", (np.array([[0.8]]), 0, -1, np.array([[1.0]]),
                                                                   np.array([0.64])))
    for t, tp in [(999, 979), (500, 250), (40, -1)]:
        yield Case(f"8 points from step {t} to step {tp}", (rng.normal(size=(8, 2)), t, tp, rng.normal(size=(8, 2)), ab))


def _ddim_xt_not_x0(x_t, t, t_prev, eps_hat, ab):
    a_prev = ab[t_prev] if t_prev >= 0 else 1.0
    return np.sqrt(a_prev) * x_t + np.sqrt(1 - a_prev) * eps_hat


def _ddim_minus_one_wrap(x_t, t, t_prev, eps_hat, ab):
    a_t, a_prev = ab[t], ab[t_prev]                          # ab[-1] is the *last* step, not "clean"
    x0 = (x_t - np.sqrt(1 - a_t) * eps_hat) / np.sqrt(a_t)
    return np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps_hat


# ----------------------------------------------------------------------------- ch17.frechet_distance

def _spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T / d + 0.1 * np.eye(d)


def _fd_cases(rng):
    yield Case("hand-made: 1-D N(0, 1) and N(3, 4)", (np.array([0.0]), np.array([[1.0]]), np.array([3.0]),
                                                      np.array([[4.0]])))
    yield Case("diagonal covariances in 3-D", (np.zeros(3), np.diag([1.0, 4.0, 9.0]), np.ones(3),
                                                np.diag([4.0, 1.0, 9.0])))
    for d in (4, 16):
        yield Case(f"random {d}-D Gaussians with full covariances",
                   (rng.normal(size=d), _spd(rng, d), rng.normal(size=d), _spd(rng, d)))


def _fd_elementwise(mu1, S1, mu2, S2):
    return float(((mu1 - mu2) ** 2).sum() + np.trace(S1 + S2 - 2 * np.sqrt(np.abs(S1 * S2))))


def _fd_no_two(mu1, S1, mu2, S2):
    w = np.linalg.eigvals(S1 @ S2)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(S1 + S2) - np.sqrt(np.abs(w)).sum())


def _fd_product_of_roots(mu1, S1, mu2, S2):
    root = lambda S: (lambda w, V: (V * np.sqrt(w)) @ V.T)(*np.linalg.eigh(S))     # noqa: E731
    return float(((mu1 - mu2) ** 2).sum() + np.trace(S1 + S2 - 2 * root(S1) @ root(S2)))


# ----------------------------------------------------------------------------- ch17.mmd_rbf

def _mmd_cases(rng):
    yield Case("hand-made: three points against two, bandwidth 1", (np.array([[0.0, 0], [1, 0], [0, 1]]),
                                                                    np.array([[0.0, 0], [2, 2]]), 1.0))
    yield Case("two samples of one Gaussian (MMD² near 0, possibly negative)",
               (rng.normal(size=(60, 2)), rng.normal(size=(50, 2)), 0.5))
    yield Case("shifted Gaussians in 3-D, bandwidth 2", (rng.normal(size=(40, 3)), rng.normal(1.0, 1.0, (30, 3)), 2.0))
    yield Case("eight-Gaussians-like clusters against a ring, bandwidth 0.2",
               (2 * np.exp(1j * np.pi / 4 * rng.integers(0, 8, 50)).view(float).reshape(50, 2)
                + 0.1 * rng.normal(size=(50, 2)),
                1.5 * np.exp(1j * rng.uniform(0, 2 * np.pi, 45)).view(float).reshape(45, 2), 0.2))


def _mmd_biased(X, Y, h):
    k = lambda A, B: np.exp(-((A[:, None] - B[None]) ** 2).sum(-1) / (2 * h * h))     # noqa: E731
    return float(k(X, X).mean() + k(Y, Y).mean() - 2 * k(X, Y).mean())


def _mmd_no_half(X, Y, h):
    return mmd_rbf(X, Y, h / np.sqrt(2))                     # exp(-d²/h²): the 2 is missing


CHECKS = [
    Check("ch17.alpha_bars", cases=_ab_cases, reference=alpha_bars, atol=1e-9,
          review=review_with([(_ab_of_betas, "multiply the (1 − β_s), the signal kept at each step, not the β_s."),
                               (_ab_cumsum, "ᾱ_t is a product of (1 − β_s); a sum is only its first-order "
                                            "approximation."),
                               (_ab_shifted, "ᾱ for index t includes step t itself: the first entry is 1 − β₁.")]),
          implements=(alpha_bars,)),
    Check("ch17.q_sample", cases=_q_cases, reference=_q_reference, atol=1e-9,
          review=review_with([(_q_no_sqrt, "the coefficients are square roots: √ᾱ_t and √(1 − ᾱ_t) "
                                            "(the variances are ᾱ_t and 1 − ᾱ_t)."),
                               (_q_alpha_t, "use the cumulative ᾱ_t of the schedule, not the one-step α_t.")]),
          implements=(q_sample,)),
    Check("ch17.ddpm_step", cases=_ddpm_cases, reference=ddpm_step_reference, atol=1e-9,
          review=review_with([(_ddpm_sigma_beta, "the noise has variance β_t: multiply z by σ_t = √β_t, not by β_t."),
                               (_ddpm_noise_at_zero, "the last step (t = 0) adds no noise."),
                               (_ddpm_alpha_bar_denominator, "divide the mean by √α_t = √(1 − β_t), the one-step "
                                                              "factor, not by √ᾱ_t.")]),
          implements=(ddpm_step,)),
    Check("ch17.ddim_step", cases=_ddim_cases, reference=ddim_step_reference, atol=1e-9,
          review=review_with([(_ddim_xt_not_x0, "first estimate x̂₀ = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t, then re-noise "
                                                 "x̂₀, not x_t."),
                               (_ddim_minus_one_wrap, "t_prev = -1 means clean data, ᾱ = 1 (in Python, "
                                                      "alpha_bar[-1] is the last step).")]),
          implements=(ddim_step,)),
    Check("ch17.frechet_distance", cases=_fd_cases, reference=frechet_distance, atol=1e-7,
          review=review_with([(_fd_elementwise, "(Σ₁Σ₂)^{1/2} is a matrix square root of the matrix product, not "
                                                 "an element-wise one."),
                               (_fd_no_two, "the cross term is 2 tr (Σ₁Σ₂)^{1/2}."),
                               (_fd_product_of_roots, "Σ₁^{1/2} Σ₂^{1/2} is not (Σ₁Σ₂)^{1/2} unless the covariances "
                                                      "commute; use the eigenvalues of Σ₁Σ₂ or of a symmetric "
                                                      "matrix similar to it.")], atol=1e-7),
          implements=(frechet_distance,),
          forbidden=("scipy.linalg.sqrtm", "scipy.linalg._matfuncs_sqrtm.sqrtm")),
    Check("ch17.mmd_rbf", cases=_mmd_cases, reference=mmd_rbf, atol=1e-9,
          review=review_with([(_mmd_biased, "leave out the diagonal i = j of the within-sample sums and divide by "
                                            "n(n − 1): the unbiased estimate."),
                               (_mmd_no_half, "the kernel is exp(−‖a − b‖² / (2h²)).")]),
          implements=(mmd_rbf,)),
]
