"""A tiny GPT: token and learned position embeddings, Pre-LN causal transformer blocks, a tied output layer.

Chapter 10 (Attention and transformers) trains it with teacher forcing on a corpus that ``coursekit.data``
generates, compares its validation loss with a bigram model, and decodes from it with and without a KV cache
(``coursekit.text.decoding``). The whole model is this file; the blocks are ``coursekit.layers.transformer``.

References
----------
A. Radford, K. Narasimhan, T. Salimans and I. Sutskever, "Improving language understanding by generative
pre-training", 2018 (GPT).
A. Radford et al., "Language models are unsupervised multitask learners", 2019 (GPT-2: Pre-LN, the scaled
initialisation of residual projections, tied embeddings).
O. Press and L. Wolf, "Using the output embedding to improve language models", EACL 2017 (weight tying).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_int
from coursekit.layers.attention import KVCache
from coursekit.layers.masks import causal_mask
from coursekit.layers.positional import LearnedPositionalEncoding
from coursekit.layers.transformer import TransformerBlock

__all__ = ["GPTConfig", "GPT"]


@dataclass
class GPTConfig:
    """Sizes of a :class:`GPT`; the defaults train in seconds on two CPU cores.

    Defined in :ref:`sec-attention-gpt` (Eq. :eq:`eq-attention-teacher-forcing`).

    Parameters
    ----------
    vocab_size : int
        V, the number of token ids (a byte-level BPE: 256 plus its merges).
    block_size : int
        N_max, the longest context (the learned position table has this many rows).
    d_model : int
        D, the width of the residual stream.
    n_heads : int
        h, dividing D.
    n_layers : int
        Number of transformer blocks L.
    d_ff : int
        Hidden width of each block's feed-forward network.

    Examples
    --------
    >>> GPTConfig(vocab_size=300).d_model
    64
    """

    vocab_size: int = 256
    block_size: int = 64
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int = 256


class GPT(nn.Module):
    """A decoder-only transformer language model: p(y_t | y_<t) for every position at once.

    Defined in :ref:`sec-attention-gpt` (Eq. :eq:`eq-attention-teacher-forcing`).

    Parameters
    ----------
    config : GPTConfig
    generator : torch.Generator, optional
        Draws the initial weights (torch's global generator if omitted, as ``torch.nn`` layers).

    Notes
    -----
    Forward pass for ids (B, n) starting at position t₀ (the length of the cache, 0 without one):

    1. x = E[ids] + P[t₀ … t₀ + n - 1], (B, n, D): token embedding plus learned position embedding;
    2. L Pre-LN blocks with the causal mask ``causal_mask(n, t₀ + n)``, each reading and extending its
       :class:`~coursekit.layers.attention.KVCache`;
    3. a final LayerNorm and logits = x Eᵀ, (B, n, V): the output layer shares the embedding matrix E.

    Initialisation as GPT-2: weights ~ N(0, 0.02²), biases 0, and the two projections that write into the
    residual stream in each block (attention output, second FFN layer) ~ N(0, (0.02/√(2L))²), so that the
    stream's variance does not grow with depth.

    Examples
    --------
    >>> model = GPT(GPTConfig(vocab_size=10, block_size=8, d_model=16, n_heads=2, n_layers=1, d_ff=32),
    ...             generator=torch.Generator().manual_seed(0))
    >>> model(torch.zeros(3, 5, dtype=torch.long)).shape
    torch.Size([3, 5, 10])
    """

    def __init__(self, config: GPTConfig, generator: torch.Generator | None = None):
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise ValueError(f"config must be a GPTConfig, got {type(config).__name__}.")
        c = config
        for name in ("vocab_size", "block_size", "d_model", "n_heads", "n_layers", "d_ff"):
            check_int(getattr(c, name), f"config.{name}")
        self.config = c
        self.tok_emb = nn.utils.skip_init(nn.Embedding, c.vocab_size, c.d_model)
        self.pos_emb = LearnedPositionalEncoding(c.block_size, c.d_model, generator=generator)
        self.blocks = nn.ModuleList(TransformerBlock(c.d_model, c.n_heads, c.d_ff, norm_first=True, activation="gelu",
                                                     generator=generator) for _ in range(c.n_layers))
        self.norm = nn.LayerNorm(c.d_model)
        self._init_weights(generator)

    def _init_weights(self, generator) -> None:
        std, resid_std = 0.02, 0.02 / math.sqrt(2 * self.config.n_layers)
        with torch.no_grad():
            self.tok_emb.weight.normal_(0.0, std, generator=generator)
            for block in self.blocks:
                block.self_attn.in_proj_weight.normal_(0.0, std, generator=generator)
                block.linear1.weight.normal_(0.0, std, generator=generator)
                block.self_attn.out_proj.weight.normal_(0.0, resid_std, generator=generator)
                block.linear2.weight.normal_(0.0, resid_std, generator=generator)
                for bias in (block.self_attn.in_proj_bias, block.self_attn.out_proj.bias, block.linear1.bias,
                             block.linear2.bias):
                    bias.zero_()

    def new_cache(self) -> list[KVCache]:
        """An empty KV cache, one :class:`~coursekit.layers.attention.KVCache` per block."""
        return [KVCache() for _ in self.blocks]

    def forward(self, ids: torch.Tensor, cache: list[KVCache] | None = None, need_weights: bool = False):
        """Logits (B, n, V) of the token after each of the n positions of ``ids`` (B, n).

        With a ``cache`` (from :meth:`new_cache`), ``ids`` are the tokens that follow the cached ones and
        the cache is extended in place. With ``need_weights``, also a list of each block's attention
        weights (B, h, n, t₀ + n).
        """
        if not isinstance(ids, torch.Tensor) or ids.ndim != 2 or ids.dtype != torch.long:
            raise ValueError(f"ids must be a (B, n) LongTensor, got {getattr(ids, 'shape', type(ids).__name__)}.")
        if cache is not None and len(cache) != len(self.blocks):
            raise ValueError(f"cache must hold one KVCache per block ({len(self.blocks)}), got {len(cache)}.")
        n = ids.shape[1]
        start = 0 if cache is None else len(cache[0])                  # t₀, positions already seen
        if start + n > self.config.block_size:
            raise ValueError(f"positions up to {start + n} requested; the model's context is block_size = "
                             f"{self.config.block_size} tokens.")
        if ids.min() < 0 or ids.max() >= self.config.vocab_size:
            raise ValueError(f"token ids must lie in [0, {self.config.vocab_size}).")
        x = self.pos_emb(self.tok_emb(ids), offset=start)              # (B, n, D)
        mask = causal_mask(n, start + n, device=ids.device)            # (n, t₀ + n)
        weights = []
        for i, block in enumerate(self.blocks):
            x, w = block(x, mask, None if cache is None else cache[i], need_weights=True)
            weights.append(w)
        logits = self.norm(x) @ self.tok_emb.weight.T                  # (B, n, V) tied output layer
        return (logits, weights) if need_weights else logits
