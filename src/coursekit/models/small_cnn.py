"""The small CNN trained on digits in Chapter 4, reused as a classifier by later chapters.
"""

from __future__ import annotations

import torch
from torch import nn

from coursekit.layers.blocks import _conv_bn

__all__ = ["SmallCNN"]


class SmallCNN(nn.Module):
    """Three conv-BN-ReLU layers (a 2×2 max-pool after the first) and a global-average-pooling + linear
    head, so CAM applies.

    Defined in :ref:`sec-small-cnn` (Eq. :eq:`eq-gap-classifier`).

    ``features`` maps (B, 1, H, W) to the last feature map A of shape (B, C2, H/2, W/2); the logits are
    ``head(A.mean((2, 3)))``. The receptive field of A is 12 input pixels, enough to see most of a digit
    upsampled to 16×16 (with only two convolutions it would be 8, and global pooling would discard too much
    of the layout).
    """

    def __init__(self, channels: tuple[int, int] = (16, 32), num_classes: int = 10, in_channels: int = 1):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(_conv_bn(in_channels, c1, 3), nn.ReLU(), nn.MaxPool2d(2),
                                      _conv_bn(c1, c2, 3), nn.ReLU(), _conv_bn(c2, c2, 3), nn.ReLU())
        self.head = nn.Linear(c2, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        A = self.features(x)                                        # (B, C2, H/2, W/2)
        return self.head(A.mean(dim=(2, 3)))                        # (B, K) logits
