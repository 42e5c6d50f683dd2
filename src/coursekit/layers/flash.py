"""Tiled attention with an online softmax (the algorithm of FlashAttention), in NumPy and in PyTorch.

Chapter 14 (Transformer advances). Naive attention builds the whole N × M score matrix. The tiled version walks
over blocks of keys, keeping for each query only a running maximum m, a running normaliser ℓ and a running
weighted sum of values; when a new block raises the maximum, the old sums are rescaled by exp(m_old − m_new).
The result is exactly softmax(QKᵀ/√d)V, but the extra memory is O(N·d + B_q·B_k) instead of O(N·M).
:func:`peak_traced_bytes` measures the peak memory a NumPy call allocates (``tracemalloc`` sees NumPy's buffers).

References
----------
M. Milakov and N. Gimelshein, "Online normalizer calculation for softmax", arXiv 2018.
T. Dao et al., "FlashAttention: fast and memory-efficient exact attention with IO-awareness", NeurIPS 2022.
M. N. Rabe and C. Staats, "Self-attention does not need O(n²) memory", arXiv 2021.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import torch

from coursekit.core.validation import check_array, check_int

__all__ = ["tiled_attention_numpy", "tiled_attention", "peak_traced_bytes"]


def _check_qkv(q, k, v, causal: bool = False) -> None:
    """q (..., N, d), k (..., M, d), v (..., M, d_v); a causal mask needs M >= N (shared with ``mixing``)."""
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2 or q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"expected q (..., N, d), k (..., M, d) and v (..., M, d_v), got {tuple(q.shape)}, "
                         f"{tuple(k.shape)} and {tuple(v.shape)}.")
    if causal and k.shape[-2] < q.shape[-2]:
        raise ValueError(f"a causal mask needs at least as many keys as queries, got N = {q.shape[-2]} and "
                         f"M = {k.shape[-2]}.")


def tiled_attention_numpy(Q: np.ndarray, K: np.ndarray, V: np.ndarray, block_q: int = 64, block_k: int = 64,
                          causal: bool = False) -> np.ndarray:
    """softmax(QKᵀ/√d)V computed block by block with an online softmax; never forms the (N, M) scores.

    Defined in :ref:`sec-advances-flash` (Eq. :eq:`eq-advances-online-softmax`).

    Parameters
    ----------
    Q : (N, d) ndarray of float
    K : (M, d) ndarray of float
    V : (M, d_v) ndarray of float
    block_q, block_k : int
        Rows of Q and of K/V per tile (B_q, B_k).
    causal : bool
        Query i sees keys j ≤ i (needs N = M); key tiles entirely in the future are skipped.

    Returns
    -------
    (N, d_v) ndarray of float64

    Notes
    -----
    For each tile of B_q queries, start with m = −∞, ℓ = 0, O = 0; for each tile of B_k keys:

    1. S = Q_t K_tᵀ / √d, (B_q, B_k) — the only score block alive at a time;
    2. m_new = max(m, rowmax S); P = exp(S − m_new); c = exp(m − m_new) rescales the old sums;
    3. ℓ ← c ℓ + rowsum P; O ← c O + P V_t.

    At the end O / ℓ is the attention output. Extra memory: the (B_q, B_k) tile plus O(N) statistics.

    Examples
    --------
    >>> from coursekit.layers.attention_scores import attention_numpy
    >>> rng = np.random.default_rng(0)
    >>> Q, K, V = rng.normal(size=(10, 4)), rng.normal(size=(10, 4)), rng.normal(size=(10, 3))
    >>> bool(np.allclose(tiled_attention_numpy(Q, K, V, 3, 4), attention_numpy(Q, K, V)))
    True
    """
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    check_array(Q, "Q", ndim=2)
    check_array(K, "K", ndim=2, shape=(None, Q.shape[1]))
    check_array(V, "V", ndim=2, shape=(K.shape[0], None))
    bq, bk = check_int(block_q, "block_q"), check_int(block_k, "block_k")
    N, M = Q.shape[0], K.shape[0]
    if causal and N != M:
        raise ValueError(f"a causal mask needs as many queries as keys, got N = {N} and M = {M}.")
    scale = 1.0 / math.sqrt(Q.shape[1])
    out = np.empty((N, V.shape[1]))                                       # (N, d_v)
    for i0 in range(0, N, bq):
        Qt = Q[i0:i0 + bq] * scale                                        # (b_q, d)
        m = np.full(len(Qt), -np.inf)                                     # (b_q,) running max
        ell = np.zeros(len(Qt))                                           # (b_q,) running normaliser
        O = np.zeros((len(Qt), V.shape[1]))                               # (b_q, d_v) running sum of values
        for j0 in range(0, i0 + len(Qt) if causal else M, bk):
            S = Qt @ K[j0:j0 + bk].T                                      # (b_q, b_k) one score tile
            if causal:
                S = np.where(np.arange(j0, j0 + S.shape[1])[None] <= np.arange(i0, i0 + len(Qt))[:, None], S, -np.inf)
            m_new = np.maximum(m, S.max(axis=1))                          # (b_q,)
            P = np.exp(S - m_new[:, None])                                # (b_q, b_k)
            c = np.exp(m - m_new)                                         # (b_q,) rescales the old sums
            ell = c * ell + P.sum(axis=1)
            O = c[:, None] * O + P @ V[j0:j0 + bk]
            m = m_new
        out[i0:i0 + bq] = O / ell[:, None]
    return out


def tiled_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, block_k: int = 64,
                    causal: bool = False) -> torch.Tensor:
    """The PyTorch twin of :func:`tiled_attention_numpy` over key tiles, for any leading axes (differentiable).

    Defined in :ref:`sec-advances-flash` (Eq. :eq:`eq-advances-online-softmax`).

    Parameters
    ----------
    q : (..., N, d) Tensor of float
    k : (..., M, d) Tensor of float
    v : (..., M, d_v) Tensor of float
    block_k : int
        Keys per tile.
    causal : bool
        Query i sees keys j ≤ i + (M − N) (the queries are the last N positions, as with a KV cache).

    Returns
    -------
    (..., N, d_v) Tensor
        Equal to ``torch.nn.functional.scaled_dot_product_attention(q, k, v)`` up to rounding.

    Examples
    --------
    >>> import torch.nn.functional as F
    >>> g = torch.Generator().manual_seed(0)
    >>> q, k, v = (torch.randn(2, 5, 4, generator=g, dtype=torch.float64) for _ in range(3))
    >>> bool(torch.allclose(tiled_attention(q, k, v, 2), F.scaled_dot_product_attention(q, k, v)))
    True
    """
    _check_qkv(q, k, v, causal)
    bk = check_int(block_k, "block_k")
    N, M = q.shape[-2], k.shape[-2]
    q = q / math.sqrt(q.shape[-1])
    m = q.new_full(q.shape[:-1], float("-inf"))                           # (..., N)
    ell = q.new_zeros(q.shape[:-1])                                       # (..., N)
    O = q.new_zeros(*q.shape[:-1], v.shape[-1])                           # (..., N, d_v)
    rows = torch.arange(N)[:, None] + (M - N)                             # (N, 1) last key each query may see
    for j0 in range(0, M, bk):
        S = q @ k[..., j0:j0 + bk, :].transpose(-2, -1)                   # (..., N, b_k)
        if causal:
            S = S.masked_fill(torch.arange(j0, j0 + S.shape[-1])[None] > rows, float("-inf"))
        m_new = torch.maximum(m, S.amax(dim=-1))                          # (..., N)
        P = torch.exp(S - m_new[..., None])                               # (..., N, b_k)
        c = torch.exp(m - m_new)                                          # (..., N)
        ell = c * ell + P.sum(dim=-1)
        O = c[..., None] * O + P @ v[..., j0:j0 + bk, :]
        m = m_new
    return O / ell[..., None]


def peak_traced_bytes(fn, *args, **kwargs) -> tuple[object, int]:
    """Call ``fn(*args, **kwargs)`` and return (its result, the peak bytes allocated during the call).

    Defined in :ref:`sec-advances-flash`.

    Parameters
    ----------
    fn : callable
        A NumPy computation (NumPy reports its buffers to ``tracemalloc``; PyTorch does not).
    *args, **kwargs
        Passed to ``fn``.

    Returns
    -------
    result : object
    peak : int
        The largest total of bytes allocated and not yet freed at any time during the call, output included.

    Examples
    --------
    >>> _, peak = peak_traced_bytes(np.ones, 1000)          # 1000 float64 values
    >>> 8000 <= peak < 9000
    True
    """
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.clear_traces()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        result = fn(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return result, peak
