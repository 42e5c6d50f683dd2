"""The Hough transform for lines and circles (Chapter 2).

Every edge pixel *votes* for all the shapes that could pass through it; shapes
supported by many pixels show up as peaks of the vote accumulator. A line is
written in the polar (normal) form ``rho = x cos(theta) + y sin(theta)``, with
``x`` the column and ``y`` the row, so vertical lines are as easy as any
other (the slope ``m`` of ``y = m x + c`` would be infinite). A circle of
known radius ``r`` through an edge pixel has its centre on a circle of radius
``r`` around that pixel.

Conventions (CONTRIBUTING.md): points and offsets are ``(x, y)`` = (column, row); accumulators name
their axes (lines ``[rho bin, theta bin]``, circles ``[radius, row, col]``); line votes are counts, circle
votes fractions of the circle (counts would favour big circles); detections come strength first.

References
----------
- P. V. C. Hough, "Method and means for recognizing complex patterns", US Patent 3,069,654, 1962.
- R. O. Duda and P. E. Hart, "Use of the Hough transformation to detect lines and curves in
  pictures", Comm. ACM 15(1), 1972 (the polar form).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from coursekit.core.validation import check_array, check_int, check_positive

__all__ = [
    "hough_lines_accumulator", "hough_line_peaks", "circle_offsets", "hough_circles_accumulator",
    "hough_circles", "find_peaks",
]


def _as_edge_map(edges) -> np.ndarray:
    check_array(edges, "edges", ndim=2, dtype_kind="biuf")
    if edges.shape[0] == 0 or edges.shape[1] == 0:
        raise ValueError(f"edges is empty (shape {edges.shape}).")
    return edges != 0  # (H, W) bool: any nonzero pixel votes


def hough_lines_accumulator(edges: np.ndarray, thetas: np.ndarray | None = None,
                            rho_res: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vote in (rho, theta) space: every edge pixel adds one vote to each line through it.

    Defined in :ref:`sec-hough-lines` (Eq. :eq:`eq-hough-line`).

    Parameters
    ----------
    edges : (H, W) ndarray
        The edge map, bool or any real dtype; every nonzero pixel votes.
    thetas : (T,) ndarray of float, optional
        Angles of the line normals in radians; default 180 angles in [-pi/2, pi/2).
    rho_res : float
        Width of one rho bin in pixels.

    Returns
    -------
    accumulator : (R, T) ndarray of int64
        Indexed ``[rho bin, theta bin]``: ``accumulator[i, j]`` = number of edge pixels (a count) with
        ``round((x cos theta_j + y sin theta_j) / rho_res) = i - D``, where ``(x, y)`` = (column, row).
    thetas : (T,) ndarray of float64
        The angles of the columns.
    rhos : (R,) ndarray of float64
        The distances of the rows: ``rho_res * (-D, ..., D)`` with ``D = ceil(diagonal / rho_res)``.

    Notes
    -----
    1. Coordinates ``(x, y)`` of the N edge pixels.
    2. ``rho = x cos(theta) + y sin(theta)`` for all pixels and angles: one matrix product
       ``[cos sin] @ [x; y]`` of shapes (T, 2) @ (2, N).
    3. Round to a bin, then count with ``np.bincount`` on the flattened (angle, bin) index.

    With ``rho_res = 1`` this is the accumulator of ``skimage.transform.hough_line`` (same order of
    returns). Two choices make it fast. Steps 2-3 run on a block of angles at a time, so the (b, N)
    temporaries stay in the CPU cache and no (N, T) array is ever built. The votes are counted
    angle-major, in a (T, R) array transposed at the end: for one angle, neighbouring pixels vote for
    neighbouring bins, so the counts being incremented stay in the cache too.

    References
    ----------
    R. O. Duda and P. E. Hart, "Use of the Hough transformation to detect lines and curves", CACM 15(1), 1972.

    Examples
    --------
    >>> e = np.zeros((5, 5), bool); e[:, 2] = True          # the vertical line x = 2
    >>> acc, th, rh = hough_lines_accumulator(e, np.array([0.0, np.pi / 2]))
    >>> int(acc.max()), float(rh[np.argmax(acc[:, 0])])
    (5, 2.0)
    """
    mask = _as_edge_map(edges)
    if thetas is None:
        thetas = np.linspace(-np.pi / 2, np.pi / 2, 180, endpoint=False)
    thetas = np.asarray(thetas, dtype=np.float64)
    check_array(thetas, "thetas", ndim=1)
    if thetas.size == 0:
        raise ValueError("thetas is empty; pass at least one angle.")
    rho_res = check_positive(rho_res, "rho_res")
    h, w = mask.shape
    d = int(np.ceil(np.hypot(h, w) / rho_res))               # bins on each side of rho = 0 (as skimage)
    rhos = rho_res * np.arange(-d, d + 1, dtype=np.float64)  # (R,), R = 2 D + 1
    ys, xs = np.nonzero(mask)                                # (N,) 1. rows and columns
    xy = np.stack([xs, ys]).astype(np.float64)               # (2, N) pixel coordinates [x; y]
    cs = np.stack([np.cos(thetas), np.sin(thetas)], axis=1)  # (T, 2) rows [cos theta, sin theta]
    t, r = thetas.size, rhos.size
    acc = np.empty((t, r), dtype=np.int64)                   # (T, R) votes, angle-major; transposed at the end
    block = max(1, 2 ** 17 // max(xs.size, 1))               # angles per block: ~128K votes, cache-sized
    for j in range(0, t, block):
        rho = cs[j:j + block] @ xy                           # (b, N) 2. x cos(theta) + y sin(theta)
        b = rho.shape[0]
        rho /= rho_res
        np.rint(rho, out=rho)                                # (b, N) 3. rho bin, -D..D
        rho += (r * np.arange(b) + d)[:, None]               # (b, N) index into the block's (b, R) counts
        acc[j:j + b] = np.bincount(rho.astype(np.intp).ravel(), minlength=b * r).reshape(b, r)
    return np.ascontiguousarray(acc.T), thetas, rhos        # (R, T)


def _box_max(a: np.ndarray, radius: int) -> np.ndarray:
    """Maximum over a ``(2 radius + 1)``-wide box, one axis at a time (a box max is separable)."""
    for axis in range(a.ndim):                      # outside the array counts as -inf
        p = np.pad(a, [(radius, radius) if i == axis else (0, 0) for i in range(a.ndim)], constant_values=-np.inf)
        a = sliding_window_view(p, 2 * radius + 1, axis=axis).max(axis=-1)
    return a


def find_peaks(acc: np.ndarray, *, threshold: float, num_peaks: int, min_distance: int) -> np.ndarray:
    """Indices of the strongest local maxima of an accumulator, at least ``min_distance`` apart.

    Defined in :ref:`sec-hough-lines` (Eq. :eq:`eq-hough-line-accumulator`).

    Parameters
    ----------
    acc : ndarray
        A 2-D or 3-D vote array, any real dtype.
    threshold : float
        Keyword-only. Minimum votes of a peak, in the accumulator's units.
    num_peaks : int
        Keyword-only. At most this many peaks are returned, >= 1.
    min_distance : int
        Keyword-only. A peak must be strictly more than ``min_distance`` bins away (along some axis)
        from every stronger accepted peak, and be the maximum of its ``(2 min_distance + 1)``-wide box.

    Returns
    -------
    (K, acc.ndim) ndarray of int64
        Array indices of the peaks in the accumulator's own axis order (not points), strongest first.

    Notes
    -----
    1. Local maxima: equal to the maximum of their box (a separable box max), above ``threshold`` and > 0.
    2. Sort them by votes, strongest first (ties in raster order).
    3. Accept greedily, skipping any within ``min_distance`` of an accepted peak.

    References
    ----------
    R. O. Duda and P. E. Hart, "Use of the Hough transformation to detect lines and curves", CACM 15(1), 1972.

    Examples
    --------
    >>> a = np.zeros((5, 5)); a[1, 1] = 3; a[1, 2] = 2; a[4, 4] = 1
    >>> find_peaks(a, threshold=1, num_peaks=5, min_distance=1).tolist()
    [[1, 1], [4, 4]]
    """
    check_array(acc, "acc", ndim=(2, 3), dtype_kind="biuf")
    num_peaks = check_int(num_peaks, "num_peaks", 1)
    min_distance = check_int(min_distance, "min_distance", 0)
    a = acc.astype(np.float64)
    local_max = (a == _box_max(a, min_distance)) & (a >= threshold) & (a > 0)   # 1.
    cand = np.argwhere(local_max)                    # (M, ndim)
    order = np.argsort(-a[local_max], kind="stable")  # 2. strongest first; ties in raster order
    cand = cand[order]
    kept: list[np.ndarray] = []
    for c in cand:                                   # 3.
        if all(np.abs(c - k).max() > min_distance for k in kept):
            kept.append(c)
            if len(kept) == num_peaks:
                break
    return np.array(kept, dtype=np.int64).reshape(-1, acc.ndim)


def hough_line_peaks(acc: np.ndarray, thetas: np.ndarray, rhos: np.ndarray, *, threshold: float | None = None,
                     num_peaks: int = 10, min_distance: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The strongest lines of a Hough accumulator: local maxima with at least ``threshold`` votes.

    Defined in :ref:`sec-hough-lines` (Eq. :eq:`eq-hough-line-accumulator`).

    Parameters
    ----------
    acc : (R, T) ndarray
        From :func:`hough_lines_accumulator`, indexed ``[rho bin, theta bin]``.
    thetas : (T,) ndarray
        The angle of each column of ``acc``.
    rhos : (R,) ndarray
        The distance of each row of ``acc``.
    threshold : float, optional
        Keyword-only. Minimum votes (a count of pixels); default half of the largest count.
    num_peaks : int
        Keyword-only. Maximum number of lines.
    min_distance : int
        Keyword-only. Suppression radius in bins (in rho and theta). A line near the ends of the theta
        range is also compared with its twin ``(-rho, theta ± pi)``.

    Returns
    -------
    votes : (K,) ndarray of int64
        Votes of each line, strongest first.
    thetas : (K,) ndarray of float64
        The lines' normal angles.
    rhos : (K,) ndarray of float64
        The lines' distances: each line is ``rho = x cos(theta) + y sin(theta)``, ``(x, y)`` = (column, row).

    Notes
    -----
    1. Candidate peaks of the accumulator (:func:`find_peaks`, every local maximum above ``threshold``).
    2. Accept them strongest first, dropping any within ``min_distance`` bins of an accepted line,
       across the wrap-around ``(rho, theta) = (-rho, theta ± pi)`` too (returns ordered as
       ``skimage.transform.hough_line_peaks``).

    References
    ----------
    R. O. Duda and P. E. Hart, "Use of the Hough transformation to detect lines and curves", CACM 15(1), 1972.

    Examples
    --------
    >>> e = np.zeros((60, 60), bool); e[5, :] = True; e[:, 12] = True
    >>> v, th, rh = hough_line_peaks(*hough_lines_accumulator(e), num_peaks=2)
    >>> sorted(zip(np.degrees(th).round().tolist(), rh.tolist()))
    [(-90.0, -5.0), (0.0, 12.0)]
    """
    check_array(acc, "acc", ndim=2, dtype_kind="iuf")
    if acc.shape != (len(rhos), len(thetas)):
        raise ValueError(f"acc must have shape (len(rhos), len(thetas)) = {(len(rhos), len(thetas))}, "
                         f"got {acc.shape}.")
    if threshold is None:
        threshold = 0.5 * float(acc.max())
    thetas, rhos = np.asarray(thetas, float), np.asarray(rhos, float)
    cand = find_peaks(acc, threshold=threshold, num_peaks=acc.size, min_distance=min_distance)  # (M, 2)
    d_rho = min_distance * (rhos[1] - rhos[0] if rhos.size > 1 else 1.0)
    d_theta = min_distance * (np.abs(np.diff(thetas)).min() if thetas.size > 1 else 0.0)
    kept: list[int] = []
    for m, (i, j) in enumerate(cand):                          # (rho bin, theta bin)
        rho, theta = rhos[i], thetas[j]
        # (rho, theta) and (-rho, theta ± pi) are the same line: suppress across the wrap-around too
        near = [abs(rhos[a] - rho) <= d_rho and abs(thetas[b] - theta) <= d_theta
                or abs(rhos[a] + rho) <= d_rho and abs(np.pi - abs(thetas[b] - theta)) <= d_theta
                for a, b in cand[kept]]
        if not any(near):
            kept.append(m)
            if len(kept) == num_peaks:
                break
    idx = cand[kept].reshape(-1, 2)                             # (K, 2) (rho bin, theta bin)
    return acc[idx[:, 0], idx[:, 1]].astype(np.int64), thetas[idx[:, 1]], rhos[idx[:, 0]]


def circle_offsets(radius: int) -> np.ndarray:
    """The integer offsets ``(dx, dy)`` of a digital circle of the given radius, without repeats.

    Defined in :ref:`sec-hough-circles` (Eq. :eq:`eq-hough-circle`).

    Parameters
    ----------
    radius : int
        Radius in pixels, >= 1.

    Returns
    -------
    (M, 2) ndarray of int64
        ``(dx, dy)`` = (column offset, row offset) of each pixel of the circle, sorted by dx then dy.

    Notes
    -----
    Sample the circle ``(r cos phi, r sin phi)`` about four times per pixel of circumference, round to
    the nearest pixel and drop repeats: every pixel the circle passes closest to, once.

    References
    ----------
    R. O. Duda and P. E. Hart, "Use of the Hough transformation to detect lines and curves", CACM 15(1), 1972.

    Examples
    --------
    >>> circle_offsets(1).tolist()
    [[-1, -1], [-1, 0], [-1, 1], [0, -1], [0, 1], [1, -1], [1, 0], [1, 1]]
    """
    radius = check_int(radius, "radius", 1)
    phi = np.linspace(0.0, 2 * np.pi, int(np.ceil(8 * np.pi * radius)), endpoint=False)  # ~4 samples per pixel
    pts = np.stack([np.rint(radius * np.cos(phi)), np.rint(radius * np.sin(phi))], axis=1)  # (P, 2) (dx, dy)
    return np.unique(pts.astype(np.int64), axis=0)  # (M, 2)


def hough_circles_accumulator(edges: np.ndarray, radii, normalize: bool = True) -> np.ndarray:
    """Vote for circle centres: each edge pixel votes on a circle of radius ``r`` around itself.

    Defined in :ref:`sec-hough-circles` (Eq. :eq:`eq-hough-circle`).

    Parameters
    ----------
    edges : (H, W) ndarray
        The edge map, bool or any real dtype; every nonzero pixel votes.
    radii : int or sequence of int
        The K radii to try (one known radius or a range), each >= 1.
    normalize : bool
        ``True`` (default): divide each radius's votes by the number of pixels of its digital circle, so
        radii compare fairly (a full circle scores 1 whatever its size). ``False``: raw counts.

    Returns
    -------
    (K, H, W) ndarray of float64
        Indexed ``[radius, row, col]``: ``acc[k, yc, xc]`` is the fraction (or count) of the digital
        circle of radius ``radii[k]`` centred at ``(x, y) = (xc, yc)`` that lies on edge pixels.

    Notes
    -----
    1. Coordinates ``(x, y)`` of the N edge pixels.
    2. For each radius: the candidate centres ``(x + dx, y + dy)`` for every offset of
       :func:`circle_offsets`, those inside the image.
    3. Count them per centre with ``np.bincount``; divide by the number of offsets if ``normalize``.

    ``skimage.transform.hough_circle(edges, radii, normalize=True)`` normalises the same way.

    References
    ----------
    R. O. Duda and P. E. Hart, "Use of the Hough transformation to detect lines and curves", CACM 15(1), 1972.

    Examples
    --------
    >>> yy, xx = np.mgrid[:21, :21]
    >>> ring = np.abs(np.hypot(yy - 10, xx - 10) - 6) < 0.5
    >>> acc = hough_circles_accumulator(ring, [6])
    >>> np.unravel_index(np.argmax(acc), acc.shape)[1:] == (10, 10)
    True
    """
    mask = _as_edge_map(edges)
    radii = np.atleast_1d(np.asarray(radii))
    if radii.ndim != 1 or radii.size == 0 or radii.dtype.kind not in "iu" or radii.min() < 1:
        raise ValueError(f"radii must be positive integers, got {radii!r}.")
    h, w = mask.shape
    ys, xs = np.nonzero(mask)                                   # (N,) 1.
    acc = np.zeros((radii.size, h, w), dtype=np.float64)       # (K, H, W)
    for k, r in enumerate(radii):
        off = circle_offsets(int(r))                            # (M, 2) (dx, dy)
        cx = xs[:, None] + off[None, :, 0]                      # (N, M) 2. candidate centre columns
        cy = ys[:, None] + off[None, :, 1]                      # (N, M)    and rows
        inside = (cy >= 0) & (cy < h) & (cx >= 0) & (cx < w)
        votes = np.bincount(cy[inside] * w + cx[inside], minlength=h * w)  # (H * W,) 3.
        acc[k] = votes.reshape(h, w) / (len(off) if normalize else 1)
    return acc


def hough_circles(edges: np.ndarray, radii, *, threshold: float = 0.4, num_peaks: int = 10,
                  min_distance: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Detect circles: peaks of :func:`hough_circles_accumulator` over centre and radius.

    Defined in :ref:`sec-hough-circles` (Eq. :eq:`eq-hough-circle`).

    Parameters
    ----------
    edges : (H, W) ndarray
        The edge map, bool or any real dtype; every nonzero pixel votes.
    radii : int or sequence of int
        The radii to try, each >= 1.
    threshold : float
        Keyword-only. Minimum fraction of a circle's pixels that must be edges (0..1).
    num_peaks : int
        Keyword-only. Maximum number of circles.
    min_distance : int
        Keyword-only. Suppression radius in pixels (and in radius steps).

    Returns
    -------
    scores : (K,) ndarray of float64
        The fraction of each circle found on edges, strongest first.
    centers : (K, 2) ndarray of int64
        ``(x, y)`` = (column, row) of each circle's centre.
    radii : (K,) ndarray of int64
        Each circle's radius.

    Notes
    -----
    1. The normalised accumulator (:func:`hough_circles_accumulator`), ``[radius, row, col]``.
    2. Its peaks over all three axes (:func:`find_peaks`).
    3. Read the indices back as radius and centre ``(x, y)``; strength first, as
       ``skimage.transform.hough_circle_peaks`` and :func:`hough_line_peaks`.

    References
    ----------
    R. O. Duda and P. E. Hart, "Use of the Hough transformation to detect lines and curves", CACM 15(1), 1972.

    Examples
    --------
    >>> yy, xx = np.mgrid[:40, :40]
    >>> ring = np.abs(np.hypot(yy - 15, xx - 22) - 9) < 0.5
    >>> s, c, r = hough_circles(ring, range(5, 13), num_peaks=1)
    >>> c.tolist(), r.tolist()
    ([[22, 15]], [9])
    """
    radii = np.atleast_1d(np.asarray(radii))
    acc = hough_circles_accumulator(edges, radii)                      # (K, H, W) 1.
    idx = find_peaks(acc, threshold=threshold, num_peaks=num_peaks, min_distance=min_distance)  # (P, 3) 2.
    centers = idx[:, [2, 1]]                                           # (P, 2) 3. (col, row) = (x, y)
    return acc[idx[:, 0], idx[:, 1], idx[:, 2]], centers, radii[idx[:, 0]].astype(np.int64)
