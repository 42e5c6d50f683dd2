"""Source–target sequence pairs for a tiny encoder–decoder: reverse a string of symbols.

Used by Chapter 10 (Attention and transformers): a transformer with cross-attention learns to reverse
sequences of variable length (padding masks, teacher forcing, a cross-attention map that is an anti-diagonal).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coursekit.core.validation import check_count_range, check_int, check_rng

__all__ = ["PAD", "BOS", "EOS", "SequencePairs", "reversal_pairs"]

PAD, BOS, EOS = 0, 1, 2          # special ids; the symbols are 3 … 3 + n_symbols - 1


@dataclass
class SequencePairs:
    """Padded source and target sequences.

    Attributes
    ----------
    src : (B, M) ndarray of int64
        Symbols, then ``PAD`` after each source's length.
    src_lengths : (B,) ndarray of int64
    tgt : (B, M + 2) ndarray of int64
        ``BOS``, the target symbols, ``EOS``, then ``PAD``: the decoder reads ``tgt[:, :-1]`` and predicts
        ``tgt[:, 1:]`` (teacher forcing).
    vocab_size : int
        3 special ids plus the symbols.
    """

    src: np.ndarray
    src_lengths: np.ndarray
    tgt: np.ndarray
    vocab_size: int


def reversal_pairs(n: int, rng: np.random.Generator, length=(3, 8), n_symbols: int = 10) -> SequencePairs:
    """Random symbol strings and their reversals.

    Parameters
    ----------
    n : int
        Number of pairs B.
    rng : np.random.Generator
    length : int or (int, int)
        Source lengths, drawn uniformly from the inclusive range.
    n_symbols : int
        Alphabet size.

    Returns
    -------
    SequencePairs

    Used in Chapter 10.

    Examples
    --------
    >>> d = reversal_pairs(2, np.random.default_rng(0), length=(2, 4), n_symbols=5)
    >>> L = int(d.src_lengths[0])
    >>> d.tgt[0, 1:L + 1].tolist() == d.src[0, :L][::-1].tolist(), int(d.tgt[0, L + 1]) == EOS
    (True, True)
    """
    n = check_int(n, "n")
    check_rng(rng)
    lo, hi = check_count_range(length, "length", minimum=1)
    n_symbols = check_int(n_symbols, "n_symbols")
    lengths = rng.integers(lo, hi + 1, size=n)
    symbols = rng.integers(3, 3 + n_symbols, size=(n, hi))                 # (B, M)
    src = np.where(np.arange(hi)[None, :] < lengths[:, None], symbols, PAD)
    tgt = np.full((n, hi + 2), PAD, dtype=np.int64)
    tgt[:, 0] = BOS
    for b, L in enumerate(lengths):
        tgt[b, 1:L + 1] = src[b, :L][::-1]
        tgt[b, L + 1] = EOS
    return SequencePairs(src=src.astype(np.int64), src_lengths=lengths.astype(np.int64), tgt=tgt,
                         vocab_size=3 + n_symbols)
