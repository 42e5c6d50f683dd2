"""Patch embeddings and position codes for vision transformers.

Chapter 11 (Vision transformers) turns an image into a sequence of tokens: cut it into P×P patches, flatten
each one and project it linearly (a convolution with kernel and stride P is the same map), prepend a learned
[CLS] token, add a position code (ViT learns a 1D table; a fixed 2D sinusoidal code is the alternative), and
resample the learned table when the resolution changes.

References
----------
A. Dosovitskiy et al., "An image is worth 16x16 words: transformers for image recognition at scale",
ICLR 2021 (patches, [CLS], learned 1D position embeddings, their 2D interpolation for fine-tuning).
K. He et al., "Masked autoencoders are scalable vision learners", CVPR 2022 (fixed 2D sinusoidal codes).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_int, check_shape
from coursekit.layers.positional import sinusoidal_positional_encoding

__all__ = ["patchify", "unpatchify", "patch_embed", "PatchEmbedding", "prepend_tokens",
           "sinusoidal_2d_positional_encoding", "interpolate_position_embedding"]


def _grid(x: torch.Tensor, patch_size: int) -> tuple[int, int, int, int, int]:
    sizes = check_shape(x, "B C H W", "x")
    P = check_int(patch_size, "patch_size")
    H, W = sizes["H"], sizes["W"]
    if H % P or W % P:
        raise ValueError(f"the image side must be a multiple of patch_size = {P}, got H×W = {H}×{W}; "
                         f"crop or pad it first.")
    return sizes["B"], sizes["C"], H // P, W // P, P


def patchify(x: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Cut images into non-overlapping P×P patches and flatten each one: (B, C, H, W) → (B, N, C·P·P).

    Defined in :ref:`sec-vit-patches` (Eq. :eq:`eq-vit-patch-embedding`).

    Parameters
    ----------
    x : (B, C, H, W) Tensor
        H and W multiples of P.
    patch_size : int
        P.

    Returns
    -------
    (B, N, C·P·P) Tensor
        N = (H/P)(W/P) patches in raster order (row of patches by row); each flattened in (C, P, P) order,
        the layout of a convolution weight.

    Examples
    --------
    >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> patchify(x, 2)[0, 1].tolist()          # the top-right 2×2 patch
    [2.0, 3.0, 6.0, 7.0]
    """
    B, C, gh, gw, P = _grid(x, patch_size)
    x = x.reshape(B, C, gh, P, gw, P)                              # (B, C, gh, P, gw, P)
    x = x.permute(0, 2, 4, 1, 3, 5)                                # (B, gh, gw, C, P, P)
    return x.reshape(B, gh * gw, C * P * P)                        # (B, N, C·P·P)


def unpatchify(tokens: torch.Tensor, patch_size: int, grid: tuple[int, int], channels: int) -> torch.Tensor:
    """The inverse of :func:`patchify`: (B, N, C·P·P) → (B, C, gh·P, gw·P).

    Defined in :ref:`sec-vit-patches`.

    Examples
    --------
    >>> x = torch.randn(2, 3, 8, 12, generator=torch.Generator().manual_seed(0))
    >>> bool(torch.equal(unpatchify(patchify(x, 4), 4, (2, 3), 3), x))
    True
    """
    P, C = check_int(patch_size, "patch_size"), check_int(channels, "channels")
    gh, gw = (check_int(g, "grid") for g in grid)
    if tokens.ndim != 3 or tokens.shape[1:] != (gh * gw, C * P * P):
        raise ValueError(f"tokens must have shape (B, {gh * gw}, {C * P * P}), got {tuple(tokens.shape)}.")
    x = tokens.reshape(-1, gh, gw, C, P, P).permute(0, 3, 1, 4, 2, 5)   # (B, C, gh, P, gw, P)
    return x.reshape(-1, C, gh * P, gw * P)                              # (B, C, H, W)


