"""Edges and corners from image gradients: Canny's detector and Harris's corner response.

Chapter 2 (Image processing), sections "Canny, step by step" and "Harris corners". Built on the Sobel
derivatives of :mod:`coursekit.filters`.

References
----------
J. Canny, "A computational approach to edge detection", IEEE TPAMI 8(6), 1986.
C. Harris and M. Stephens, "A combined corner and edge detector", Alvey Vision Conference, 1988.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import as_float_image, check_array, check_nonnegative, check_odd_size, check_positive
from .filters import gaussian_blur, gaussian_kernel1d, pad, sobel

__all__ = [
    "gradient_magnitude_direction",
    "non_max_suppression",
    "hysteresis_threshold",
    "canny",
    "harris_response",
    "harris_corners",
]


def gradient_magnitude_direction(image, l2: bool = True, mode: str = "reflect") -> tuple[np.ndarray, np.ndarray]:
    """Gradient magnitude ``|∇f| = sqrt(gx^2 + gy^2)`` and direction ``theta = atan2(gy, gx)`` from Sobel.

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype.
    l2 : bool
        ``True``: the Euclidean norm. ``False``: the cheaper ``|gx| + |gy|`` (OpenCV's Canny default).
    mode : str
        Border rule of the Sobel filter, see :func:`coursekit.filters.pad`.

    Returns
    -------
    magnitude : (H, W) ndarray of float64
    direction : (H, W) ndarray of float64
        Radians in ``[-pi, pi]``; x points right (columns) and y points down (rows), so 90° is "down".

    Defined in Chapter 2, Eq. (2.15).

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


#: Rows per band in :func:`canny` (about 0.5 MB of float64 per intermediate image at width 512).
_CANNY_BAND = 128

#: Step (drow, dcol) along the gradient for the four quantised directions 0°, 45°, 90°, 135°.
_NMS_STEPS = ((0, 1), (1, 1), (1, 0), (1, -1))


def non_max_suppression(magnitude, direction) -> np.ndarray:
    """Thin edges: keep a pixel only where its magnitude is a maximum across the edge.

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
    2. Look at the two neighbours one step forward and one step backward along that direction
       (0°: left/right; 45°: down-right/up-left; 90°: down/up; 135°: down-left/up-right).
    3. Keep the pixel if its magnitude is >= both neighbours; neighbours outside the image count as 0.

    Defined in Chapter 2, Eq. (2.16).

    Examples
    --------
    >>> mag = np.array([[0, 1, 3, 1, 0]] * 3, dtype=float)   # a ridge across a vertical edge
    >>> non_max_suppression(mag, np.zeros_like(mag))[1]     # gradient points along x: compare left/right
    array([0., 0., 3., 0., 0.])
    """
    m = check_array(magnitude, "magnitude", ndim=2, dtype_kind="fiu").astype(np.float64)
    d = check_array(direction, "direction", ndim=2, dtype_kind="fiu", shape=m.shape)
    H, W = m.shape
    Wp = W + 2                                                     # row length of the padded image
    # 1. sector = round(theta / 45°) mod 4: the nearest of 0°, 45°, 90°, 135° (a direction and its
    #    opposite share a sector). "& 3" is mod 4 on integers, negative ones included.
    sector = np.floor(d * (4.0 / np.pi) + 0.5).astype(np.intp) & 3    # (H, W) in {0, 1, 2, 3}
    # 2. the neighbours one step forward and backward, read from the flattened zero-padded image, where
    #    a step of (drow, dcol) is a step of drow * Wp + dcol
    p = pad(m, 1, "zero").ravel()                                  # ((H + 2) * Wp,) zero ring outside
    step = np.array([dr * Wp + dc for dr, dc in _NMS_STEPS]).take(sector)  # (H, W) flat offset forward
    centre = (Wp * np.arange(1, H + 1))[:, None] + np.arange(1, W + 1)    # (H, W) flat index of (r, c)
    forward, backward = p.take(centre + step), p.take(centre - step)     # (H, W) each
    # 3. keep the local maxima (m is finite, so m * keep is m where kept and 0 elsewhere)
    keep = (m >= forward) & (m >= backward)
    return m * keep


def hysteresis_threshold(magnitude, low: float, high: float) -> np.ndarray:
    """Double threshold with connectivity: strong pixels (> high) and the weak ones (> low) joined to them.

    Parameters
    ----------
    magnitude : (H, W) ndarray of float
        Usually the output of :func:`non_max_suppression`.
    low, high : float
        Thresholds with ``0 <= low <= high``.

    Returns
    -------
    (H, W) ndarray of bool
        The edge map.

    Notes
    -----
    1. Weak set: pixels with magnitude > low. Strong set: magnitude > high.
    2. Split the weak set into 8-connected components.
    3. Keep every component that contains at least one strong pixel.
    The labelling in step 2 uses ``scipy.ndimage.label`` — connected components are a building block
    here, not the lesson (Chapter 2's morphology section builds them from scratch).

    Defined in Chapter 2, Eq. (2.17).

    Examples
    --------
    >>> m = np.array([[0, 5, 5, 9, 0, 5]], dtype=float)
    >>> hysteresis_threshold(m, low=4, high=8).astype(int)   # the lone weak 5 on the right is dropped
    array([[0, 1, 1, 1, 0, 0]])
    """
    from scipy import ndimage

    m = check_array(magnitude, "magnitude", ndim=2, dtype_kind="fiu")
    low, high = check_nonnegative(low, "low"), check_nonnegative(high, "high")
    if low > high:
        raise ValueError(f"low must be <= high, got low={low} and high={high}.")
    weak = m > low                                                  # (H, W) candidate edges
    strong = m > high                                               # (H, W) sure edges
    labels, n = ndimage.label(weak, structure=np.ones((3, 3)))      # (H, W) component id, 0 = none
    has_strong = np.zeros(n + 1, dtype=bool)
    has_strong[labels[strong]] = True                               # components touching a strong pixel
    has_strong[0] = False
    return has_strong.take(labels)                                  # (H, W) has_strong[labels], ~2x faster


def canny(image, low: float, high: float, sigma: float = 1.0, l2: bool = True) -> np.ndarray:
    """Canny's edge detector: Gaussian blur → Sobel gradient → non-maximum suppression → hysteresis.

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype; thresholds are in Sobel-gradient units of its values
        (for uint8 images the magnitude reaches about 4 * 255 * sqrt(2)).
    low, high : float
        Hysteresis thresholds, ``0 <= low <= high``; Canny suggests high ≈ 2–3 × low.
    sigma : float
        Standard deviation of the Gaussian blur; 0 skips the blur (like ``cv2.Canny``, which never blurs).
    l2 : bool
        Euclidean gradient norm (``True``) or ``|gx| + |gy|`` (``False``, OpenCV's default).

    Returns
    -------
    (H, W) ndarray of bool
        One-pixel-wide edges.

    Notes
    -----
    The first three steps run on bands of ``_CANNY_BAND`` rows, so the images they pass to each other stay
    in the CPU cache (a whole-image pass per step costs ~2x more, mostly in memory traffic). A band needs
    a *halo* of rows above and below: non-maximum suppression looks 1 row away, the Sobel filter 1 more
    and the blur ``r`` more (the kernel radius). Results within ``r + 2`` rows of a cut are wrong and are
    thrown away; every kept row is computed by exactly the same arithmetic as on the whole image, so the
    edges are identical (a test checks it). Hysteresis needs whole edge chains, so it runs once at the end.

    References
    ----------
    J. Canny, "A computational approach to edge detection", IEEE TPAMI 8(6), 1986.

    Defined in Chapter 2, Eq. (2.18).

    Examples
    --------
    >>> square = np.zeros((20, 20)); square[5:15, 5:15] = 1.0
    >>> edges = canny(square, low=0.5, high=1.5, sigma=1.0)
    >>> bool(edges[10, 4] or edges[10, 5]), bool(edges[10, 10])   # on the border, not inside
    (True, False)
    """
    x = as_float_image(image)
    sigma = check_nonnegative(sigma, "sigma")
    low, high = check_nonnegative(low, "low"), check_nonnegative(high, "high")
    H, W = x.shape
    halo = (gaussian_kernel1d(sigma).size // 2 if sigma > 0 else 0) + 2   # rows a band's result depends on
    thin = np.empty((H, W))                                        # (H, W) magnitude after NMS
    for y0 in range(0, H, _CANNY_BAND):
        y1 = min(y0 + _CANNY_BAND, H)
        top, bottom = max(y0 - halo, 0), min(y1 + halo, H)        # the band and its halo, cut at the image
        f = gaussian_blur(x[top:bottom], sigma) if sigma > 0 else x[top:bottom]   # (bottom - top, W)
        magnitude, direction = gradient_magnitude_direction(f, l2=l2)
        thin[y0:y1] = non_max_suppression(magnitude, direction)[y0 - top:y1 - top]  # (y1 - y0, W)
    return hysteresis_threshold(thin, low, high)


def harris_response(image, k: float = 0.04, sigma: float = 1.0, block_size: int | None = None) -> np.ndarray:
    """Harris corner response ``R = det(M) - k trace(M)^2`` of the structure tensor ``M``.

    ``M = sum_window w [[gx^2, gx gy], [gx gy, gy^2]]``: large R → corner (both eigenvalues large),
    negative R → edge (one large), |R| small → flat.

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype.
    k : float
        Sensitivity, > 0; typical 0.04–0.06.
    sigma : float
        Standard deviation of the Gaussian window ``w``, > 0 (ignored if ``block_size`` is given).
    block_size : int, optional
        Use an unweighted ``block_size × block_size`` sum instead (what ``cv2.cornerHarris`` does).

    Returns
    -------
    (H, W) ndarray of float64

    References
    ----------
    C. Harris and M. Stephens, "A combined corner and edge detector", Alvey Vision Conference, 1988.

    Defined in Chapter 2, Eq. (2.51).

    Examples
    --------
    >>> f = np.zeros((21, 21)); f[10:, 10:] = 1.0          # one corner at (10, 10)
    >>> R = harris_response(f)
    >>> bool(R[10, 10] > 0), bool(R[15, 10] < 0), bool(R[2, 2] == 0)   # corner, edge, flat
    (True, True, True)
    """
    k = check_positive(k, "k")
    gx, gy = sobel(image)                                          # (H, W) each
    if block_size is None:
        sigma = check_positive(sigma, "sigma")

        def window(a):
            return gaussian_blur(a, sigma)
    else:
        b = check_odd_size(block_size, "block_size")

        def window(a):                                             # unnormalised b × b sum
            return sliding_window_view(pad(a, b // 2), (b, b)).sum(axis=(-2, -1))

    Sxx, Sxy, Syy = window(gx * gx), window(gx * gy), window(gy * gy)   # (H, W) entries of M
    det = Sxx * Syy - Sxy ** 2
    trace = Sxx + Syy
    return det - k * trace ** 2


def harris_corners(image, k: float = 0.04, sigma: float = 1.0, threshold_rel: float = 0.01,
                   min_distance: int = 3) -> np.ndarray:
    """Corner positions: local maxima of the Harris response above ``threshold_rel * max(R)``.

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype.
    k, sigma
        See :func:`harris_response`.
    threshold_rel : float
        Keep maxima with ``R > threshold_rel * R.max()``, in [0, 1].
    min_distance : int
        A corner must be the maximum of the ``(2 d + 1) × (2 d + 1)`` square around it, d >= 1, and
        more than d pixels (in rows or columns) from every stronger corner.

    Returns
    -------
    (K, 2) ndarray of int64
        ``(row, col)`` of each corner, strongest first.

    Examples
    --------
    >>> f = np.zeros((32, 32)); f[8:24, 8:24] = 1.0         # a square has four corners
    >>> len(harris_corners(f))
    4
    """
    if not 0.0 <= threshold_rel <= 1.0:
        raise ValueError(f"threshold_rel must be in [0, 1], got {threshold_rel}.")
    if isinstance(min_distance, bool) or not isinstance(min_distance, (int, np.integer)) or min_distance < 1:
        raise ValueError(f"min_distance must be an integer >= 1, got {min_distance!r}.")
    R = harris_response(image, k, sigma)
    s = 2 * min_distance + 1
    p = pad(R, min_distance, "replicate")                          # (H + 2d, W + 2d)
    local_max = sliding_window_view(p, s, axis=1).max(axis=-1)     # (H + 2d, W) max along rows
    local_max = sliding_window_view(local_max, s, axis=0).max(axis=-1)  # (H, W) max over the square
    peaks = (R == local_max) & (R > threshold_rel * R.max())
    rows, cols = np.nonzero(peaks)
    order = np.argsort(-R[rows, cols], kind="stable")
    candidates = np.stack([rows[order], cols[order]], axis=1).astype(np.int64)   # (K', 2) strongest first
    kept: list[np.ndarray] = []            # a plateau (equal R at neighbours) yields several maxima: keep one
    for p in candidates:
        if not kept or np.abs(np.asarray(kept) - p).max(axis=1).min() > min_distance:
            kept.append(p)
    return np.asarray(kept, dtype=np.int64).reshape(-1, 2)                        # (K, 2)
