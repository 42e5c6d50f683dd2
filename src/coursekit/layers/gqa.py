"""Grouped-query attention (GQA, and MQA as one group), QK-norm, RoPE inside attention, and the KV cache's size.

Chapter 14 (Transformer advances). h query heads share g ≤ h key/value heads: g = h is multi-head attention, g = 1
is multi-query attention. The KV cache shrinks by h/g while the queries keep their h heads. QK-norm normalises
each head's queries and keys (RMSNorm) before the dot product, which bounds the attention logits.
The attention itself is Chapter 10's :func:`coursekit.layers.attention.scaled_dot_product_attention`.

References
----------
N. Shazeer, "Fast transformer decoding: one write-head is all you need", arXiv 2019 (multi-query attention).
J. Ainslie et al., "GQA: training generalized multi-query transformer models from multi-head checkpoints",
EMNLP 2023.
M. Dehghani et al., "Scaling vision transformers to 22 billion parameters", ICML 2023 (QK-norm).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from coursekit.core.validation import check_int
from coursekit.layers.attention import KVCache, merge_heads, scaled_dot_product_attention, split_heads
from coursekit.layers.norms import RMSNorm
from coursekit.layers.rope import apply_rope

__all__ = ["repeat_kv", "grouped_query_attention", "kv_cache_bytes", "GroupedQueryAttention"]


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """(B, g, M, d) → (B, g·r, M, d): each key/value head repeated for the r query heads of its group.

    Defined in :ref:`sec-advances-gqa` (Eq. :eq:`eq-advances-gqa`).

    Parameters
    ----------
    x : (B, g, M, d) Tensor
    n_rep : int
        r = h / g, query heads per key/value head.

    Returns
    -------
    (B, g·r, M, d) Tensor

    Examples
    --------
    >>> repeat_kv(torch.arange(2.0).reshape(1, 2, 1, 1), 3).flatten().tolist()
    [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    """
    return x.repeat_interleave(check_int(n_rep, "n_rep"), dim=1)         # heads 0..r-1 read kv head 0, ...


def grouped_query_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                            mask: torch.Tensor | None = None) -> torch.Tensor:
    """Attention of h query heads to g shared key/value heads; query head j reads kv head ⌊j / (h/g)⌋.

    Defined in :ref:`sec-advances-gqa` (Eq. :eq:`eq-advances-gqa`).

    Parameters
    ----------
    q : (B, h, N, d) Tensor of float
    k, v : (B, g, M, d) Tensor of float
        g divides h.
    mask : Tensor of bool, optional
        Broadcastable to (B, h, N, M), True where attention is allowed.

    Returns
    -------
    (B, h, N, d) Tensor

    Examples
    --------
    >>> q, kv = torch.zeros(1, 4, 3, 2), torch.ones(1, 2, 5, 2)
    >>> grouped_query_attention(q, kv, kv).shape
    torch.Size([1, 4, 3, 2])
    """
    if q.ndim != 4 or k.ndim != 4 or k.shape != v.shape or q.shape[0] != k.shape[0] or q.shape[3] != k.shape[3]:
        raise ValueError(f"expected q (B, h, N, d) and k, v (B, g, M, d), got {tuple(q.shape)}, {tuple(k.shape)} "
                         f"and {tuple(v.shape)}.")
    h, g = q.shape[1], k.shape[1]
    if h % g:
        raise ValueError(f"the number of key/value heads g = {g} must divide the number of query heads h = {h}.")
    k, v = repeat_kv(k, h // g), repeat_kv(v, h // g)                    # (B, h, M, d)
    return scaled_dot_product_attention(q, k, v, mask)[0]                # (B, h, N, d)


def kv_cache_bytes(n_layers: int, n_kv_heads: int, head_dim: int, seq_len: int, batch: int = 1,
                   bytes_per_value: int = 2) -> int:
    """Bytes of a KV cache: 2 (K and V) · L layers · B · T tokens · g heads · d · bytes per value.

    Defined in :ref:`sec-advances-gqa` (Eq. :eq:`eq-advances-kv-bytes`).

    Parameters
    ----------
    n_layers : int
        L.
    n_kv_heads : int
        g (= h for MHA, 1 for MQA).
    head_dim : int
        d.
    seq_len : int
        T, tokens cached.
    batch : int
        B, sequences.
    bytes_per_value : int
        2 for float16/bfloat16, 4 for float32, 1 for int8.

    Returns
    -------
    int

    Examples
    --------
    >>> kv_cache_bytes(32, 32, 128, 4096) / 2**30            # a 7B LLaMA-1-like model, one 4k sequence, fp16
    2.0
    """
    sizes = [check_int(v, n) for v, n in [(n_layers, "n_layers"), (n_kv_heads, "n_kv_heads"), (head_dim, "head_dim"),
                                           (seq_len, "seq_len"), (batch, "batch"),
                                           (bytes_per_value, "bytes_per_value")]]
    return 2 * math.prod(sizes)


class GroupedQueryAttention(nn.Module):
    """Self-attention with h query heads and g key/value heads, optional RoPE and QK-norm, and a KV cache.

    Defined in :ref:`sec-advances-gqa` (Eq. :eq:`eq-advances-gqa`).

    Parameters
    ----------
    d_model : int
        D = h · d.
    n_heads : int
        h query heads.
    n_kv_heads : int, optional
        g key/value heads, dividing h (default h: multi-head attention; 1: multi-query attention).
    rope : bool
        Rotate queries and keys by their positions (:func:`coursekit.layers.rope.apply_rope`).
    qk_norm : bool
        RMSNorm each head's queries and keys (learned gains, shared by the heads) before RoPE and the scores.
    bias : bool
        Biases in the projections.
    generator : torch.Generator, optional
        Draws the initial weights (``nn.Linear``'s U(-1/√D, 1/√D)).

    Notes
    -----
    Projections: ``q_proj`` (D → h·d), ``k_proj`` and ``v_proj`` (D → g·d), ``out_proj`` (D → D). With a
    :class:`~coursekit.layers.attention.KVCache`, new tokens get positions t₀ … t₀ + n − 1 (t₀ = the cache's
    length) and the cache stores the g rotated key heads and value heads: (B, g, T, d) each.

    Examples
    --------
    >>> att = GroupedQueryAttention(16, 4, 2, rope=True, generator=torch.Generator().manual_seed(0))
    >>> att(torch.zeros(2, 5, 16)).shape
    torch.Size([2, 5, 16])
    """

    def __init__(self, d_model: int, n_heads: int, n_kv_heads: int | None = None, rope: bool = False,
                 qk_norm: bool = False, bias: bool = False, generator: torch.Generator | None = None):
        super().__init__()
        self.d_model, self.n_heads = check_int(d_model, "d_model"), check_int(n_heads, "n_heads")
        self.n_kv_heads = n_heads if n_kv_heads is None else check_int(n_kv_heads, "n_kv_heads")
        if d_model % n_heads or n_heads % self.n_kv_heads:
            raise ValueError(f"need n_heads | d_model and n_kv_heads | n_heads, got d_model = {d_model}, "
                             f"n_heads = {n_heads}, n_kv_heads = {self.n_kv_heads}.")
        self.head_dim = d_model // n_heads
        self.rope, self.qk_norm = bool(rope), bool(qk_norm)
        kv_width = self.n_kv_heads * self.head_dim
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, kv_width, bias=bias)
        self.v_proj = nn.Linear(d_model, kv_width, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        self.q_norm = RMSNorm(self.head_dim) if qk_norm else None
        self.k_norm = RMSNorm(self.head_dim) if qk_norm else None
        bound = 1.0 / math.sqrt(d_model)
        for layer in (self.q_proj, self.k_proj, self.v_proj, self.out_proj):
            for p in layer.parameters():
                nn.init.uniform_(p, -bound, bound, generator=generator)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, cache: KVCache | None = None,
                need_weights: bool = False):
        """(B, n, D) → (B, n, D); ``mask`` broadcastable to (B, h, n, t₀ + n), True = may attend."""
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"x must have shape (B, N, {self.d_model}), got {tuple(x.shape)}.")
        B, n, _ = x.shape
        q = split_heads(self.q_proj(x), self.n_heads)                     # (B, h, n, d)
        k = split_heads(self.k_proj(x), self.n_kv_heads)                  # (B, g, n, d)
        v = split_heads(self.v_proj(x), self.n_kv_heads)                  # (B, g, n, d)
        if self.qk_norm:
            q, k = self.q_norm(q), self.k_norm(k)                         # rms 1 per head: bounded logits
        t0 = 0 if cache is None else len(cache)
        if self.rope:
            positions = torch.arange(t0, t0 + n)
            q, k = apply_rope(q, positions), apply_rope(k, positions)
        if cache is not None:
            if cache.k is not None:
                k, v = torch.cat([cache.k, k], dim=2), torch.cat([cache.v, v], dim=2)   # (B, g, t0 + n, d)
            cache.k, cache.v = k, v
        r = self.n_heads // self.n_kv_heads
        out, w = scaled_dot_product_attention(q, repeat_kv(k, r), repeat_kv(v, r), mask)   # (B, h, n, d)
        out = self.out_proj(merge_heads(out))                             # (B, n, D)
        return (out, w) if need_weights else out