def patch_embed(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, patch_size: int) -> torch.Tensor:
    """Patch embedding as reshape + linear: z_i = E x_i + b for every flattened patch x_i.

    Defined in :ref:`sec-vit-patches` (Eq. :eq:`eq-vit-patch-embedding`).

    Parameters
    ----------
    x : (B, C, H, W) Tensor
    weight : (D, C, P, P) Tensor
        The projection E, stored as a convolution kernel.
    bias : (D,) Tensor or None
    patch_size : int
        P, equal to the kernel's side.

    Returns
    -------
    (B, N, D) Tensor
        Equal to ``F.conv2d(x, weight, bias, stride=P).flatten(2).transpose(1, 2)``: a convolution whose
        stride equals its kernel sees each patch exactly once.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> x, w = torch.randn(2, 3, 8, 8, generator=g), torch.randn(5, 3, 4, 4, generator=g)
    >>> conv = F.conv2d(x, w, stride=4).flatten(2).transpose(1, 2)
    >>> bool(torch.allclose(patch_embed(x, w, None, 4), conv, atol=1e-5))
    True
    """
    B, C, gh, gw, P = _grid(x, patch_size)
    if weight.ndim != 4 or weight.shape[1:] != (C, P, P):
        raise ValueError(f"weight must have shape (D, {C}, {P}, {P}) for {C} channels and P = {P}, "
                         f"got {tuple(weight.shape)}.")
    E = weight.reshape(weight.shape[0], C * P * P)                 # (D, C·P·P), rows = outputs
    return F.linear(patchify(x, P), E, bias)                       # (B, N, D)


