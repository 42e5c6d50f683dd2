"""Edges from image gradients: the gradient, non-maximum suppression, hysteresis and Canny's detector.

Chapter 2 (Image processing), section "Canny, step by step". Built on the Sobel derivatives of
:mod:`coursekit.image.derivatives`. Conventions (CONTRIBUTING.md, "Conventions"): x points right (columns),
y points down (rows), so a direction of +90° points down; magnitudes are in the unnormalised Sobel units of
the image as given (gain 8: a ramp rising by 1 per pixel has magnitude 8), and so are Canny's thresholds.

:func:`canny` reads as its four steps; its fast path, the same steps fused in float32 row bands, is
:func:`coursekit.image._canny_banded.canny_banded`, held equal by the tests.

References
----------
J. Canny, "A computational approach to edge detection", IEEE TPAMI 8(6), 1986.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import as_float_image, check_array, check_nonnegative
from coursekit.image._canny_banded import canny_banded
from coursekit.image.components import connected_components
from coursekit.image.derivatives import sobel
from coursekit.image.filters import gaussian_blur, pad

__all__ = ["gradient_magnitude_direction", "non_max_suppression", "hysteresis_threshold", "canny"]


def gradient_magnitude_direction(image, l2: bool = True, mode: str = "reflect") -> tuple[np.ndarray, np.ndarray]:
    """Gradient magnitude ``|∇f| = sqrt(gx^2 + gy^2)`` and direction ``theta = atan2(gy, gx)`` from Sobel.

    Defined in :ref:`sec-canny` (Eq. :eq:`eq-gradient-magnitude`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1); values are used as given.
    l2 : bool
        ``True``: the Euclidean norm. ``False``: the cheaper ``|gx| + |gy|`` (OpenCV's Canny default).
    mode : str
        Border rule of the Sobel filter, see :func:`coursekit.image.filters.pad`.

    Returns
    -------
    magnitude : (H, W) ndarray of float64
        In Sobel units of the image's values (gain 8, see :func:`coursekit.image.derivatives.sobel`).
    direction : (H, W) ndarray of float64
        Radians in ``[-pi, pi]``; x points right (columns) and y points down (rows), so +pi/2 is "down".

    Notes
    -----
    The pair comes back in the order (magnitude, direction), the order of Eq. :eq:`eq-gradient-magnitude`.

    References
    ----------
    J. Canny, "A computational approach to edge detection", IEEE TPAMI 8(6), 1986.

    Examples
    --------
    >>> ramp = np.tile(np.arange(5.0), (5, 1))
    >>> mag, theta = gradient_magnitude_direction(ramp)
    >>> float(mag[2, 2]), float(theta[2, 2])            # brightness grows to the right: angle 0
    (8.0, 0.0)
    """
    gx, gy = sobel(image, mode)
    magnitude = np.sqrt(gx * gx + gy * gy) if l2 else np.abs(gx) + np.abs(gy)
    return magnitude, np.arctan2(gy, gx)


def non_max_suppression(magnitude, direction) -> np.ndarray:
    """Thin edges: keep a pixel only where its magnitude is a maximum across the edge.

    Defined in :ref:`sec-canny` (Eq. :eq:`eq-non-max-suppression`).

    Parameters
    ----------
    magnitude : (H, W) ndarray of float
        Gradient magnitude, >= 0.
    direction : (H, W) ndarray of float
        Gradient direction in radians (x right, y down), as from :func:`gradient_magnitude_direction`.

    Returns
    -------
    (H, W) ndarray of float64
        ``magnitude`` where the pixel survives, 0 elsewhere.

    Notes
    -----
    1. Quantise the direction (mod 180°) to the nearest of 0°, 45°, 90°, 135°: the sector
       ``round(theta / 45°) mod 4``.
    2. Look at the two neighbours one step forward and one step backward along that direction,
       as array steps ``(drow, dcol)``: 0°: (0, ±1) left/right; 45°: ±(1, 1) down-right/up-left;
       90°: (±1, 0) down/up; 135°: ±(1, -1) down-left/up-right.
    3. Keep the pixel if its magnitude is >= both neighbours; neighbours outside the image count as 0.

    References
    ----------
    J. Canny, "A computational approach to edge detection", IEEE TPAMI 8(6), 1986.

    Examples
    --------
    >>> mag = np.array([[0, 1, 3, 1, 0]] * 3, dtype=float)   # a ridge across a vertical edge
    >>> non_max_suppression(mag, np.zeros_like(mag))[1]     # gradient points along x: compare left/right
    array([0., 0., 3., 0., 0.])
    """
    m = check_array(magnitude, "magnitude", ndim=2, dtype_kind="biuf").astype(np.float64)
    d = check_array(direction, "direction", ndim=2, dtype_kind="biuf", shape=m.shape)
    H, W = m.shape
    # 1. sector = round(theta / 45°) mod 4: the nearest of 0°, 45°, 90°, 135° (a direction and its
    #    opposite share a sector). "& 3" is mod 4 on integers, negative ones included.
    sector = np.floor(d * (4.0 / np.pi) + 0.5).astype(np.intp) & 3    # (H, W) in {0, 1, 2, 3}
    p = pad(m, 1, "zero")                                          # (H + 2, W + 2) outside counts as 0
    keep = np.zeros((H, W), dtype=bool)
    for s, (dr, dc) in enumerate([(0, 1), (1, 1), (1, 0), (1, -1)]):   # 0°, 45°, 90°, 135° as (drow, dcol)
        forward = p[1 + dr:1 + dr + H, 1 + dc:1 + dc + W]          # (H, W) 2. one step along the direction
        backward = p[1 - dr:1 - dr + H, 1 - dc:1 - dc + W]         # (H, W)    and one step back
        keep |= (sector == s) & (m >= forward) & (m >= backward)   # 3. a maximum across the edge
    return m * keep                                                # m is finite: m where kept, 0 elsewhere


def hysteresis_threshold(magnitude, low: float, high: float) -> np.ndarray:
    """Double threshold with connectivity: strong pixels (> high) and the weak ones (> low) joined to them.

    Defined in :ref:`sec-canny` (Eq. :eq:`eq-hysteresis`).

    Parameters
    ----------
    magnitude : (H, W) ndarray
        Usually the output of :func:`non_max_suppression`; any real dtype.
    low : float
        Weak threshold, ``0 <= low <= high``, in the units of ``magnitude``.
    high : float
        Strong threshold, in the units of ``magnitude``.

    Returns
    -------
    (H, W) ndarray of bool
        The edge map.

    Notes
    -----
    1. Weak set: pixels with magnitude > low. Strong set: magnitude > high.
    2. Split the weak set into 8-connected components.
    3. Keep every component that contains at least one strong pixel.

    Step 2 is :func:`coursekit.image.components.connected_components`, the chapter's own labelling
    (section :ref:`sec-connected-components`; ``scipy.ndimage.label`` is its oracle in the tests). The
    argument order is that of ``skimage.filters.apply_hysteresis_threshold(image, low, high)``, which
    joins 4-neighbours only.

    References
    ----------
    J. Canny, "A computational approach to edge detection", IEEE TPAMI 8(6), 1986.

    Examples
    --------
    >>> m = np.array([[0, 5, 5, 9, 0, 5]], dtype=float)
    >>> hysteresis_threshold(m, low=4, high=8).astype(int)   # the lone weak 5 on the right is dropped
    array([[0, 1, 1, 1, 0, 0]])
    """
    m = check_array(magnitude, "magnitude", ndim=2, dtype_kind="biuf")
    low, high = _check_thresholds(low, high)
    weak = m > low                                                  # (H, W) 1. candidate edges
    strong = m > high                                               # (H, W)    sure edges
    labels, n = connected_components(weak, connectivity=2)          # (H, W) 2. component id, 0 = none
    has_strong = np.zeros(n + 1, dtype=bool)
    has_strong[labels[strong]] = True                               # 3. components touching a strong pixel
    has_strong[0] = False                                           #    (0 is the background)
    return has_strong[labels]                                       # (H, W)


def canny(image, sigma: float = 1.0, low_threshold: float | None = None, high_threshold: float | None = None,
          *, l2: bool = True, fast: bool = True) -> np.ndarray:
    """Canny's edge detector: Gaussian blur → Sobel gradient → non-maximum suppression → hysteresis.

    Defined in :ref:`sec-canny` (Eq. :eq:`eq-canny`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1); its values are used as given (not rescaled).
    sigma : float
        Standard deviation of the Gaussian blur in pixels, >= 0; 0 skips the blur (``cv2.Canny`` never blurs).
    low_threshold : float, optional
        Weak hysteresis threshold on the gradient magnitude of the blurred image, in the Sobel units of
        the image's own values (gain 8, see :func:`gradient_magnitude_direction`). Default: 10 % of the
        dtype's maximum (0.1 for float and bool images, 25.5 for uint8), as ``skimage.feature.canny``.
    high_threshold : float, optional
        Strong threshold, same units, ``>= low_threshold``; default 20 % of the dtype's maximum. Canny
        suggests high ≈ 2–3 × low.
    l2 : bool
        Euclidean gradient norm (``True``) or ``|gx| + |gy|`` (``False``, OpenCV's default).
    fast : bool
        ``True`` (default): the same four steps fused in float32 row bands
        (:func:`coursekit.image._canny_banded.canny_banded`, about 10x faster); a pixel can differ from
        the float64 steps only where its magnitude is within float32 rounding (~1e-6 relative) of a
        threshold or of a neighbour's. ``False``: the four steps below, in float64.

    Returns
    -------
    (H, W) ndarray of bool
        One-pixel-wide edges.

    Notes
    -----
    The thresholds are on the scale of the image as given, like ``skimage.feature.canny`` and
    ``cv2.Canny``: a uint8 image and its float64 copy give the same edges; the same picture scaled to
    [0, 1] needs thresholds 255 times smaller. Only the defaults look at the dtype. A step edge of height
    ``h`` has a Sobel magnitude of ``4 h`` unblurred and about ``3 h / sigma`` after a blur with sigma >= 1.

    The argument order is that of ``skimage.feature.canny(image, sigma, low_threshold, high_threshold)``;
    the border rule is ``reflect`` (OpenCV's default; scikit-image pads with zeros).

    References
    ----------
    J. Canny, "A computational approach to edge detection", IEEE TPAMI 8(6), 1986.

    Examples
    --------
    >>> square = np.zeros((20, 20)); square[5:15, 5:15] = 1.0
    >>> edges = canny(square, sigma=1.0, low_threshold=0.5, high_threshold=1.5)
    >>> bool(edges[10, 4] or edges[10, 5]), bool(edges[10, 10])   # on the border, not inside
    (True, False)
    """
    x = as_float_image(image)
    sigma = check_nonnegative(sigma, "sigma")
    low, high = _default_thresholds(image.dtype, low_threshold, high_threshold)   # image is validated above
    if fast:                                                        # the same four steps, fused (see fast)
        return canny_banded(x, sigma, low, high, l2)
    smoothed = gaussian_blur(x, sigma) if sigma > 0 else x          # 1. G_sigma * f
    magnitude, direction = gradient_magnitude_direction(smoothed, l2)  # 2. Sobel gradient
    thin = non_max_suppression(magnitude, direction)                # 3. one pixel across
    return hysteresis_threshold(thin, low, high)                    # 4. strong + weak joined to them


def _check_thresholds(low, high) -> tuple[float, float]:
    low, high = check_nonnegative(low, "low"), check_nonnegative(high, "high")
    if low > high:
        raise ValueError(f"low must be <= high, got low={low} and high={high}.")
    return low, high


def _default_thresholds(dtype: np.dtype, low, high) -> tuple[float, float]:
    """Canny's thresholds: as given, or 10 % / 20 % of the dtype's maximum (skimage's rule)."""
    top = float(np.iinfo(dtype).max) if dtype.kind in "iu" else 1.0   # float and bool: 1.0
    low = 0.1 * top if low is None else low
    high = 0.2 * top if high is None else high
    return _check_thresholds(low, high)
