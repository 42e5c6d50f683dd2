"""Attention: scaled dot-product attention, multi-head attention and a KV cache.

Chapter 10 (Attention and transformers) builds these from the attention equation up; Chapter 11 (vision
transformers) and Chapter 14 (RoPE, grouped-query and tiled attention) reuse them. The functional core is
:func:`scaled_dot_product_attention` and :func:`multi_head_attention`; :class:`MultiHeadAttention` is their
thin ``nn.Module`` twin, with the parameter names of ``torch.nn.MultiheadAttention`` so that
``load_state_dict`` copies weights between the two.

The score functions are in :mod:`coursekit.layers.attention_scores`, the masks in :mod:`coursekit.layers.masks`.
Mask convention: a boolean mask is ``True`` where a query **may** attend to a key, as the boolean ``attn_mask``
of ``torch.nn.functional.scaled_dot_product_attention``. ``torch.nn.MultiheadAttention`` uses the opposite
convention (``True`` = blocked) for both its ``attn_mask`` and ``key_padding_mask``: pass ``~mask`` there.

References
----------
A. Vaswani et al., "Attention is all you need", NeurIPS 2017 (scaled dot-product and multi-head attention).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_int

__all__ = [
    "scaled_dot_product_attention", "split_heads", "merge_heads", "AttentionOutput", "multi_head_attention",
    "KVCache", "MultiHeadAttention",
]


# ----------------------------------------------------------------------------- scaled dot-product attention

def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None,
                                 scale: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention(Q, K, V) = softmax(Q Kᵀ / √d_k, with blocked pairs at -∞) V.

    Defined in :ref:`sec-attention-scaled-dot-product` (Eq. :eq:`eq-attention-sdpa`).

    Parameters
    ----------
    q : (..., N, d_k) Tensor of float
    k : (..., M, d_k) Tensor of float
    v : (..., M, d_v) Tensor of float
    mask : Tensor of bool, optional
        Broadcastable to (..., N, M); True where query i may attend to key j. Every query must be allowed
        at least one key (a fully blocked row would be 0/0).
    scale : float, optional
        Multiplies the scores; default 1/√d_k.

    Returns
    -------
    out : (..., N, d_v) Tensor
        Each row is a convex combination of the value rows.
    weights : (..., N, M) Tensor
        The attention weights; each row sums to 1 and is 0 on blocked keys.

    Notes
    -----
    1. Scores S = Q Kᵀ · scale, (..., N, M).
    2. Blocked entries are set to -∞, so that exp gives them weight exactly 0.
    3. A = softmax over the keys (the last axis); out = A V.

    Examples
    --------
    >>> from coursekit.layers.masks import causal_mask
    >>> q, k = torch.zeros(2, 4), torch.ones(2, 4)     # equal scores: uniform weights over allowed keys
    >>> out, w = scaled_dot_product_attention(q, k, torch.tensor([[1.0], [3.0]]), mask=causal_mask(2))
    >>> out.squeeze(-1).tolist(), w[1].sum().item()
    ([1.0, 2.0], 1.0)
    """
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2 or q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"expected q (..., N, d_k), k (..., M, d_k) and v (..., M, d_v), got "
                         f"{tuple(q.shape)}, {tuple(k.shape)} and {tuple(v.shape)}.")
    scores = q @ k.transpose(-2, -1)                                   # (..., N, M)
    scores = scores * (1.0 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if mask is not None:
        if mask.dtype != torch.bool:
            raise ValueError(f"mask must be a bool tensor (True = may attend), got dtype {mask.dtype}.")
        try:
            shape = torch.broadcast_shapes(mask.shape, scores.shape)
        except RuntimeError:
            shape = None
        if shape != scores.shape:
            raise ValueError(f"mask of shape {tuple(mask.shape)} does not broadcast to the scores' shape "
                             f"{tuple(scores.shape)} (..., N, M).")
        if not mask.any(dim=-1).all():
            raise ValueError("a query row of the mask blocks every key; each query must see at least one "
                             "key (check padding lengths >= 1).")
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)                            # (..., N, M) rows sum to 1
    return weights @ v, weights                                        # (..., N, d_v)


# ----------------------------------------------------------------------------- multi-head attention

