"""Non-linear smoothing: the median filter (with a sorting network) and the bilateral filter.

Chapter 2 (filtering).

References
----------
C. Tomasi and R. Manduchi, "Bilateral filtering for gray and color images", ICCV 1998.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import (
    as_float_image,
    as_gray_image,
    check_choice,
    check_odd_size,
    check_positive,
)
from coursekit.image._sorting_networks import median_band, median_partition
from coursekit.image.filters import PAD_MODES, _pad_index, pad

__all__ = ["median_filter", "bilateral_filter"]


def median_filter(image, ksize: int = 3, mode: str = "reflect") -> np.ndarray:
    """Median of the ``ksize × ksize`` neighbourhood: a rank filter that removes impulse noise.

    Defined in :ref:`sec-box-median-bilateral` (Eq. :eq:`eq-median-filter`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype.
    ksize : int
        Odd window size (odd, so the median is one of the window's values).
    mode : str
        Border rule, see :func:`pad`.

    Returns
    -------
    (H, W) ndarray of float64
        Exactly the median of each window (converted to float64 only at the end, so uint8 medians are
        whole numbers).

    Notes
    -----
    ``sliding_window_view`` gives every window without copying; ``np.partition`` then places the
    middle element of each window in its sorted position without sorting the rest.

    That is one small sort per pixel, which NumPy cannot vectorise, so for ``ksize <= 7`` we instead run a
    *selection network* on whole images: Batcher's odd–even merge sorting network, with spare wires held
    at ±inf and pruned back to the comparisons the middle output depends on, where each comparison is
    ``np.minimum``/``np.maximum`` of two shifted copies of the padded image. Two tricks make it cheap:
    the k pixels of each column are sorted once and shared by the k windows that contain them, and the
    image is processed in bands of rows, flattened, so every operand is a contiguous 1-D array that stays
    in the CPU cache. The network works in the image's own dtype (the median of an odd count is one of
    the inputs, so nothing is rounded): 3×3 takes 18 min/max operations per pixel (6 to sort the
    columns, 12 for the classic "max of lows, median of middles, min of highs" step), 5×5 takes 166.

    References
    ----------
    K. E. Batcher, "Sorting networks and their applications", AFIPS Spring Joint Computer Conference 1968.

    Examples
    --------
    >>> f = np.full((5, 5), 10.0); f[2, 2] = 255.0       # one "salt" pixel
    >>> float(median_filter(f, 3)[2, 2])
    10.0
    """
    x = as_gray_image(image)
    ksize = check_odd_size(ksize, "ksize")
    r = ksize // 2
    p = _pad_native(x, r, mode)                           # (H + 2r, W + 2r), the image's dtype
    if ksize > 7:                                         # big windows: the network grows as k^2 log^2 k
        return median_partition(p, ksize).astype(np.float64)
    H, W = x.shape
    out = np.empty((H, W))
    band = max(1, 2 ** (18 - r) // p.shape[1])            # rows per band: operands of 2^(18-r) elements,
                                                          # smaller for big windows (more values alive)
    for y in range(0, H, band):
        out[y:y + band] = median_band(p[y:y + band + 2 * r], ksize)   # (band, W)
    return out


def _pad_native(x: np.ndarray, r: int, mode: str) -> np.ndarray:
    """:func:`pad` in the image's own dtype (no float64 copy), by ``np.pad``'s equivalent rule."""
    mode = PAD_MODES[check_choice(mode, "mode", PAD_MODES)]
    np_mode = {"zero": "constant", "replicate": "edge"}.get(mode, mode)   # see the module's table
    if mode == "reflect" and min(x.shape) == 1:                           # a 1-pixel row reflects itself
        return x[np.ix_(_pad_index(x.shape[0], r, r, mode), _pad_index(x.shape[1], r, r, mode))]
    return np.pad(x, r, mode=np_mode)


def bilateral_filter(image, sigma_color: float, sigma_space: float, d: int | None = None,
                     mode: str = "reflect") -> np.ndarray:
    """Edge-preserving smoothing: a weighted mean whose weights fall with distance *and* with difference.

    Defined in :ref:`sec-box-median-bilateral` (Eq. :eq:`eq-bilateral-filter`).

    ``g(p) = sum_q w_s(p, q) w_r(p, q) f(q) / sum_q w_s(p, q) w_r(p, q)`` with the spatial weight
    ``w_s = exp(-|p - q|^2 / (2 sigma_space^2))`` and the range weight
    ``w_r = exp(-(f(p) - f(q))^2 / (2 sigma_color^2))``.

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype; ``sigma_color`` is in the same units (e.g. 0..255 for uint8).
    sigma_color : float
        Range standard deviation, > 0: differences much larger than this are treated as edges.
    sigma_space : float
        Spatial standard deviation in pixels, > 0.
    d : int, optional
        Window diameter; default ``2 * round(1.5 sigma_space) + 1``, as in OpenCV. Only the pixels
        within a disc of radius ``d // 2`` are used, as in OpenCV.
    mode : str
        Border rule, see :func:`pad`.

    Returns
    -------
    (H, W) ndarray of float64

    Notes
    -----
    One pass per offset ``(u, v)`` in the disc: shift, weigh, accumulate numerator and denominator.

    References
    ----------
    C. Tomasi and R. Manduchi, "Bilateral filtering for gray and color images", ICCV 1998.

    Examples
    --------
    >>> step = np.repeat([[0.0] * 4 + [100.0] * 4], 8, axis=0)
    >>> out = bilateral_filter(step, sigma_color=10.0, sigma_space=2.0)
    >>> bool(np.abs(out - step).max() < 1e-6)           # the edge survives
    True
    """
    x = as_float_image(image)
    sigma_color = check_positive(sigma_color, "sigma_color")
    sigma_space = check_positive(sigma_space, "sigma_space")
    r = max(int(round(1.5 * sigma_space)), 1) if d is None else check_odd_size(d, "d") // 2
    H, W = x.shape
    p = pad(x, r, mode)                                   # (H + 2r, W + 2r)
    num = np.zeros((H, W))
    den = np.zeros((H, W))
    for u in range(-r, r + 1):
        for v in range(-r, r + 1):
            if u * u + v * v > r * r:                     # keep a disc, not a square
                continue
            q = p[r + u:r + u + H, r + v:r + v + W]       # (H, W) neighbour at offset (u, v)
            w = np.exp(-(q - x) ** 2 / (2 * sigma_color ** 2) - (u * u + v * v) / (2 * sigma_space ** 2))
            num += w * q
            den += w
    return num / den                                      # den >= 1 (the centre has weight 1)
