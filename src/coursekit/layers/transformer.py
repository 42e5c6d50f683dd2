"""Transformer blocks: Post-LN and Pre-LN encoder blocks, a decoder block, the stacks and the encoder–decoder.

Chapter 10 (Attention and transformers); the GPT of ``coursekit.models.gpt`` stacks :class:`TransformerBlock`
with a causal mask, and Chapter 11's ViT stacks it without one. Every module has the sub-module names of
its ``torch.nn`` counterpart (``TransformerEncoderLayer``, ``TransformerDecoderLayer``, ``Transformer``), so
``load_state_dict`` copies PyTorch's weights into it and the tests compare the two outputs. There is no
dropout: the book's models are small and trained briefly, and it keeps the forward pass deterministic.

References
----------
A. Vaswani et al., "Attention is all you need", NeurIPS 2017 (Post-LN, the encoder–decoder).
R. Xiong et al., "On layer normalization in the transformer architecture", ICML 2020 (Pre-LN).
A. Radford et al., "Language models are unsupervised multitask learners", 2019 (GPT-2: Pre-LN decoder-only).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_choice, check_int
from coursekit.layers.attention import KVCache, MultiHeadAttention

__all__ = ["TransformerBlock", "DecoderBlock", "TransformerEncoder", "TransformerDecoder", "EncoderDecoder"]

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _linear(d_in: int, d_out: int, generator: torch.Generator | None) -> nn.Linear:
    """``nn.Linear`` with PyTorch's default initialisation U(-1/√d_in, 1/√d_in), drawn from ``generator``."""
    layer = nn.utils.skip_init(nn.Linear, d_in, d_out, device=torch.empty(0).device)   # meta-aware
    bound = 1.0 / math.sqrt(d_in)
    nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
    nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return layer


class _Block(nn.Module):
    """What the encoder and decoder blocks share: sizes, the feed-forward network and its checks."""

    def __init__(self, d_model, n_heads, d_ff, norm_first, activation, eps, generator, n_norms):
        super().__init__()
        self.d_model, self.d_ff = check_int(d_model, "d_model"), check_int(d_ff, "d_ff")
        self.norm_first = bool(norm_first)
        self.activation = check_choice(activation, "activation", _ACTIVATIONS)
        self.self_attn = MultiHeadAttention(d_model, n_heads, generator=generator)
        self.linear1 = _linear(d_model, d_ff, generator)
        self.linear2 = _linear(d_ff, d_model, generator)
        for i in range(1, n_norms + 1):
            setattr(self, f"norm{i}", nn.LayerNorm(d_model, eps=eps))

    def _ff(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(_ACTIVATIONS[self.activation](self.linear1(x)))   # (B, N, D) via (B, N, d_ff)

    def _check(self, x: torch.Tensor, name: str = "x") -> None:
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"{name} must have shape (B, N, {self.d_model}), got {tuple(x.shape)}.")