class PatchEmbedding(nn.Module):
    """ViT's patch embedding as a convolution with kernel = stride = P (how practitioners write it).

    Defined in :ref:`sec-vit-patches` (Eq. :eq:`eq-vit-patch-embedding`).

    Parameters
    ----------
    in_channels : int
        C.
    dim : int
        D, the token width.
    patch_size : int
        P.
    generator : torch.Generator, optional
        Draws the initial weights (torch's global generator if omitted, as ``torch.nn`` layers).

    Examples
    --------
    >>> emb = PatchEmbedding(1, 8, 4)
    >>> emb(torch.zeros(2, 1, 16, 16)).shape
    torch.Size([2, 16, 8])
    """

    def __init__(self, in_channels: int, dim: int, patch_size: int, generator: torch.Generator | None = None):
        super().__init__()
        self.patch_size = check_int(patch_size, "patch_size")
        self.proj = nn.utils.skip_init(nn.Conv2d, check_int(in_channels, "in_channels"), check_int(dim, "dim"),
                                       patch_size, stride=patch_size, device=torch.empty(0).device)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """PyTorch's default for a convolution, U(-1/√fan_in, 1/√fan_in) with fan_in = C·P², from ``generator``."""
        bound = 1.0 / math.sqrt(self.proj.weight[0].numel())
        nn.init.uniform_(self.proj.weight, -bound, bound, generator=generator)
        nn.init.uniform_(self.proj.bias, -bound, bound, generator=generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens (B, N, D) of the images ``x`` (B, C, H, W)."""
        _grid(x, self.patch_size)
        return self.proj(x).flatten(2).transpose(1, 2)             # (B, D, gh, gw) → (B, N, D)


def prepend_tokens(x: torch.Tensor, *tokens: torch.Tensor) -> torch.Tensor:
    """Put learned tokens ([CLS], DeiT's distillation token, registers) in front of every sequence.

    Defined in :ref:`sec-vit-cls`.

    Parameters
    ----------
    x : (B, N, D) Tensor
    *tokens : (D,), (1, D) or (1, k, D) Tensors
        Shared by the whole batch, in this order.

    Returns
    -------
    (B, k_total + N, D) Tensor

    Examples
    --------
    >>> prepend_tokens(torch.zeros(2, 4, 3), torch.ones(3)).shape
    torch.Size([2, 5, 3])
    """
    if x.ndim != 3:
        raise ValueError(f"x must have shape (B, N, D), got {tuple(x.shape)}.")
    B, _, D = x.shape
    parts = []
    for t in tokens:
        t = t.reshape(1, -1, t.shape[-1])                          # (1, k, D)
        if t.shape[-1] != D:
            raise ValueError(f"a token of width {t.shape[-1]} cannot join tokens of width D = {D}.")
        parts.append(t.expand(B, -1, -1).to(x.dtype))              # (B, k, D)
    return torch.cat([*parts, x], dim=1)                           # (B, k + N, D)


def sinusoidal_2d_positional_encoding(grid_h: int, grid_w: int, dim: int,
                                      dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A fixed 2D code: half the channels encode the column x with 1D sinusoids, half the row y.

    Defined in :ref:`sec-vit-position` (Eq. :eq:`eq-vit-pe-2d`).

    Parameters
    ----------
    grid_h, grid_w : int
        The patch grid (rows, columns).
    dim : int
        D, a multiple of 4 (each half holds sine/cosine pairs).
    dtype : torch.dtype

    Returns
    -------
    (grid_h·grid_w, D) Tensor
        Row n is the code of the patch at (x, y) = (n mod grid_w, n // grid_w): the first D/2 columns are
        the 1D code of x, the last D/2 that of y.

    Examples
    --------
    >>> pe = sinusoidal_2d_positional_encoding(2, 3, 8)
    >>> pe.shape, bool(torch.equal(pe[1, 4:], pe[0, 4:]))   # same row y: same second half
    (torch.Size([6, 8]), True)
    """
    gh, gw, dim = check_int(grid_h, "grid_h"), check_int(grid_w, "grid_w"), check_int(dim, "dim")
    if dim % 4:
        raise ValueError(f"dim must be a multiple of 4 (two halves of sine/cosine pairs), got {dim}.")
    table = sinusoidal_positional_encoding(max(gh, gw), dim // 2, dtype=torch.float64)   # (max, D/2)
    ys, xs = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing="ij")          # (gh, gw) each
    pe = torch.cat([table[xs.reshape(-1)], table[ys.reshape(-1)]], dim=1)               # (N, D)
    return pe.to(dtype)


def interpolate_position_embedding(pos: torch.Tensor, old_grid: tuple[int, int], new_grid: tuple[int, int],
                                   n_prefix: int = 1, mode: str = "bicubic") -> torch.Tensor:
    """Resample a learned position table to a new patch grid (fine-tuning at a higher resolution).

    Defined in :ref:`sec-vit-position` (Eq. :eq:`eq-vit-pe-interpolation`).

    Parameters
    ----------
    pos : (n_prefix + gh·gw, D) Tensor
        The learned table: prefix tokens ([CLS], ...) first, then the patches in raster order.
    old_grid, new_grid : (int, int)
        (gh, gw) before and (gh', gw') after.
    n_prefix : int
        Rows that belong to prefix tokens; they have no position and are copied unchanged.
    mode : {"bicubic", "bilinear", "nearest"}
        ``F.interpolate``'s mode (ViT uses 2D interpolation; bicubic is common).

    Returns
    -------
    (n_prefix + gh'·gw', D) Tensor

    Notes
    -----
    1. Reshape the patch rows to a (1, D, gh, gw) image of codes.
    2. Resize it to (gh', gw') with ``align_corners=False`` (pixel centres keep their relative place).
    3. Flatten back and put the prefix rows in front.

    Examples
    --------
    >>> pos = torch.randn(1 + 16, 8, generator=torch.Generator().manual_seed(0))
    >>> interpolate_position_embedding(pos, (4, 4), (6, 6)).shape
    torch.Size([37, 8])
    """
    n_prefix = check_int(n_prefix, "n_prefix", minimum=0)
    gh, gw = (check_int(g, "old_grid") for g in old_grid)
    nh, nw = (check_int(g, "new_grid") for g in new_grid)
    if pos.ndim != 2 or pos.shape[0] != n_prefix + gh * gw:
        raise ValueError(f"pos must have shape ({n_prefix} + {gh}·{gw}, D) = ({n_prefix + gh * gw}, D), "
                         f"got {tuple(pos.shape)}.")
    if mode not in ("bicubic", "bilinear", "nearest"):
        raise ValueError(f"mode must be 'bicubic', 'bilinear' or 'nearest', got {mode!r}.")
    prefix, grid = pos[:n_prefix], pos[n_prefix:]
    img = grid.reshape(gh, gw, -1).permute(2, 0, 1)[None]         # (1, D, gh, gw)
    kw = {} if mode == "nearest" else {"align_corners": False}
    img = F.interpolate(img, size=(nh, nw), mode=mode, **kw)       # (1, D, nh, nw)
    grid = img[0].permute(1, 2, 0).reshape(nh * nw, -1)           # (N', D)
    return torch.cat([prefix, grid], dim=0)                        # (n_prefix + N', D)
