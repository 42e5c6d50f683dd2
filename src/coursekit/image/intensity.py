"""Point operations, histograms, equalisation and Otsu's threshold (Chapter 2).

A *point operation* maps each grey value to a new one, ``s = T(r)``, without
looking at the neighbours: the negative, the log transform and gamma
correction. Histogram equalisation and Otsu's method choose ``T`` from the
image's own histogram.

dtype rules (CONTRIBUTING.md, "Conventions"): the point operations work on the
``[0, L - 1]`` scale and keep the representation — ``uint8`` holds 0..255
(``L = 256``) and comes back as ``uint8``; float (or bool) holds values in
[0, 1] and comes back as float64. The functions that model 8-bit algorithms,
:func:`histogram`, :func:`equalize_hist` and :func:`otsu_threshold`, accept
only ``uint8``, like OpenCV's. :func:`threshold` takes any real image.

References
----------
- R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., ch. 3.
- N. Otsu, "A threshold selection method from gray-level histograms",
  IEEE Trans. SMC 9(1), 1979.
"""

from __future__ import annotations

import numbers

import numpy as np

from coursekit.core.validation import (
    as_gray_image,
    as_uint8_image,
    check_array,
    check_in_range,
    check_positive,
)

__all__ = [
    "negative", "log_transform", "gamma_correct", "histogram", "equalize_hist", "otsu_threshold",
    "between_class_variance", "threshold",
]


def _as_unit_range(image: np.ndarray, name: str = "image") -> tuple[np.ndarray, bool]:
    """Return ``(r, was_uint8)`` with ``r`` the image as float64 in [0, 1] (bool counts as 0/1)."""
    as_gray_image(image, name)
    if image.dtype == np.uint8:
        return image.astype(np.float64) / 255.0, True
    if image.dtype.kind not in "fb":
        raise ValueError(f"{name} must be uint8 (0..255) or float in [0, 1] (bool counts as 0/1), "
                         f"got dtype {image.dtype}; the number of levels L of other integer types is unknown.")
    check_in_range(image, 0.0, 1.0, name)
    return image.astype(np.float64), False


def _back(s: np.ndarray, was_uint8: bool) -> np.ndarray:
    """Map a result in [0, 1] back to the input's convention (rounding for uint8)."""
    if was_uint8:
        return np.clip(np.rint(s * 255.0), 0, 255).astype(np.uint8)
    return s


def negative(image: np.ndarray) -> np.ndarray:
    """The image negative ``s = (L - 1) - r``.

    Defined in :ref:`sec-point-operations` (Eq. :eq:`eq-negative`).

    Parameters
    ----------
    image : (H, W) ndarray of uint8, float or bool
        uint8 in 0..255 (``L - 1 = 255``), or float (or bool) in [0, 1] (``L - 1 = 1``).

    Returns
    -------
    (H, W) ndarray of uint8 or float64
        uint8 for uint8 input, float64 otherwise.

    Notes
    -----
    Dark becomes bright and bright dark; the order of the levels is reversed, nothing else changes.

    References
    ----------
    R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., sec. 3.2.

    Examples
    --------
    >>> negative(np.array([[0, 100, 255]], dtype=np.uint8))
    array([[255, 155,   0]], dtype=uint8)
    """
    r, was_uint8 = _as_unit_range(image)
    return _back(1.0 - r, was_uint8)


def log_transform(image: np.ndarray) -> np.ndarray:
    """The log transform ``s = c log(1 + r)`` with ``c`` chosen so the brightest level stays brightest.

    Defined in :ref:`sec-point-operations` (Eq. :eq:`eq-log-transform`).

    Parameters
    ----------
    image : (H, W) ndarray of uint8, float or bool
        uint8 in 0..255, or float (or bool) in [0, 1].

    Returns
    -------
    (H, W) ndarray of uint8 or float64
        uint8 for uint8 input (``c = 255 / log 256`` on raw levels), float64 in [0, 1]
        otherwise (``c = 1 / log 2``).

    Notes
    -----
    The transform is computed on the image's own scale (0..255 for uint8),
    where ``log(1 + r)`` stretches the dark levels strongly: this is the
    transform used to display a Fourier spectrum.

    References
    ----------
    R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., sec. 3.2.

    Examples
    --------
    >>> log_transform(np.array([[0, 1, 15, 255]], dtype=np.uint8))
    array([[  0,  32, 128, 255]], dtype=uint8)
    """
    r, was_uint8 = _as_unit_range(image)
    if was_uint8:
        levels = r * 255.0                                   # back to 0..255
        return _back(np.log1p(levels) / np.log(256.0), True)  # c = 255 / log(256), then / 255
    return np.log1p(r) / np.log(2.0)