def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(B, N, D) → (B, h, N, D/h): the feature axis cut into h heads of size d = D/h.

    Defined in :ref:`sec-attention-multi-head` (Eq. :eq:`eq-attention-multi-head`).

    Examples
    --------
    >>> split_heads(torch.zeros(2, 5, 12), 3).shape
    torch.Size([2, 3, 5, 4])
    """
    B, N, D = x.shape
    if D % n_heads:
        raise ValueError(f"the model width D = {D} must be divisible by the number of heads h = {n_heads}.")
    return x.reshape(B, N, n_heads, D // n_heads).transpose(1, 2)      # (B, h, N, d)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, h, N, d) → (B, N, h·d): the inverse of :func:`split_heads` (concatenate the heads).

    Defined in :ref:`sec-attention-multi-head` (Eq. :eq:`eq-attention-multi-head`).

    Examples
    --------
    >>> x = torch.randn(2, 5, 12, generator=torch.Generator().manual_seed(0))
    >>> bool(torch.equal(merge_heads(split_heads(x, 3)), x))
    True
    """
    B, h, N, d = x.shape
    return x.transpose(1, 2).reshape(B, N, h * d)                      # (B, N, D)


class AttentionOutput(NamedTuple):
    """What :func:`multi_head_attention` returns: the output, the per-head weights and the keys/values.

    Attributes
    ----------
    out : (B, N, D) Tensor
    weights : (B, h, N, M) Tensor
    kv : tuple of two (B, h, M, d) Tensors
        Keys and values of all M attended positions (cached past included), ready to cache.
    """

    out: torch.Tensor
    weights: torch.Tensor
    kv: tuple[torch.Tensor, torch.Tensor]


def multi_head_attention(x_q: torch.Tensor, x_kv: torch.Tensor, in_proj_weight: torch.Tensor,
                         in_proj_bias: torch.Tensor | None, out_proj_weight: torch.Tensor,
                         out_proj_bias: torch.Tensor | None, n_heads: int, mask: torch.Tensor | None = None,
                         past_kv: tuple[torch.Tensor, torch.Tensor] | None = None) -> AttentionOutput:
    """Multi-head attention: h scaled dot-product attentions on learned projections, concatenated, projected.

    Defined in :ref:`sec-attention-multi-head` (Eq. :eq:`eq-attention-multi-head`).

    Parameters
    ----------
    x_q : (B, N, D) Tensor of float
        The sequence that asks (self-attention: the same tensor as ``x_kv``).
    x_kv : (B, M, D) Tensor of float
        The sequence attended to (cross-attention: the encoder's output).
    in_proj_weight : (3D, D) Tensor
        W_Q, W_K, W_V stacked, the layout of ``torch.nn.MultiheadAttention``.
    in_proj_bias : (3D,) Tensor or None
    out_proj_weight : (D, D) Tensor
        W_O.
    out_proj_bias : (D,) Tensor or None
    n_heads : int
        h; D must be divisible by h.
    mask : Tensor of bool, optional
        (N, M), (B, N, M) or (B, 1, M); True where query i may attend to key j (shared by all heads).
    past_kv : tuple of two (B, h, T, d) Tensors, optional
        Cached keys and values of T earlier positions, prepended to this call's (then M counts them too).

    Returns
    -------
    AttentionOutput
        ``out`` (B, N, D), ``weights`` (B, h, N, M) and ``kv`` (the keys and values to cache).

    Examples
    --------
    >>> from coursekit.layers.masks import causal_mask
    >>> g = torch.Generator().manual_seed(0)
    >>> x, W, Wo = torch.randn(2, 5, 8, generator=g), torch.randn(24, 8, generator=g), torch.randn(8, 8, generator=g)
    >>> res = multi_head_attention(x, x, W, None, Wo, None, n_heads=2, mask=causal_mask(5))
    >>> res.out.shape, res.weights.shape, res.kv[0].shape
    (torch.Size([2, 5, 8]), torch.Size([2, 2, 5, 5]), torch.Size([2, 2, 5, 4]))
    """
    n_heads = check_int(n_heads, "n_heads")
    if x_q.ndim != 3 or x_kv.ndim != 3 or x_q.shape[0] != x_kv.shape[0] or x_q.shape[2] != x_kv.shape[2]:
        raise ValueError(f"expected x_q (B, N, D) and x_kv (B, M, D), got {tuple(x_q.shape)} and {tuple(x_kv.shape)}.")
    D = x_q.shape[-1]
    if in_proj_weight.shape != (3 * D, D) or out_proj_weight.shape != (D, D):
        raise ValueError(f"expected in_proj_weight ({3 * D}, {D}) and out_proj_weight ({D}, {D}), got "
                         f"{tuple(in_proj_weight.shape)} and {tuple(out_proj_weight.shape)}.")
    W_q, W_k, W_v = in_proj_weight.chunk(3)                            # each (D, D)
    b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
    q = split_heads(F.linear(x_q, W_q, b_q), n_heads)                  # (B, h, N, d)
    k = split_heads(F.linear(x_kv, W_k, b_k), n_heads)                 # (B, h, M, d)
    v = split_heads(F.linear(x_kv, W_v, b_v), n_heads)                 # (B, h, M, d)
    if past_kv is not None:
        k = torch.cat([past_kv[0], k], dim=2)                          # (B, h, T + M, d)
        v = torch.cat([past_kv[1], v], dim=2)
    if mask is not None:
        mask = mask.unsqueeze(-3)                                      # (..., 1, N, M): the same for every head
    out, weights = scaled_dot_product_attention(q, k, v, mask)         # (B, h, N, d), (B, h, N, M)
    out = F.linear(merge_heads(out), out_proj_weight, out_proj_bias)   # (B, N, D)
    return AttentionOutput(out, weights, (k, v))


