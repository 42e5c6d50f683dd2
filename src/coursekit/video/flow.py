"""Optical flow from brightness constancy: Lucas–Kanade (local least squares) and Horn–Schunck (global smoothness).

Chapter 16 (Video). Both methods linearise brightness constancy ``I(x + u, t + 1) = I(x, t)`` into the optical
flow constraint ``I_x u + I_y v + I_t = 0`` (one equation, two unknowns: the aperture problem) and add what is
missing: Lucas–Kanade assumes the flow is constant over a window and solves a 2×2 least-squares system per
pixel; Horn–Schunck asks the flow field to be smooth and solves for all pixels together by Jacobi iterations.
Both run coarse to fine (a Gaussian pyramid) and re-linearise after warping, so they handle motions of a few
pixels. Tests compare them with ``cv2.calcOpticalFlowPyrLK`` and ``cv2.calcOpticalFlowFarneback`` on clips with
exact flow.

Flow convention (as :mod:`coursekit.data.video`): ``flow[i, j] = (dx, dy)`` moves the point at pixel
``(x, y) = (j, i)`` of ``frame0`` to ``(x + dx, y + dy)`` in ``frame1``.

References
----------
B. D. Lucas and T. Kanade, "An iterative image registration technique with an application to stereo vision",
IJCAI 1981.
B. K. P. Horn and B. G. Schunck, "Determining optical flow", Artificial Intelligence 17, 1981.
J.-Y. Bouguet, "Pyramidal implementation of the Lucas Kanade feature tracker", Intel, 2000.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from coursekit.core.validation import as_gray_image, check_array, check_int, check_odd_size, check_positive
from coursekit.geometry.warp import bilinear_sample
from coursekit.image.derivatives import sobel
from coursekit.image.filters import box_filter, correlate2d
from coursekit.image.pyramids import gaussian_pyramid

__all__ = ["spatiotemporal_gradients", "warp_with_flow", "brightness_constancy_residual", "lucas_kanade_step",
           "horn_schunck_step", "lucas_kanade", "horn_schunck", "HS_AVERAGE_KERNEL"]

#: The neighbourhood average ū of Horn and Schunck: 1/6 for the 4 edge neighbours, 1/12 for the diagonals.
HS_AVERAGE_KERNEL = np.array([[1, 2, 1], [2, 0, 2], [1, 2, 1]], dtype=np.float64) / 12.0


def _frames(frame0, frame1) -> tuple[np.ndarray, np.ndarray]:
    I0 = as_gray_image(frame0, "frame0").astype(np.float64)
    I1 = as_gray_image(frame1, "frame1").astype(np.float64)
    if I0.shape != I1.shape:
        raise ValueError(f"frame0 and frame1 must have the same shape, got {I0.shape} and {I1.shape}.")
    return I0, I1


def _flow(flow, shape) -> np.ndarray:
    return check_array(flow, "flow", dtype_kind="fiu", shape=(*shape, 2)).astype(np.float64)


def spatiotemporal_gradients(frame0, frame1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The derivatives ``(I_x, I_y, I_t)`` of the optical flow constraint between two frames.

    Defined in :ref:`sec-video-brightness-constancy` (Eq. :eq:`eq-video-ofc`).

    Parameters
    ----------
    frame0, frame1 : (H, W) ndarray
        Consecutive grey frames, any real dtype.

    Returns
    -------
    Ix, Iy : (H, W) ndarray of float64
        Sobel derivatives divided by 8 (per pixel) of the mean frame ``(I0 + I1) / 2``: the gradient at the
        middle of the time step, which cancels the first-order error of using either frame alone.
    It : (H, W) ndarray of float64
        ``I1 − I0``.

    Examples
    --------
    >>> ramp = np.tile(np.arange(6.0), (6, 1))           # I = x, moved right by 1 pixel: I1 = x − 1
    >>> Ix, Iy, It = spatiotemporal_gradients(ramp, ramp - 1)
    >>> float(Ix[3, 3]), float(Iy[3, 3]), float(It[3, 3])
    (1.0, 0.0, -1.0)
    """
    I0, I1 = _frames(frame0, frame1)
    gx, gy = sobel(0.5 * (I0 + I1), mode="replicate")        # (H, W) each, gain 8
    return gx / 8.0, gy / 8.0, I1 - I0


