"""A CIFAR-style ResNet sketch (6n + 2 layers) built from ``coursekit.layers.ResidualBlock``.

Chapter 4 (architectures).

References
----------
K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image recognition", CVPR 2016.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape
from coursekit.layers.blocks import ResidualBlock, conv_bn

__all__ = ["ResNetConfig", "ResNetSketch"]


@dataclass
class ResNetConfig:
    """Settings of :class:`ResNetSketch`: blocks per stage, stage widths, input channels and classes.

    Defined in :ref:`sec-lenet-vgg-resnet`.

    Parameters
    ----------
    n : int
        Residual blocks per stage: depth 6n + 2 (n = 3 is ResNet-20, n = 9 ResNet-56).
    widths : tuple of int
        Channels of each stage; every stage after the first halves H and W.
    in_channels : int
        Channels of the input image.
    num_classes : int
        K, the number of logits.

    Examples
    --------
    >>> ResNetConfig(n=1).widths
    (16, 32, 64)
    """

    n: int = 3
    widths: tuple = (16, 32, 64)
    in_channels: int = 1
    num_classes: int = 10

    def __post_init__(self):
        check_int(self.n, "n")
        if not self.widths:
            raise ValueError("widths must list at least one stage width.")
        for i, w in enumerate(self.widths):
            check_int(w, f"widths[{i}]")
        check_int(self.in_channels, "in_channels")
        check_int(self.num_classes, "num_classes", minimum=2)


class ResNetSketch(nn.Module):
    """CIFAR-style ResNet: a 3×3 stem, stages of residual blocks, global average pooling and a linear head.

    Defined in :ref:`sec-lenet-vgg-resnet`.

    Parameters
    ----------
    config : ResNetConfig, optional

    Notes
    -----
    Each stage has ``n`` :class:`~coursekit.layers.blocks.ResidualBlock`; a new stage doubles the width
    and starts with stride 2 and a projection shortcut. Depth 6n + 2 weight layers on the main path for
    three stages. Initialise with ``init_parameters_(ResNetSketch(config), generator)``, which keeps the
    zero-initialised last BN of each block.

    References
    ----------
    K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image recognition", CVPR 2016.

    Examples
    --------
    >>> ResNetSketch(ResNetConfig(n=1))(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, config: ResNetConfig | None = None):
        super().__init__()
        config = ResNetConfig() if config is None else config
        if not isinstance(config, ResNetConfig):
            raise ValueError(f"config must be a ResNetConfig, e.g. ResNetSketch(ResNetConfig(n=3)), "
                             f"got {type(config).__name__}.")
        self.config = config
        blocks, c = [], config.widths[0]
        for i, width in enumerate(config.widths):
            for j in range(config.n):
                blocks.append(ResidualBlock(c, width, stride=2 if i > 0 and j == 0 else 1))
                c = width
        self.stem = nn.Sequential(conv_bn(config.in_channels, config.widths[0], 3), nn.ReLU())
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(c, config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) of images ``x`` (B, C_in, H, W)."""
        check_shape(x, "B C H W", "x", C=self.config.in_channels)
        return self.head(self.blocks(self.stem(x)).mean(dim=(2, 3)))   # (B, C_last, h, w) -> (B, K)
