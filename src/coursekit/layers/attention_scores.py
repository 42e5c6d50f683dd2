"""Attention score functions (dot, scaled dot, bilinear, additive) and a NumPy reference of attention.

Chapter 10 (Attention and transformers), first section: how a query and a key are turned into one number.
The batched PyTorch attention built on the scaled dot product is :mod:`coursekit.layers.attention`.

References
----------
D. Bahdanau, K. Cho and Y. Bengio, "Neural machine translation by jointly learning to align and translate",
ICLR 2015 (additive scores).
M.-T. Luong, H. Pham and C. D. Manning, "Effective approaches to attention-based neural machine translation",
EMNLP 2015 (dot and bilinear scores).
A. Vaswani et al., "Attention is all you need", NeurIPS 2017 (the scaled dot product).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from coursekit.core.numerics import softmax
from coursekit.core.validation import check_array

__all__ = ["dot_product_scores", "bilinear_scores", "additive_scores", "attention_numpy"]


def dot_product_scores(q: torch.Tensor, k: torch.Tensor, scaled: bool = True) -> torch.Tensor:
    """Dot-product scores s_ij = q_i · k_j, divided by √d_k when ``scaled``.

    Defined in :ref:`sec-attention-scores` (Eq. :eq:`eq-attention-scores`).

    Parameters
    ----------
    q : (..., N, d_k) Tensor of float
        N queries.
    k : (..., M, d_k) Tensor of float
        M keys, with the same leading axes as ``q`` (or broadcastable to them).
    scaled : bool
        Divide by √d_k (Vaswani et al.) so that the scores of random unit-variance vectors have variance 1.

    Returns
    -------
    (..., N, M) Tensor
        Row i holds the score of query i against every key.

    Examples
    --------
    >>> dot_product_scores(torch.tensor([[1.0, 1.0]]), torch.tensor([[2.0, 0.0], [1.0, 1.0]]), scaled=False)
    tensor([[2., 2.]])
    """
    if q.ndim < 2 or k.ndim < 2 or q.shape[-1] != k.shape[-1]:
        raise ValueError(f"expected q of shape (..., N, d_k) and k of shape (..., M, d_k) with the same d_k, "
                         f"got {tuple(q.shape)} and {tuple(k.shape)}.")
    scores = q @ k.transpose(-2, -1)                                   # (..., N, M)
    return scores / math.sqrt(q.shape[-1]) if scaled else scores


def bilinear_scores(q: torch.Tensor, k: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """Bilinear ("general") scores s_ij = q_iᵀ W k_j, for queries and keys of different sizes.

    Defined in :ref:`sec-attention-scores` (Eq. :eq:`eq-attention-scores`).

    Parameters
    ----------
    q : (..., N, d_q) Tensor of float
    k : (..., M, d_k) Tensor of float
    W : (d_q, d_k) Tensor of float
        The learned interaction matrix; ``W = I`` gives the dot product.

    Returns
    -------
    (..., N, M) Tensor

    Examples
    --------
    >>> q, k = torch.ones(1, 3), torch.ones(2, 3)
    >>> bool(torch.equal(bilinear_scores(q, k, torch.eye(3)), dot_product_scores(q, k, scaled=False)))
    True
    """
    if W.ndim != 2 or q.shape[-1] != W.shape[0] or k.shape[-1] != W.shape[1]:
        raise ValueError(f"expected q (..., N, d_q), k (..., M, d_k) and W (d_q, d_k), got "
                         f"{tuple(q.shape)}, {tuple(k.shape)} and {tuple(W.shape)}.")
    return (q @ W) @ k.transpose(-2, -1)                               # (..., N, M)


def additive_scores(q: torch.Tensor, k: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor,
                    v: torch.Tensor) -> torch.Tensor:
    """Additive (Bahdanau) scores s_ij = vᵀ tanh(W_q q_i + W_k k_j): a one-hidden-layer MLP per pair.

    Defined in :ref:`sec-attention-scores` (Eq. :eq:`eq-attention-scores`).

    Parameters
    ----------
    q : (..., N, d_q) Tensor of float
    k : (..., M, d_k) Tensor of float
    W_q : (h, d_q) Tensor of float
    W_k : (h, d_k) Tensor of float
    v : (h,) Tensor of float
        Hidden size h.

    Returns
    -------
    (..., N, M) Tensor

    Notes
    -----
    The N·M hidden vectors of size h are materialised, (..., N, M, h): this costs h times the memory
    of the dot-product scores, one reason the dot product won.

    Examples
    --------
    >>> s = additive_scores(torch.zeros(2, 3), torch.zeros(5, 4), torch.ones(6, 3), torch.ones(6, 4), torch.ones(6))
    >>> s.shape, float(s.abs().max())
    (torch.Size([2, 5]), 0.0)
    """
    if (W_q.ndim != 2 or W_k.ndim != 2 or v.shape != (W_q.shape[0],) or W_k.shape[0] != W_q.shape[0]
            or q.shape[-1] != W_q.shape[1] or k.shape[-1] != W_k.shape[1]):
        raise ValueError(f"expected q (..., N, d_q), k (..., M, d_k), W_q (h, d_q), W_k (h, d_k), v (h,), got "
                         f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(W_q.shape)}, {tuple(W_k.shape)}, "
                         f"{tuple(v.shape)}.")
    hidden = torch.tanh((q @ W_q.T).unsqueeze(-2) + (k @ W_k.T).unsqueeze(-3))    # (..., N, M, h)
    return hidden @ v                                                  # (..., N, M)


# ----------------------------------------------------------------------------- the NumPy reference

def attention_numpy(Q: np.ndarray, K: np.ndarray, V: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Scaled dot-product attention in NumPy, one equation per line (the reference of the exercises).

    Defined in :ref:`sec-attention-scaled-dot-product` (Eq. :eq:`eq-attention-sdpa`).

    Parameters
    ----------
    Q : (N, d_k) ndarray of float
    K : (M, d_k) ndarray of float
    V : (M, d_v) ndarray of float
    mask : (N, M) ndarray of bool, optional
        True where query i may attend to key j; every row needs at least one True.

    Returns
    -------
    (N, d_v) ndarray of float64

    Examples
    --------
    >>> out = attention_numpy(np.zeros((2, 4)), np.ones((3, 4)), np.arange(6.0).reshape(3, 2))
    >>> out                                        # equal scores: every query averages the values
    array([[2., 3.],
           [2., 3.]])
    """
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    check_array(Q, "Q", ndim=2)
    check_array(K, "K", ndim=2, shape=(None, Q.shape[1]))
    check_array(V, "V", ndim=2, shape=(K.shape[0], None))
    S = Q @ K.T / np.sqrt(Q.shape[1])                                  # (N, M) scaled scores
    if mask is not None:
        check_array(mask, "mask", dtype_kind="b", shape=S.shape)
        if not mask.any(axis=1).all():
            raise ValueError("every row of mask needs at least one True: a query must see some key.")
        S = np.where(mask, S, -np.inf)                                 # blocked pairs get weight 0
    A = softmax(S, axis=1)                                             # (N, M) each row sums to 1
    return A @ V                                                       # (N, d_v)