def warp_with_flow(frame1, flow) -> np.ndarray:
    """Backward warp ``I1(x + u(x))``: what ``frame1`` shows where each pixel of ``frame0`` has moved.

    Defined in :ref:`sec-video-brightness-constancy` (Eq. :eq:`eq-video-brightness-constancy`).

    Parameters
    ----------
    frame1 : (H, W) ndarray
        Grey frame, any real dtype.
    flow : (H, W, 2) ndarray of float
        ``(dx, dy)`` per pixel of frame 0.

    Returns
    -------
    (H, W) ndarray of float64
        Bilinear samples (:func:`coursekit.geometry.warp.bilinear_sample`); positions are clamped to the
        image, so a point that leaves it takes the border's value.

    Examples
    --------
    >>> I1 = np.tile(np.arange(5.0), (3, 1))
    >>> warp_with_flow(I1, np.full((3, 5, 2), [1.0, 0.0]))[1].tolist()
    [1.0, 2.0, 3.0, 4.0, 4.0]
    """
    I1 = as_gray_image(frame1, "frame1").astype(np.float64)
    flow = _flow(flow, I1.shape)
    H, W = I1.shape
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)                       # (H, W) pixel centres
    xs = np.clip(x + flow[..., 0], 0, W - 1)                            # (H, W) where the point went
    ys = np.clip(y + flow[..., 1], 0, H - 1)
    return bilinear_sample(I1, xs, ys)


def brightness_constancy_residual(frame0, frame1, flow, linearised: bool = False) -> np.ndarray:
    """How far a flow is from brightness constancy: ``I1(x + u) − I0(x)``, or its linearisation.

    Defined in :ref:`sec-video-brightness-constancy` (Eq. :eq:`eq-video-ofc`).

    Parameters
    ----------
    frame0, frame1 : (H, W) ndarray
    flow : (H, W, 2) ndarray of float
    linearised : bool
        Return ``I_x u + I_y v + I_t`` (the optical flow constraint) instead of the warped difference.

    Returns
    -------
    (H, W) ndarray of float64
        Zero for the true flow of a clip whose brightness is constant (up to interpolation error).

    Examples
    --------
    >>> ramp = np.tile(np.arange(6.0), (6, 1))
    >>> r = brightness_constancy_residual(ramp, ramp - 1, np.full((6, 6, 2), [1.0, 0.0]), linearised=True)
    >>> float(abs(r[2:4, 2:4]).max())
    0.0
    """
    I0, I1 = _frames(frame0, frame1)
    flow = _flow(flow, I0.shape)
    if linearised:
        Ix, Iy, It = spatiotemporal_gradients(I0, I1)
        return Ix * flow[..., 0] + Iy * flow[..., 1] + It
    return warp_with_flow(I1, flow) - I0


def lucas_kanade_step(frame0, frame1, window: int = 9, min_eigenvalue: float = 1e-6, flow=None) -> np.ndarray:
    """One Lucas–Kanade solve: per pixel, the least-squares flow of the constraints in a window.

    Defined in :ref:`sec-video-lucas-kanade` (Eq. :eq:`eq-video-lk`).

    Parameters
    ----------
    frame0, frame1 : (H, W) ndarray
        Grey frames with a small (sub-pixel to ~1 px) motion between them; when ``flow`` is given, ``frame1``
        is already warped back by it (``warp_with_flow(frame1, flow)``).
    window : int
        Odd side of the square window over which the flow is assumed constant.
    min_eigenvalue : float
        Pixels whose structure tensor has a smaller eigenvalue below this (an edge or a flat patch: the
        aperture problem) keep the flow they had (0 without ``flow``).
    flow : (H, W, 2) ndarray of float, optional
        The current estimate u₀ that ``frame1`` was warped with; each constraint then reads
        ``I_x (u − u₀) + I_y (v − v₀) + I_t = 0``.

    Returns
    -------
    (H, W, 2) ndarray of float64
        ``(dx, dy)`` per pixel (the full flow, not an increment).

    Notes
    -----
    1. ``I_x, I_y, I_t`` from :func:`spatiotemporal_gradients`; ``r = I_x u₀ + I_y v₀ − I_t`` (``−I_t``
       without ``flow``).
    2. Window means (a box filter) of ``I_x², I_x I_y, I_y², I_x r, I_y r``: the structure tensor
       ``A = [[a, b], [b, c]]`` and the right-hand side ``(p, q)``.
    3. ``(u, v) = A⁻¹ (p, q)`` in closed form, where ``λ_min(A) >= min_eigenvalue``.

    Because u₀ enters inside the window sums, the new flow at a pixel blends its neighbours' current flows,
    as the model (one flow per window) asks; adding a per-pixel increment instead lets errors from the
    border creep inwards with every warp (scikit-image's ``optical_flow_ilk`` makes the same choice).

    Examples
    --------
    >>> x, y = np.meshgrid(np.arange(24.0), np.arange(24.0))
    >>> I = lambda x, y: np.sin(x / 3) + np.cos(y / 4)
    >>> flow = lucas_kanade_step(I(x, y), I(x - 0.3, y + 0.2))
    >>> np.round(flow[12, 12], 1).tolist()
    [0.3, -0.2]
    """
    window = check_odd_size(window, "window")
    min_eigenvalue = check_positive(min_eigenvalue, "min_eigenvalue")
    Ix, Iy, It = spatiotemporal_gradients(frame0, frame1)                 # (H, W) each
    flow = np.zeros((*Ix.shape, 2)) if flow is None else _flow(flow, Ix.shape)
    r = Ix * flow[..., 0] + Iy * flow[..., 1] - It                         # (H, W) right-hand side per pixel
    a = box_filter(Ix * Ix, window, mode="replicate")                      # (H, W) window means
    b = box_filter(Ix * Iy, window, mode="replicate")
    c = box_filter(Iy * Iy, window, mode="replicate")
    p = box_filter(Ix * r, window, mode="replicate")
    q = box_filter(Iy * r, window, mode="replicate")
    det = a * c - b * b
    lam_min = 0.5 * (a + c) - np.sqrt(0.25 * (a - c) ** 2 + b * b)       # smaller eigenvalue of A
    ok = lam_min >= min_eigenvalue
    safe = np.where(ok, det, 1.0)
    u = np.where(ok, (c * p - b * q) / safe, flow[..., 0])                 # A⁻¹ = [[c, -b], [-b, a]] / det
    v = np.where(ok, (a * q - b * p) / safe, flow[..., 1])
    return np.stack([u, v], axis=-1)                                       # (H, W, 2)


