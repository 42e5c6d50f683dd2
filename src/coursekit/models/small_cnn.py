"""The small CNN trained on digits in Chapter 4, reused as a classifier by later chapters.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape
from coursekit.layers.blocks import conv_bn

__all__ = ["SmallCNNConfig", "SmallCNN"]


@dataclass
class SmallCNNConfig:
    """Settings of :class:`SmallCNN`; the defaults train on 16×16 digits to ~99% in a few seconds.

    Defined in :ref:`sec-small-cnn`.

    Parameters
    ----------
    channels : (int, int)
        Widths (C1, C2): the first conv layer has C1 channels, the last two C2.
    num_classes : int
        K, the number of logits.
    in_channels : int
        Channels of the input image (1 for grey).

    Examples
    --------
    >>> SmallCNNConfig(channels=(8, 16)).num_classes
    10
    """

    channels: tuple[int, int] = (16, 32)
    num_classes: int = 10
    in_channels: int = 1

    def __post_init__(self):
        if not (isinstance(self.channels, (tuple, list)) and len(self.channels) == 2):
            raise ValueError(f"channels must be a pair (C1, C2), got {self.channels!r}.")
        for i, c in enumerate(self.channels):
            check_int(c, f"channels[{i}]")
        check_int(self.num_classes, "num_classes", minimum=2)
        check_int(self.in_channels, "in_channels")


class SmallCNN(nn.Module):
    """Three conv-BN-ReLU layers (a 2×2 max-pool after the first) and a global-average-pooling + linear head.

    Defined in :ref:`sec-small-cnn` (Eq. :eq:`eq-gap-classifier`).

    Parameters
    ----------
    config : SmallCNNConfig, optional
        The widths, classes and input channels (default ``SmallCNNConfig()``).

    Notes
    -----
    ``features`` maps (B, C_in, H, W) to the last feature map A of shape (B, C2, H/2, W/2); the logits are
    ``head(A.mean((2, 3)))``, so CAM applies. The receptive field of A is 12 input pixels, enough to see most
    of a digit upsampled to 16×16 (with only two convolutions it would be 8, and global pooling would discard
    too much of the layout). Initialise with ``init_parameters_(SmallCNN(config), generator)``.

    Examples
    --------
    >>> model = SmallCNN(SmallCNNConfig(channels=(4, 8)))
    >>> model(torch.zeros(2, 1, 16, 16)).shape
    torch.Size([2, 10])
    """

    def __init__(self, config: SmallCNNConfig | None = None):
        super().__init__()
        config = SmallCNNConfig() if config is None else config
        if not isinstance(config, SmallCNNConfig):
            raise ValueError(f"config must be a SmallCNNConfig, e.g. SmallCNN(SmallCNNConfig(channels=(16, 32))), "
                             f"got {type(config).__name__}.")
        self.config = config
        c1, c2 = config.channels
        self.features = nn.Sequential(conv_bn(config.in_channels, c1, 3), nn.ReLU(), nn.MaxPool2d(2),
                                      conv_bn(c1, c2, 3), nn.ReLU(), conv_bn(c2, c2, 3), nn.ReLU())
        self.head = nn.Linear(c2, config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) of the images ``x`` (B, C_in, H, W), H and W >= 2."""
        sizes = check_shape(x, "B C H W", "x", C=self.config.in_channels)
        if min(sizes["H"], sizes["W"]) < 2:
            raise ValueError(f"x must be at least 2×2 (one 2×2 max-pool), got {tuple(x.shape)}.")
        A = self.features(x)                                        # (B, C2, H/2, W/2)
        return self.head(A.mean(dim=(2, 3)))                        # (B, K) logits
