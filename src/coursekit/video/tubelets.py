"""Tubelet embedding: the video transformer's patches are t×P×P blocks of space-time (Chapter 16).

A clip (B, C, T, H, W) is cut into non-overlapping tubelets of t frames and P×P pixels; each is flattened
and projected to D dimensions, giving N = (T/t)(H/P)(W/P) tokens. As for images (Chapter 11), the
projection of non-overlapping blocks is a 3D convolution whose stride equals its kernel. ViViT initialises
the 3D kernel from a 2D patch embedding by "central frame" inflation or by I3D's repeat-and-divide.

References
----------
A. Arnab et al., "ViViT: A video vision transformer", ICCV 2021 (tubelet embedding, factorised models).
Z. Tong et al., "VideoMAE", NeurIPS 2022 (2×16×16 tubelets).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_int, check_shape

__all__ = ["tubelets", "tubelet_embed", "TubeletEmbedding", "tubelet_count"]


def _grid(x: torch.Tensor, t: int, P: int) -> tuple[int, ...]:
    sizes = check_shape(x, "B C T H W")
    t, P = check_int(t, "t"), check_int(P, "patch_size")
    if sizes["T"] % t or sizes["H"] % P or sizes["W"] % P:
        raise ValueError(f"T, H, W = {sizes['T']}, {sizes['H']}, {sizes['W']} must be multiples of "
                         f"t = {t}, P = {P}, P.")
    return sizes["B"], sizes["C"], sizes["T"] // t, sizes["H"] // P, sizes["W"] // P, t, P


def tubelet_count(T: int, H: int, W: int, t: int, patch_size: int) -> int:
    """Number of tokens N = (T/t)·(H/P)·(W/P).

    Defined in :ref:`sec-video-tubelets` (Eq. :eq:`eq-video-tubelets`).

    Parameters
    ----------
    T, H, W : int
        Frames, height and width of the clip.
    t, patch_size : int
        The tubelet's frames t and side P; T must be a multiple of t, H and W of P.

    Returns
    -------
    int

    Examples
    --------
    >>> tubelet_count(16, 224, 224, 2, 16)            # VideoMAE's ViT-B input
    1568
    """
    T, H, W = check_int(T, "T"), check_int(H, "H"), check_int(W, "W")
    t, P = check_int(t, "t"), check_int(patch_size, "patch_size")
    if T % t or H % P or W % P:
        raise ValueError(f"T, H, W = {T}, {H}, {W} must be multiples of t = {t}, P = {P}, P.")
    return (T // t) * (H // P) * (W // P)


def tubelets(x: torch.Tensor, t: int, patch_size: int) -> torch.Tensor:
    """Cut a clip into t×P×P tubelets and flatten each: (B, C, T, H, W) → (B, N, C·t·P·P).

    Defined in :ref:`sec-video-tubelets` (Eq. :eq:`eq-video-tubelets`).

    Parameters
    ----------
    x : (B, C, T, H, W) Tensor
        T a multiple of t; H, W multiples of P.
    t : int
        Frames per tubelet.
    patch_size : int
        P.

    Returns
    -------
    (B, N, C·t·P·P) Tensor
        Tokens ordered time-major (all patches of the first t frames, then the next); each flattened in
        (C, t, P, P) order, the layout of a ``Conv3d`` weight.

    Examples
    --------
    >>> x = torch.arange(32.0).reshape(1, 1, 2, 4, 4)
    >>> tubelets(x, 2, 2)[0, 1].tolist()              # top-right 2×2 patch of both frames
    [2.0, 3.0, 6.0, 7.0, 18.0, 19.0, 22.0, 23.0]
    """
    B, C, nt, gh, gw, t, P = _grid(x, t, patch_size)
    x = x.reshape(B, C, nt, t, gh, P, gw, P)                         # (B, C, T/t, t, gh, P, gw, P)
    x = x.permute(0, 2, 4, 6, 1, 3, 5, 7)                            # (B, T/t, gh, gw, C, t, P, P)
    return x.reshape(B, nt * gh * gw, C * t * P * P)                 # (B, N, C·t·P·P)


def tubelet_embed(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, t: int,
                  patch_size: int) -> torch.Tensor:
    """Tubelet embedding as reshape + linear: z_i = E x_i + b for every flattened tubelet.

    Defined in :ref:`sec-video-tubelets` (Eq. :eq:`eq-video-tubelets`).

    Parameters
    ----------
    x : (B, C, T, H, W) Tensor
    weight : (D, C, t, P, P) Tensor
        The projection E stored as a ``Conv3d`` kernel.
    bias : (D,) Tensor or None
    t, patch_size : int

    Returns
    -------
    (B, N, D) Tensor
        Equal to ``F.conv3d(x, weight, bias, stride=(t, P, P)).flatten(2).transpose(1, 2)``.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> x, w = torch.randn(1, 3, 4, 8, 8, generator=g), torch.randn(6, 3, 2, 4, 4, generator=g)
    >>> tubelet_embed(x, w, None, 2, 4).shape
    torch.Size([1, 8, 6])
    """
    B, C, nt, gh, gw, t, P = _grid(x, t, patch_size)
    if weight.ndim != 5 or tuple(weight.shape[1:]) != (C, t, P, P):
        raise ValueError(f"weight must have shape (D, {C}, {t}, {P}, {P}), got {tuple(weight.shape)}.")
    E = weight.reshape(weight.shape[0], C * t * P * P)               # (D, C·t·P·P)
    return F.linear(tubelets(x, t, P), E, bias)                      # (B, N, D)


class TubeletEmbedding(nn.Module):
    """The module twin of :func:`tubelet_embed`: a ``Conv3d`` with stride = kernel = (t, P, P), flattened.

    Defined in :ref:`sec-video-tubelets`.

    Parameters
    ----------
    in_channels, dim, t, patch_size : int

    Examples
    --------
    >>> TubeletEmbedding(3, 16, 2, 4)(torch.zeros(2, 3, 4, 8, 8)).shape
    torch.Size([2, 8, 16])
    """

    def __init__(self, in_channels: int, dim: int, t: int, patch_size: int):
        super().__init__()
        self.t, self.patch_size = check_int(t, "t"), check_int(patch_size, "patch_size")
        self.proj = nn.Conv3d(check_int(in_channels, "in_channels"), check_int(dim, "dim"),
                              (self.t, self.patch_size, self.patch_size),
                              stride=(self.t, self.patch_size, self.patch_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens (B, N, D) of a clip (B, C, T, H, W)."""
        return tubelet_embed(x, self.proj.weight, self.proj.bias, self.t, self.patch_size)
