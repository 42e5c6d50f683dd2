"""DGCNN: EdgeConv layers on a kNN graph rebuilt in feature space at every layer, then max + mean pooling.

Used by Chapter 8 (kNN graphs, EdgeConv, DGCNN).

References
----------
Y. Wang, Y. Sun, Z. Liu, S. E. Sarma, M. M. Bronstein and J. M. Solomon, "Dynamic Graph CNN for Learning on
Point Clouds", ACM Transactions on Graphics 38(5), 2019 (Fig. 3, the classification model).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape
from coursekit.pointclouds.edgeconv import EdgeConv
from coursekit.pointclouds.grouping import knn_graph

__all__ = ["DGCNNConfig", "DGCNN"]


@dataclass
class DGCNNConfig:
    """Settings of :class:`DGCNN`; the defaults are a scaled-down version of the paper's classifier.

    Defined in :ref:`sec-pc-dgcnn`.

    Parameters
    ----------
    k : int
        Neighbours per point in every EdgeConv (the paper uses 20).
    widths : tuple of int
        Output widths of the EdgeConv layers (the paper: 64, 64, 128, 256).
    embedding : int
        Width of the per-point layer on the concatenated EdgeConv outputs, before pooling (paper: 1024).
    head : tuple of int
        Hidden widths of the classifier on the pooled [max, mean] feature.
    num_classes : int
        K.
    dynamic : bool
        Rebuild the graph in feature space at every layer (True, "dynamic graph") or keep the graph of the
        input coordinates for all layers.

    Examples
    --------
    >>> DGCNNConfig().k
    10
    """

    k: int = 10
    widths: tuple[int, ...] = (32, 32, 64)
    embedding: int = 128
    head: tuple[int, ...] = (64,)
    num_classes: int = 6
    dynamic: bool = True

    def __post_init__(self):
        check_int(self.k, "k")
        if not isinstance(self.widths, (tuple, list)) or len(self.widths) == 0:
            raise ValueError(f"widths must be a non-empty tuple, got {self.widths!r}.")
        self.widths = tuple(check_int(w, f"widths[{i}]") for i, w in enumerate(self.widths))
        check_int(self.embedding, "embedding")
        self.head = tuple(check_int(w, f"head[{i}]") for i, w in enumerate(self.head))
        check_int(self.num_classes, "num_classes", minimum=2)


class DGCNN(nn.Module):
    """DGCNN classifier: EdgeConv stack → concatenate → shared Linear → [max, mean] over points → MLP head.

    Defined in :ref:`sec-pc-dgcnn` (Eq. :eq:`eq-pc-edgeconv`).

    Parameters
    ----------
    config : DGCNNConfig, optional

    Examples
    --------
    >>> model = DGCNN(DGCNNConfig(k=4, widths=(8, 8), embedding=16, head=(8,)))
    >>> model(torch.randn(2, 32, 3)).shape
    torch.Size([2, 6])
    """

    def __init__(self, config: DGCNNConfig | None = None):
        super().__init__()
        config = DGCNNConfig() if config is None else config
        if not isinstance(config, DGCNNConfig):
            raise ValueError(f"config must be a DGCNNConfig, got {type(config).__name__}.")
        self.config = config
        dims = (3,) + config.widths
        self.convs = nn.ModuleList(EdgeConv(a, b, k=config.k) for a, b in zip(dims[:-1], dims[1:]))
        self.embed = nn.Linear(sum(config.widths), config.embedding, bias=False)
        self.embed_norm = nn.BatchNorm1d(config.embedding)
        layers: list[nn.Module] = []
        hdims = (2 * config.embedding,) + config.head
        for a, b in zip(hdims[:-1], hdims[1:]):
            layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        layers.append(nn.Linear(hdims[-1], config.num_classes))
        self.head = nn.Sequential(*layers)

    def point_features(self, x: torch.Tensor) -> torch.Tensor:
        """Per-point embedding (B, N, embedding) of clouds x (B, N, 3)."""
        check_shape(x, "B N 3", "x")
        idx = knn_graph(x, self.config.k)                    # (B, N, k) graph of the coordinates
        outs = []
        for layer, conv in enumerate(self.convs):
            dynamic = self.config.dynamic and layer > 0             # later layers: kNN in feature space
            x = conv(x, None if dynamic else idx)
            outs.append(x)                                   # (B, N, C_l)
        y = self.embed(torch.cat(outs, dim=-1))              # (B, N, embedding)
        return nn.functional.leaky_relu(self.embed_norm(y.reshape(-1, y.shape[-1])).reshape(y.shape), 0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) of clouds x of shape (B, N, 3)."""
        f = self.point_features(x)                           # (B, N, E)
        return self.head(torch.cat([f.max(dim=1).values, f.mean(dim=1)], dim=-1))
