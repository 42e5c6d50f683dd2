"""Optical-flow metrics: endpoint error (EPE) and angular error.

Chapter 16 (Video) scores Lucas–Kanade, Horn–Schunck and OpenCV's flows with them against the exact flow of
the generated clips in :mod:`coursekit.data.video`.

References
----------
J. L. Barron, D. J. Fleet and S. S. Beauchemin, "Performance of optical flow techniques", IJCV 12, 1994
(the angular error between (u, v, 1) vectors).
S. Baker et al., "A database and evaluation methodology for optical flow", IJCV 92, 2011 (endpoint error).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array

__all__ = ["endpoint_error", "angular_error", "average_endpoint_error"]


def _pair(flow, flow_gt) -> tuple[np.ndarray, np.ndarray]:
    """Both flows as float64 arrays of the same shape (..., 2); check_array refuses NaN and infinity."""
    flow = check_array(flow, "flow", dtype_kind="fiu")
    flow_gt = check_array(flow_gt, "flow_gt", dtype_kind="fiu", shape=flow.shape)
    if flow.ndim < 1 or flow.shape[-1] != 2:
        raise ValueError(f"flow must have shape (..., 2) holding (dx, dy), got {flow.shape}.")
    return flow.astype(np.float64), flow_gt.astype(np.float64)


def endpoint_error(flow, flow_gt) -> np.ndarray:
    """Endpoint error ``‖(u, v) − (u*, v*)‖₂`` of every flow vector, in pixels.

    Defined in :ref:`sec-video-flow-metrics` (Eq. :eq:`eq-video-epe`).

    Parameters
    ----------
    flow : (..., 2) ndarray of float
        Estimated flow ``(dx, dy)``, e.g. (H, W, 2) or (N, 2).
    flow_gt : (..., 2) ndarray of float
        Ground truth of the same shape.

    Returns
    -------
    (...) ndarray of float64
        The Euclidean distance between the two end points, ``>= 0``.

    Examples
    --------
    >>> endpoint_error(np.array([[3.0, 4.0]]), np.zeros((1, 2))).tolist()
    [5.0]
    """
    flow, flow_gt = _pair(flow, flow_gt)
    return np.linalg.norm(flow - flow_gt, axis=-1)                   # (...)


def average_endpoint_error(flow, flow_gt, mask=None) -> float:
    """Mean endpoint error (AEE / EPE) over the pixels of ``mask`` (all pixels by default).

    Defined in :ref:`sec-video-flow-metrics` (Eq. :eq:`eq-video-epe`).

    Parameters
    ----------
    flow, flow_gt : (..., 2) ndarray of float
    mask : (...) ndarray of bool, optional
        The pixels to average over (e.g. away from the border or from occlusions); must select at least one.

    Returns
    -------
    float

    Examples
    --------
    >>> average_endpoint_error(np.array([[3.0, 4.0], [0.0, 1.0]]), np.zeros((2, 2)))
    3.0
    """
    epe = endpoint_error(flow, flow_gt)
    if mask is None:
        return float(epe.mean())
    mask = check_array(mask, "mask", dtype_kind="b", shape=epe.shape)
    if not mask.any():
        raise ValueError("mask selects no pixel: nothing to average.")
    return float(epe[mask].mean())


def angular_error(flow, flow_gt) -> np.ndarray:
    """Angle in degrees between the space-time vectors ``(u, v, 1)`` and ``(u*, v*, 1)`` (Barron et al.).

    Defined in :ref:`sec-video-flow-metrics` (Eq. :eq:`eq-video-angular-error`).

    Parameters
    ----------
    flow, flow_gt : (..., 2) ndarray of float
        Estimated and true flow ``(dx, dy)``.

    Returns
    -------
    (...) ndarray of float64
        Angles in [0, 180) degrees. The appended 1 keeps the angle defined for zero flow; it also makes the
        error depend on the magnitude (a small wrong vector errs by a small angle).

    Examples
    --------
    >>> round(float(angular_error(np.array([1.0, 0.0]), np.zeros(2))), 6)
    45.0
    """
    flow, flow_gt = _pair(flow, flow_gt)
    dot = 1.0 + np.sum(flow * flow_gt, axis=-1)                                    # (...) (u, v, 1)·(u*, v*, 1)
    norms = np.sqrt(1.0 + np.sum(flow ** 2, axis=-1)) * np.sqrt(1.0 + np.sum(flow_gt ** 2, axis=-1))
    return np.degrees(np.arccos(np.clip(dot / norms, -1.0, 1.0)))