def horn_schunck_step(frame0, frame1, alpha: float = 0.05, iterations: int = 100, flow=None) -> np.ndarray:
    """Horn–Schunck: Jacobi iterations of the smoothness-regularised optical flow constraint.

    Defined in :ref:`sec-video-horn-schunck` (Eq. :eq:`eq-video-hs-update`).

    Parameters
    ----------
    frame0, frame1 : (H, W) ndarray
        Grey frames with a small motion between them; when ``flow`` is given, ``frame1`` is already warped
        back by it.
    alpha : float
        Smoothness weight α (> 0), in the units of the image gradient: larger gives smoother flow.
    iterations : int
        Number of Jacobi sweeps (>= 1).
    flow : (H, W, 2) ndarray of float, optional
        The current estimate u₀ (default 0): the data term becomes ``I_x (u − u₀) + I_y (v − v₀) + I_t``
        and the iterations start from it.

    Returns
    -------
    (H, W, 2) ndarray of float64
        The full flow.

    Notes
    -----
    Minimising ``Σ (I_x u + I_y v + I_t)² + α² (‖∇u‖² + ‖∇v‖²)`` gives, per sweep,
    ``u ← ū − I_x (I_x ū + I_y v̄ + I_t) / (α² + I_x² + I_y²)`` and the same for v, with ū the weighted
    neighbour average :data:`HS_AVERAGE_KERNEL`. Flat regions get the flow of their neighbours: the
    smoothness term fills in where the data say nothing.

    Examples
    --------
    >>> x, y = np.meshgrid(np.arange(24.0), np.arange(24.0))
    >>> I = lambda x, y: np.sin(x / 3) + np.cos(y / 4)
    >>> flow = horn_schunck_step(I(x, y), I(x - 0.3, y + 0.2), alpha=0.02, iterations=300)
    >>> np.round(flow[12, 12], 1).tolist()
    [0.3, -0.2]
    """
    alpha = check_positive(alpha, "alpha")
    iterations = check_int(iterations, "iterations")
    Ix, Iy, It = spatiotemporal_gradients(frame0, frame1)                 # (H, W) each
    flow = np.zeros((*Ix.shape, 2)) if flow is None else _flow(flow, Ix.shape)
    u, v = flow[..., 0].copy(), flow[..., 1].copy()
    It = It - Ix * u - Iy * v                                              # (H, W) data term about u₀
    denom = alpha ** 2 + Ix ** 2 + Iy ** 2                                 # (H, W)
    for _ in range(iterations):
        u_bar = correlate2d(u, HS_AVERAGE_KERNEL, mode="replicate")        # (H, W) neighbour averages
        v_bar = correlate2d(v, HS_AVERAGE_KERNEL, mode="replicate")
        r = (Ix * u_bar + Iy * v_bar + It) / denom                         # (H, W) scaled residual
        u, v = u_bar - Ix * r, v_bar - Iy * r
    return np.stack([u, v], axis=-1)


