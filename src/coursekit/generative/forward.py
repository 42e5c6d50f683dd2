"""The forward (noising) process of a diffusion model.

One step q(x_t | x_{t-1}), its closed form q(x_t | x_0), the posterior q(x_{t-1} | x_t, x_0), and the
clean-data estimate x̂₀ from a noise prediction.

Used by Chapter 17 (Generative models: diffusion). Every function takes NumPy arrays or torch tensors
(the same type for all array arguments) and returns the same type; ``t`` holds 0-based step indices.

References
----------
J. Sohl-Dickstein, E. Weiss, N. Maheswaranathan and S. Ganguli, "Deep unsupervised learning using
nonequilibrium thermodynamics", ICML 2015.
J. Ho, A. Jain and P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020 (Eqs. 2, 4, 6, 7).
"""

from __future__ import annotations

import numpy as np
import torch

from coursekit.core.validation import check_int, check_rng

__all__ = ["forward_step", "q_sample", "iterate_forward", "posterior_mean_variance", "predict_x0"]


def _schedule_at(values, t, x):
    """``values[t]`` as the type and dtype of ``x``, shaped (B, 1, …, 1) to broadcast over x's other axes."""
    if isinstance(x, torch.Tensor):
        v = torch.as_tensor(np.asarray(values), dtype=x.dtype)[torch.as_tensor(t, dtype=torch.long)]
    elif isinstance(x, np.ndarray):
        v = np.asarray(values, dtype=np.float64)[np.asarray(t, dtype=np.int64)]
    else:
        raise ValueError(f"x must be a NumPy array or a torch tensor, got {type(x).__name__}.")
    if v.ndim == 0:
        return v
    if v.shape[0] != x.shape[0]:
        raise ValueError(f"t must be one step index or one per example (length {x.shape[0]}), got {v.shape[0]}.")
    return v.reshape(v.shape[0], *([1] * (x.ndim - 1)))


def _check_steps(t, T: int):
    t_arr = np.asarray(t.detach().cpu() if isinstance(t, torch.Tensor) else t)
    if t_arr.dtype.kind not in "iu" or t_arr.ndim > 1:
        raise ValueError(f"t must be an integer step index or a 1-D array of them, got {t_arr.dtype} of shape "
                         f"{t_arr.shape}.")
    if t_arr.size and (t_arr.min() < 0 or t_arr.max() >= T):
        raise ValueError(f"t must lie in 0 … {T - 1} (0-based steps of a {T}-step schedule), "
                         f"got values in [{t_arr.min()}, {t_arr.max()}].")


def _check_same_shape(x, eps, names=("x", "eps")):
    if type(x) is not type(eps) or tuple(x.shape) != tuple(eps.shape):
        raise ValueError(f"{names[1]} must be the same type and shape as {names[0]}: got "
                         f"{type(eps).__name__} {tuple(getattr(eps, 'shape', ()))} and {type(x).__name__} "
                         f"{tuple(getattr(x, 'shape', ()))}.")


def forward_step(x_prev, beta_t: float, eps):
    """One step of the forward process: x_t = √(1 − β_t) x_{t−1} + √β_t ε, a draw of q(x_t | x_{t−1}).

    Defined in :ref:`sec-diffusion-forward` (Eq. :eq:`eq-diffusion-forward-step`).

    Parameters
    ----------
    x_prev : (B, ...) ndarray or Tensor
        The sample at step t − 1.
    beta_t : float
        The variance added at this step, in (0, 1).
    eps : (B, ...) ndarray or Tensor
        Standard normal noise, same type and shape as ``x_prev``.

    Returns
    -------
    (B, ...) ndarray or Tensor

    Examples
    --------
    >>> forward_step(np.array([2.0]), 0.36, np.array([1.0])).tolist()
    [2.2]
    """
    _check_same_shape(x_prev, eps, ("x_prev", "eps"))
    if not 0 < float(beta_t) < 1:
        raise ValueError(f"beta_t must lie in (0, 1), got {beta_t}.")
    return (1.0 - beta_t) ** 0.5 * x_prev + beta_t ** 0.5 * eps


def q_sample(x0, t, alpha_bar, eps):
    """The closed form of the forward process: x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε, a draw of q(x_t | x₀).

    Defined in :ref:`sec-diffusion-forward` (Eq. :eq:`eq-diffusion-closed-form`).

    Parameters
    ----------
    x0 : (B, ...) ndarray or Tensor
        Clean data (images, latents z₀ or 2-D points).
    t : int or (B,) int array/Tensor
        0-based step of each example.
    alpha_bar : (T,) array_like
        ᾱ of the schedule (:func:`coursekit.generative.schedules.alpha_bars`).
    eps : (B, ...) ndarray or Tensor
        Standard normal noise, same type and shape as ``x0``.

    Returns
    -------
    (B, ...) ndarray or Tensor
        x_t, of the type of ``x0``.

    Notes
    -----
    Composing t one-step Gaussians gives one Gaussian: the means multiply to √ᾱ_t and the variances add up to
    1 − ᾱ_t. So training can jump to any step in one draw. Applied to an autoencoder's latents z₀ it is the
    forward process of latent diffusion, z_t = √ᾱ_t z₀ + √(1 − ᾱ_t) ε.

    Examples
    --------
    >>> q_sample(np.array([[1.0, 1.0]]), 0, np.array([0.64]), np.array([[0.0, 1.0]])).tolist()
    [[0.8, 1.4]]
    """
    _check_same_shape(x0, eps, ("x0", "eps"))
    _check_steps(t, len(alpha_bar))
    ab = _schedule_at(alpha_bar, t, x0)                       # (B, 1, …) or a scalar
    return ab ** 0.5 * x0 + (1.0 - ab) ** 0.5 * eps


