"""A VGG-style sketch: stacks of 3×3 convolutions and pooling, then fully connected layers.

Chapter 4 (architectures).

References
----------
K. Simonyan and A. Zisserman, "Very deep convolutional networks for large-scale image recognition", ICLR 2015.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape

__all__ = ["VGGConfig", "VGGSketch"]


@dataclass
class VGGConfig:
    """Settings of :class:`VGGSketch`: the stages of 3×3 convolutions, the input size and the classifier.

    Defined in :ref:`sec-lenet-vgg-resnet`.

    Parameters
    ----------
    stages : tuple of (int, int)
        (number of convolutions, channels) per stage; each stage ends with a 2×2 max-pool.
    in_channels : int
        Channels of the input image.
    in_size : int
        Side of the square input; must be divisible by 2 ** len(stages).
    hidden : int
        Units of the hidden fully connected layer.
    num_classes : int
        K, the number of logits.

    Examples
    --------
    >>> VGGConfig(stages=((1, 8), (1, 16)), in_size=16).hidden
    128
    """

    stages: tuple = ((1, 16), (2, 32), (2, 64))
    in_channels: int = 1
    in_size: int = 32
    hidden: int = 128
    num_classes: int = 10

    def __post_init__(self):
        if not self.stages or any(len(s) != 2 for s in self.stages):
            raise ValueError(f"stages must list (convolutions, channels) pairs, got {self.stages!r}.")
        for i, (n_convs, width) in enumerate(self.stages):
            check_int(n_convs, f"stages[{i}] convolutions")
            check_int(width, f"stages[{i}] channels")
        for name in ("in_channels", "in_size", "hidden"):
            check_int(getattr(self, name), name)
        check_int(self.num_classes, "num_classes", minimum=2)
        if self.in_size % 2 ** len(self.stages):
            raise ValueError(f"in_size = {self.in_size} must be divisible by 2 ** {len(self.stages)} "
                             f"(one 2×2 max-pool per stage).")


class VGGSketch(nn.Module):
    """VGG-style: stages of 3×3 conv + ReLU, each closed by a 2×2 max-pool, then two fully connected layers.

    Defined in :ref:`sec-lenet-vgg-resnet`.

    Parameters
    ----------
    config : VGGConfig, optional

    Notes
    -----
    Two stacked 3×3 convolutions see 5×5 pixels with 2 · 9 C² weights instead of 25 C², and add a
    non-linearity: VGG's argument for small kernels. Most parameters sit in the first fully connected layer.

    References
    ----------
    K. Simonyan and A. Zisserman, "Very deep convolutional networks for large-scale image recognition",
    ICLR 2015.

    Examples
    --------
    >>> VGGSketch(VGGConfig(stages=((1, 8), (1, 16)), in_size=16))(torch.zeros(2, 1, 16, 16)).shape
    torch.Size([2, 10])
    """

    def __init__(self, config: VGGConfig | None = None):
        super().__init__()
        config = VGGConfig() if config is None else config
        if not isinstance(config, VGGConfig):
            raise ValueError(f"config must be a VGGConfig, got {type(config).__name__}.")
        self.config = config
        layers, c = [], config.in_channels
        for n_convs, width in config.stages:
            for _ in range(n_convs):
                layers += [nn.Conv2d(c, width, 3, padding=1), nn.ReLU()]
                c = width
            layers.append(nn.MaxPool2d(2))
        side = config.in_size // 2 ** len(config.stages)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c * side * side, config.hidden), nn.ReLU(),
                                        nn.Linear(config.hidden, config.num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) of images ``x`` (B, C_in, S, S) with S = ``config.in_size``."""
        c = self.config
        check_shape(x, "B C S S", "x", C=c.in_channels, S=c.in_size)
        return self.classifier(self.features(x))                    # (B, C, S/2^n, S/2^n) flattened -> (B, K)
