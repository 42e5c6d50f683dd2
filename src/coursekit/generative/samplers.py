"""Reverse-process samplers: DDPM's ancestral step (σ_t² = β_t) and DDIM's step.

The loops run them from pure noise to data with a trained noise predictor ε̂_θ(x_t, t).

Used by Chapter 17 (Generative models: diffusion).

A noise predictor is any callable ``eps_model(x_t, t) -> eps_hat`` taking a (B, ...) tensor and a (B,) long
tensor of 0-based steps; conditioning and guidance wrap it (:mod:`coursekit.generative.guidance`).

References
----------
J. Ho, A. Jain and P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020 (Algorithm 2).
J. Song, C. Meng and S. Ermon, "Denoising diffusion implicit models", ICLR 2021 (Eq. 12).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from coursekit.core.validation import check_generator, check_int, check_nonnegative
from coursekit.generative.forward import predict_x0

__all__ = ["ddpm_step", "ddpm_sample", "ddim_timesteps", "ddim_step", "ddim_sample"]


def _check_tensors(x_t, eps_hat):
    if not isinstance(x_t, torch.Tensor) or not isinstance(eps_hat, torch.Tensor):
        raise ValueError(f"x_t and eps_hat must be torch tensors, got {type(x_t).__name__} and "
                         f"{type(eps_hat).__name__}.")
    if x_t.shape != eps_hat.shape:
        raise ValueError(f"eps_hat must have the shape of x_t {tuple(x_t.shape)}, got {tuple(eps_hat.shape)}.")


def ddpm_step(x_t: torch.Tensor, t: int, eps_hat: torch.Tensor, betas, z: torch.Tensor | None = None) -> torch.Tensor:
    """One ancestral DDPM step: x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) ε̂) / √α_t + σ_t z with σ_t² = β_t.

    Defined in :ref:`sec-diffusion-reverse` (Eq. :eq:`eq-diffusion-ddpm-step`).

    Parameters
    ----------
    x_t : (B, ...) Tensor
        Samples at 0-based step t.
    t : int
        0-based step, 0 <= t < T.
    eps_hat : (B, ...) Tensor
        The predicted noise ε̂_θ(x_t, t).
    betas : (T,) array_like
        The schedule.
    z : (B, ...) Tensor, optional
        Standard normal noise; required for t > 0, ignored at t = 0 (the last step adds no noise).

    Returns
    -------
    (B, ...) Tensor
        x_{t−1}.

    Notes
    -----
    The noise's *variance* is β_t, so its standard deviation is σ_t = √β_t (Ho et al. found β̃_t works as
    well). Writing σ_t = β_t instead shrinks the noise by √β_t (10× at β = 0.01) and the samples collapse
    towards the modes.

    Examples
    --------
    >>> x = ddpm_step(torch.ones(1, 2, dtype=torch.float64), 0, torch.zeros(1, 2, dtype=torch.float64), [0.19, 0.5])
    >>> x.round(decimals=4).tolist()
    [[1.1111, 1.1111]]
    """
    _check_tensors(x_t, eps_hat)
    betas = np.asarray(betas, dtype=np.float64)
    t = check_int(t, "t", minimum=0, maximum=len(betas) - 1)
    beta = float(betas[t])
    alpha_bar = float(np.prod(1.0 - betas[:t + 1]))
    mean = (x_t - beta / (1.0 - alpha_bar) ** 0.5 * eps_hat) / (1.0 - beta) ** 0.5   # (B, ...) μ_θ(x_t, t)
    if t == 0:
        return mean
    if z is None or not isinstance(z, torch.Tensor) or z.shape != x_t.shape:
        raise ValueError(f"z must be a standard normal tensor of shape {tuple(x_t.shape)} for t > 0.")
    sigma = beta ** 0.5                                                               # σ_t² = β_t
    return mean + sigma * z


def _progress(iterable, progress: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, disable=not progress, leave=False)


@torch.no_grad()
def ddpm_sample(eps_model: Callable, shape: tuple, betas, generator: torch.Generator,
                progress: bool = False) -> torch.Tensor:
    """Ancestral sampling: start from x_T ~ N(0, I) and apply :func:`ddpm_step` for t = T … 1.

    Defined in :ref:`sec-diffusion-reverse` (Eq. :eq:`eq-diffusion-ddpm-step`).

    Parameters
    ----------
    eps_model : callable
        ``eps_model(x_t, t)`` with x_t (B, ...) and t a (B,) long tensor; returns ε̂ of x_t's shape.
    shape : tuple of int
        (B, ...) shape of the samples.
    betas : (T,) array_like
    generator : torch.Generator
        Draws x_T and every z.
    progress : bool
        Show a tqdm bar over the T steps.

    Returns
    -------
    (B, ...) Tensor of float32
        x₀, T network evaluations later.

    Examples
    --------
    >>> x = ddpm_sample(lambda x, t: torch.zeros_like(x), (3, 2), [0.1, 0.2], torch.Generator().manual_seed(0))
    >>> tuple(x.shape)
    (3, 2)
    """
    check_generator(generator)
    betas = np.asarray(betas, dtype=np.float64)
    x = torch.randn(*shape, generator=generator)                                    # (B, ...) x_T
    for t in _progress(range(len(betas) - 1, -1, -1), progress, "DDPM sampling"):
        eps_hat = eps_model(x, torch.full((shape[0],), t, dtype=torch.long))
        z = torch.randn(*shape, generator=generator) if t > 0 else None
        x = ddpm_step(x, t, eps_hat, betas, z)
    return x


def ddim_timesteps(T: int, steps: int) -> np.ndarray:
    """The S evenly spaced 0-based steps τ₁ < … < τ_S of a DDIM sampler, ending at T − 1.

    Defined in :ref:`sec-diffusion-ddim`.

    Parameters
    ----------
    T : int
        Steps of the training schedule.
    steps : int
        S, the number of sampling steps, 1 <= S <= T.

    Returns
    -------
    (S,) ndarray of int64
        Increasing; the sampler visits them in reverse.

    Examples
    --------
    >>> ddim_timesteps(1000, 4).tolist()
    [249, 499, 749, 999]
    """
    T = check_int(T, "T", minimum=1)
    steps = check_int(steps, "steps", minimum=1, maximum=T)
    return (np.arange(1, steps + 1) * T) // steps - 1


def ddim_step(x_t: torch.Tensor, t: int, t_prev: int, eps_hat: torch.Tensor, alpha_bar, eta: float = 0.0,
              z: torch.Tensor | None = None) -> torch.Tensor:
    """One DDIM step from step t to an earlier step t_prev: x_prev = √ᾱ_prev x̂₀ + √(1 − ᾱ_prev − σ²) ε̂ + σ z.

    Defined in :ref:`sec-diffusion-ddim` (Eq. :eq:`eq-diffusion-ddim`).

    Parameters
    ----------
    x_t : (B, ...) Tensor
    t : int
        0-based current step.
    t_prev : int
        0-based earlier step, -1 <= t_prev < t; -1 means "clean data" (ᾱ = 1).
    eps_hat : (B, ...) Tensor
    alpha_bar : (T,) array_like
    eta : float
        0 gives the deterministic DDIM; 1 gives DDPM's posterior variance β̃ (σ² = (1 − ᾱ_prev)/(1 − ᾱ_t) ·
        (1 − ᾱ_t/ᾱ_prev)).
    z : (B, ...) Tensor, optional
        Standard normal noise, required when eta > 0.

    Returns
    -------
    (B, ...) Tensor

    Notes
    -----
    1. x̂₀ from the closed form solved for x₀ (:func:`coursekit.generative.forward.predict_x0`).
    2. Re-noise x̂₀ to step t_prev with the *same* ε̂ (the direction pointing to x_t) plus optional fresh noise.

    Examples
    --------
    >>> x = ddim_step(torch.tensor([[0.8]]), 0, -1, torch.tensor([[1.0]]), [0.64])
    >>> round(x.item(), 6)
    0.25
    """
    _check_tensors(x_t, eps_hat)
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
    t = check_int(t, "t", minimum=0, maximum=len(alpha_bar) - 1)
    t_prev = check_int(t_prev, "t_prev", minimum=-1, maximum=t - 1)
    eta = check_nonnegative(eta, "eta")
    ab_t = float(alpha_bar[t])
    ab_prev = float(alpha_bar[t_prev]) if t_prev >= 0 else 1.0
    x0_hat = predict_x0(x_t, t, alpha_bar, eps_hat)                                # (B, ...) x̂₀
    sigma = eta * ((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev)) ** 0.5
    x_prev = ab_prev ** 0.5 * x0_hat + max(1 - ab_prev - sigma ** 2, 0.0) ** 0.5 * eps_hat
    if sigma > 0:
        if z is None or not isinstance(z, torch.Tensor) or z.shape != x_t.shape:
            raise ValueError(f"z must be a standard normal tensor of shape {tuple(x_t.shape)} when eta > 0.")
        x_prev = x_prev + sigma * z
    return x_prev


@torch.no_grad()
def ddim_sample(eps_model: Callable, shape: tuple, alpha_bar, steps: int, generator: torch.Generator,
                eta: float = 0.0, x_T: torch.Tensor | None = None, progress: bool = False) -> torch.Tensor:
    """DDIM sampling in S ≪ T steps: from x_T ~ N(0, I) apply :func:`ddim_step` along :func:`ddim_timesteps`.

    Defined in :ref:`sec-diffusion-ddim` (Eq. :eq:`eq-diffusion-ddim`).

    Parameters
    ----------
    eps_model : callable
        ``eps_model(x_t, t)`` as in :func:`ddpm_sample`.
    shape : tuple of int
        (B, ...) shape of the samples.
    alpha_bar : (T,) array_like
    steps : int
        S, the number of network evaluations.
    generator : torch.Generator
        Draws x_T (unless given) and, with eta > 0, the noise of each step.
    eta : float
        0 (deterministic) … 1 (DDPM-like).
    x_T : (B, ...) Tensor, optional
        The starting noise; with eta = 0 the map x_T → x₀ is deterministic.
    progress : bool

    Returns
    -------
    (B, ...) Tensor

    Examples
    --------
    >>> x = ddim_sample(lambda x, t: torch.zeros_like(x), (3, 2), [0.9, 0.5], 2, torch.Generator().manual_seed(0))
    >>> tuple(x.shape)
    (3, 2)
    """
    check_generator(generator)
    taus = ddim_timesteps(len(alpha_bar), steps)                                       # (S,)
    if x_T is None:
        x = torch.randn(*shape, generator=generator)
    else:
        if not isinstance(x_T, torch.Tensor) or tuple(x_T.shape) != tuple(shape):
            raise ValueError(f"x_T must be a tensor of shape {tuple(shape)}.")
        x = x_T.clone()
    prevs = np.r_[-1, taus[:-1]]                                                      # (S,) the step each lands on
    for t, t_prev in _progress(list(zip(taus[::-1], prevs[::-1])), progress, "DDIM sampling"):
        eps_hat = eps_model(x, torch.full((shape[0],), int(t), dtype=torch.long))
        z = torch.randn(*shape, generator=generator) if eta > 0 else None
        x = ddim_step(x, int(t), int(t_prev), eps_hat, alpha_bar, eta, z)
    return x