def iterate_forward(x0: np.ndarray, betas, t: int, rng: np.random.Generator) -> np.ndarray:
    """Apply :func:`forward_step` t + 1 times (steps 1 … t + 1 of the paper) with fresh noise each time.

    Defined in :ref:`sec-diffusion-forward` (Eq. :eq:`eq-diffusion-forward-step`).

    Parameters
    ----------
    x0 : (B, ...) ndarray
        Clean data.
    betas : (T,) array_like
        The schedule.
    t : int
        0-based last step, 0 <= t < T.
    rng : np.random.Generator
        Draws the noise of every step.

    Returns
    -------
    (B, ...) ndarray
        A draw of x_t whose distribution equals :func:`q_sample`'s (the Monte-Carlo test of the chapter).

    Examples
    --------
    >>> x = iterate_forward(np.zeros((4, 2)), [0.1, 0.2], 1, np.random.default_rng(0))
    >>> x.shape
    (4, 2)
    """
    if not isinstance(x0, np.ndarray):
        raise ValueError(f"x0 must be a NumPy array, got {type(x0).__name__}.")
    betas = np.asarray(betas, dtype=np.float64)
    t = check_int(t, "t", minimum=0, maximum=len(betas) - 1)
    check_rng(rng)
    x = x0.astype(np.float64)
    for s in range(t + 1):
        x = forward_step(x, betas[s], rng.standard_normal(x.shape))
    return x


def posterior_mean_variance(x0, x_t, t: int, betas):
    """Mean and variance of the forward posterior q(x_{t−1} | x_t, x₀), the target of each reverse step.

    Defined in :ref:`sec-diffusion-reverse` (Eq. :eq:`eq-diffusion-posterior`).

    Parameters
    ----------
    x0, x_t : (B, ...) ndarray or Tensor
        Clean data and its noisy version at 0-based step t.
    t : int
        0-based step, 1 <= t < T (at t = 0 the posterior is a point mass on x₀).
    betas : (T,) array_like

    Returns
    -------
    mean : (B, ...) ndarray or Tensor
        μ̃ = √ᾱ_{t−1} β_t/(1 − ᾱ_t) x₀ + √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) x_t.
    variance : float
        β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) β_t, always below β_t.

    Examples
    --------
    >>> m, v = posterior_mean_variance(np.zeros(1), np.ones(1), 1, [0.5, 0.5])
    >>> m.round(4).tolist(), round(v, 4)
    ([0.4714], 0.3333)
    """
    _check_same_shape(x0, x_t, ("x0", "x_t"))
    betas = np.asarray(betas, dtype=np.float64)
    t = check_int(t, "t", minimum=1, maximum=len(betas) - 1)
    ab = np.cumprod(1.0 - betas)
    beta, ab_t, ab_prev = betas[t], ab[t], ab[t - 1]
    mean = (ab_prev ** 0.5 * beta / (1 - ab_t)) * x0 + ((1 - beta) ** 0.5 * (1 - ab_prev) / (1 - ab_t)) * x_t
    return mean, float((1 - ab_prev) / (1 - ab_t) * beta)


def predict_x0(x_t, t, alpha_bar, eps_hat):
    """The clean-data estimate x̂₀ = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t: the closed form solved for x₀.

    Defined in :ref:`sec-diffusion-reverse` (Eq. :eq:`eq-diffusion-x0-hat`).

    Parameters
    ----------
    x_t : (B, ...) ndarray or Tensor
        Noisy samples.
    t : int or (B,) int array/Tensor
        0-based steps.
    alpha_bar : (T,) array_like
    eps_hat : (B, ...) ndarray or Tensor
        The predicted noise ε̂_θ(x_t, t), same type and shape as ``x_t``.

    Returns
    -------
    (B, ...) ndarray or Tensor
        x̂₀; with the true ε it recovers x₀ exactly (up to rounding).

    Examples
    --------
    >>> predict_x0(np.array([[0.8, 1.4]]), 0, np.array([0.64]), np.array([[0.0, 1.0]])).round(12).tolist()
    [[1.0, 1.0]]
    """
    _check_same_shape(x_t, eps_hat, ("x_t", "eps_hat"))
    _check_steps(t, len(alpha_bar))
    ab = _schedule_at(alpha_bar, t, x_t)
    return (x_t - (1.0 - ab) ** 0.5 * eps_hat) / ab ** 0.5