def _coarse_to_fine(frame0, frame1, levels: int, warps: int,
                    solve: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Pyramid + warping: at each level from coarse to fine, ``flow = solve(I0, I1(x + flow), flow)``."""
    I0, I1 = _frames(frame0, frame1)
    levels, warps = check_int(levels, "levels"), check_int(warps, "warps")
    pyr0, pyr1 = gaussian_pyramid(I0, levels), gaussian_pyramid(I1, levels)
    flow = np.zeros((*pyr0[-1].shape, 2))
    for k in range(levels - 1, -1, -1):
        J0, J1 = pyr0[k], pyr1[k]
        if flow.shape[:2] != J0.shape:                                     # up one level: positions and
            H, W = J0.shape                                                # vectors both scale by 2
            y, x = np.mgrid[0:H, 0:W].astype(np.float64)
            flow = 2.0 * np.stack([bilinear_sample(flow[..., i], np.clip(x / 2, 0, flow.shape[1] - 1),
                                                   np.clip(y / 2, 0, flow.shape[0] - 1)) for i in range(2)], -1)
        for _ in range(warps):
            flow = solve(J0, warp_with_flow(J1, flow), flow)
    return flow


def lucas_kanade(frame0, frame1, window: int = 9, levels: int = 1, warps: int = 3,
                 min_eigenvalue: float = 1e-6) -> np.ndarray:
    """Dense iterative, coarse-to-fine Lucas–Kanade flow from ``frame0`` to ``frame1``.

    Defined in :ref:`sec-video-lucas-kanade` (Eq. :eq:`eq-video-lk`).

    Parameters
    ----------
    frame0, frame1 : (H, W) ndarray
        Consecutive grey frames, any real dtype.
    window : int
        Odd window side of :func:`lucas_kanade_step`.
    levels : int
        Pyramid levels (1: the full resolution only). Each level doubles the motion that can be recovered.
    warps : int
        Re-linearisations per level: warp ``frame1`` back by the current flow and solve again.
    min_eigenvalue : float
        See :func:`lucas_kanade_step`.

    Returns
    -------
    (H, W, 2) ndarray of float64
        ``(dx, dy)`` per pixel.

    Notes
    -----
    Per level, from the coarsest: upsample the flow (×2 in position and length), then ``warps`` times
    ``flow = lucas_kanade_step(I0, I1(x + flow), flow=flow)``. Bouguet's pyramidal tracker (OpenCV's
    ``calcOpticalFlowPyrLK``) does the same at sparse points with Newton iterations.

    Examples
    --------
    >>> x, y = np.meshgrid(np.arange(32.0), np.arange(32.0))
    >>> I = lambda x, y: np.sin(x / 4) + np.cos(y / 5)
    >>> flow = lucas_kanade(I(x, y), I(x - 1.5, y - 1.0), levels=2)
    >>> np.round(flow[16, 16], 1).tolist()
    [1.5, 1.0]
    """
    window = check_odd_size(window, "window")
    min_eigenvalue = check_positive(min_eigenvalue, "min_eigenvalue")
    return _coarse_to_fine(frame0, frame1, levels, warps,
                           lambda J0, J1w, flow: lucas_kanade_step(J0, J1w, window, min_eigenvalue, flow))


def horn_schunck(frame0, frame1, alpha: float = 0.05, iterations: int = 100, levels: int = 1,
                 warps: int = 1) -> np.ndarray:
    """Dense Horn–Schunck flow, optionally coarse to fine with warping.

    Defined in :ref:`sec-video-horn-schunck` (Eq. :eq:`eq-video-hs-update`).

    Parameters
    ----------
    frame0, frame1 : (H, W) ndarray
    alpha : float
        Smoothness weight α of :func:`horn_schunck_step`.
    iterations : int
        Jacobi sweeps per solve.
    levels, warps : int
        As in :func:`lucas_kanade`.

    Returns
    -------
    (H, W, 2) ndarray of float64

    Notes
    -----
    Each solve starts from the current flow and linearises about it, so the smoothness acts on the full
    flow, as in the warping scheme of Brox et al. (ECCV 2004).

    Examples
    --------
    >>> x, y = np.meshgrid(np.arange(24.0), np.arange(24.0))
    >>> I = lambda x, y: np.sin(x / 3) + np.cos(y / 4)
    >>> np.round(horn_schunck(I(x, y), I(x - 0.3, y), alpha=0.02, iterations=300)[12, 12], 1).tolist()
    [0.3, 0.0]
    """
    alpha = check_positive(alpha, "alpha")
    iterations = check_int(iterations, "iterations")
    return _coarse_to_fine(frame0, frame1, levels, warps,
                           lambda J0, J1w, flow: horn_schunck_step(J0, J1w, alpha, iterations, flow))