def gamma_correct(image: np.ndarray, gamma: float) -> np.ndarray:
    """The power law ``s = r ** gamma`` on intensities normalised to [0, 1].

    Defined in :ref:`sec-point-operations` (Eq. :eq:`eq-gamma`).

    Parameters
    ----------
    image : (H, W) ndarray of uint8, float or bool
        uint8 in 0..255, or float (or bool) in [0, 1].
    gamma : float
        > 0. ``gamma < 1`` brightens the dark tones, ``gamma > 1`` darkens them;
        encoding for a display of gamma 2.2 uses ``gamma = 1 / 2.2``.

    Returns
    -------
    (H, W) ndarray of uint8 or float64
        uint8 (rounded ``255 * (r / 255) ** gamma``) for uint8 input, float64 otherwise.

    Notes
    -----
    Normalise to [0, 1], raise to the power, and map back to the input's scale: 0 and the brightest
    level are fixed points for every gamma.

    References
    ----------
    C. Poynton, *Digital Video and HD: Algorithms and Interfaces*, 2nd ed., ch. 27 ("Gamma").

    Examples
    --------
    >>> gamma_correct(np.array([[0, 64, 255]], dtype=np.uint8), 0.5)
    array([[  0, 128, 255]], dtype=uint8)
    """
    gamma = check_positive(gamma, "gamma")
    r, was_uint8 = _as_unit_range(image)
    return _back(r ** gamma, was_uint8)


def histogram(image: np.ndarray) -> np.ndarray:
    """Counts ``h(k)`` of each grey level ``k = 0..255`` of a uint8 image.

    Defined in :ref:`sec-histogram-equalisation` (Eq. :eq:`eq-histogram`).

    Parameters
    ----------
    image : (H, W) ndarray of uint8
        An 8-bit image (the histogram has one bin per level, so uint8 is required).

    Returns
    -------
    (256,) ndarray of int64
        ``h[k]`` = number of pixels equal to ``k``; sums to ``H * W``.

    Notes
    -----
    One ``np.bincount`` over the flattened image, with ``minlength=256`` so that every level has a bin.

    References
    ----------
    R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., sec. 3.3.

    Examples
    --------
    >>> histogram(np.array([[0, 0, 3]], dtype=np.uint8))[:4]
    array([2, 0, 0, 1])
    """
    as_uint8_image(image)
    return np.bincount(image.ravel(), minlength=256).astype(np.int64)  # (256,)


def equalize_hist(image: np.ndarray) -> np.ndarray:
    """Histogram equalisation of a uint8 image by its cumulative histogram (OpenCV's convention).

    Defined in :ref:`sec-histogram-equalisation` (Eq. :eq:`eq-histogram-equalisation`).

    Parameters
    ----------
    image : (H, W) ndarray of uint8
        An 8-bit image (equalisation is an 8-bit algorithm, so uint8 is required).

    Returns
    -------
    (H, W) ndarray of uint8
        ``s = round(255 * (cdf(r) - cdf_min) / (N - cdf_min))``; the darkest
        level present maps to 0 and the brightest to 255.

    Notes
    -----
    1. Histogram ``h`` (:func:`histogram`), cumulative sum ``cdf``.
    2. ``cdf_min`` = the cdf at the darkest level present, ``N = H * W``.
    3. A look-up table ``lut[k] = round(255 (cdf[k] - cdf_min) / (N - cdf_min))``, applied as ``lut[image]``.

    A constant image is returned unchanged (the mapping is undefined: ``N = cdf_min``).
    This is what ``cv2.equalizeHist`` computes; ``skimage.exposure.equalize_hist``
    returns ``cdf / N`` as float instead.

    References
    ----------
    R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., sec. 3.3.

    Examples
    --------
    >>> equalize_hist(np.array([[10, 10, 20, 30]], dtype=np.uint8))
    array([[  0,   0, 128, 255]], dtype=uint8)
    """
    h = histogram(image)                        # (256,)
    cdf = np.cumsum(h)                          # (256,)
    n = cdf[-1]
    cdf_min = cdf[np.flatnonzero(h)[0]]         # cdf at the darkest level present
    if cdf_min == n:                            # one grey level only: nothing to spread
        return image.copy()
    lut = np.rint(255.0 * (cdf - cdf_min) / (n - cdf_min))
    lut = np.clip(lut, 0, 255).astype(np.uint8)  # (256,); levels below the darkest are never used
    return lut[image]


