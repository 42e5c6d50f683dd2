"""Neighbourhoods of a point cloud in NumPy: k nearest neighbours, farthest-point sampling, ball query.

Used by Chapter 8 (the kNN graph of DGCNN; the sampling and grouping layers of PointNet++). The torch
versions that run inside networks are in :mod:`coursekit.pointclouds.grouping`; tests hold them equal.

References
----------
C. R. Qi, L. Yi, H. Su and L. J. Guibas, "PointNet++: Deep Hierarchical Feature Learning on Point Sets in a
Metric Space", NeurIPS 2017 (farthest-point sampling and ball query, Sec. 3.2).
Y. Wang et al., "Dynamic Graph CNN for Learning on Point Clouds", ACM TOG 2019 (the kNN graph).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int, check_positive

__all__ = ["pairwise_sq_distances", "knn_indices", "farthest_point_sampling", "ball_query"]


def _points(points, name: str = "points") -> np.ndarray:
    check_array(points, name, ndim=2, dtype_kind="fiu")
    if points.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one point, got shape {points.shape}.")
    return points.astype(np.float64, copy=False)


def pairwise_sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between every point of ``a`` and every point of ``b``.

    Defined in :ref:`sec-pc-knn` (Eq. :eq:`eq-pc-knn`).

    Parameters
    ----------
    a : (N, D) ndarray of float
    b : (M, D) ndarray of float

    Returns
    -------
    (N, M) ndarray of float64
        ``||a_i - b_j||²``, computed from differences (no cancellation, exactly 0 for equal points).

    Examples
    --------
    >>> pairwise_sq_distances(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[25.0, 0.0]]
    """
    a, b = _points(a, "a"), _points(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same number of coordinates, got {a.shape[1]} and {b.shape[1]}.")
    diff = a[:, None, :] - b[None, :, :]                   # (N, M, D)
    return np.einsum("nmd,nmd->nm", diff, diff)


def knn_indices(points: np.ndarray, k: int, include_self: bool = False) -> np.ndarray:
    """The ``k`` nearest neighbours of every point, nearest first (the edges of the kNN graph).

    Defined in :ref:`sec-pc-knn` (Eq. :eq:`eq-pc-knn`).

    Parameters
    ----------
    points : (N, D) ndarray of float
    k : int
        Neighbours per point; at most N - 1 (N with ``include_self``).
    include_self : bool
        Count a point as its own nearest neighbour (DGCNN does); otherwise it is left out.

    Returns
    -------
    (N, k) ndarray of int64
        Row i lists the neighbours j of point i by increasing distance (ties: lower index first).

    Examples
    --------
    >>> knn_indices(np.array([[0.0], [1.0], [3.0], [7.0]]), 2).tolist()
    [[1, 2], [0, 2], [1, 0], [2, 1]]
    """
    P = _points(points)
    N = P.shape[0]
    k = check_int(k, "k", maximum=N if include_self else N - 1)
    d2 = pairwise_sq_distances(P, P)                       # (N, N)
    if not include_self:
        np.fill_diagonal(d2, np.inf)
    return np.argsort(d2, axis=1, kind="stable")[:, :k].astype(np.int64)


def farthest_point_sampling(points: np.ndarray, m: int, start: int = 0) -> np.ndarray:
    """Pick ``m`` points, each the one farthest from all points picked so far.

    Defined in :ref:`sec-pc-fps` (Eq. :eq:`eq-pc-fps`).

    Parameters
    ----------
    points : (N, D) ndarray of float
    m : int
        Number of samples M, 1 <= M <= N.
    start : int
        Index of the first sample (PointNet++ takes the first point; any choice is valid).

    Returns
    -------
    (M,) ndarray of int64
        Indices into ``points`` in the order they were picked (distinct while M <= number of distinct points).

    Notes
    -----
    Keep for every point its distance d_n to the nearest sample; after picking sample s, update
    d_n ← min(d_n, ||p_n - p_s||²) and pick argmax_n d_n next (ties: lowest index). That is O(N M) time and
    O(N) memory, instead of recomputing distances to every sample at every step.

    Examples
    --------
    >>> farthest_point_sampling(np.array([[0.0], [1.0], [2.0], [10.0]]), 3).tolist()
    [0, 3, 2]
    """
    P = _points(points)
    N = P.shape[0]
    m = check_int(m, "m", maximum=N)
    start = check_int(start, "start", minimum=0, maximum=N - 1)
    idx = np.empty(m, dtype=np.int64)
    idx[0] = start
    d = np.full(N, np.inf)                                 # (N,) squared distance to the nearest sample
    for i in range(1, m):
        diff = P - P[idx[i - 1]]                           # (N, D)
        d = np.minimum(d, np.einsum("nd,nd->n", diff, diff))
        idx[i] = int(np.argmax(d))
    return idx


def ball_query(points: np.ndarray, centers: np.ndarray, radius: float, k: int) -> np.ndarray:
    """Up to ``k`` neighbours of each centre within ``radius``, padded to exactly ``k`` (PointNet++'s grouping).

    Defined in :ref:`sec-pc-ball-query` (Eq. :eq:`eq-pc-ball`).

    Parameters
    ----------
    points : (N, D) ndarray of float
    centers : (M, D) ndarray of float
        Usually ``points[farthest_point_sampling(points, M)]``.
    radius : float
        Ball radius r > 0; a point with ``||p - c|| <= r`` is inside.
    k : int
        Group size K.

    Returns
    -------
    (M, K) ndarray of int64
        The first K indices (in index order, not by distance) of points inside each ball; when fewer
        than K are inside, the row is padded by repeating its first index. A centre with no point inside
        its ball gets index -1 throughout (a centre taken from ``points`` always has itself).

    Examples
    --------
    >>> P = np.array([[0.0], [0.5], [3.0], [0.2]])
    >>> ball_query(P, np.array([[0.0], [3.0]]), 0.6, 2).tolist()
    [[0, 1], [2, 2]]
    """
    P, C = _points(points), _points(centers, "centers")
    if P.shape[1] != C.shape[1]:
        raise ValueError(f"points and centers must have the same number of coordinates, "
                         f"got {P.shape[1]} and {C.shape[1]}.")
    radius = check_positive(radius, "radius")
    k = check_int(k, "k")
    inside = pairwise_sq_distances(C, P) <= radius**2      # (M, N)
    N = P.shape[0]
    order = np.where(inside, np.arange(N), N)              # (M, N) index if inside, else N (sorts last)
    first = np.sort(order, axis=1)[:, :k]                  # (M, min(K, N)) first indices inside
    if first.shape[1] < k:
        first = np.concatenate([first, np.full((C.shape[0], k - N), N)], axis=1)
    out = np.where(first == N, first[:, :1], first)        # pad with the first index found
    out[out == N] = -1                                     # empty ball
    return out.astype(np.int64)
