"""Monocular depth metrics: AbsRel, SqRel, RMSE, RMSE(log) and the threshold accuracies δ < 1.25^k.

Chapter 6 (Segmentation and depth). These are the numbers in the tables of every monocular-depth paper since
Eigen et al. (2014), computed over the valid pixels (depth > 0) of the evaluation set. Relative-depth models
(MiDaS) are first aligned to the ground truth by a scale and a shift (:mod:`coursekit.dense.depth`), then scored
with the same metrics.

References
----------
D. Eigen, C. Puhrsch and R. Fergus, "Depth map prediction from a single image using a multi-scale deep
network", NeurIPS 2014 (the metric set and the δ thresholds).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int

__all__ = ["abs_rel", "sq_rel", "rmse", "rmse_log", "delta_accuracy", "depth_metrics"]


def _valid(pred, target, mask=None):
    """The valid pixels as two flat float64 arrays: target > 0 (and ``mask``); pred must be > 0 there."""
    pred = check_array(pred, "pred", dtype_kind="fiu")
    target = check_array(target, "target", dtype_kind="fiu", shape=pred.shape)
    keep = target > 0
    if mask is not None:
        keep &= check_array(mask, "mask", dtype_kind="b", shape=pred.shape)
    if not keep.any():
        raise ValueError("no valid pixel: the target must be > 0 somewhere (and inside mask, if given).")
    p, t = pred[keep].astype(np.float64), target[keep].astype(np.float64)   # (P,), (P,)
    if np.any(p <= 0):
        raise ValueError("pred must be > 0 on every valid pixel (a depth); clip it, e.g. np.maximum(pred, 1e-3).")
    return p, t


def abs_rel(pred, target, mask=None) -> float:
    """Mean absolute relative error ``mean |d - d*| / d*``.

    Defined in :ref:`sec-depth-metrics` (Eq. :eq:`eq-depth-errors`).

    Parameters
    ----------
    pred, target : (...) ndarray of float
        Predicted depth ``d`` and ground truth ``d*``; pixels with ``d* <= 0`` are invalid and skipped.
    mask : (...) ndarray of bool, optional
        Further restricts the valid pixels.

    Returns
    -------
    float

    Examples
    --------
    >>> round(abs_rel(np.array([1.1, 1.8]), np.array([1.0, 2.0])), 6)
    0.1
    """
    p, t = _valid(pred, target, mask)
    return float(np.mean(np.abs(p - t) / t))


def sq_rel(pred, target, mask=None) -> float:
    """Mean squared relative error ``mean (d - d*)^2 / d*`` (in units of depth, not dimensionless).

    Defined in :ref:`sec-depth-metrics` (Eq. :eq:`eq-depth-errors`).

    Examples
    --------
    >>> round(sq_rel(np.array([1.1, 1.8]), np.array([1.0, 2.0])), 6)
    0.015
    """
    p, t = _valid(pred, target, mask)
    return float(np.mean((p - t) ** 2 / t))


def rmse(pred, target, mask=None) -> float:
    """Root mean squared error ``sqrt(mean (d - d*)^2)``, in units of depth.

    Defined in :ref:`sec-depth-metrics` (Eq. :eq:`eq-depth-errors`).

    Examples
    --------
    >>> round(rmse(np.array([1.1, 1.8]), np.array([1.0, 2.0])), 6)
    0.158114
    """
    p, t = _valid(pred, target, mask)
    return float(np.sqrt(np.mean((p - t) ** 2)))


def rmse_log(pred, target, mask=None) -> float:
    """RMSE of log depths ``sqrt(mean (log d - log d*)^2)``: errors as ratios, near and far alike.

    Defined in :ref:`sec-depth-metrics` (Eq. :eq:`eq-depth-errors`).

    Examples
    --------
    >>> round(rmse_log(np.array([2.0, 2.0]), np.array([1.0, 4.0])), 6)   # a factor 2 off either way
    0.693147
    """
    p, t = _valid(pred, target, mask)
    return float(np.sqrt(np.mean((np.log(p) - np.log(t)) ** 2)))


def delta_accuracy(pred, target, k: int = 1, mask=None, base: float = 1.25) -> float:
    """Fraction of pixels whose ratio ``max(d / d*, d* / d)`` is below ``base ** k``.

    Defined in :ref:`sec-depth-metrics` (Eq. :eq:`eq-delta-threshold`).

    Parameters
    ----------
    pred, target : (...) ndarray of float
    k : int
        The threshold exponent: papers report k = 1, 2, 3 (1.25, 1.5625, 1.953125).
    mask : (...) ndarray of bool, optional
    base : float
        1.25 by convention.

    Returns
    -------
    float
        In [0, 1]; higher is better.

    Examples
    --------
    >>> delta_accuracy(np.array([1.0, 1.2, 1.3, 3.0]), np.ones(4))
    0.5
    """
    k = check_int(k, "k", minimum=1)
    p, t = _valid(pred, target, mask)
    ratio = np.maximum(p / t, t / p)                                    # (P,) >= 1, symmetric in over/under
    return float(np.mean(ratio < base ** k))


def depth_metrics(pred, target, mask=None) -> dict:
    """All the standard depth metrics at once, as a dict.

    Defined in :ref:`sec-depth-metrics`.

    Returns
    -------
    dict of str to float
        ``abs_rel, sq_rel, rmse, rmse_log, delta1, delta2, delta3``.

    Examples
    --------
    >>> m = depth_metrics(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    >>> m["abs_rel"], m["delta1"]
    (0.0, 1.0)
    """
    out = {"abs_rel": abs_rel(pred, target, mask), "sq_rel": sq_rel(pred, target, mask),
           "rmse": rmse(pred, target, mask), "rmse_log": rmse_log(pred, target, mask)}
    for k in (1, 2, 3):
        out[f"delta{k}"] = delta_accuracy(pred, target, k, mask)
    return out
