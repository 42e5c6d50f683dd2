"""The flow colour wheel: direction as hue, speed as saturation (Chapter 16, Video).

A flow field has two numbers per pixel; the colour wheel shows both at once. The hue is the direction of
motion (0° = right, 90° = down, since y points down), the saturation the speed relative to a maximum, and the
value is 1, so a still pixel is white. Hue wheels are not colour-blind safe; the chapter draws arrows next to
them.

References
----------
S. Baker et al., "A database and evaluation methodology for optical flow", IJCV 92, 2011 (the Middlebury
colour coding; this module uses the plain HSV wheel).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int, check_positive

__all__ = ["hsv_to_rgb", "flow_to_rgb", "flow_color_wheel"]


def hsv_to_rgb(hsv) -> np.ndarray:
    """Convert HSV colours in [0, 1] to RGB in [0, 1] (the hexcone model).

    Defined in :ref:`sec-video-flow-color` (Eq. :eq:`eq-video-flow-color`).

    Parameters
    ----------
    hsv : (..., 3) ndarray of float
        Hue, saturation and value, each in [0, 1] (hue 1 is hue 0 again).

    Returns
    -------
    (..., 3) ndarray of float64
        ``matplotlib.colors.hsv_to_rgb`` of the same input.

    Notes
    -----
    With ``h' = 6 h``, ``C = V S`` (the chroma) and ``X = C (1 − |h' mod 2 − 1|)``, the sector ``⌊h'⌋``
    picks which of R, G, B get C, X and 0; then ``V − C`` is added to all three.

    Examples
    --------
    >>> hsv_to_rgb(np.array([[0.0, 1.0, 1.0], [1 / 3, 1.0, 1.0], [0.5, 0.0, 0.7]])).round(3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.7, 0.7, 0.7]]
    """
    hsv = check_array(hsv, "hsv", dtype_kind="fiu").astype(np.float64)
    if hsv.ndim < 1 or hsv.shape[-1] != 3:
        raise ValueError(f"hsv must have shape (..., 3), got {hsv.shape}.")
    if hsv.min(initial=0.0) < 0 or hsv.max(initial=0.0) > 1:
        raise ValueError("hsv values must lie in [0, 1].")
    h, s, v = (6.0 * hsv[..., 0]) % 6.0, hsv[..., 1], hsv[..., 2]
    C = v * s                                                          # (...) chroma
    X = C * (1.0 - np.abs(h % 2.0 - 1.0))
    sector = np.floor(h).astype(int)                                   # (...) 0..5
    zero = np.zeros_like(C)
    table = [(C, X, zero), (X, C, zero), (zero, C, X), (zero, X, C), (X, zero, C), (C, zero, X)]
    rgb = np.zeros(hsv.shape)
    for k, (r, g, b) in enumerate(table):
        sel = sector == k
        rgb[sel] = np.stack([r[sel], g[sel], b[sel]], axis=-1)
    return rgb + (v - C)[..., None]


def flow_to_rgb(flow, max_magnitude: float | None = None) -> np.ndarray:
    """Colour a flow field: hue = direction, saturation = speed / ``max_magnitude``, value = 1.

    Defined in :ref:`sec-video-flow-color` (Eq. :eq:`eq-video-flow-color`).

    Parameters
    ----------
    flow : (H, W, 2) ndarray of float
        ``(dx, dy)`` per pixel.
    max_magnitude : float, optional
        The speed shown fully saturated (default: the largest speed in ``flow``; use the same value for
        fields you want to compare). Faster vectors are clipped to full saturation.

    Returns
    -------
    (H, W, 3) ndarray of float64 in [0, 1]
        White where the flow is 0; red to the right, yellow-green down-ish, cyan left, blue-violet up.

    Examples
    --------
    >>> flow_to_rgb(np.array([[[1.0, 0.0], [0.0, 0.0]]])).round(3).tolist()
    [[[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]]]
    """
    flow = check_array(flow, "flow", ndim=3, dtype_kind="fiu").astype(np.float64)
    if flow.shape[-1] != 2:
        raise ValueError(f"flow must have shape (H, W, 2), got {flow.shape}.")
    speed = np.hypot(flow[..., 0], flow[..., 1])                        # (H, W)
    if max_magnitude is None:
        max_magnitude = float(speed.max()) if speed.max() > 0 else 1.0
    max_magnitude = check_positive(max_magnitude, "max_magnitude")
    hue = (np.arctan2(flow[..., 1], flow[..., 0]) % (2 * np.pi)) / (2 * np.pi)   # (H, W) in [0, 1)
    sat = np.clip(speed / max_magnitude, 0.0, 1.0)
    return hsv_to_rgb(np.stack([hue, sat, np.ones_like(hue)], axis=-1))


def flow_color_wheel(size: int = 65) -> np.ndarray:
    """The legend of :func:`flow_to_rgb`: the colour of every vector in a disc of radius 1.

    Defined in :ref:`sec-video-flow-color`.

    Parameters
    ----------
    size : int
        Side of the image (>= 3); the centre pixel is the zero vector.

    Returns
    -------
    (size, size, 3) ndarray of float64
        White outside the unit disc.

    Examples
    --------
    >>> wheel = flow_color_wheel(5)
    >>> wheel[2, 4].round(3).tolist(), wheel[2, 2].tolist()
    ([1.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    """
    size = check_int(size, "size", minimum=3)
    r = np.linspace(-1.0, 1.0, size)
    dx, dy = np.meshgrid(r, r)                                           # (size, size), y down
    flow = np.stack([dx, dy], axis=-1)
    rgb = flow_to_rgb(flow, max_magnitude=1.0)
    rgb[np.hypot(dx, dy) > 1.0] = 1.0
    return rgb
