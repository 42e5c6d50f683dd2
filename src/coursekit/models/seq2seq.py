"""A tiny encoder–decoder transformer over token ids, trained with teacher forcing, decoded greedily.

Chapter 10 (Attention and transformers) trains it to reverse strings, which makes the decoder's
cross-attention easy to read: output position t should look at source position L - t. The blocks are
``coursekit.layers.transformer.EncoderDecoder``; this file adds the embeddings, the sinusoidal positions and
the output layer.

References
----------
A. Vaswani et al., "Attention is all you need", NeurIPS 2017 (the encoder–decoder, shared embeddings).
I. Sutskever, O. Vinyals and Q. V. Le, "Sequence to sequence learning with neural networks", NeurIPS 2014.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_int
from coursekit.layers.masks import causal_mask, padding_mask
from coursekit.layers.positional import SinusoidalPositionalEncoding
from coursekit.layers.transformer import EncoderDecoder

__all__ = ["Seq2SeqConfig", "Seq2SeqTransformer", "seq2seq_loss", "greedy_translate"]


@dataclass
class Seq2SeqConfig:
    """Sizes of a :class:`Seq2SeqTransformer`; the defaults learn to reverse digit strings in seconds.

    Defined in :ref:`sec-attention-encoder-decoder` (Eq. :eq:`eq-attention-cross`).

    Parameters
    ----------
    vocab_size : int
        Shared by source and target (special ids 0 = pad, 1 = begin, 2 = end).
    d_model, n_heads, d_ff : int
    n_encoder_layers, n_decoder_layers : int
    max_positions : int
        Longest sequence the sinusoidal table covers.
    norm_first : bool
        Pre-LN blocks (trains more easily at a high learning rate than Post-LN).

    Examples
    --------
    >>> Seq2SeqConfig(vocab_size=13).d_model
    64
    """

    vocab_size: int = 13
    d_model: int = 64
    n_heads: int = 4
    d_ff: int = 128
    n_encoder_layers: int = 1
    n_decoder_layers: int = 1
    max_positions: int = 64
    norm_first: bool = True


class Seq2SeqTransformer(nn.Module):
    """Token ids in, next-token logits of the target out: p(y_t | y_<t, x) for every t at once.

    Defined in :ref:`sec-attention-encoder-decoder` (Eq. :eq:`eq-attention-cross`).

    Parameters
    ----------
    config : Seq2SeqConfig
    generator : torch.Generator, optional
        Draws the initial weights.

    Notes
    -----
    One embedding matrix E serves the source, the target and (transposed) the output layer; embeddings are
    multiplied by √D before the sinusoidal code is added, as in the paper, so that the two have comparable
    size.

    Examples
    --------
    >>> model = Seq2SeqTransformer(Seq2SeqConfig(vocab_size=7, d_model=8, n_heads=2, d_ff=16),
    ...                            generator=torch.Generator().manual_seed(0))
    >>> src, tgt = torch.tensor([[3, 4, 5, 0]]), torch.tensor([[1, 5, 4]])
    >>> model(src, torch.tensor([3]), tgt).shape
    torch.Size([1, 3, 7])
    """

    def __init__(self, config: Seq2SeqConfig, generator: torch.Generator | None = None):
        super().__init__()
        if not isinstance(config, Seq2SeqConfig):
            raise ValueError(f"config must be a Seq2SeqConfig, got {type(config).__name__}.")
        c = config
        self.config = c
        self.embed = nn.utils.skip_init(nn.Embedding, check_int(c.vocab_size, "config.vocab_size"), c.d_model)
        nn.init.normal_(self.embed.weight, 0.0, c.d_model ** -0.5, generator=generator)
        self.pos = SinusoidalPositionalEncoding(c.d_model, c.max_positions)
        self.transformer = EncoderDecoder(c.d_model, c.n_heads, c.n_encoder_layers, c.n_decoder_layers, c.d_ff,
                                          norm_first=c.norm_first, generator=generator)

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.pos(self.embed(ids) * math.sqrt(self.config.d_model))          # (B, n, D)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder's memory (B, M, D) of ``src`` (B, M) and the source padding mask (B, 1, M)."""
        src_mask = padding_mask(src_lengths, src.shape[1])                          # (B, 1, M)
        return self.transformer.encoder(self._embed(src), src_mask), src_mask

    def decode(self, memory: torch.Tensor, src_mask: torch.Tensor, tgt_in: torch.Tensor, need_weights: bool = False):
        """Logits (B, N, V) of the token after each of ``tgt_in`` (B, N), attending to ``memory``.

        With ``need_weights`` the last cross-attention weights (B, h, N, M) come too.
        """
        out, w = self.transformer.decoder(self._embed(tgt_in), memory,
                                          causal_mask(tgt_in.shape[1], device=tgt_in.device), src_mask,
                                          need_weights=True)
        logits = out @ self.embed.weight.T                                          # (B, N, V)
        return (logits, w) if need_weights else logits

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor,
                need_weights: bool = False):
        """Logits (B, N, V) of the next target token after each position of ``tgt_in`` (B, N).

        ``src`` (B, M) holds ``src_lengths`` (B,) real tokens each, ``tgt_in`` starts with the begin token.
        With ``need_weights`` the last cross-attention weights (B, h, N, M) come too.
        """
        if src.ndim != 2 or tgt_in.ndim != 2 or src.shape[0] != tgt_in.shape[0]:
            raise ValueError(f"expected src (B, M) and tgt_in (B, N), got {tuple(src.shape)}, {tuple(tgt_in.shape)}.")
        memory, src_mask = self.encode(src, src_lengths)
        return self.decode(memory, src_mask, tgt_in, need_weights)


