"""Corner detection on a shared structure tensor: the Harris response and corner picking.

Chapter 2 (features).

References
----------
C. Harris and M. Stephens, "A combined corner and edge detector", Alvey Vision Conference, 1988.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from coursekit.core.validation import check_odd_size, check_positive
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

    Defined in :ref:`sec-harris` (Eq. :eq:`eq-harris-response`).

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
