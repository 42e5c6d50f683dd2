"""Connected components of a binary mask: runs, union-find, labels.

Chapter 2 (Image processing), section "Connected components". A mask's pixels are joined when they are
neighbours (4- or 8-connectivity) and both ``True``; a component is a maximal set of pixels joined by a
chain of such steps. The labelling works on *runs*, the maximal horizontal stretches of ``True`` pixels in a
row: two runs in consecutive rows touch when their column ranges overlap (8-connectivity: or meet at a
corner), and a union-find merges touching runs. Hysteresis (:func:`coursekit.image.edges.hysteresis_threshold`)
keeps the weak-edge components that hold a strong pixel; ``scipy.ndimage.label`` is the tests' oracle.

Conventions (CONTRIBUTING.md): masks are indexed ``[row, col]``; labels are numbered 1..n in raster order
of each component's first pixel (top to bottom, left to right), 0 is the background, as in
``scipy.ndimage.label``.

References
----------
- A. Rosenfeld and J. L. Pfaltz, "Sequential operations in digital picture processing", J. ACM 13(4),
  1966 (the two-pass labelling with an equivalence table).
- R. E. Tarjan, "Efficiency of a good but not linear set union algorithm", J. ACM 22(2), 1975 (union-find).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int
from coursekit.image._union_find import hook_and_compress

__all__ = ["row_runs", "touching_runs", "union_find", "connected_components"]


def row_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The runs of a binary mask: maximal stretches of ``True`` pixels within one row.

    Defined in :ref:`sec-connected-components`.

    Parameters
    ----------
    mask : (H, W) ndarray
        Bool or any real dtype; nonzero pixels are ``True``.

    Returns
    -------
    row : (N,) ndarray of int64
        The row of each run; runs come in raster order (by row, then by first column).
    start : (N,) ndarray of int64
        The first column of each run.
    stop : (N,) ndarray of int64
        One past the last column (``mask[row, start:stop]`` is the run).

    Notes
    -----
    Pad each row with a ``False`` on both sides and difference it: a run starts where the difference is +1
    and stops where it is -1. One ``np.diff`` and two ``np.flatnonzero`` find every run of the mask.

    Examples
    --------
    >>> row_runs(np.array([[1, 1, 0, 1], [0, 1, 1, 1]]))
    (array([0, 0, 1]), array([0, 3, 1]), array([2, 4, 4]))
    """
    m = check_array(mask, "mask", ndim=2, dtype_kind="biuf") != 0          # (H, W) bool
    edge = np.zeros((m.shape[0], 1), dtype=np.int8)
    step = np.diff(np.concatenate([edge, m.view(np.int8), edge], axis=1), axis=1)  # (H, W + 1): +1 on, -1 off
    on = np.flatnonzero(step == 1)                      # raster order; flat indices into (H, W + 1)
    off = np.flatnonzero(step == -1)
    row, start = np.divmod(on, m.shape[1] + 1)
    return row, start, off % (m.shape[1] + 1)