class TransformerBlock(_Block):
    """An encoder block: self-attention then a feed-forward network, each wrapped in a residual and a LayerNorm.

    Defined in :ref:`sec-attention-blocks` (Eqs. :eq:`eq-attention-post-ln` and :eq:`eq-attention-pre-ln`).

    Parameters
    ----------
    d_model : int
        D, the width of the residual stream.
    n_heads : int
        h, dividing D.
    d_ff : int
        Hidden width of the feed-forward network (4D in the paper).
    norm_first : bool
        False: Post-LN, x ← LN(x + F(x)) (the original transformer). True: Pre-LN, x ← x + F(LN(x)) (GPT-2,
        ViT), whose residual stream is an untouched sum.
    activation : {"relu", "gelu"}
    eps : float
        LayerNorm's ε.
    generator : torch.Generator, optional
        Draws the initial weights (PyTorch's initialisation for these layers).

    Notes
    -----
    Equal to ``torch.nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout=0, batch_first=True,
    norm_first=...)`` with copied weights. With a causal mask and a :class:`KVCache` it is a GPT block.

    Examples
    --------
    >>> block = TransformerBlock(8, 2, 16, norm_first=True, generator=torch.Generator().manual_seed(0))
    >>> block(torch.zeros(3, 5, 8)).shape
    torch.Size([3, 5, 8])
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, norm_first: bool = False, activation: str = "relu",
                 eps: float = 1e-5, generator: torch.Generator | None = None):
        super().__init__(d_model, n_heads, d_ff, norm_first, activation, eps, generator, n_norms=2)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, cache: KVCache | None = None,
                need_weights: bool = False):
        """``x`` (B, N, D) → (B, N, D); with ``need_weights`` also the attention weights (B, h, N, M).

        ``mask`` is a boolean mask broadcastable to (B, N, M), True where attention is allowed; a ``cache``
        holds the keys and values of earlier positions and is extended in place.
        """
        self._check(x)
        if self.norm_first:                                                 # Pre-LN: x + F(LN(x))
            a, w = self.self_attn(self.norm1(x), mask=mask, cache=cache, need_weights=True)
            x = x + a
            x = x + self._ff(self.norm2(x))
        else:                                                               # Post-LN: LN(x + F(x))
            a, w = self.self_attn(x, mask=mask, cache=cache, need_weights=True)
            x = self.norm1(x + a)
            x = self.norm2(x + self._ff(x))
        return (x, w) if need_weights else x


class DecoderBlock(_Block):
    """A decoder block: masked self-attention, cross-attention to the encoder's output, a feed-forward network.

    Defined in :ref:`sec-attention-encoder-decoder` (Eq. :eq:`eq-attention-cross`).

    Parameters
    ----------
    d_model, n_heads, d_ff, norm_first, activation, eps, generator
        As :class:`TransformerBlock`.

    Notes
    -----
    Equal to ``torch.nn.TransformerDecoderLayer(..., dropout=0, batch_first=True)`` with copied weights
    (the cross-attention is called ``multihead_attn`` there and here). Cross-attention takes its queries from
    the decoder and its keys and values from the encoder's output ("memory"), so each target position can
    look at every source position.

    Examples
    --------
    >>> block = DecoderBlock(8, 2, 16, generator=torch.Generator().manual_seed(0))
    >>> block(torch.zeros(3, 4, 8), torch.zeros(3, 6, 8)).shape
    torch.Size([3, 4, 8])
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, norm_first: bool = False, activation: str = "relu",
                 eps: float = 1e-5, generator: torch.Generator | None = None):
        super().__init__(d_model, n_heads, d_ff, norm_first, activation, eps, generator, n_norms=3)
        self.multihead_attn = MultiHeadAttention(d_model, n_heads, generator=generator)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor | None = None,
                memory_mask: torch.Tensor | None = None, need_weights: bool = False):
        """Self-attention of ``x`` (B, N, D), cross-attention to ``memory`` (B, M, D), FFN; returns (B, N, D).

        ``mask`` masks the self-attention (usually causal), ``memory_mask`` the cross-attention (e.g. a
        (B, 1, M) padding mask). With ``need_weights`` the cross-attention weights (B, h, N, M) come too.
        """
        self._check(x)
        self._check(memory, "memory")
        if self.norm_first:
            x = x + self.self_attn(self.norm1(x), mask=mask)
            c, w = self.multihead_attn(self.norm2(x), memory, mask=memory_mask, need_weights=True)
            x = x + c
            x = x + self._ff(self.norm3(x))
        else:
            x = self.norm1(x + self.self_attn(x, mask=mask))
            c, w = self.multihead_attn(x, memory, mask=memory_mask, need_weights=True)
            x = self.norm2(x + c)
            x = self.norm3(x + self._ff(x))
        return (x, w) if need_weights else x


