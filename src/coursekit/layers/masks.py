"""Attention masks: causal, padding and prefix-LM, as boolean tensors (True = may attend).

Chapter 10 (Attention and transformers); used by every transformer of the book (Chapters 11, 14, 15). The
convention is that of the boolean ``attn_mask`` of ``torch.nn.functional.scaled_dot_product_attention``;
``torch.nn.MultiheadAttention`` takes the complement (``~mask``) for both of its masks.

References
----------
A. Vaswani et al., "Attention is all you need", NeurIPS 2017 (causal masking in the decoder).
C. Raffel et al., "Exploring the limits of transfer learning with a unified text-to-text transformer",
JMLR 2020 (the prefix-LM mask).
"""

from __future__ import annotations

import torch

from coursekit.core.validation import check_int

__all__ = ["causal_mask", "padding_mask", "prefix_lm_mask"]


def causal_mask(n_queries: int, n_keys: int | None = None, device=None) -> torch.Tensor:
    """Causal mask: query i may attend to key j only if j is not in its future.

    Defined in :ref:`sec-attention-masks` (Eq. :eq:`eq-attention-masks`).

    Parameters
    ----------
    n_queries : int
        N, the queries are the *last* N positions of the sequence.
    n_keys : int, optional
        M >= N (default N). With a KV cache the M - N earlier keys are the cached past.
    device : torch.device, optional

    Returns
    -------
    (N, M) Tensor of bool
        ``mask[i, j] = j <= i + (M - N)``: lower triangular when M = N, aligned to the bottom-right corner
        otherwise (``F.scaled_dot_product_attention(is_causal=True)`` aligns to the top-left instead).

    Examples
    --------
    >>> causal_mask(3).int()
    tensor([[1, 0, 0],
            [1, 1, 0],
            [1, 1, 1]], dtype=torch.int32)
    >>> causal_mask(1, 4).int()                      # one new token sees the three cached ones and itself
    tensor([[1, 1, 1, 1]], dtype=torch.int32)
    """
    n_queries = check_int(n_queries, "n_queries")
    n_keys = n_queries if n_keys is None else check_int(n_keys, "n_keys", minimum=n_queries)
    i = torch.arange(n_queries, device=device)[:, None]                # (N, 1) query positions
    j = torch.arange(n_keys, device=device)[None, :]                   # (1, M) key positions
    return j <= i + (n_keys - n_queries)


def padding_mask(lengths, n_keys: int) -> torch.Tensor:
    """Padding mask: the keys after each sequence's length are padding and get no attention.

    Defined in :ref:`sec-attention-masks` (Eq. :eq:`eq-attention-masks`).

    Parameters
    ----------
    lengths : (B,) Tensor or sequence of int
        The true length of each of the B sequences, 1 <= length <= M.
    n_keys : int
        M, the padded length.

    Returns
    -------
    (B, 1, M) Tensor of bool
        ``mask[b, 0, j] = j < lengths[b]``; the singleton axis broadcasts over the queries.

    Examples
    --------
    >>> padding_mask([2, 3], 4).int()
    tensor([[[1, 1, 0, 0]],
    <BLANKLINE>
            [[1, 1, 1, 0]]], dtype=torch.int32)
    """
    n_keys = check_int(n_keys, "n_keys")
    lengths = torch.as_tensor(lengths)
    if lengths.ndim != 1 or lengths.dtype.is_floating_point or (lengths < 1).any() or (lengths > n_keys).any():
        raise ValueError(f"lengths must be a 1-D sequence of integers in [1, {n_keys}], got {lengths.tolist()}.")
    j = torch.arange(n_keys, device=lengths.device)                    # (M,)
    return (j[None, :] < lengths[:, None])[:, None, :]                 # (B, 1, M)


def prefix_lm_mask(n: int, prefix_length) -> torch.Tensor:
    """Prefix-LM mask: the first P tokens see each other in both directions, the rest are causal.

    Defined in :ref:`sec-attention-masks` (Eq. :eq:`eq-attention-masks`).

    Parameters
    ----------
    n : int
        N, the sequence length.
    prefix_length : int or (B,) Tensor of int
        P, the length of the bidirectional prefix (0 gives the causal mask, N full attention).

    Returns
    -------
    (N, N) or (B, N, N) Tensor of bool
        ``mask[i, j] = (j <= i) or (j < P)``.

    Examples
    --------
    >>> prefix_lm_mask(4, 2).int()
    tensor([[1, 1, 0, 0],
            [1, 1, 0, 0],
            [1, 1, 1, 0],
            [1, 1, 1, 1]], dtype=torch.int32)
    """
    n = check_int(n, "n")
    P = torch.as_tensor(prefix_length)
    if P.dtype.is_floating_point or P.ndim > 1 or (P < 0).any() or (P > n).any():
        raise ValueError(f"prefix_length must be an int or a 1-D tensor of ints in [0, {n}], got {prefix_length!r}.")
    causal = causal_mask(n)                                            # (N, N)
    prefix = torch.arange(n)[None, :] < P.reshape(-1, 1, 1)            # (B or 1, 1, N) key j in the prefix
    mask = causal | prefix                                             # (B or 1, N, N)
    return mask if P.ndim == 1 else mask[0]