@dataclass
class KVCache:
    """The keys and values of one attention layer for the positions decoded so far.

    Defined in :ref:`sec-attention-kv-cache` (Eq. :eq:`eq-attention-kv-cache`).

    Attributes
    ----------
    k, v : (B, h, T, d) Tensor or None
        None before the first call; :class:`MultiHeadAttention` appends to them.

    Examples
    --------
    >>> len(KVCache())
    0
    """

    k: torch.Tensor | None = None
    v: torch.Tensor | None = None

    def __len__(self) -> int:
        return 0 if self.k is None else self.k.shape[2]

    def reorder(self, index: torch.Tensor) -> None:
        """Keep batch rows ``index`` (B',) in place, e.g. the surviving hypotheses of a beam search."""
        if self.k is not None:
            self.k, self.v = self.k[index], self.v[index]              # (B', h, T, d)


class MultiHeadAttention(nn.Module):
    """The module twin of :func:`multi_head_attention`, with the parameters of ``torch.nn.MultiheadAttention``.

    Defined in :ref:`sec-attention-multi-head` (Eq. :eq:`eq-attention-multi-head`).

    Parameters
    ----------
    d_model : int
        D, the model width.
    n_heads : int
        h, dividing D.
    bias : bool
        Learn the biases of the four projections.
    generator : torch.Generator, optional
        Draws the initial weights (Xavier-uniform projections, zero biases, as PyTorch); without it they
        come from torch's global generator, as for any ``torch.nn`` layer.

    Notes
    -----
    ``in_proj_weight`` (3D, D), ``in_proj_bias`` (3D,) and ``out_proj`` (a ``Linear(D, D)``) have the names
    of ``torch.nn.MultiheadAttention``: ``mine.load_state_dict(theirs.state_dict())`` copies the weights.

    Examples
    --------
    >>> mha = MultiHeadAttention(8, 2, generator=torch.Generator().manual_seed(0))
    >>> x = torch.zeros(3, 4, 8)
    >>> mha(x).shape
    torch.Size([3, 4, 8])
    """

    def __init__(self, d_model: int, n_heads: int, bias: bool = True, generator: torch.Generator | None = None):
        super().__init__()
        self.d_model = check_int(d_model, "d_model")
        self.n_heads = check_int(n_heads, "n_heads")
        if d_model % n_heads:
            raise ValueError(f"d_model = {d_model} must be divisible by n_heads = {n_heads}.")
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * d_model)) if bias else None
        self.out_proj = nn.utils.skip_init(nn.Linear, d_model, d_model, bias=bias, device=torch.empty(0).device)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Xavier-uniform projections and zero biases, drawn from ``generator``."""
        nn.init.xavier_uniform_(self.in_proj_weight, generator=generator)
        bound = 1.0 / math.sqrt(self.d_model)                          # nn.Linear's default, as PyTorch's MHA
        nn.init.uniform_(self.out_proj.weight, -bound, bound, generator=generator)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)

    def forward(self, x_q: torch.Tensor, x_kv: torch.Tensor | None = None, mask: torch.Tensor | None = None,
                cache: KVCache | None = None, need_weights: bool = False):
        """Attend from ``x_q`` (B, N, D) to ``x_kv`` (default ``x_q``) and return (B, N, D).

        With ``need_weights`` the weights (B, h, N, M) come too. A ``cache`` is read and extended in place.
        """
        past = None if cache is None or cache.k is None else (cache.k, cache.v)
        res = multi_head_attention(x_q, x_q if x_kv is None else x_kv, self.in_proj_weight, self.in_proj_bias,
                                   self.out_proj.weight, self.out_proj.bias, self.n_heads, mask, past)
        if cache is not None:
            cache.k, cache.v = res.kv
        return (res.out, res.weights) if need_weights else res.out
