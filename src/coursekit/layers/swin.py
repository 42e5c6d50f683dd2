"""Swin transformer pieces: windows, the cyclic shift and its mask, relative position bias, patch merging.

Chapter 11 (Vision transformers). Attention inside M×M windows costs O(N·M²) instead of O(N²); shifting the
windows by ⌊M/2⌋ every other block lets information cross window borders. The shift is done by rolling the
feature map (a cyclic shift), and a mask stops tokens that were far apart before the roll from attending to
each other. Feature maps here are channels-last, (B, H, W, C), as in the paper's code.

References
----------
Z. Liu et al., "Swin transformer: hierarchical vision transformer using shifted windows", ICCV 2021.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_int
from coursekit.layers.attention import merge_heads, split_heads

__all__ = ["window_partition", "window_reverse", "cyclic_shift", "shifted_window_mask",
           "relative_position_index", "RelativePositionBias", "shifted_window_attention", "PatchMerging"]


def _check_map(x: torch.Tensor, window: int) -> tuple[int, int, int, int, int]:
    M = check_int(window, "window")
    if x.ndim != 4:
        raise ValueError(f"x must be a channels-last feature map (B, H, W, C), got shape {tuple(x.shape)}.")
    B, H, W, C = x.shape
    if H % M or W % M:
        raise ValueError(f"H and W must be multiples of the window M = {M}, got H×W = {H}×{W}; pad the map.")
    return B, H, W, C, M


def window_partition(x: torch.Tensor, window: int) -> torch.Tensor:
    """Cut a feature map into non-overlapping M×M windows: (B, H, W, C) → (B·nW, M·M, C).

    Defined in :ref:`sec-vit-swin` (Eq. :eq:`eq-vit-swin-cost`).

    Parameters
    ----------
    x : (B, H, W, C) Tensor
        H and W multiples of M.
    window : int
        M.

    Returns
    -------
    (B·nW, M·M, C) Tensor
        nW = (H/M)(W/M) windows per image, in raster order; the tokens of a window in raster order.

    Examples
    --------
    >>> x = torch.arange(16.0).reshape(1, 4, 4, 1)
    >>> window_partition(x, 2)[1, :, 0].tolist()        # the top-right window
    [2.0, 3.0, 6.0, 7.0]
    """
    B, H, W, C, M = _check_map(x, window)
    x = x.reshape(B, H // M, M, W // M, M, C)                      # (B, H/M, M, W/M, M, C)
    x = x.permute(0, 1, 3, 2, 4, 5)                                # (B, H/M, W/M, M, M, C)
    return x.reshape(-1, M * M, C)                                 # (B·nW, M², C)


def window_reverse(windows: torch.Tensor, window: int, height: int, width: int) -> torch.Tensor:
    """The inverse of :func:`window_partition`: (B·nW, M·M, C) → (B, H, W, C).

    Defined in :ref:`sec-vit-swin`.

    Examples
    --------
    >>> x = torch.randn(2, 8, 12, 3, generator=torch.Generator().manual_seed(0))
    >>> bool(torch.equal(window_reverse(window_partition(x, 4), 4, 8, 12), x))
    True
    """
    M, H, W = check_int(window, "window"), check_int(height, "height"), check_int(width, "width")
    if H % M or W % M:
        raise ValueError(f"height and width must be multiples of the window M = {M}, got {H}×{W}.")
    nW = (H // M) * (W // M)
    if windows.ndim != 3 or windows.shape[1] != M * M or windows.shape[0] % nW:
        raise ValueError(f"windows must have shape (B·{nW}, {M * M}, C) for a {H}×{W} map, "
                         f"got {tuple(windows.shape)}.")
    C = windows.shape[2]
    x = windows.reshape(-1, H // M, W // M, M, M, C)               # (B, H/M, W/M, M, M, C)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, H, W, C)        # (B, H, W, C)


def cyclic_shift(x: torch.Tensor, shift: int) -> torch.Tensor:
    """Roll a (B, H, W, C) map up and left by ``shift`` (use ``-shift`` to roll it back).

    Defined in :ref:`sec-vit-swin`.

    Examples
    --------
    >>> x = torch.arange(4.0).reshape(1, 1, 4, 1)
    >>> cyclic_shift(x, 1)[0, 0, :, 0].tolist()
    [1.0, 2.0, 3.0, 0.0]
    """
    if x.ndim != 4:
        raise ValueError(f"x must be (B, H, W, C), got shape {tuple(x.shape)}.")
    shift = check_int(shift, "shift", minimum=None)
    return torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))


def shifted_window_mask(height: int, width: int, window: int, shift: int) -> torch.Tensor:
    """Which pairs of tokens may attend inside each window of the cyclically shifted map.

    Defined in :ref:`sec-vit-swin` (Eq. :eq:`eq-vit-swin-mask`).

    Parameters
    ----------
    height, width : int
        H, W of the map (multiples of M).
    window : int
        M.
    shift : int
        s, 0 <= s < M (Swin uses ⌊M/2⌋; 0 gives an all-True mask).

    Returns
    -------
    (nW, M·M, M·M) Tensor of bool
        True where query i and key j of a window came from the same region of the unshifted map (the
        convention of :func:`coursekit.layers.attention.scaled_dot_product_attention`: True = may attend).

    Notes
    -----
    1. Label the H×W map by region: rows [0, H-M), [H-M, H-s), [H-s, H) times the same three column bands,
       9 labels. After the roll, the last s rows and columns hold tokens that wrapped around.
    2. Partition the label map into windows.
    3. Two tokens of a window may attend iff their labels are equal.

    Examples
    --------
    >>> m = shifted_window_mask(8, 8, 4, 2)
    >>> m.shape, int(m.sum())          # 256 + 128 + 128 + 64 allowed pairs of 4 · 256
    (torch.Size([4, 16, 16]), 576)
    """
    H, W, M = check_int(height, "height"), check_int(width, "width"), check_int(window, "window")
    s = check_int(shift, "shift", minimum=0)
    if s >= M or H % M or W % M:
        raise ValueError(f"need 0 <= shift < window and H, W multiples of the window; got shift = {s}, "
                         f"window = {M}, map {H}×{W}.")
    labels = torch.zeros(1, H, W, 1)
    bands = ((0, H - M), (H - M, H - s), (H - s, H)), ((0, W - M), (W - M, W - s), (W - s, W))
    n = 0
    for r0, r1 in bands[0]:
        for c0, c1 in bands[1]:
            labels[:, r0:r1, c0:c1] = n                            # empty slices when s = 0
            n += 1
    win = window_partition(labels, M)[..., 0]                      # (nW, M²) region label of each token
    return win[:, :, None] == win[:, None, :]                      # (nW, M², M²)


def relative_position_index(window: int) -> torch.Tensor:
    """Index into the (2M-1)² bias table of the offset between every pair of tokens in an M×M window.

    Defined in :ref:`sec-vit-swin` (Eq. :eq:`eq-vit-swin-attention`).

    Returns
    -------
    (M², M²) Tensor of int64
        Entry (i, j) = (Δy + M - 1)(2M - 1) + (Δx + M - 1), with (Δx, Δy) = position of i minus position of j.

    Examples
    --------
    >>> idx = relative_position_index(2)
    >>> idx[0].tolist(), int(idx.max())       # token 0 vs tokens 0..3; (2·2-1)² = 9 offsets
    ([4, 3, 1, 0], 8)
    """
    M = check_int(window, "window")
    ys, xs = torch.meshgrid(torch.arange(M), torch.arange(M), indexing="ij")
    ys, xs = ys.reshape(-1), xs.reshape(-1)                        # (M²,) each, raster order
    dy = ys[:, None] - ys[None, :] + M - 1                         # (M², M²) in [0, 2M-2]
    dx = xs[:, None] - xs[None, :] + M - 1
    return dy * (2 * M - 1) + dx


class RelativePositionBias(nn.Module):
    """A learned bias B[offset] per head, added to the attention scores of every window.

    Defined in :ref:`sec-vit-swin` (Eq. :eq:`eq-vit-swin-attention`).

    Parameters
    ----------
    window : int
        M.
    n_heads : int
        h.
    generator : torch.Generator, optional
        Draws the table ~ N(0, 0.02²) (torch's global generator if omitted).

    Examples
    --------
    >>> RelativePositionBias(4, 3)().shape
    torch.Size([3, 16, 16])
    """

    def __init__(self, window: int, n_heads: int, generator: torch.Generator | None = None):
        super().__init__()
        M = check_int(window, "window")
        self.table = nn.Parameter(torch.empty((2 * M - 1) ** 2, check_int(n_heads, "n_heads")))
        nn.init.normal_(self.table, 0.0, 0.02, generator=generator)
        self.register_buffer("index", relative_position_index(M), persistent=False)

    def forward(self) -> torch.Tensor:
        """The bias (h, M², M²) to add to every window's scores (before the mask)."""
        return self.table[self.index].permute(2, 0, 1)             # (M², M², h) → (h, M², M²)


def shifted_window_attention(x: torch.Tensor, in_proj_weight: torch.Tensor, in_proj_bias: torch.Tensor | None,
                             out_proj_weight: torch.Tensor, out_proj_bias: torch.Tensor | None, n_heads: int,
                             window: int, shift: int = 0, bias: torch.Tensor | None = None) -> torch.Tensor:
    """One (shifted-)window multi-head self-attention of Swin on a (B, H, W, C) map.

    Defined in :ref:`sec-vit-swin` (Eq. :eq:`eq-vit-swin-attention`).

    Parameters
    ----------
    x : (B, H, W, C) Tensor
        Channels-last; H and W multiples of M.
    in_proj_weight : (3C, C) Tensor
        W_Q, W_K, W_V stacked (the layout of ``torch.nn.MultiheadAttention``).
    in_proj_bias : (3C,) Tensor or None
    out_proj_weight : (C, C) Tensor
    out_proj_bias : (C,) Tensor or None
    n_heads : int
        h, dividing C.
    window : int
        M.
    shift : int
        s, 0 <= s < M: 0 for W-MSA, ⌊M/2⌋ for SW-MSA (every second block).
    bias : (h, M², M²) Tensor, optional
        The relative position bias (``RelativePositionBias(M, h)()``), added to every window's scores.

    Returns
    -------
    (B, H, W, C) Tensor

    Notes
    -----
    1. Roll the map by s (:func:`cyclic_shift`), cut it into windows (:func:`window_partition`).
    2. In every window: multi-head attention with scores QKᵀ/√d + B, pairs from different regions blocked
       (:func:`shifted_window_mask`).
    3. Project, put the windows back (:func:`window_reverse`) and roll back by -s.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> x, w_in, w_out = torch.randn(1, 8, 8, 4, generator=g), torch.randn(12, 4, generator=g), torch.eye(4)
    >>> shifted_window_attention(x, w_in, None, w_out, None, n_heads=2, window=4, shift=2).shape
    torch.Size([1, 8, 8, 4])
    """
    B, H, W, C, M = _check_map(x, window)
    h, s = check_int(n_heads, "n_heads"), check_int(shift, "shift", minimum=0)
    if in_proj_weight.shape != (3 * C, C) or out_proj_weight.shape != (C, C):
        raise ValueError(f"in_proj_weight must be (3C, C) = ({3 * C}, {C}) and out_proj_weight (C, C), got "
                         f"{tuple(in_proj_weight.shape)} and {tuple(out_proj_weight.shape)}.")
    if bias is not None and bias.shape != (h, M * M, M * M):
        raise ValueError(f"bias must have shape (h, M², M²) = ({h}, {M * M}, {M * M}), got {tuple(bias.shape)}.")
    mask = shifted_window_mask(H, W, M, s).to(x.device)               # (nW, M², M²) True = may attend
    win = window_partition(cyclic_shift(x, s), M)                     # (B·nW, M², C)
    q, k, v = (split_heads(t, h) for t in F.linear(win, in_proj_weight, in_proj_bias).chunk(3, dim=-1))
    scores = q @ k.transpose(-2, -1) / math.sqrt(C // h)              # (B·nW, h, M², M²)
    if bias is not None:
        scores = scores + bias
    scores = scores.reshape(B, -1, h, M * M, M * M).masked_fill(~mask[None, :, None], float("-inf"))
    out = torch.softmax(scores, dim=-1).reshape(-1, h, M * M, M * M) @ v   # (B·nW, h, M², d)
    out = F.linear(merge_heads(out), out_proj_weight, out_proj_bias)  # (B·nW, M², C)
    return cyclic_shift(window_reverse(out, M, H, W), -s)             # (B, H, W, C)


class PatchMerging(nn.Module):
    """Swin's downsampling: concatenate each 2×2 group of tokens (4C), normalise, project to 2C.

    Defined in :ref:`sec-vit-swin`.

    Parameters
    ----------
    dim : int
        C, the input width.

    Notes
    -----
    (B, H, W, C) → (B, H/2, W/2, 2C): like a stride-2 convolution, it halves the resolution and doubles the
    width, building the pyramid that detection and segmentation heads expect. Parameters: LayerNorm(4C)
    (8C) and a bias-free Linear(4C, 2C) (8C²).

    Examples
    --------
    >>> PatchMerging(8)(torch.zeros(2, 6, 4, 8)).shape
    torch.Size([2, 3, 2, 16])
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_int(dim, "dim")
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) with even H, W → (B, H/2, W/2, 2C)."""
        if x.ndim != 4 or x.shape[-1] != self.dim or x.shape[1] % 2 or x.shape[2] % 2:
            raise ValueError(f"x must be (B, H, W, {self.dim}) with even H and W, got {tuple(x.shape)}.")
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)  # (B, H/2, W/2, 4C)
        return self.reduction(self.norm(x))                        # (B, H/2, W/2, 2C)