def touching_runs(row: np.ndarray, start: np.ndarray, stop: np.ndarray, width: int,
                  connectivity: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of runs in consecutive rows whose pixels are neighbours.

    Defined in :ref:`sec-connected-components` (Eq. :eq:`eq-run-overlap`).

    Parameters
    ----------
    row, start, stop : (N,) ndarray of int
        Runs in raster order, as from :func:`row_runs`.
    width : int
        The mask's width ``W`` (columns).
    connectivity : {1, 2}
        1: 4-connectivity (runs share a column); 2: 8-connectivity (they may also meet at a corner).

    Returns
    -------
    upper : (P,) ndarray of int64
        Index of the run in row ``r``.
    lower : (P,) ndarray of int64
        Index of the touching run in row ``r + 1``.

    Notes
    -----
    Run ``a`` in row ``r`` and run ``b`` in row ``r + 1`` touch when their column ranges overlap, widened
    by ``d = connectivity - 1``: ``start_b < stop_a + d`` and ``start_a < stop_b + d``. The runs of one row
    are disjoint and sorted, so the runs above ``b`` that touch it form one block of indices; two binary
    searches on the keys ``row * (W + 2) + column`` find that block for every ``b`` at once.

    Examples
    --------
    >>> runs = row_runs(np.array([[1, 0, 0], [0, 1, 1]]))
    >>> touching_runs(*runs, width=3, connectivity=2), touching_runs(*runs, width=3, connectivity=1)
    ((array([0]), array([1])), (array([], dtype=int64), array([], dtype=int64)))
    """
    d = check_int(connectivity, "connectivity", 1, 2) - 1   # how far apart run ends may be
    M = int(width) + 2                                  # key stride: a row's keys never reach the next row's
    first, last = row * M + start, row * M + stop       # (N,) sorted keys of each run's ends
    lower = np.flatnonzero(row > 0)                     # runs that have a row above
    above = (row[lower] - 1) * M                        # key of column 0 in the row above
    lo = np.searchsorted(last, above + start[lower] - d, side="right")   # first a with stop_a + d > start_b
    hi = np.searchsorted(first, above + stop[lower] + d, side="left")    # a's with start_a < stop_b + d
    count = np.maximum(hi - lo, 0)                      # (len(lower),) touching runs above each b
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)   # 0, 1, .. within a block
    return np.repeat(lo, count) + offset, np.repeat(lower, count)


def union_find(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Merge ``n`` items along the pairs ``(a[i], b[i])``; return each item's root (its set's smallest item).

    Defined in :ref:`sec-connected-components` (Eq. :eq:`eq-union-find`).

    Parameters
    ----------
    n : int
        Number of items, numbered ``0..n-1``.
    a, b : (P,) ndarray of int
        The pairs to join.

    Returns
    -------
    (n,) ndarray of int64
        ``root[i]`` = the smallest item of ``i``'s set, so two items are joined iff their roots agree.

    Notes
    -----
    Every item starts as its own set, ``parent[i] = i``. ``find`` follows parents to the root, halving the
    path as it goes (each visited item skips to its grandparent). ``union`` of two roots makes the larger
    point to the smaller, so a root is always its set's smallest item. Tarjan (1975) showed that the two
    tricks make a sequence of operations run in nearly linear time.

    Examples
    --------
    >>> union_find(5, np.array([0, 3]), np.array([2, 4]))
    array([0, 1, 0, 3, 3])
    """
    parent = list(range(int(n)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]               # path halving: skip to the grandparent
            i = parent[i]
        return i

    for i, j in zip(np.asarray(a).tolist(), np.asarray(b).tolist()):
        ri, rj = find(i), find(j)
        if ri != rj:                                    # union: the larger root points to the smaller
            parent[max(ri, rj)] = min(ri, rj)
    return np.array([find(i) for i in range(int(n))], dtype=np.int64)


def connected_components(mask: np.ndarray, connectivity: int = 2, *, fast: bool = True) -> tuple[np.ndarray, int]:
    """Label the connected components of a binary mask: runs → touching pairs → union-find → labels.

    Defined in :ref:`sec-connected-components` (Eqs. :eq:`eq-run-overlap` and :eq:`eq-union-find`).

    Parameters
    ----------
    mask : (H, W) ndarray
        Bool or any real dtype; nonzero pixels are ``True``.
    connectivity : {1, 2}
        1: 4-connectivity (edge neighbours); 2: 8-connectivity (corners too), the default, as
        ``scipy.ndimage.label(mask, np.ones((3, 3)))``.
    fast : bool
        ``True`` (default): the union step runs as vectorised hooking and pointer jumping
        (``coursekit.image._union_find``); ``False``: the loop of :func:`union_find`. The labels are the same.

    Returns
    -------
    labels : (H, W) ndarray of int32
        0 on the background; ``1..n`` numbered in raster order of each component's first pixel, exactly
        as ``scipy.ndimage.label`` numbers them.
    n : int
        The number of components.

    Notes
    -----
    1. Cut every row into runs (:func:`row_runs`).
    2. Find the runs of consecutive rows that touch (:func:`touching_runs`).
    3. Merge touching runs with a union-find (:func:`union_find`); a root is its set's first run.
    4. Number the roots 1..n in raster order and paint each run with its root's number.

    References
    ----------
    A. Rosenfeld and J. L. Pfaltz, "Sequential operations in digital picture processing", J. ACM 13(4), 1966.

    Examples
    --------
    >>> mask = np.array([[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 0, 0]])
    >>> labels, n = connected_components(mask)           # the diagonal pair joins under 8-connectivity
    >>> n, labels[:2].tolist()
    (2, [[1, 0, 0, 2], [0, 1, 0, 2]])
    >>> connected_components(mask, connectivity=1)[1]
    3
    """
    m = check_array(mask, "mask", ndim=2, dtype_kind="biuf") != 0          # (H, W) bool
    row, start, stop = row_runs(m)                                         # 1. (N,) runs
    upper, lower = touching_runs(row, start, stop, m.shape[1], connectivity)   # 2. (P,) pairs
    root = (hook_and_compress if fast else union_find)(row.size, upper, lower)  # 3. (N,) root run
    is_root = root == np.arange(row.size)                                  # a root is its set's first run
    run_label = np.cumsum(is_root)[root].astype(np.int32)                  # 4. (N,) 1..n in raster order
    length = stop - start
    labels = np.zeros(m.shape, dtype=np.int32)
    cols = np.arange(length.sum()) + np.repeat(start - (np.cumsum(length) - length), length)
    labels[np.repeat(row, length), cols] = np.repeat(run_label, length)    # paint each run's pixels
    return labels, int(is_root.sum())
