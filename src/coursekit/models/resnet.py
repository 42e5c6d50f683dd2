"""A CIFAR-style ResNet sketch (6n + 2 layers) built from ``coursekit.layers.ResidualBlock``.

Chapter 4 (architectures).

References
----------
K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image recognition", CVPR 2016.
"""

from __future__ import annotations

import torch
from torch import nn

from coursekit.layers.blocks import ResidualBlock, _conv_bn

__all__ = ["ResNetSketch"]


class ResNetSketch(nn.Module):
    """CIFAR-style ResNet: a 3×3 stem, three stages of ``n`` residual blocks (widths doubling, stride 2 at
    each new stage with a projection shortcut), global average pooling and a linear head.

    Depth 6n + 2 weight layers on the main path (n = 3 is ResNet-20).
    """

    def __init__(self, n: int = 3, widths=(16, 32, 64), in_channels: int = 1, num_classes: int = 10):
        super().__init__()
        blocks, c = [], widths[0]
        for i, width in enumerate(widths):
            for j in range(n):
                blocks.append(ResidualBlock(c, width, stride=2 if i > 0 and j == 0 else 1))
                c = width
        self.stem = nn.Sequential(_conv_bn(in_channels, widths[0], 3), nn.ReLU())
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)).mean(dim=(2, 3)))
