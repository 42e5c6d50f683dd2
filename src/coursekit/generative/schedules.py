"""Noise schedules of a diffusion model.

The linear schedule of DDPM, the cosine schedule of improved DDPM, and the products ᾱ_t every closed
form needs.

Used by Chapter 17 (Generative models: diffusion).

Time steps are 0-based in code: index ``t = 0 … T-1`` is the paper's step ``t + 1``, so ``betas[0]`` is β₁.

References
----------
J. Ho, A. Jain and P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020 (linear schedule,
β₁ = 1e-4 to β_T = 0.02 over T = 1000 steps).
A. Nichol and P. Dhariwal, "Improved denoising diffusion probabilistic models", ICML 2021 (cosine schedule).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int, check_nonnegative, check_positive

__all__ = ["linear_betas", "cosine_betas", "alpha_bars", "signal_to_noise"]


def linear_betas(T: int = 1000, beta_1: float = 1e-4, beta_T: float = 0.02) -> np.ndarray:
    """The linear variance schedule β_t of DDPM, evenly spaced from ``beta_1`` to ``beta_T``.

    Defined in :ref:`sec-diffusion-schedules` (Eq. :eq:`eq-diffusion-linear-schedule`).

    Parameters
    ----------
    T : int
        Number of diffusion steps (>= 2).
    beta_1, beta_T : float
        First and last variance, 0 < beta_1 <= beta_T < 1. DDPM uses 1e-4 and 0.02 with T = 1000.

    Returns
    -------
    (T,) ndarray of float64
        ``betas[t]`` is the variance added at step t + 1.

    Examples
    --------
    >>> b = linear_betas(1000)
    >>> float(b[0]), float(b[-1]), b.shape
    (0.0001, 0.02, (1000,))
    """
    T = check_int(T, "T", minimum=2)
    check_positive(beta_1, "beta_1")
    check_positive(beta_T, "beta_T")
    if not beta_1 <= beta_T < 1:
        raise ValueError(f"need 0 < beta_1 <= beta_T < 1, got beta_1={beta_1}, beta_T={beta_T}.")
    return np.linspace(beta_1, beta_T, T, dtype=np.float64)


def cosine_betas(T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """The cosine schedule: ᾱ_t = f(t)/f(0) with f(t) = cos²((t/T + s)/(1 + s) · π/2), β_t = 1 − ᾱ_t/ᾱ_{t−1}.

    Defined in :ref:`sec-diffusion-schedules` (Eq. :eq:`eq-diffusion-cosine-schedule`).

    Parameters
    ----------
    T : int
        Number of diffusion steps (>= 2).
    s : float
        Small offset (>= 0) that keeps β₁ from being vanishingly small; Nichol & Dhariwal use 0.008.
    max_beta : float
        β_t is clipped to at most this (in (0, 1]) so that the last steps stay finite.

    Returns
    -------
    (T,) ndarray of float64

    Notes
    -----
    1. Evaluate f at t = 0, 1, …, T and divide by f(0): ᾱ_0 = 1, ᾱ_t = f(t)/f(0).
    2. β_t = 1 − ᾱ_t / ᾱ_{t−1}, clipped to ``max_beta`` (near t = T, ᾱ_t → 0 and the ratio → 0).

    Examples
    --------
    >>> b = cosine_betas(1000)
    >>> bool(np.all(np.diff(b) > 0)), float(b[-1])
    (True, 0.999)
    """
    T = check_int(T, "T", minimum=2)
    check_nonnegative(s, "s")
    check_positive(max_beta, "max_beta")
    if max_beta > 1:
        raise ValueError(f"max_beta must be in (0, 1], got {max_beta}.")
    steps = np.arange(T + 1, dtype=np.float64) / T                       # (T+1,) t/T
    f = np.cos((steps + s) / (1 + s) * np.pi / 2) ** 2                  # (T+1,)
    alpha_bar = f / f[0]                                                 # (T+1,) with ᾱ_0 = 1
    betas = 1.0 - alpha_bar[1:] / alpha_bar[:-1]                         # (T,)
    return np.clip(betas, 0.0, max_beta)


def alpha_bars(betas) -> np.ndarray:
    """The cumulative signal fraction ᾱ_t = ∏_{s ≤ t} (1 − β_s) of a schedule.

    Defined in :ref:`sec-diffusion-forward` (Eq. :eq:`eq-diffusion-closed-form`).

    Parameters
    ----------
    betas : (T,) array_like of float
        Variances in (0, 1).

    Returns
    -------
    (T,) ndarray of float64
        Decreasing from 1 − β₁ towards 0.

    Examples
    --------
    >>> alpha_bars([0.5, 0.5]).tolist()
    [0.5, 0.25]
    """
    betas = check_array(np.asarray(betas, dtype=np.float64), "betas", ndim=1)
    if len(betas) == 0 or np.any(betas <= 0) or np.any(betas >= 1):
        raise ValueError("betas must be a non-empty 1-D array with every value in (0, 1).")
    return np.cumprod(1.0 - betas)


def signal_to_noise(alpha_bar) -> np.ndarray:
    """The signal-to-noise ratio SNR_t = ᾱ_t / (1 − ᾱ_t) of the noisy sample x_t.

    Defined in :ref:`sec-diffusion-schedules`.

    Parameters
    ----------
    alpha_bar : (T,) array_like of float
        Values in (0, 1).

    Returns
    -------
    (T,) ndarray of float64

    Examples
    --------
    >>> signal_to_noise([0.5, 0.2]).round(2).tolist()
    [1.0, 0.25]
    """
    alpha_bar = check_array(np.asarray(alpha_bar, dtype=np.float64), "alpha_bar", ndim=1)
    if np.any(alpha_bar <= 0) or np.any(alpha_bar >= 1):
        raise ValueError("alpha_bar must lie in (0, 1) (a schedule's ᾱ_t).")
    return alpha_bar / (1.0 - alpha_bar)
