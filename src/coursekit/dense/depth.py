"""Relative depth: least-squares scale-and-shift alignment and the scale-and-shift-invariant loss (MiDaS).

Chapter 6 (Segmentation and depth). A single image cannot tell a toy car at 1 m from a real car at 10 m, and
datasets disagree about units and camera offsets; MiDaS therefore learns depth (in practice inverse depth,
*disparity*) only up to an unknown scale s and shift t. Its loss first aligns the prediction to the ground truth
with the best s and t — a 2-parameter linear least-squares problem with a closed-form answer — and then measures
what is left. Aligned predictions can be scored with the usual metrics (:mod:`coursekit.metrics.depth`).

We require ``s >= 0``: the unconstrained fit would also forgive a prediction that has near and far swapped
(s < 0); with the constraint, the loss is 0 exactly for positive affine maps of the ground truth.

References
----------
R. Ranftl, K. Lasinger, D. Hafner, K. Schindler and V. Koltun, "Towards robust monocular depth estimation:
mixing datasets for zero-shot cross-dataset transfer", TPAMI 44(3), 2022 (arXiv 2019), Eqs. 1-4.
D. Eigen, C. Puhrsch and R. Fergus, "Depth map prediction from a single image using a multi-scale deep network",
NeurIPS 2014 (the scale-invariant log loss).
"""

from __future__ import annotations

import numpy as np
import torch

from coursekit.core.validation import check_array, check_fraction, check_shape

__all__ = ["align_scale_shift", "ssi_loss", "ssi_loss_torch", "scale_invariant_log_loss"]


def _flat(pred, target, mask):
    pred = check_array(pred, "pred", dtype_kind="fiu")
    target = check_array(target, "target", dtype_kind="fiu", shape=pred.shape)
    keep = np.ones(pred.shape, bool) if mask is None else check_array(mask, "mask", dtype_kind="b", shape=pred.shape)
    if keep.sum() < 2:
        raise ValueError("need at least 2 valid pixels to fit a scale and a shift.")
    return pred[keep].astype(np.float64), target[keep].astype(np.float64)     # (M,), (M,)


def align_scale_shift(pred, target, mask=None, nonnegative: bool = True) -> tuple[float, float]:
    """The scale s and shift t minimising ``sum_i (s d_i + t - d*_i)^2`` over the valid pixels.

    Defined in :ref:`sec-depth-ssi` (Eq. :eq:`eq-scale-shift-alignment`).

    Parameters
    ----------
    pred, target : (...) ndarray of float
        Prediction d and ground truth d* (any shape, the same for both; usually disparities).
    mask : (...) ndarray of bool, optional
        Valid pixels (default: all).
    nonnegative : bool
        Constrain ``s >= 0`` (default). If the free optimum has s < 0, the constrained one is ``s = 0,
        t = mean(d*)``; the same holds when the prediction is constant.

    Returns
    -------
    s, t : float

    Notes
    -----
    The normal equations of the 2-parameter problem, with sums over the M valid pixels, are

    ``[[Σ d², Σ d], [Σ d, M]] [s, t]ᵀ = [Σ d d*, Σ d*]ᵀ``,

    whose solution is ``s = cov(d, d*) / var(d)`` and ``t = mean(d*) - s mean(d)``.

    Examples
    --------
    >>> d = np.array([1.0, 2.0, 3.0])
    >>> align_scale_shift(d, 2 * d + 5)
    (2.0, 5.0)
    """
    d, g = _flat(pred, target, mask)
    dc = d - d.mean()                                                   # (M,) centred prediction
    var = np.dot(dc, dc)
    s = np.dot(dc, g - g.mean()) / var if var > 1e-300 else 0.0
    if nonnegative and s < 0:
        s = 0.0
    return float(s), float(g.mean() - s * d.mean())


