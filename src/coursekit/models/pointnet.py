"""PointNet: a shared per-point MLP, a max over the points, and a classifier on the global feature.

The max over points is a symmetric function, so the output does not depend on the order of the points;
the points that attain the max in some channel are the *critical points*, and the global feature (hence the
prediction) is unchanged when every other point is deleted.

Used by Chapter 8 (PointNet, permutation invariance, critical points, classification of procedural
primitives).

References
----------
C. R. Qi, H. Su, K. Mo and L. J. Guibas, "PointNet: Deep Learning on Point Sets for 3D Classification and
Segmentation", CVPR 2017 (Sec. 4.2, Theorem 1 and 2; Fig. 2 without the T-Nets).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape

__all__ = ["PointNetConfig", "SharedMLP", "PointNet", "critical_point_indices"]


def _check_widths(widths, name: str) -> tuple[int, ...]:
    if not isinstance(widths, (tuple, list)) or len(widths) == 0:
        raise ValueError(f"{name} must be a non-empty tuple of layer widths, got {widths!r}.")
    return tuple(check_int(w, f"{name}[{i}]") for i, w in enumerate(widths))


@dataclass
class PointNetConfig:
    """Settings of :class:`PointNet`; the defaults classify 6 primitives of 128 points in seconds.

    Defined in :ref:`sec-pc-pointnet`.

    Parameters
    ----------
    in_channels : int
        Coordinates per point (3 for xyz).
    widths : tuple of int
        Widths of the shared MLP; the last is the size of the global feature.
    head : tuple of int
        Hidden widths of the classifier on the global feature.
    num_classes : int
        K.
    dropout : float
        Dropout before the last layer of the head.

    Examples
    --------
    >>> PointNetConfig(widths=(16, 32)).num_classes
    6
    """

    in_channels: int = 3
    widths: tuple[int, ...] = (32, 64, 128)
    head: tuple[int, ...] = (64,)
    num_classes: int = 6
    dropout: float = 0.0

    def __post_init__(self):
        check_int(self.in_channels, "in_channels")
        self.widths = _check_widths(self.widths, "widths")
        self.head = tuple(check_int(w, f"head[{i}]") for i, w in enumerate(self.head))
        check_int(self.num_classes, "num_classes", minimum=2)
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}.")


class SharedMLP(nn.Module):
    """The same MLP applied to every point: Linear → BatchNorm → ReLU per layer, on the last axis.

    Defined in :ref:`sec-pc-pointnet` (Eq. :eq:`eq-pc-pointnet`).

    Parameters
    ----------
    in_channels : int
    widths : tuple of int

    Examples
    --------
    >>> SharedMLP(3, (8, 16))(torch.randn(2, 5, 3)).shape
    torch.Size([2, 5, 16])
    """

    def __init__(self, in_channels: int, widths: tuple[int, ...]):
        super().__init__()
        widths = _check_widths(widths, "widths")
        dims = (check_int(in_channels, "in_channels"),) + widths
        self.linears = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in zip(dims[:-1], dims[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm1d(b) for b in widths)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., C_in) → (..., C_out); BatchNorm statistics pool every point of the batch."""
        for linear, norm in zip(self.linears, self.norms):
            y = linear(x)                                     # (..., C)
            x = torch.relu(norm(y.reshape(-1, y.shape[-1])).reshape(y.shape))
        return x


class PointNet(nn.Module):
    """PointNet classifier (without the T-Nets): shared MLP h, max over points, MLP head γ.

    Defined in :ref:`sec-pc-pointnet` (Eq. :eq:`eq-pc-pointnet`).

    Parameters
    ----------
    config : PointNetConfig, optional

    Notes
    -----
    ``point_features(x)`` is h applied to every point, (B, N, C); ``global_feature(x)`` its max over N,
    (B, C); ``forward`` the logits γ(global feature), (B, K). Initialise with
    ``init_parameters_(PointNet(config), generator)``.

    Examples
    --------
    >>> model = PointNet(PointNetConfig(widths=(8, 16), head=(8,)))
    >>> model(torch.randn(4, 32, 3)).shape
    torch.Size([4, 6])
    """

    def __init__(self, config: PointNetConfig | None = None):
        super().__init__()
        config = PointNetConfig() if config is None else config
        if not isinstance(config, PointNetConfig):
            raise ValueError(f"config must be a PointNetConfig, got {type(config).__name__}.")
        self.config = config
        self.mlp = SharedMLP(config.in_channels, config.widths)
        layers: list[nn.Module] = []
        dims = (config.widths[-1],) + config.head
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        if config.dropout > 0:
            layers.append(nn.Dropout(config.dropout))
        layers.append(nn.Linear(dims[-1], config.num_classes))
        self.head = nn.Sequential(*layers)

    def point_features(self, x: torch.Tensor) -> torch.Tensor:
        """h(x_n) for every point: (B, N, C_in) → (B, N, C)."""
        check_shape(x, "B N C", "x", C=self.config.in_channels)
        return self.mlp(x)

    def global_feature(self, x: torch.Tensor) -> torch.Tensor:
        """max_n h(x_n): (B, N, C_in) → (B, C), the symmetric function."""
        return self.point_features(x).max(dim=1).values

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) of clouds x of shape (B, N, C_in)."""
        return self.head(self.global_feature(x))


def critical_point_indices(point_features) -> np.ndarray:
    """The critical points of one cloud: every point that attains the max in at least one channel.

    Defined in :ref:`sec-pc-critical` (Eq. :eq:`eq-pc-critical`).

    Parameters
    ----------
    point_features : (N, C) ndarray or Tensor
        h(x_n) of the N points of one cloud (e.g. ``model.point_features(x)[0]``).

    Returns
    -------
    (M,) ndarray of int64
        Sorted, unique; M <= C. Keeping only these points leaves the global feature unchanged.

    Examples
    --------
    >>> critical_point_indices(np.array([[1.0, 0.0], [3.0, 0.0], [2.0, 5.0]])).tolist()
    [1, 2]
    """
    if isinstance(point_features, torch.Tensor):
        point_features = point_features.detach().cpu().numpy()
    check_shape(point_features, "N C", "point_features")
    return np.unique(np.argmax(point_features, axis=0)).astype(np.int64)
