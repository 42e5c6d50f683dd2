"""Encoder-decoder building blocks for dense prediction: conv blocks, downsampling, and the two kinds of skip.

Chapter 6 (Segmentation and depth). An encoder halves the resolution several times to see the whole object; a
decoder brings the coarse, semantic features back to full resolution. What it brings back from the encoder's
fine, precise features is the skip connection, and there are two ways to merge them:

* **add** (FCN, and ResNet's shortcuts): ``y = up(x) + skip`` — the channel counts must agree (a 1×1 convolution
  makes them), the merged map has C channels, and the merge itself has no weights;
* **concatenate** (U-Net): ``y = conv([up(x) ‖ skip])`` — the next convolution sees both maps side by side and
  learns how to combine them, at the price of twice the input channels.

References
----------
J. Long, E. Shelhamer and T. Darrell, "Fully convolutional networks for semantic segmentation", CVPR 2015.
O. Ronneberger, P. Fischer and T. Brox, "U-Net: convolutional networks for biomedical image segmentation",
MICCAI 2015.
"""

from __future__ import annotations

import torch
from torch import nn

from coursekit.core.validation import check_choice, check_int, check_shape

__all__ = ["ConvBlock", "Down", "Up", "merge_skip"]


class ConvBlock(nn.Module):
    """``n_convs`` × (3×3 convolution → BatchNorm → ReLU), keeping the resolution: U-Net's "double conv".

    Defined in :ref:`sec-seg-fcn-unet`.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    n_convs : int
        Convolutions in the block (U-Net uses 2).

    Examples
    --------
    >>> ConvBlock(3, 8)(torch.zeros(2, 3, 16, 16)).shape
    torch.Size([2, 8, 16, 16])
    """

    def __init__(self, c_in: int, c_out: int, n_convs: int = 2):
        super().__init__()
        c_in, c_out = check_int(c_in, "c_in"), check_int(c_out, "c_out")
        layers = []
        for i in range(check_int(n_convs, "n_convs")):
            layers += [nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)                                             # (B, C_out, H, W)


class Down(nn.Module):
    """2×2 max-pooling (halves H and W) followed by a :class:`ConvBlock`: one encoder level.

    Defined in :ref:`sec-seg-fcn-unet`.

    Examples
    --------
    >>> Down(8, 16)(torch.zeros(1, 8, 16, 16)).shape
    torch.Size([1, 16, 8, 8])
    """

    def __init__(self, c_in: int, c_out: int, n_convs: int = 2):
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.block = ConvBlock(c_in, c_out, n_convs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(self.pool(x))                                 # (B, C_out, H/2, W/2)


def merge_skip(up: torch.Tensor, skip: torch.Tensor, mode: str) -> torch.Tensor:
    """Merge an upsampled decoder map with the encoder's skip map: ``up + skip`` or ``[up ‖ skip]``.

    Defined in :ref:`sec-seg-fcn-unet` (Eq. :eq:`eq-skip-merge`).

    Parameters
    ----------
    up, skip : (B, C, H, W) Tensor
        The same shape for ``"add"``; for ``"concat"`` only B, H, W must agree.
    mode : {"add", "concat"}

    Returns
    -------
    (B, C, H, W) or (B, C_up + C_skip, H, W) Tensor

    Examples
    --------
    >>> a, b = torch.ones(1, 2, 4, 4), torch.ones(1, 2, 4, 4)
    >>> merge_skip(a, b, "add").shape, merge_skip(a, b, "concat").shape
    (torch.Size([1, 2, 4, 4]), torch.Size([1, 4, 4, 4]))
    """
    check_choice(mode, "mode", ("add", "concat"))
    sizes = check_shape(up, "B C H W", "up")
    if mode == "add":
        check_shape(skip, "B C H W", "skip", **sizes)
        return up + skip                                                # (B, C, H, W)
    check_shape(skip, "B * H W", "skip", B=sizes["B"], H=sizes["H"], W=sizes["W"])
    return torch.cat([up, skip], dim=1)                                 # (B, C_up + C_skip, H, W)


class Up(nn.Module):
    """One decoder level: 2× transposed-convolution upsampling, merge with the skip, then a :class:`ConvBlock`.

    Defined in :ref:`sec-seg-fcn-unet` (Eq. :eq:`eq-skip-merge`).

    Parameters
    ----------
    c_in : int
        Channels of the coarse decoder map.
    c_skip : int
        Channels of the encoder map at the finer level.
    c_out : int
        Output channels.
    skip : {"concat", "add"}
        How the skip is merged. With ``"add"`` the upsampler outputs ``c_skip`` channels so the shapes agree.
    n_convs : int

    Examples
    --------
    >>> up = Up(16, 8, 8, skip="concat")
    >>> up(torch.zeros(1, 16, 4, 4), torch.zeros(1, 8, 8, 8)).shape
    torch.Size([1, 8, 8, 8])
    """

    def __init__(self, c_in: int, c_skip: int, c_out: int, skip: str = "concat", n_convs: int = 2):
        super().__init__()
        self.skip = check_choice(skip, "skip", ("concat", "add"))
        c_up = check_int(c_skip, "c_skip") if skip == "add" else check_int(c_in, "c_in") // 2
        self.up = nn.ConvTranspose2d(c_in, c_up, kernel_size=2, stride=2)   # k = s: no checkerboard overlap
        merged = c_skip if skip == "add" else c_up + c_skip
        self.block = ConvBlock(merged, c_out, n_convs)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.block(merge_skip(self.up(x), skip, self.skip))      # (B, C_out, 2H, 2W)
