"""A tiny U-Net for semantic segmentation of the procedural shape scenes (Chapter 6).

Encoder: a :class:`~coursekit.dense.blocks.ConvBlock` at full resolution, then ``depth`` levels of 2×2
max-pooling + ConvBlock, doubling the channels each time. Decoder: ``depth`` levels of 2× transposed
convolution, a skip from the encoder level of the same resolution (concatenated as in U-Net, or added as in
FCN), and a ConvBlock. A 1×1 convolution gives K class scores per pixel.

References
----------
O. Ronneberger, P. Fischer and T. Brox, "U-Net: convolutional networks for biomedical image segmentation",
MICCAI 2015.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_choice, check_int, check_shape
from coursekit.dense.blocks import ConvBlock, Down, Up

__all__ = ["UNetConfig", "UNet"]


@dataclass
class UNetConfig:
    """Size of a :class:`UNet`. The defaults train on 32×32 shape scenes in seconds on two CPU cores.

    Defined in :ref:`sec-seg-unet-training`.

    Parameters
    ----------
    in_channels : int
        C of the input images (3 for RGB).
    num_classes : int
        K, the output channels (background + 4 shapes in the shape scenes).
    width : int
        Channels at full resolution; level l has ``width · 2^l``.
    depth : int
        Number of 2× downsamplings; H and W must be divisible by ``2^depth``.
    skip : {"concat", "add"}
        How the decoder merges the encoder's maps (U-Net concatenates, FCN adds).
    n_convs : int
        3×3 convolutions per block.

    Examples
    --------
    >>> UNetConfig().depth
    3
    """

    in_channels: int = 3
    num_classes: int = 5
    width: int = 8
    depth: int = 3
    skip: str = "concat"
    n_convs: int = 2


class UNet(nn.Module):
    """The U-Net of :class:`UNetConfig`: ``(B, C, H, W)`` images to ``(B, K, H, W)`` class logits.

    Defined in :ref:`sec-seg-unet-training` (Eq. :eq:`eq-skip-merge`).

    Parameters
    ----------
    config : UNetConfig, optional

    Examples
    --------
    >>> net = UNet(UNetConfig(width=4, depth=2))
    >>> net(torch.zeros(1, 3, 16, 16)).shape
    torch.Size([1, 5, 16, 16])
    """

    def __init__(self, config: UNetConfig | None = None):
        super().__init__()
        cfg = self.config = config if config is not None else UNetConfig()
        check_int(cfg.in_channels, "config.in_channels")
        check_int(cfg.num_classes, "config.num_classes", minimum=2)
        check_int(cfg.width, "config.width")
        check_int(cfg.depth, "config.depth", minimum=1, maximum=6)
        check_choice(cfg.skip, "config.skip", ("concat", "add"))
        ch = [cfg.width * 2 ** level for level in range(cfg.depth + 1)]     # channels per level
        self.stem = ConvBlock(cfg.in_channels, ch[0], cfg.n_convs)
        self.down = nn.ModuleList(Down(ch[i], ch[i + 1], cfg.n_convs) for i in range(cfg.depth))
        self.up = nn.ModuleList(Up(ch[i + 1], ch[i], ch[i], cfg.skip, cfg.n_convs)
                                for i in reversed(range(cfg.depth)))
        self.head = nn.Conv2d(ch[0], cfg.num_classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sizes = check_shape(x, "B C H W", "x", C=self.config.in_channels)
        f = 2 ** self.config.depth
        if sizes["H"] % f or sizes["W"] % f:
            raise ValueError(f"H and W must be divisible by 2^depth = {f}, got {sizes['H']}×{sizes['W']}.")
        skips = [self.stem(x)]                                          # (B, w, H, W)
        for down in self.down:
            skips.append(down(skips[-1]))                               # (B, w 2^l, H/2^l, W/2^l)
        y = skips.pop()                                                 # the bottleneck
        for up in self.up:
            y = up(y, skips.pop())                                      # back up one level
        return self.head(y)                                             # (B, K, H, W)
