"""EdgeConv, the convolution of DGCNN on a kNN graph: edge features, a shared MLP, max over neighbours.

Used by Chapter 8 (kNN graphs, EdgeConv, DGCNN; the model is :class:`coursekit.models.dgcnn.DGCNN`).

References
----------
Y. Wang, Y. Sun, Z. Liu, S. E. Sarma, M. M. Bronstein and J. M. Solomon, "Dynamic Graph CNN for Learning on
Point Clouds", ACM Transactions on Graphics 38(5), 2019 (Eqs. 7–8: the edge function and max aggregation).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape
from coursekit.pointclouds.grouping import gather_points, knn_graph

__all__ = ["edge_features", "edge_conv", "EdgeConv"]


def edge_features(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """The DGCNN edge feature ``[x_i, x_j - x_i]`` of every edge (i, j) of a kNN graph.

    Defined in :ref:`sec-pc-edgeconv` (Eq. :eq:`eq-pc-edgeconv`).

    Parameters
    ----------
    x : (B, N, C) Tensor
        Point features.
    idx : (B, N, k) Tensor of int64
        Neighbours j of each point i (e.g. :func:`coursekit.pointclouds.grouping.knn_graph`).

    Returns
    -------
    (B, N, k, 2C) Tensor
        The centre (global shape) next to the offset to the neighbour (local shape).

    Examples
    --------
    >>> x = torch.tensor([[[0.0], [1.0], [3.0]]])
    >>> edge_features(x, torch.tensor([[[1], [2], [0]]]))[0, :, 0].tolist()
    [[0.0, 1.0], [1.0, 2.0], [3.0, -3.0]]
    """
    s = check_shape(x, "B N C", "x")
    check_shape(idx, "B N k", "idx", B=s["B"], N=s["N"])
    x_j = gather_points(x, idx)                             # (B, N, k, C)
    x_i = x[:, :, None, :].expand_as(x_j)                   # (B, N, k, C)
    return torch.cat([x_i, x_j - x_i], dim=-1)              # (B, N, k, 2C)


def edge_conv(x: torch.Tensor, idx: torch.Tensor, h: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """EdgeConv: ``x'_i = max_{j ∈ N(i)} h([x_i, x_j - x_i])``.

    Defined in :ref:`sec-pc-edgeconv` (Eq. :eq:`eq-pc-edgeconv`).

    Parameters
    ----------
    x : (B, N, C) Tensor
    idx : (B, N, k) Tensor of int64
        The graph: neighbours of each point.
    h : callable
        The shared edge MLP, (..., 2C) → (..., C').

    Returns
    -------
    (B, N, C') Tensor
        Permutation-equivariant in the points when the graph is permuted with them.

    Examples
    --------
    >>> x = torch.tensor([[[0.0], [1.0], [3.0]]])
    >>> edge_conv(x, knn_graph(x, 2), lambda e: e[..., 1:]).tolist()   # largest offset to a neighbour
    [[[1.0], [0.0], [0.0]]]
    """
    return h(edge_features(x, idx)).max(dim=2).values       # (B, N, C')


class EdgeConv(nn.Module):
    """An EdgeConv layer whose edge MLP is Linear(2C, C') → BatchNorm → LeakyReLU(0.2), as in DGCNN.

    Defined in :ref:`sec-pc-edgeconv` (Eq. :eq:`eq-pc-edgeconv`).

    Parameters
    ----------
    in_channels : int
        C.
    out_channels : int
        C'.
    k : int
        Neighbours per point when the layer builds its own graph.
    norm : bool
        Use BatchNorm (DGCNN does); without it the layer is exactly :func:`edge_conv` with a Linear + LeakyReLU.

    Examples
    --------
    >>> layer = EdgeConv(3, 8, k=4)
    >>> layer(torch.randn(2, 16, 3)).shape
    torch.Size([2, 16, 8])
    """

    def __init__(self, in_channels: int, out_channels: int, k: int = 16, norm: bool = True):
        super().__init__()
        self.k = check_int(k, "k")
        self.linear = nn.Linear(2 * check_int(in_channels, "in_channels"), check_int(out_channels, "out_channels"),
                                bias=not norm)
        self.norm = nn.BatchNorm1d(out_channels) if norm else None
        self.act = nn.LeakyReLU(0.2)

    def h(self, e: torch.Tensor) -> torch.Tensor:
        """The edge MLP on edge features (..., 2C) → (..., C')."""
        return self._norm_act(self.linear(e))

    def _norm_act(self, y: torch.Tensor) -> torch.Tensor:
        if self.norm is not None:
            y = self.norm(y.reshape(-1, y.shape[-1])).reshape(y.shape)   # BN over every edge of the batch
        return self.act(y)

    def forward(self, x: torch.Tensor, idx: torch.Tensor | None = None) -> torch.Tensor:
        """Apply the layer; without ``idx`` the kNN graph is built in the space of ``x`` (dynamic graph).

        Runs :func:`edge_conv` with :meth:`h` through a faster, equal route: the linear part of h splits as
        ``W [x_i, x_j - x_i] = (W_a - W_b) x_i + W_b x_j``, so it is applied to the N points, not the N·k edges.
        """
        check_shape(x, "B N C", "x", C=self.linear.in_features // 2)
        if idx is None:
            idx = knn_graph(x, self.k)                      # (B, N, k)
        return _edge_conv_split(x, idx, self.linear.weight, self.linear.bias, self._norm_act)


def _edge_conv_split(x: torch.Tensor, idx: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                     after) -> torch.Tensor:
    """``edge_conv(x, idx, lambda e: after(e @ weight.T + bias))``, with the matmul done per point."""
    check_shape(idx, "B N k", "idx", B=x.shape[0], N=x.shape[1])
    C = x.shape[-1]
    W_a, W_b = weight[:, :C], weight[:, C:]                 # (C', C) each: the x_i and the x_j - x_i halves
    centre = x @ (W_a - W_b).T                              # (B, N, C')
    if bias is not None:
        centre = centre + bias
    y = centre[:, :, None, :] + gather_points(x @ W_b.T, idx)   # (B, N, k, C')
    return after(y).max(dim=2).values                       # (B, N, C')
