"""Non-linear smoothing: the median filter (with a sorting network) and the bilateral filter.

Chapter 2, section "Box, median and bilateral filters". dtype rule (CONTRIBUTING.md, "Conventions"): the
median only selects one of the window's values, so it keeps the input's dtype (like ``cv2.medianBlur`` and
``skimage.filters.median``); the bilateral filter averages, so it returns float64 on the input's scale.

References
----------
C. Tomasi and R. Manduchi, "Bilateral filtering for gray and color images", ICCV 1998.
K. E. Batcher, "Sorting networks and their applications", AFIPS Spring Joint Computer Conference 1968.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from coursekit.core.validation import (
    as_float_image,
    as_gray_image,
    check_choice,
    check_odd_size,
    check_positive,
)
from coursekit.image._sorting_networks import median_by_network
from coursekit.image.filters import PAD_MODES, pad, pad_index

__all__ = ["median_filter", "bilateral_filter"]


def median_filter(image, ksize: int = 3, mode: str = "reflect") -> np.ndarray:
    """Median of the ``ksize × ksize`` neighbourhood: a rank filter that removes impulse noise.

    Defined in :ref:`sec-box-median-bilateral` (Eq. :eq:`eq-median-filter`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool gives the majority vote of each window).
    ksize : int
        Odd window size (odd, so the median is one of the window's values).
    mode : str
        Border rule, see :func:`coursekit.image.filters.pad`.

    Returns
    -------
    (H, W) ndarray, same dtype as ``image``
        Exactly the median of each window: it is one of the input values, so nothing is rounded or
        converted (``cv2.medianBlur`` with ``mode="replicate"``).

    Notes
    -----
    1. Pad the image by ``ksize // 2`` in its own dtype.
    2. ``sliding_window_view`` gives every window without copying.
    3. ``np.partition`` places the middle element of each window in its sorted position without
       sorting the rest.

    Step 3 is one small sort per pixel, which NumPy cannot vectorise, so for ``ksize <= 7`` the fast path
    (``coursekit.image._sorting_networks.median_by_network``, held equal by the tests) runs a
    *selection network* on whole images instead: Batcher's odd–even merge sorting network, with spare
    wires held at ±inf and pruned back to the comparisons the middle output depends on, where each
    comparison is ``np.minimum``/``np.maximum`` of two shifted copies of the padded image. The k pixels
    of each column are sorted once and shared by the k windows that contain them, and the image is
    processed in cache-sized bands of flattened rows: 3×3 takes 18 min/max operations per pixel
    (6 to sort the columns, 12 for "max of lows, median of middles, min of highs"), 5×5 takes 166.

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
    p = _pad_native(x, ksize // 2, mode)                  # (H + k - 1, W + k - 1), 1. in the image's dtype
    if ksize <= 7:                                        # fast path: a selection network (Notes)
        return median_by_network(p, ksize)
    H, W = x.shape
    windows = sliding_window_view(p, (ksize, ksize))      # (H, W, k, k) 2. every window, a view
    windows = windows.reshape(H, W, ksize * ksize)        # (H, W, k*k), a copy
    middle = ksize * ksize // 2
    return np.partition(windows, middle, axis=-1)[..., middle]   # (H, W) 3. the middle value


def _pad_native(x: np.ndarray, r: int, mode: str) -> np.ndarray:
    """:func:`pad` in the image's own dtype (no float64 copy), by ``np.pad``'s equivalent rule."""
    mode = PAD_MODES[check_choice(mode, "mode", PAD_MODES)]
    np_mode = {"zero": "constant", "replicate": "edge"}.get(mode, mode)   # see the module's table
    if mode == "reflect" and min(x.shape) == 1:                           # a 1-pixel row reflects itself
        return x[np.ix_(pad_index(x.shape[0], r, r, mode), pad_index(x.shape[1], r, r, mode))]
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
        Grey image, any real dtype (bool counts as 0/1); ``sigma_color`` is in the same units (e.g.
        0..255 for uint8).
    sigma_color : float
        Range standard deviation, > 0: differences much larger than this are treated as edges.
    sigma_space : float
        Spatial standard deviation in pixels, > 0.
    d : int, optional
        Window diameter; default ``2 * round(1.5 sigma_space) + 1``, as in OpenCV. Only the pixels
        within a disc of radius ``d // 2`` are used, as in OpenCV.
    mode : str
        Border rule, see :func:`coursekit.image.filters.pad`.

    Returns
    -------
    (H, W) ndarray of float64
        On the input's scale.

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