def seq2seq_loss(model: Seq2SeqTransformer, batch) -> torch.Tensor:
    """Teacher forcing: read ``tgt[:, :-1]``, predict ``tgt[:, 1:]``; padding (id 0) is not scored.

    Defined in :ref:`sec-attention-encoder-decoder` (Eq. :eq:`eq-attention-teacher-forcing`).

    Parameters
    ----------
    model : Seq2SeqTransformer
    batch : tuple of Tensor
        ``(src (B, M), src_lengths (B,), tgt (B, N + 1))``, as ``coursekit.training.fit`` passes it.

    Returns
    -------
    scalar Tensor
        Mean cross-entropy per target token (nats).
    """
    src, lengths, tgt = batch
    logits = model(src, lengths, tgt[:, :-1])                                       # (B, N, V)
    return F.cross_entropy(logits.transpose(1, 2), tgt[:, 1:], ignore_index=0)


@torch.no_grad()
def greedy_translate(model: Seq2SeqTransformer, src: torch.Tensor, src_lengths: torch.Tensor, max_len: int,
                     bos: int = 1, eos: int = 2) -> torch.Tensor:
    """Decode greedily: read the source once, then append the most likely token until the end token.

    Defined in :ref:`sec-attention-encoder-decoder` (Eq. :eq:`eq-attention-cross`).

    Parameters
    ----------
    model : Seq2SeqTransformer
    src : (B, M) LongTensor
        Source ids, padded after each length.
    src_lengths : (B,) LongTensor
    max_len : int
        Most tokens to generate.
    bos, eos : int
        The begin and end ids.

    Returns
    -------
    (B, T) LongTensor
        Begin token, then the decoded tokens (T <= max_len + 1: decoding stops once every row has ended);
        after a row's end token, only end tokens.
    """
    max_len = check_int(max_len, "max_len")
    memory, src_mask = model.encode(src, src_lengths)                               # the source is read once
    out = torch.full((src.shape[0], 1), bos, dtype=torch.long, device=src.device)
    done = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
    for _ in range(max_len):
        nxt = model.decode(memory, src_mask, out)[:, -1].argmax(-1)                 # (B,) the decoder recomputes
        nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
        out = torch.cat([out, nxt[:, None]], 1)
        done |= nxt == eos
        if done.all():
            break
    return out
