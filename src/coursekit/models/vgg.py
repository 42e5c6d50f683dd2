"""A VGG-style sketch: stacks of 3×3 convolutions and pooling, then fully connected layers.

Chapter 4 (architectures).

References
----------
K. Simonyan and A. Zisserman, "Very deep convolutional networks for large-scale image recognition", ICLR 2015.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["VGGSketch"]


class VGGSketch(nn.Module):
    """VGG-style: stages of 3×3 conv + ReLU, each closed by a 2×2 max-pool, then two fully connected layers.

    ``stages`` lists (number of convolutions, channels) per stage; the input side must be divisible by
    2 ** len(stages).
    """

    def __init__(self, stages=((1, 16), (2, 32), (2, 64)), in_channels: int = 1, in_size: int = 32,
                 hidden: int = 128, num_classes: int = 10):
        super().__init__()
        layers, c = [], in_channels
        for n_convs, width in stages:
            for _ in range(n_convs):
                layers += [nn.Conv2d(c, width, 3, padding=1), nn.ReLU()]
                c = width
            layers.append(nn.MaxPool2d(2))
        side = in_size // 2 ** len(stages)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c * side * side, hidden), nn.ReLU(),
                                        nn.Linear(hidden, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
