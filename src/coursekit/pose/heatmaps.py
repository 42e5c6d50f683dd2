"""Keypoint heatmaps: Gaussian targets, and decoding by argmax plus sub-pixel parabola refinement.

Chapter 7 (Pose estimation). A network that localises K keypoints outputs K maps on a grid ``stride`` times
coarser than the image; the target of map k is a Gaussian bump at keypoint k, and a prediction is read back
as the map's maximum, refined below the grid spacing by fitting a parabola through the maximum and its two
neighbours along each axis.

**Coordinates.** Keypoints are ``(x, y)`` = (column, row) in image pixels with the continuous convention of
:mod:`coursekit.data.figures` and :mod:`coursekit.detection.boxes`: pixel ``[r, c]`` covers
``[c, c + 1) × [r, r + 1)``, so its centre is ``(c + 0.5, r + 0.5)``. A heatmap cell ``[i, j]`` at stride s
covers ``[s j, s (j + 1)) × [s i, s (i + 1))`` and its centre is ``(s (j + 0.5), s (i + 0.5))``. With this
convention, going from heatmap to image coordinates is a plain multiplication by s.

References
----------
J. Tompson, A. Jain, Y. LeCun and C. Bregler, "Joint Training of a Convolutional Network and a Graphical
Model for Human Pose Estimation", NeurIPS 2014 (Gaussian heatmap targets).
A. Newell, K. Yang and J. Deng, "Stacked Hourglass Networks for Human Pose Estimation", ECCV 2016 (the
quarter-pixel shift towards the higher neighbour).
F. Zhang, X. Zhu, H. Dai, M. Ye and C. Zhu, "Distribution-Aware Coordinate Representation for Human Pose
Estimation" (DARK), CVPR 2020 (sub-pixel refinement on the logarithm of the heatmap).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_choice, check_int, check_positive

__all__ = ["gaussian_heatmaps", "parabola_offset", "decode_heatmaps", "REFINEMENTS"]

#: The sub-pixel refinements :func:`decode_heatmaps` knows.
REFINEMENTS = ("none", "quarter", "parabola", "log-parabola")


def gaussian_heatmaps(keypoints, shape, sigma: float = 1.0, stride: int = 1, visibility=None) -> np.ndarray:
    """Gaussian heatmap targets: one map per keypoint with a bump of width σ at the keypoint.

    Defined in :ref:`sec-pose-heatmaps` (Eq. :eq:`eq-pose-heatmap`).

    Parameters
    ----------
    keypoints : (..., K, 2) array_like of float
        ``(x, y)`` in image pixels (pixel centres at half-integers); any leading axes (people, batch).
    shape : (int, int)
        The heatmap's ``(rows, cols)``.
    sigma : float
        Standard deviation of the bump in *heatmap cells* (> 0).
    stride : int
        Image pixels per heatmap cell (>= 1).
    visibility : (..., K) array_like, optional
        COCO flags; a keypoint with 0 (not labelled) gets an all-zero map. Default: all labelled.

    Returns
    -------
    (..., K, H, W) ndarray of float64
        Values in [0, 1], exactly 1 only at a cell centre that coincides with the keypoint. For several
        people in one image, take the maximum over the person axis (``.max(axis=0)``), as OpenPose does, so
        that two nearby bumps stay two peaks instead of adding up.

    Notes
    -----
    1. The keypoint in heatmap units: ``u = x / s``, ``v = y / s``.
    2. Cell centres ``j + 0.5`` (columns) and ``i + 0.5`` (rows).
    3. The 2-D Gaussian is separable: ``exp(-(j + 0.5 - u)² / 2σ²) · exp(-(i + 0.5 - v)² / 2σ²)``, an outer
       product of a row and a column profile.

    Examples
    --------
    >>> h = gaussian_heatmaps([[2.5, 1.5]], (3, 4), sigma=1.0)       # the centre of cell [1, 2]
    >>> h.shape, float(h[0, 1, 2]), bool(np.isclose(h[0, 1, 3], np.exp(-0.5)))
    ((1, 3, 4), 1.0, True)
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    check_array(kp, "keypoints", dtype_kind="f")
    if kp.ndim < 2 or kp.shape[-1] != 2:
        raise ValueError(f"keypoints must have shape (..., K, 2) of (x, y) points, got {kp.shape}.")
    try:
        H, W = (check_int(n, "shape", minimum=1) for n in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape must be (rows, cols) of positive integers, got {shape!r}.") from None
    sigma = check_positive(sigma, "sigma")
    stride = check_int(stride, "stride", minimum=1)
    u = kp[..., 0] / stride                                                # (..., K) 1. heatmap units
    v = kp[..., 1] / stride
    cols = np.arange(W) + 0.5                                              # (W,) 2. cell centres
    rows = np.arange(H) + 0.5                                              # (H,)
    gx = np.exp(-(cols - u[..., None]) ** 2 / (2 * sigma ** 2))            # (..., K, W)
    gy = np.exp(-(rows - v[..., None]) ** 2 / (2 * sigma ** 2))            # (..., K, H)
    maps = gy[..., :, None] * gx[..., None, :]                             # (..., K, H, W) 3. outer product
    if visibility is not None:
        vis = np.asarray(visibility)
        if vis.shape != kp.shape[:-1]:
            raise ValueError(f"visibility must have shape {kp.shape[:-1]} (one flag per keypoint), got {vis.shape}.")
        maps = maps * (vis > 0)[..., None, None]
    return maps


def parabola_offset(left, centre, right) -> np.ndarray:
    """Sub-pixel offset of the vertex of the parabola through three equally spaced samples.

    Defined in :ref:`sec-pose-subpixel` (Eq. :eq:`eq-pose-parabola`).

    Parameters
    ----------
    left, centre, right : array_like of float, broadcastable
        Values at positions −1, 0 and +1; ``centre`` should be the largest (an argmax).

    Returns
    -------
    ndarray of float64
        The vertex position δ in [−0.5, 0.5] relative to the centre sample: 0 where the three values do not
        bend downwards (flat or a minimum), clipped to ±0.5 (beyond that, a neighbour would have been the
        argmax).

    Notes
    -----
    The parabola ``f(t) = a t² + b t + c`` through ``(−1, l)``, ``(0, c)``, ``(1, r)`` has
    ``b = (r − l) / 2`` and ``a = (l − 2c + r) / 2``; its vertex is at ``δ = −b / 2a = (l − r) / (2 (l − 2c + r))``,
    a maximum when ``a < 0``.

    Examples
    --------
    >>> float(parabola_offset(1.0, 2.0, 0.5))          # the left neighbour is higher: the vertex is left
    -0.1
    >>> float(parabola_offset(0.0, 1.0, 1.0))          # equal neighbours on the right: halfway
    0.5
    >>> round(float(parabola_offset(-1.44, -0.04, -0.64)), 6)    # samples of f(t) = -(t - 0.2)²
    0.2
    """
    l, c, r = (np.asarray(a, dtype=np.float64) for a in (left, centre, right))
    curvature = l - 2 * c + r                                              # 2a
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(curvature < 0, (l - r) / (2 * curvature), 0.0)
    return np.clip(delta, -0.5, 0.5)


def decode_heatmaps(heatmaps, stride: int = 1, *, refine: str = "log-parabola", eps: float = 1e-10):
    """Keypoint coordinates from heatmaps: the argmax of each map, refined below the grid spacing.

    Defined in :ref:`sec-pose-subpixel` (Eq. :eq:`eq-pose-decode`).

    Parameters
    ----------
    heatmaps : (..., K, H, W) array_like of float
        One map per keypoint (any leading axes, e.g. batch).
    stride : int
        Image pixels per heatmap cell (>= 1); the returned coordinates are in image pixels.
    refine : {"log-parabola", "parabola", "quarter", "none"}
        ``"parabola"``: Eq. :eq:`eq-pose-parabola` on the values along each axis; ``"log-parabola"``: the same
        on ``log(max(h, eps))``, exact for a Gaussian bump, whose logarithm *is* a parabola (DARK's idea);
        ``"quarter"``: a shift of 0.25 cell towards the higher neighbour (the Stacked Hourglass heuristic);
        ``"none"``: the centre of the argmax cell.
    eps : float
        Floor before the logarithm (> 0), for maps that reach 0 or below.

    Returns
    -------
    coords : (..., K, 2) ndarray of float64
        ``(x, y)`` in image pixels.
    scores : (..., K) ndarray of float64
        The maximum of each map (a confidence).

    Notes
    -----
    1. ``(i*, j*) = argmax H_k`` (the first one in row-major order when there are ties).
    2. Along x: δx from the values at ``[i*, j* − 1]``, ``[i*, j*]``, ``[i*, j* + 1]``; along y the same with
       rows. At the border of the map the missing neighbour makes δ = 0 on that axis.
    3. ``x = s (j* + 0.5 + δx)``, ``y = s (i* + 0.5 + δy)``.

    Examples
    --------
    >>> h = gaussian_heatmaps([[5.3, 2.2]], (6, 8), sigma=1.0)         # a bump between cell centres
    >>> coords, scores = decode_heatmaps(h)
    >>> np.round(coords, 6).tolist()
    [[5.3, 2.2]]
    >>> decode_heatmaps(h, refine="none")[0].tolist()                  # the argmax cell's centre
    [[5.5, 2.5]]
    """
    h = np.asarray(heatmaps, dtype=np.float64)
    check_array(h, "heatmaps", dtype_kind="f")
    if h.ndim < 3 or h.shape[-1] < 1 or h.shape[-2] < 1:
        raise ValueError(f"heatmaps must have shape (..., K, H, W), got {h.shape}.")
    stride = check_int(stride, "stride", minimum=1)
    check_choice(refine, "refine", REFINEMENTS)
    eps = check_positive(eps, "eps")
    H, W = h.shape[-2:]
    lead = h.shape[:-2]
    flat = h.reshape(-1, H * W)                                            # (M, H·W), M maps
    best = flat.argmax(axis=1)                                             # (M,) 1. argmax
    i, j = best // W, best % W                                             # (M,) row, column
    scores = flat[np.arange(len(flat)), best]                              # (M,)
    dx, dy = np.zeros(len(flat)), np.zeros(len(flat))
    if refine != "none":
        vals = np.log(np.maximum(h, eps)) if refine == "log-parabola" else h
        vals = vals.reshape(-1, H, W)                                      # (M, H, W)
        m = np.arange(len(flat))
        inner_x = (j > 0) & (j < W - 1)                                    # both x-neighbours exist
        inner_y = (i > 0) & (i < H - 1)
        jl, jr = np.clip(j - 1, 0, W - 1), np.clip(j + 1, 0, W - 1)
        il, ir = np.clip(i - 1, 0, H - 1), np.clip(i + 1, 0, H - 1)
        c = vals[m, i, j]
        xl, xr, yl, yr = vals[m, i, jl], vals[m, i, jr], vals[m, il, j], vals[m, ir, j]
        if refine == "quarter":
            dx, dy = 0.25 * np.sign(xr - xl), 0.25 * np.sign(yr - yl)
        else:                                                              # 2. the parabola's vertex
            dx, dy = parabola_offset(xl, c, xr), parabola_offset(yl, c, yr)
        dx, dy = np.where(inner_x, dx, 0.0), np.where(inner_y, dy, 0.0)
    coords = np.stack([stride * (j + 0.5 + dx), stride * (i + 0.5 + dy)], axis=-1)   # (M, 2) 3.
    return coords.reshape(lead + (2,)), scores.reshape(lead)