def ssi_loss(pred, target, mask=None, nonnegative: bool = True) -> float:
    """Scale-and-shift-invariant loss ``(1 / 2M) sum_i (s d_i + t - d*_i)^2`` with the aligned s, t.

    Defined in :ref:`sec-depth-ssi` (Eq. :eq:`eq-ssi-loss`).

    Parameters
    ----------
    pred, target : (...) ndarray of float
    mask : (...) ndarray of bool, optional
    nonnegative : bool
        See :func:`align_scale_shift`.

    Returns
    -------
    float
        >= 0; exactly 0 (to rounding) iff the prediction is a positive affine map of the ground truth on the
        valid pixels (or the ground truth is constant there).

    Examples
    --------
    >>> g = np.array([1.0, 2.0, 4.0])
    >>> ssi_loss(3 * g - 1, g) < 1e-12, ssi_loss(-g, g) > 0
    (True, True)
    """
    d, g = _flat(pred, target, mask)
    s, t = align_scale_shift(d, g, nonnegative=nonnegative)
    return float(np.mean((s * d + t - g) ** 2) / 2)


def ssi_loss_torch(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None,
                   nonnegative: bool = True) -> torch.Tensor:
    """Batched, differentiable :func:`ssi_loss`: one alignment per image, the mean over the batch.

    Defined in :ref:`sec-depth-ssi` (Eq. :eq:`eq-ssi-loss`).

    Parameters
    ----------
    pred, target : (B, H, W) Tensor of float
    mask : (B, H, W) Tensor of bool, optional
        At least 2 valid pixels per image.
    nonnegative : bool

    Returns
    -------
    () Tensor
        Gradients flow through s and t too (they are differentiable functions of the prediction).

    Examples
    --------
    >>> g = torch.rand(2, 4, 4, generator=torch.Generator().manual_seed(0))
    >>> float(ssi_loss_torch(0.5 * g + 2, g)) < 1e-12
    True
    """
    sizes = check_shape(pred, "B H W", "pred")
    check_shape(target, "B H W", "target", **sizes)
    if mask is None:
        mask = torch.ones_like(pred, dtype=torch.bool)
    check_shape(mask, "B H W", "mask", **sizes)
    if mask.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor, got {mask.dtype}.")
    m = mask.to(pred.dtype)                                             # (B, H, W) 1 on valid pixels
    M = m.sum(dim=(1, 2))                                               # (B,)
    if (M < 2).any():
        raise ValueError("every image needs at least 2 valid pixels to fit a scale and a shift.")
    mean_d = (m * pred).sum(dim=(1, 2)) / M                             # (B,)
    mean_g = (m * target).sum(dim=(1, 2)) / M
    dc = (pred - mean_d[:, None, None]) * m                             # (B, H, W) centred, 0 off the mask
    gc = (target - mean_g[:, None, None]) * m
    var = (dc * dc).sum(dim=(1, 2))                                     # (B,)
    s = (dc * gc).sum(dim=(1, 2)) / var.clamp_min(1e-12)
    if nonnegative:
        s = s.clamp_min(0.0)
    t = mean_g - s * mean_d
    r = (s[:, None, None] * pred + t[:, None, None] - target) * m       # (B, H, W) residuals
    return ((r * r).sum(dim=(1, 2)) / (2 * M)).mean()


def scale_invariant_log_loss(pred, target, lam: float = 1.0, mask=None) -> float:
    """Eigen et al.'s loss ``(1/M) sum δ_i² - (λ / M²) (sum δ_i)²`` with ``δ_i = log d_i - log d*_i``.

    Defined in :ref:`sec-depth-ssi`.

    Parameters
    ----------
    pred, target : (...) ndarray of float
        Positive depths.
    lam : float
        λ in [0, 1]: 0 is plain MSE of log depths, 1 makes it blind to a global scale (the variance of δ).
    mask : (...) ndarray of bool, optional

    Returns
    -------
    float

    Examples
    --------
    >>> g = np.array([1.0, 2.0, 4.0])
    >>> abs(scale_invariant_log_loss(3 * g, g, lam=1.0)) < 1e-12, round(scale_invariant_log_loss(3 * g, g, lam=0.0), 4)
    (True, 1.2069)
    """
    lam = check_fraction(lam, "lam")
    d, g = _flat(pred, target, mask)
    if np.any(d <= 0) or np.any(g <= 0):
        raise ValueError("pred and target must be positive depths for a log loss.")
    delta = np.log(d) - np.log(g)                                       # (M,)
    return float(np.mean(delta ** 2) - lam * np.mean(delta) ** 2)