class TransformerEncoder(nn.Module):
    """A stack of :class:`TransformerBlock` and an optional final LayerNorm (``torch.nn.TransformerEncoder``).

    Defined in :ref:`sec-attention-encoder-decoder` (Eq. :eq:`eq-attention-cross`).

    Parameters
    ----------
    n_layers : int
    d_model, n_heads, d_ff, norm_first, activation, eps, generator
        As :class:`TransformerBlock`.
    final_norm : bool
        A LayerNorm after the last block; needed with Pre-LN, whose stream is otherwise never normalised.

    Examples
    --------
    >>> enc = TransformerEncoder(2, 8, 2, 16, generator=torch.Generator().manual_seed(0))
    >>> enc(torch.zeros(1, 3, 8)).shape
    torch.Size([1, 3, 8])
    """

    def __init__(self, n_layers: int, d_model: int, n_heads: int, d_ff: int, norm_first: bool = False,
                 activation: str = "relu", eps: float = 1e-5, final_norm: bool = True,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.layers = nn.ModuleList(TransformerBlock(d_model, n_heads, d_ff, norm_first, activation, eps, generator)
                                    for _ in range(check_int(n_layers, "n_layers")))
        self.norm = nn.LayerNorm(d_model, eps=eps) if final_norm else None

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N, D) → (B, N, D); ``mask`` as in :class:`TransformerBlock` (e.g. a (B, 1, N) padding mask)."""
        for layer in self.layers:
            x = layer(x, mask)
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(nn.Module):
    """A stack of :class:`DecoderBlock` and an optional final LayerNorm (``torch.nn.TransformerDecoder``).

    Defined in :ref:`sec-attention-encoder-decoder` (Eq. :eq:`eq-attention-cross`).

    Parameters
    ----------
    n_layers : int
    d_model, n_heads, d_ff, norm_first, activation, eps, final_norm, generator
        As :class:`TransformerEncoder`.

    Examples
    --------
    >>> dec = TransformerDecoder(2, 8, 2, 16, generator=torch.Generator().manual_seed(0))
    >>> dec(torch.zeros(1, 3, 8), torch.zeros(1, 5, 8)).shape
    torch.Size([1, 3, 8])
    """

    def __init__(self, n_layers: int, d_model: int, n_heads: int, d_ff: int, norm_first: bool = False,
                 activation: str = "relu", eps: float = 1e-5, final_norm: bool = True,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.layers = nn.ModuleList(DecoderBlock(d_model, n_heads, d_ff, norm_first, activation, eps, generator)
                                    for _ in range(check_int(n_layers, "n_layers")))
        self.norm = nn.LayerNorm(d_model, eps=eps) if final_norm else None

    def forward(self, x: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor | None = None,
                memory_mask: torch.Tensor | None = None, need_weights: bool = False):
        """(B, N, D) → (B, N, D); with ``need_weights`` also the last block's cross-attention (B, h, N, M)."""
        w = None
        for layer in self.layers:
            x, w = layer(x, memory, mask, memory_mask, need_weights=True)
        x = x if self.norm is None else self.norm(x)
        return (x, w) if need_weights else x


class EncoderDecoder(nn.Module):
    """The encoder–decoder transformer on embedded sequences (``torch.nn.Transformer``, without dropout).

    Defined in :ref:`sec-attention-encoder-decoder` (Eq. :eq:`eq-attention-cross`).

    Parameters
    ----------
    d_model, n_heads : int
    n_encoder_layers, n_decoder_layers : int
    d_ff : int
    norm_first : bool
    activation : {"relu", "gelu"}
    eps : float
    generator : torch.Generator, optional

    Notes
    -----
    ``encoder`` and ``decoder`` both end with a LayerNorm, as in ``torch.nn.Transformer``, whose weights
    ``load_state_dict`` copies directly. Token embeddings, positions and the output layer are the model's
    job (``coursekit.models.seq2seq``).

    Examples
    --------
    >>> model = EncoderDecoder(8, 2, 1, 1, 16, generator=torch.Generator().manual_seed(0))
    >>> model(torch.zeros(2, 6, 8), torch.zeros(2, 4, 8)).shape
    torch.Size([2, 4, 8])
    """

    def __init__(self, d_model: int, n_heads: int, n_encoder_layers: int, n_decoder_layers: int, d_ff: int,
                 norm_first: bool = False, activation: str = "relu", eps: float = 1e-5,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.encoder = TransformerEncoder(n_encoder_layers, d_model, n_heads, d_ff, norm_first, activation, eps,
                                          generator=generator)
        self.decoder = TransformerDecoder(n_decoder_layers, d_model, n_heads, d_ff, norm_first, activation, eps,
                                          generator=generator)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor, src_mask: torch.Tensor | None = None,
                tgt_mask: torch.Tensor | None = None, need_weights: bool = False):
        """``src`` (B, M, D) and ``tgt`` (B, N, D) → (B, N, D).

        ``src_mask`` (B, 1, M) marks the real source tokens (it masks the encoder's self-attention and the
        cross-attention); ``tgt_mask`` is usually ``causal_mask(N)``. With ``need_weights`` the last decoder
        block's cross-attention weights (B, h, N, M) come too.
        """
        memory = self.encoder(src, src_mask)                                # (B, M, D)
        return self.decoder(tgt, memory, tgt_mask, src_mask, need_weights)
