"""Batched PyTorch neighbourhoods and PointNet++'s set abstraction.

The same steps as :mod:`coursekit.pointclouds.sampling` (held equal by tests), for batches of clouds inside a
network: kNN in any feature space (DGCNN's dynamic graph), farthest-point sampling, ball query, gathering
neighbours, and the set-abstraction layer sample → group → PointNet → max.

Used by Chapter 8.

References
----------
C. R. Qi, L. Yi, H. Su and L. J. Guibas, "PointNet++: Deep Hierarchical Feature Learning on Point Sets in a
Metric Space", NeurIPS 2017.
Y. Wang et al., "Dynamic Graph CNN for Learning on Point Clouds", ACM TOG 2019.
"""

from __future__ import annotations

from typing import Callable

import torch

from coursekit.core.validation import check_int, check_positive, check_shape

__all__ = ["knn_graph", "gather_points", "farthest_point_sample", "ball_group", "set_abstraction"]


def _sq_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    diff = a[:, :, None, :] - b[:, None, :, :]            # (B, M, N, C)
    return (diff * diff).sum(-1)                           # (B, M, N)


def knn_graph(x: torch.Tensor, k: int, include_self: bool = True) -> torch.Tensor:
    """Indices of the ``k`` nearest neighbours of every point of every cloud, in the space of ``x``.

    Defined in :ref:`sec-pc-knn` (Eq. :eq:`eq-pc-knn`).

    Parameters
    ----------
    x : (B, N, C) Tensor
        Coordinates (C = 3) or features: DGCNN rebuilds the graph in feature space at every layer.
    k : int
    include_self : bool
        DGCNN counts each point among its own neighbours (its edge feature is then x_i, 0).

    Returns
    -------
    (B, N, k) Tensor of int64
        Nearest first. No gradient flows through the choice of neighbours.

    Notes
    -----
    ``||x_i - x_j||² = ||x_i||² + ||x_j||² - 2 x_i·x_j`` costs one (N × C)(C × N) matmul instead of an
    (N, N, C) tensor of differences; the price is round-off of order 1e-7 · ||x||² in float32, which can only
    swap neighbours whose distances agree to that precision.

    Examples
    --------
    >>> knn_graph(torch.tensor([[[0.0], [1.0], [3.0]]]), 2).tolist()
    [[[0, 1], [1, 0], [2, 1]]]
    """
    s = check_shape(x, "B N C", "x")
    k = check_int(k, "k", maximum=s["N"] if include_self else s["N"] - 1)
    with torch.no_grad():
        sq = (x * x).sum(-1)                               # (B, N) ||x_i||²
        d2 = sq[:, :, None] + sq[:, None, :] - 2 * x @ x.transpose(1, 2)   # (B, N, N), one matmul, as DGCNN
        if not include_self:
            d2.diagonal(dim1=1, dim2=2).fill_(float("inf"))
        return torch.topk(d2, k, dim=-1, largest=False, sorted=True).indices   # (B, N, k)


