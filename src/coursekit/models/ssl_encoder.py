"""The encoder, projector and (optional) predictor trained without labels in Chapter 12.

The backbone is Chapter 4's small CNN without its classifier head; a two-layer MLP projector maps its
globally pooled features to the space where the contrastive loss is computed (SimCLR's finding: the loss
is better applied after a projector, and the features before it are better for downstream tasks). BYOL
adds a predictor MLP on the online side only.

References
----------
- T. Chen et al., "A simple framework for contrastive learning of visual representations", ICML 2020.
- J.-B. Grill et al., "Bootstrap your own latent", NeurIPS 2020.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape
from coursekit.models.small_cnn import SmallCNN, SmallCNNConfig

__all__ = ["SSLEncoderConfig", "SSLEncoder"]


@dataclass
class SSLEncoderConfig:
    """Settings of :class:`SSLEncoder`: backbone widths, projector and predictor sizes.

    Defined in :ref:`sec-ssl-simclr`.

    Parameters
    ----------
    channels : (int, int)
        Widths (C1, C2) of the backbone (as :class:`~coursekit.models.small_cnn.SmallCNNConfig`).
    hidden : int
        Hidden width of the projector and predictor MLPs.
    out_dim : int
        Dimension P of the projections.
    predictor : bool
        Add BYOL's predictor MLP (P → hidden → P).
    in_channels : int
        Channels of the input images.

    Examples
    --------
    >>> SSLEncoderConfig().out_dim
    32
    """

    channels: tuple[int, int] = (16, 32)
    hidden: int = 64
    out_dim: int = 32
    predictor: bool = False
    in_channels: int = 1

    def __post_init__(self):
        SmallCNNConfig(channels=self.channels, in_channels=self.in_channels)   # validates the backbone's settings
        check_int(self.hidden, "hidden")
        check_int(self.out_dim, "out_dim")


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, d_out))


class SSLEncoder(nn.Module):
    """Backbone ``features`` + global average pooling + MLP ``projector`` (+ optional ``predictor``).

    Defined in :ref:`sec-ssl-simclr` (Eq. :eq:`eq-ssl-encoder`).

    Parameters
    ----------
    config : SSLEncoderConfig, optional
        Default ``SSLEncoderConfig()``.

    Notes
    -----
    ``represent(x)`` gives the (B, C2) pooled features used by the probes; ``forward(x)`` the (B, P)
    projections the losses see; ``predict(x)`` the predictor applied to them. ``features`` has the same name
    as in :class:`~coursekit.models.small_cnn.SmallCNN`, so
    :func:`~coursekit.training.transfer.gap_features` applies. Initialise with ``init_parameters_``.

    Examples
    --------
    >>> net = SSLEncoder(SSLEncoderConfig(channels=(4, 8), out_dim=5))
    >>> net(torch.zeros(2, 1, 16, 16)).shape, net.represent(torch.zeros(2, 1, 16, 16)).shape
    (torch.Size([2, 5]), torch.Size([2, 8]))
    """

    def __init__(self, config: SSLEncoderConfig | None = None):
        super().__init__()
        config = SSLEncoderConfig() if config is None else config
        if not isinstance(config, SSLEncoderConfig):
            raise ValueError(f"config must be an SSLEncoderConfig, got {type(config).__name__}.")
        self.config = config
        c2 = config.channels[1]
        # Chapter 4's backbone, without its classifier head
        self.features = SmallCNN(SmallCNNConfig(channels=config.channels, in_channels=config.in_channels)).features
        self.projector = _mlp(c2, config.hidden, config.out_dim)
        self.predictor = _mlp(config.out_dim, config.hidden, config.out_dim) if config.predictor else None

    def represent(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled backbone features (B, C2) of images (B, C_in, H, W)."""
        sizes = check_shape(x, "B C H W", "x", C=self.config.in_channels)
        if min(sizes["H"], sizes["W"]) < 2:
            raise ValueError(f"x must be at least 2×2 (one 2×2 max-pool), got {tuple(x.shape)}.")
        return self.features(x).mean(dim=(2, 3))                     # (B, C2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Projections (B, P) of images (B, C_in, H, W)."""
        return self.projector(self.represent(x))                    # (B, P)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """BYOL's online output: the predictor applied to the projections, (B, P)."""
        if self.predictor is None:
            raise ValueError("this encoder has no predictor: build it with SSLEncoderConfig(predictor=True).")
        return self.predictor(self(x))
