"""Steering a diffusion model towards a class y.

Classifier guidance (the gradient of a noisy classifier bends ε̂) and classifier-free guidance (one network
trained with and without its label, extrapolated).

Used by Chapter 17 (Generative models: diffusion).

References
----------
P. Dhariwal and A. Nichol, "Diffusion models beat GANs on image synthesis", NeurIPS 2021 (Algorithm 2,
classifier guidance on ε).
J. Ho and T. Salimans, "Classifier-free diffusion guidance", NeurIPS 2021 workshop / arXiv 2022.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from coursekit.core.validation import check_fraction, check_generator, check_int, check_nonnegative

__all__ = ["drop_labels", "cfg_eps", "cfg_model", "classifier_grad", "classifier_guided_eps",
           "classifier_guided_model"]


def drop_labels(y: torch.Tensor, p_uncond: float, null_label: int, generator: torch.Generator) -> torch.Tensor:
    """Label dropout for classifier-free guidance: replace each label by the null label ∅ with probability p.

    Defined in :ref:`sec-diffusion-cfg` (Eq. :eq:`eq-diffusion-cfg`).

    Parameters
    ----------
    y : (B,) long Tensor
        Labels 0 … K − 1.
    p_uncond : float
        Probability of dropping a label, in [0, 1] (Ho & Salimans use 0.1 to 0.2).
    null_label : int
        The index of ∅ (K for a model with K classes).
    generator : torch.Generator

    Returns
    -------
    (B,) long Tensor
        A new tensor; one network thus learns both ε̂(x_t, t, y) and ε̂(x_t, t, ∅).

    Examples
    --------
    >>> drop_labels(torch.arange(4), 1.0, 9, torch.Generator().manual_seed(0)).tolist()
    [9, 9, 9, 9]
    """
    if not isinstance(y, torch.Tensor) or y.dtype != torch.long or y.ndim != 1:
        raise ValueError(f"y must be a (B,) long tensor of labels, got {getattr(y, 'dtype', type(y).__name__)} "
                         f"{tuple(getattr(y, 'shape', ()))}.")
    p_uncond = check_fraction(p_uncond, "p_uncond")
    null_label = check_int(null_label, "null_label", minimum=0)
    check_generator(generator)
    drop = torch.rand(y.shape, generator=generator) < p_uncond          # (B,) bool
    return torch.where(drop, torch.full_like(y, null_label), y)


def cfg_eps(eps_cond: torch.Tensor, eps_uncond: torch.Tensor, w: float) -> torch.Tensor:
    """Classifier-free guidance: ε̃ = ε̂(x_t, ∅) + w (ε̂(x_t, y) − ε̂(x_t, ∅)).

    Defined in :ref:`sec-diffusion-cfg` (Eq. :eq:`eq-diffusion-cfg`).

    Parameters
    ----------
    eps_cond, eps_uncond : (B, ...) Tensor
        The conditional and unconditional noise predictions.
    w : float
        Guidance scale, >= 0: 0 is unconditional, 1 is plain conditional, > 1 extrapolates away from ∅
        (Ho & Salimans' weight is w − 1).

    Returns
    -------
    (B, ...) Tensor

    Examples
    --------
    >>> cfg_eps(torch.tensor([1.0]), torch.tensor([0.5]), 3.0).tolist()
    [2.0]
    """
    if not isinstance(eps_cond, torch.Tensor) or not isinstance(eps_uncond, torch.Tensor):
        raise ValueError("eps_cond and eps_uncond must be torch tensors.")
    if eps_cond.shape != eps_uncond.shape:
        raise ValueError(f"eps_cond {tuple(eps_cond.shape)} and eps_uncond {tuple(eps_uncond.shape)} must have "
                         "the same shape.")
    w = check_nonnegative(w, "w")
    return eps_uncond + w * (eps_cond - eps_uncond)


def cfg_model(model: Callable, y: torch.Tensor, w: float, null_label: int) -> Callable:
    """A noise predictor ``(x_t, t) -> ε̃`` that applies :func:`cfg_eps` with one batched call of ``model``.

    Defined in :ref:`sec-diffusion-cfg` (Eq. :eq:`eq-diffusion-cfg`).

    Parameters
    ----------
    model : callable
        ``model(x_t, t, y)`` returning ε̂, e.g. a conditional :class:`coursekit.models.denoiser.Denoiser`.
    y : (B,) long Tensor
        The requested labels.
    w : float
        Guidance scale (see :func:`cfg_eps`).
    null_label : int
        The index of ∅.

    Returns
    -------
    callable
        For :func:`coursekit.generative.samplers.ddpm_sample` or ``ddim_sample``.

    Examples
    --------
    >>> f = cfg_model(lambda x, t, y: x * (y[:, None] == 0), torch.tensor([0]), 2.0, 1)
    >>> f(torch.ones(1, 2), torch.zeros(1, dtype=torch.long)).tolist()
    [[2.0, 2.0]]
    """
    w = check_nonnegative(w, "w")
    null_label = check_int(null_label, "null_label", minimum=0)

    def eps(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        B = x_t.shape[0]
        if y.shape != (B,):
            raise ValueError(f"y must hold one label per sample, shape ({B},), got {tuple(y.shape)}.")
        both = model(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([y, torch.full_like(y, null_label)]))
        return cfg_eps(both[:B], both[B:], w)                      # (B, ...)

    return eps


def classifier_grad(classifier: Callable, x_t: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """∇_{x_t} log p_φ(y | x_t, t): the gradient of a noisy classifier's log-probability of the target class.

    Defined in :ref:`sec-diffusion-classifier-guidance` (Eq. :eq:`eq-diffusion-classifier-guidance`).

    Parameters
    ----------
    classifier : callable
        ``classifier(x_t, t)`` returning (B, K) logits; trained on noisy x_t at every step.
    x_t : (B, ...) Tensor
    t : (B,) long Tensor
    y : (B,) long Tensor

    Returns
    -------
    (B, ...) Tensor
        Detached, the shape of ``x_t``; each row is the gradient of its own example's log p (the log-probs of
        a batch are summed, and example i's depends only on x_i).

    Examples
    --------
    >>> g = classifier_grad(lambda x, t: torch.cat([x, -x], 1), torch.zeros(1, 1), torch.zeros(1, dtype=torch.long),
    ...                     torch.tensor([0]))
    >>> g.tolist()
    [[1.0]]
    """
    if not isinstance(y, torch.Tensor) or y.dtype != torch.long or y.shape != (x_t.shape[0],):
        raise ValueError(f"y must be a ({x_t.shape[0]},) long tensor of target classes.")
    with torch.enable_grad():
        x = x_t.detach().requires_grad_(True)
        log_p = F.log_softmax(classifier(x, t), dim=1)                # (B, K)
        selected = log_p.gather(1, y[:, None]).sum()
        (grad,) = torch.autograd.grad(selected, x)
    return grad


def classifier_guided_eps(eps_hat: torch.Tensor, grad: torch.Tensor, alpha_bar_t: float, s: float) -> torch.Tensor:
    """Classifier guidance on the noise: ε̃ = ε̂ − s √(1 − ᾱ_t) ∇_{x_t} log p_φ(y | x_t).

    Defined in :ref:`sec-diffusion-classifier-guidance` (Eq. :eq:`eq-diffusion-classifier-guidance`).

    Parameters
    ----------
    eps_hat : (B, ...) Tensor
        The unconditional prediction.
    grad : (B, ...) Tensor
        :func:`classifier_grad` at the same x_t.
    alpha_bar_t : float
        ᾱ_t of the current step, in (0, 1].
    s : float
        Guidance scale, >= 0.

    Returns
    -------
    (B, ...) Tensor

    Notes
    -----
    Since ε̂ = −√(1 − ᾱ_t) ∇ log p(x_t), this adds s ∇ log p(y | x_t) to the score: sampling then follows
    p(x_t) p(y | x_t)^s, Bayes' rule for p(x_t | y) at s = 1.

    Examples
    --------
    >>> classifier_guided_eps(torch.tensor([1.0]), torch.tensor([2.0]), 0.75, 1.0).tolist()
    [0.0]
    """
    if eps_hat.shape != grad.shape:
        raise ValueError(f"grad {tuple(grad.shape)} must have the shape of eps_hat {tuple(eps_hat.shape)}.")
    if not 0 < float(alpha_bar_t) <= 1:
        raise ValueError(f"alpha_bar_t must lie in (0, 1], got {alpha_bar_t}.")
    s = check_nonnegative(s, "s")
    return eps_hat - s * (1.0 - alpha_bar_t) ** 0.5 * grad


def classifier_guided_model(eps_model: Callable, classifier: Callable, y: torch.Tensor, alpha_bar,
                            s: float) -> Callable:
    """A noise predictor ``(x_t, t) -> ε̃`` that applies :func:`classifier_guided_eps` at every step.

    Defined in :ref:`sec-diffusion-classifier-guidance` (Eq. :eq:`eq-diffusion-classifier-guidance`).

    Parameters
    ----------
    eps_model : callable
        Unconditional ``eps_model(x_t, t)``.
    classifier : callable
        Noisy classifier ``classifier(x_t, t)`` -> (B, K) logits.
    y : (B,) long Tensor
    alpha_bar : (T,) array_like
    s : float

    Returns
    -------
    callable

    Examples
    --------
    >>> f = classifier_guided_model(lambda x, t: torch.zeros_like(x), lambda x, t: torch.cat([x, -x], 1),
    ...                             torch.tensor([0]), [0.75], 1.0)
    >>> f(torch.zeros(1, 1), torch.zeros(1, dtype=torch.long)).tolist()
    [[-0.5]]
    """
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
    s = check_nonnegative(s, "s")

    def eps(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        grad = classifier_grad(classifier, x_t, t, y)
        return classifier_guided_eps(eps_model(x_t, t), grad, float(alpha_bar[int(t[0])]), s)

    return eps
