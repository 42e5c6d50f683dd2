"""Counterfactual explanations: the smallest change to the input that makes the model decide otherwise.

Chapter 18 (Explainability and fairness). For a linear score the smallest change has a closed form (a step
along the weight vector onto the boundary); for a network, proximal gradient descent on a margin loss plus a
distance penalty finds one (Wachter et al.). Pixel-space counterfactuals of an image classifier are often
adversarial-looking; diffusion-based methods keep them on the data manifold (the chapter's outlook).

References
----------
S. Wachter, B. Mittelstadt and C. Russell, "Counterfactual explanations without opening the black box",
Harvard Journal of Law & Technology 31(2), 2018.
N. Parikh and S. Boyd, "Proximal algorithms", Foundations and Trends in Optimization 1(3), 2014.
G. Jeanneret, L. Simon and F. Jurie, "Diffusion models for counterfactual explanations", ACCV 2022.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from coursekit.core.validation import check_array, check_choice, check_int, check_nonnegative, check_positive
from coursekit.training.loop import eval_mode

__all__ = ["linear_counterfactual", "target_margin", "Counterfactual", "gradient_counterfactual"]


def linear_counterfactual(w, b: float, x, margin: float = 0.0) -> np.ndarray:
    """The nearest point (in L2) at which the linear score w·x + b equals ``margin``.

    Defined in :ref:`sec-xai-counterfactuals` (Eq. :eq:`eq-xai-linear-cf`).

    Parameters
    ----------
    w : (d,) array_like
        Non-zero weights.
    b : float
    x : (d,) or (N, d) array_like
    margin : float
        The score to reach (0: the decision boundary).

    Returns
    -------
    ndarray of float64, the shape of ``x``
        x' = x + (margin − w·x − b) w / ‖w‖²: a step along w only, the direction in which the score
        changes fastest per unit of distance.

    Examples
    --------
    >>> linear_counterfactual(np.array([3.0, 4.0]), -5.0, np.array([0.0, 0.0]))
    array([0.6, 0.8])
    """
    w = check_array(np.asarray(w, dtype=np.float64), "w", ndim=1)
    x = check_array(np.asarray(x, dtype=np.float64), "x", ndim=(1, 2))
    if x.shape[-1] != w.shape[0]:
        raise ValueError(f"x must have {w.shape[0]} features (the length of w), got shape {x.shape}.")
    ww = float(w @ w)
    if ww == 0:
        raise ValueError("w must be non-zero: a constant score has no boundary to cross.")
    step = (margin - (x @ w + b)) / ww                                # (,) or (N,)
    return x + np.multiply.outer(step, w)


def target_margin(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """m_t = z_t − max_{j≠t} z_j: positive exactly when the model predicts the target class.

    Defined in :ref:`sec-xai-counterfactuals` (Eq. :eq:`eq-xai-cf-loss`).

    Parameters
    ----------
    logits : (B, K) Tensor
    target : (B,) Tensor of int64

    Returns
    -------
    (B,) Tensor

    Examples
    --------
    >>> target_margin(torch.tensor([[1.0, 3.0, 2.0]]), torch.tensor([2])).tolist()
    [-1.0]
    """
    if logits.ndim != 2 or target.shape != logits.shape[:1]:
        raise ValueError(f"need logits (B, K) and one target per row, got {tuple(logits.shape)} and "
                         f"{tuple(target.shape)}.")
    z_t = logits.gather(1, target[:, None])[:, 0]                    # (B,)
    others = logits.scatter(1, target[:, None], float("-inf"))        # (B, K) the target masked out
    return z_t - others.amax(dim=1)


class Counterfactual(NamedTuple):
    """What :func:`gradient_counterfactual` returns.

    Attributes
    ----------
    x : (B, C, H, W) Tensor
        The counterfactual images.
    delta : (B, C, H, W) Tensor
        x − the original.
    logits : (B, K) Tensor
        The model's logits on ``x``.
    success : (B,) ndarray of bool
        The model predicts the target on ``x``.

    Examples
    --------
    >>> Counterfactual(None, None, None, np.array([True])).success.tolist()
    [True]
    """

    x: torch.Tensor
    delta: torch.Tensor
    logits: torch.Tensor
    success: np.ndarray


def gradient_counterfactual(model: nn.Module, x: torch.Tensor, target, lam: float = 0.01, kappa: float = 1.0,
                            penalty: str = "l2", steps: int = 200, lr: float = 0.1,
                            bounds=(0.0, 1.0)) -> Counterfactual:
    """A counterfactual by proximal gradient descent on ½ max(0, κ − m_t(x + δ))² + λ R(δ).

    Defined in :ref:`sec-xai-counterfactuals` (Eq. :eq:`eq-xai-cf-loss`).

    Parameters
    ----------
    model : nn.Module
        A classifier returning logits (B, K); run in eval mode, weights untouched.
    x : (B, C, H, W) float tensor
    target : int or sequence of B ints
        The class the counterfactual should get.
    lam : float
        λ ≥ 0, the price of distance.
    kappa : float
        κ, the margin by which the target should win.
    penalty : {"l2", "l1"}
        R(δ) = ½‖δ‖² (spread-out changes) or ‖δ‖₁ (sparse changes: few pixels).
    steps : int
        Gradient steps.
    lr : float
        Step size η.
    bounds : (float, float) or None
        Keep x + δ in this box (the image's valid range).

    Returns
    -------
    Counterfactual

    Notes
    -----
    Each step: (1) a gradient step on the margin loss, δ ← δ − η ∇; (2) the proximal step of λR:
    δ ← δ / (1 + ηλ) for L2, soft-thresholding sign(δ)·``max(|δ| − ηλ, 0)`` for L1 (ISTA); (3) clip x + δ to the
    box (exact for these separable penalties). For a linear two-class model and L2 the minimiser is
    δ = (κ − m_0) w / (λ + ‖w‖²) with w = w_t − w_other: as λ → 0 it is :func:`linear_counterfactual`.

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    >>> x = torch.rand(3, 1, 2, 2, generator=torch.Generator().manual_seed(0))
    >>> cf = gradient_counterfactual(model, x, target=1, kappa=0.5, bounds=None)
    >>> cf.x.shape, bool(cf.success.all())
    (torch.Size([3, 1, 2, 2]), True)
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or not x.is_floating_point():
        raise ValueError(f"x must be a float tensor of shape (B, C, H, W), got {getattr(x, 'shape', type(x))}.")
    lam, lr = check_nonnegative(lam, "lam"), check_positive(lr, "lr")
    penalty = check_choice(penalty, "penalty", ("l2", "l1"))
    steps = check_int(steps, "steps")
    B = x.shape[0]
    t = torch.as_tensor(target, dtype=torch.int64).reshape(-1)
    t = t.expand(B).clone() if t.numel() == 1 else t
    if t.shape != (B,):
        raise ValueError(f"target must be one class or one per image (B = {B}), got {target!r}.")
    if bounds is not None and not (len(bounds) == 2 and bounds[0] < bounds[1]):
        raise ValueError(f"bounds must be (low, high) with low < high, or None, got {bounds!r}.")
    x0 = x.detach()
    delta = torch.zeros_like(x0)
    with eval_mode(model):
        for _ in range(steps):
            delta.requires_grad_(True)
            m = target_margin(model(x0 + delta), t)                  # (B,)
            loss = 0.5 * torch.clamp(kappa - m, min=0.0).pow(2).sum()   # images do not interact
            (g,) = torch.autograd.grad(loss, delta)
            with torch.no_grad():
                d = delta - lr * g                                   # (1) gradient step
                if penalty == "l2":                                  # (2) proximal step of λR
                    d = d / (1.0 + lr * lam)
                else:
                    d = torch.sign(d) * torch.clamp(d.abs() - lr * lam, min=0.0)
                if bounds is not None:                               # (3) stay a valid image
                    d = torch.clamp(x0 + d, bounds[0], bounds[1]) - x0
            delta = d.detach()
        with torch.no_grad():
            logits = model(x0 + delta)
    success = (logits.argmax(1) == t).numpy()
    return Counterfactual(x0 + delta, delta, logits, success)
