"""Corner detection on a shared structure tensor: the Harris response and corner picking.

Chapter 2, section "Harris corners". Conventions (CONTRIBUTING.md, "Conventions"): the response is an
image indexed ``R[row, col]``; corner positions are points ``(x, y)`` = (column, row).

References
----------
C. Harris and M. Stephens, "A combined corner and edge detector", Alvey Vision Conference, 1988.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from coursekit.core.validation import check_fraction, check_int, check_odd_size, check_positive
from coursekit.image.derivatives import sobel
from coursekit.image.filters import gaussian_blur, pad

__all__ = ["harris_response", "harris_corners"]


def harris_response(image, k: float = 0.04, sigma: float = 1.0, block_size: int | None = None) -> np.ndarray:
    """Harris corner response ``R = det(M) - k trace(M)^2`` of the structure tensor ``M``.

    Defined in :ref:`sec-harris` (Eq. :eq:`eq-harris-response`).

    ``M = sum_window w [[gx^2, gx gy], [gx gy, gy^2]]``: large R → corner (both eigenvalues large),
    negative R → edge (one large), ``|R|`` small → flat.

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    k : float
        Sensitivity, > 0; typical 0.04–0.06.
    sigma : float
        Standard deviation of the Gaussian window ``w``, > 0 (ignored if ``block_size`` is given).
    block_size : int, optional
        Use an unweighted ``block_size × block_size`` sum instead (what ``cv2.cornerHarris`` does).

    Returns
    -------
    (H, W) ndarray of float64
        ``R[row, col]``, in units of (Sobel gradient)⁴: it scales with the fourth power of the image's
        range, so compare it with its own maximum (as :func:`harris_corners` does), not with a constant.

    Notes
    -----
    1. Sobel derivatives ``gx``, ``gy`` (unnormalised, gain 8).
    2. The three products ``gx²``, ``gx gy``, ``gy²``, each summed over the window ``w``: the entries of ``M``.
    3. ``R = det M - k (trace M)²`` at every pixel.

    ``cv2.cornerHarris`` divides Sobel by ``4 * block_size`` for float input, so its R is ours divided by
    ``(4 * block_size)**4``; ``skimage.feature.corner_harris`` uses a Gaussian window like the default here.

    References
    ----------
    C. Harris and M. Stephens, "A combined corner and edge detector", Alvey Vision Conference, 1988.

    Examples
    --------
    >>> f = np.zeros((21, 21)); f[10:, 10:] = 1.0          # one corner at (x, y) = (10, 10)
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


def harris_corners(image, k: float = 0.04, sigma: float = 1.0, *, threshold_rel: float = 0.01,
                   min_distance: int = 3) -> np.ndarray:
    """Corner positions ``(x, y)``: local maxima of the Harris response above ``threshold_rel * max(R)``.

    Defined in :ref:`sec-harris` (Eq. :eq:`eq-harris-response`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    k : float
        Sensitivity, see :func:`harris_response`.
    sigma : float
        Gaussian window, see :func:`harris_response`.
    threshold_rel : float
        Keyword-only. Keep maxima with ``R > threshold_rel * R.max()``, in [0, 1].
    min_distance : int
        Keyword-only. A corner must be the maximum of the ``(2 d + 1) × (2 d + 1)`` square around it,
        d >= 1, and more than d pixels (in x or y) from every stronger corner.

    Returns
    -------
    (K, 2) ndarray of int64
        ``(x, y)`` = (column, row) of each corner, strongest first; ``image[y, x]`` is the corner pixel.

    Notes
    -----
    1. The response ``R`` (:func:`harris_response`).
    2. Local maxima: ``R`` equals the maximum of its square, a separable max along rows then columns.
    3. Keep those above ``threshold_rel * R.max()``, strongest first; drop any within ``min_distance``
       of a stronger one (a plateau of equal R yields several maxima).

    The peak-picking arguments are keyword-only, as in :func:`coursekit.image.hough.find_peaks`: peers
    order them differently (``skimage.feature.corner_peaks(image, min_distance, threshold_abs,
    threshold_rel)``), so a call names them.

    References
    ----------
    C. Harris and M. Stephens, "A combined corner and edge detector", Alvey Vision Conference, 1988.

    Examples
    --------
    >>> f = np.zeros((32, 32)); f[8:24, 12:28] = 1.0        # a square has four corners
    >>> xy = harris_corners(f)
    >>> len(xy), sorted(set(xy[:, 0].tolist())), sorted(set(xy[:, 1].tolist()))   # x = columns, y = rows
    (4, [12, 27], [8, 23])
    """
    threshold_rel = check_fraction(threshold_rel, "threshold_rel")
    d = check_int(min_distance, "min_distance", 1)
    R = harris_response(image, k, sigma)                           # (H, W) 1.
    s = 2 * d + 1
    p = pad(R, d, "replicate")                                     # (H + 2d, W + 2d)
    local_max = sliding_window_view(p, s, axis=1).max(axis=-1)     # (H + 2d, W) 2. max along rows
    local_max = sliding_window_view(local_max, s, axis=0).max(axis=-1)  # (H, W) max over the square
    peaks = (R == local_max) & (R > threshold_rel * R.max())       # 3.
    rows, cols = np.nonzero(peaks)
    order = np.argsort(-R[rows, cols], kind="stable")
    candidates = np.stack([cols[order], rows[order]], axis=1).astype(np.int64)   # (K', 2) (x, y), strongest first
    kept: list[np.ndarray] = []
    for c in candidates:
        if not kept or np.abs(np.asarray(kept) - c).max(axis=1).min() > d:
            kept.append(c)
    return np.asarray(kept, dtype=np.int64).reshape(-1, 2)                        # (K, 2) (x, y)