def gather_points(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Pick rows of each cloud: ``out[b, ...] = x[b, idx[b, ...]]``.

    Defined in :ref:`sec-pc-knn`.

    Parameters
    ----------
    x : (B, N, C) Tensor
    idx : (B, ...) Tensor of int64 with values in [0, N)

    Returns
    -------
    (B, ..., C) Tensor
        Differentiable in ``x``.

    Examples
    --------
    >>> gather_points(torch.arange(6.0).reshape(1, 3, 2), torch.tensor([[[2, 0]]])).tolist()
    [[[[4.0, 5.0], [0.0, 1.0]]]]
    """
    s = check_shape(x, "B N C", "x")
    if idx.dtype != torch.int64 or idx.ndim < 2 or idx.shape[0] != s["B"]:
        raise ValueError(f"idx must be an int64 tensor of shape (B, ...) with B = {s['B']}, "
                         f"got {idx.dtype} of shape {tuple(idx.shape)}.")
    if idx.numel() and (idx.min() < 0 or idx.max() >= s["N"]):
        raise ValueError(f"idx must lie in [0, {s['N']}), got values in [{int(idx.min())}, {int(idx.max())}].")
    flat = idx.reshape(s["B"], -1)                         # (B, L)
    out = torch.gather(x, 1, flat[..., None].expand(-1, -1, s["C"]))   # (B, L, C)
    return out.reshape(*idx.shape, s["C"])


def farthest_point_sample(xyz: torch.Tensor, m: int) -> torch.Tensor:
    """Farthest-point sampling of every cloud of a batch, starting from point 0.

    Defined in :ref:`sec-pc-fps` (Eq. :eq:`eq-pc-fps`).

    Parameters
    ----------
    xyz : (B, N, 3) Tensor
    m : int
        Samples M per cloud.

    Returns
    -------
    (B, M) Tensor of int64
        Equal, cloud by cloud, to :func:`coursekit.pointclouds.sampling.farthest_point_sampling`.

    Examples
    --------
    >>> farthest_point_sample(torch.tensor([[[0.0, 0, 0], [1, 0, 0], [2, 0, 0], [10, 0, 0]]]), 3).tolist()
    [[0, 3, 2]]
    """
    s = check_shape(xyz, "B N 3", "xyz")
    m = check_int(m, "m", maximum=s["N"])
    B = s["B"]
    idx = torch.zeros(B, m, dtype=torch.int64)
    d = torch.full((B, s["N"]), float("inf"), dtype=xyz.dtype)   # (B, N)
    rows = torch.arange(B)
    with torch.no_grad():
        for i in range(1, m):
            last = xyz[rows, idx[:, i - 1]]                # (B, 3)
            d = torch.minimum(d, ((xyz - last[:, None, :]) ** 2).sum(-1))
            idx[:, i] = torch.argmax(d, dim=1)             # first maximum on ties, as np.argmax
    return idx


def ball_group(xyz: torch.Tensor, centers: torch.Tensor, radius: float, k: int) -> torch.Tensor:
    """Ball query for a batch: the first ``k`` indices within ``radius`` of each centre, padded with the first.

    Defined in :ref:`sec-pc-ball-query` (Eq. :eq:`eq-pc-ball`).

    Parameters
    ----------
    xyz : (B, N, 3) Tensor
    centers : (B, M, 3) Tensor
        Each centre must have at least one point of its cloud in its ball (true for sampled points).
    radius : float
    k : int

    Returns
    -------
    (B, M, K) Tensor of int64
        Equal, cloud by cloud, to :func:`coursekit.pointclouds.sampling.ball_query`.

    Examples
    --------
    >>> P = torch.tensor([[[0.0, 0, 0], [0.5, 0, 0], [3, 0, 0]]])
    >>> ball_group(P, P[:, :2], 0.6, 3).tolist()
    [[[0, 1, 0], [0, 1, 0]]]
    """
    s = check_shape(xyz, "B N 3", "xyz")
    check_shape(centers, "B M 3", "centers", B=s["B"])
    radius = check_positive(radius, "radius")
    k = check_int(k, "k")
    N = s["N"]
    with torch.no_grad():
        inside = _sq_dist(centers, xyz) <= radius**2       # (B, M, N)
        if not inside.any(-1).all():
            raise ValueError("every centre needs at least one point within radius; sample centres from xyz.")
        order = torch.where(inside, torch.arange(N), torch.full_like(inside, N, dtype=torch.int64))
        first = torch.sort(order, dim=-1).values[..., :k]  # (B, M, min(K, N))
        if first.shape[-1] < k:
            first = torch.cat([first, first.new_full((*first.shape[:2], k - N), N)], dim=-1)
        return torch.where(first == N, first[..., :1], first)


def set_abstraction(xyz: torch.Tensor, features: torch.Tensor | None, m: int, radius: float, k: int,
                    mlp: Callable[[torch.Tensor], torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """One PointNet++ set-abstraction level: sample M centres, group their balls, run a PointNet on each.

    Defined in :ref:`sec-pc-set-abstraction` (Eq. :eq:`eq-pc-set-abstraction`).

    Parameters
    ----------
    xyz : (B, N, 3) Tensor
    features : (B, N, C) Tensor or None
        Per-point features carried along (None on the first level).
    m, radius, k : int, float, int
        Centres M (by farthest-point sampling), ball radius r, group size K.
    mlp : callable
        The shared MLP h, applied to the last axis: (..., 3 + C) → (..., C').

    Returns
    -------
    new_xyz : (B, M, 3) Tensor
        The centres.
    new_features : (B, M, C') Tensor
        ``max_k h([p_jk - c_j, f_jk])``: a PointNet on each neighbourhood, in the centre's local frame.

    Examples
    --------
    >>> xyz = torch.rand(2, 32, 3, generator=torch.Generator().manual_seed(0))
    >>> c, f = set_abstraction(xyz, None, 8, 0.4, 6, lambda g: g.abs())
    >>> tuple(c.shape), tuple(f.shape)
    ((2, 8, 3), (2, 8, 3))
    """
    s = check_shape(xyz, "B N 3", "xyz")
    if features is not None:
        check_shape(features, "B N C", "features", B=s["B"], N=s["N"])
    centre_idx = farthest_point_sample(xyz, m)              # (B, M)
    new_xyz = gather_points(xyz, centre_idx)                # (B, M, 3)
    group_idx = ball_group(xyz, new_xyz, radius, k)         # (B, M, K)
    local = gather_points(xyz, group_idx) - new_xyz[:, :, None, :]   # (B, M, K, 3) relative coordinates
    if features is not None:
        local = torch.cat([local, gather_points(features, group_idx)], dim=-1)   # (B, M, K, 3 + C)
    return new_xyz, mlp(local).max(dim=2).values            # (B, M, C')