def between_class_variance(hist: np.ndarray) -> np.ndarray:
    """Otsu's between-class variance ``sigma_B^2(t)`` for every threshold ``t`` of a histogram.

    Defined in :ref:`sec-otsu` (Eq. :eq:`eq-otsu-between-class-variance`).

    Parameters
    ----------
    hist : (L,) ndarray of int or float
        Counts per grey level (e.g. from :func:`histogram`), not all zero.

    Returns
    -------
    (L,) ndarray of float64
        ``sigma_B^2(t)`` when class 0 is the levels ``<= t`` and class 1 the levels ``> t``, in squared
        grey levels; 0 where a class is empty.

    Notes
    -----
    With ``p = hist / hist.sum()``: ``omega(t) = sum_{k<=t} p_k``, ``mu(t) = sum_{k<=t} k p_k``,
    ``mu_T = mu(L - 1)`` and ``sigma_B^2(t) = (mu_T omega(t) - mu(t))^2 / (omega(t) (1 - omega(t)))``.

    References
    ----------
    N. Otsu, "A threshold selection method from gray-level histograms", IEEE Trans. SMC 9(1), 1979.

    Examples
    --------
    >>> between_class_variance(np.array([1, 0, 1])).round(3)
    array([1., 1., 0.])
    """
    check_array(hist, "hist", ndim=1, dtype_kind="biuf")
    if hist.size == 0 or hist.sum() <= 0:
        raise ValueError("hist must hold at least one positive count.")
    p = hist.astype(np.float64) / hist.sum()              # (L,) probabilities
    k = np.arange(p.size, dtype=np.float64)
    omega = np.cumsum(p)                                  # (L,) weight of class 0
    mu = np.cumsum(k * p)                                 # (L,) first moment of class 0
    mu_t = mu[-1]                                         # mean of the whole image
    denom = omega * (1.0 - omega)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = (mu_t * omega - mu) ** 2 / denom
    return np.where(denom > 1e-12, s2, 0.0)


def otsu_threshold(image: np.ndarray) -> int:
    """Otsu's threshold: the grey level that maximises the between-class variance.

    Defined in :ref:`sec-otsu` (Eq. :eq:`eq-otsu-between-class-variance`).

    Parameters
    ----------
    image : (H, W) ndarray of uint8
        An 8-bit image (the threshold is searched over its 256 levels, so uint8 is required).

    Returns
    -------
    int
        ``t`` in 0..255; the foreground is ``image > t`` (the convention of
        ``cv2.threshold(..., cv2.THRESH_OTSU)`` and ``skimage.filters.threshold_otsu``).
        Ties go to the smallest ``t``.

    Notes
    -----
    1. Normalised histogram ``p_k``.
    2. For every ``t``: ``omega(t) = sum_{k<=t} p_k``, ``mu(t) = sum_{k<=t} k p_k``, ``mu_T = mu(255)``.
    3. ``sigma_B^2(t) = (mu_T omega(t) - mu(t))^2 / (omega(t) (1 - omega(t)))``; return its argmax.

    Maximising the between-class variance is the same as minimising the within-class
    variance, because the two add up to the total variance, which does not depend on ``t``.

    References
    ----------
    N. Otsu, "A threshold selection method from gray-level histograms", IEEE Trans. SMC 9(1), 1979.

    Examples
    --------
    >>> img = np.array([[10, 10, 12, 200, 202, 202]], dtype=np.uint8)
    >>> otsu_threshold(img)
    12
    """
    s2 = between_class_variance(histogram(image))  # (256,)
    return int(np.argmax(s2))


def threshold(image: np.ndarray, t: float) -> np.ndarray:
    """Global threshold: the mask of pixels brighter than ``t``.

    Defined in :ref:`sec-otsu` (Eq. :eq:`eq-threshold`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    t : float
        The threshold, in the image's own units (e.g. 0..255 for uint8).

    Returns
    -------
    (H, W) ndarray of bool
        ``image > t``. ``cv2.threshold(image, t, 255, cv2.THRESH_BINARY)`` gives ``255 * mask``.

    Notes
    -----
    Strictly greater, so that Otsu's ``t`` puts the level ``t`` itself in the background.

    References
    ----------
    N. Otsu, "A threshold selection method from gray-level histograms", IEEE Trans. SMC 9(1), 1979.

    Examples
    --------
    >>> threshold(np.array([[1, 5, 9]]), 5)
    array([[False, False,  True]])
    """
    as_gray_image(image)
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not np.isfinite(t):
        raise ValueError(f"t must be a finite number, got {t!r}.")
    return image > t
