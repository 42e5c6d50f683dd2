"""Token mixing without softmax attention: Fourier mixing (FNet) and kernelised linear attention.

Chapter 14 (Transformer advances). FNet replaces self-attention by the real part of a 2-D discrete Fourier
transform over the tokens and the features: no parameters, O(N log N). Linear attention replaces the softmax
kernel exp(qᵀk) by a feature-map product φ(q)ᵀφ(k); then (φ(Q) φ(K)ᵀ) V = φ(Q) (φ(K)ᵀ V) costs O(N d²) instead of
O(N² d), and the causal version is a recurrence over a d × d_v state — a transformer that decodes like an RNN.

References
----------
J. Lee-Thorp et al., "FNet: mixing tokens with Fourier transforms", NAACL 2022.
A. Katharopoulos et al., "Transformers are RNNs: fast autoregressive transformers with linear attention",
ICML 2020 (φ(x) = elu(x) + 1, the causal recurrence).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from coursekit.layers.flash import _check_qkv

__all__ = ["fourier_mix", "elu_feature_map", "linear_attention", "causal_linear_attention",
           "causal_linear_attention_loop"]


def fourier_mix(x: torch.Tensor) -> torch.Tensor:
    """FNet's mixing: Re(DFT over the tokens of DFT over the features) — Re(F_N X F_D).

    Defined in :ref:`sec-advances-mixing` (Eq. :eq:`eq-advances-fnet`).

    Parameters
    ----------
    x : (..., N, D) Tensor of float
        N tokens of width D.

    Returns
    -------
    (..., N, D) Tensor of the same dtype
        Every output token depends on every input token; no learned parameters.

    Examples
    --------
    >>> fourier_mix(torch.ones(1, 3, 2))         # a constant signal: all energy in the (0, 0) frequency
    tensor([[[6., 0.],
             [0., 0.],
             [0., 0.]]])
    """
    if not isinstance(x, torch.Tensor) or x.ndim < 2 or not x.dtype.is_floating_point:
        raise ValueError(f"x must be a float tensor of shape (..., N, D), got {getattr(x, 'shape', type(x).__name__)}.")
    return torch.fft.fft2(x, dim=(-2, -1)).real.to(x.dtype)               # (..., N, D)


def elu_feature_map(x: torch.Tensor) -> torch.Tensor:
    """φ(x) = elu(x) + 1 > 0, the feature map of Katharopoulos et al.

    Defined in :ref:`sec-advances-mixing` (Eq. :eq:`eq-advances-linear-attention`).

    Parameters
    ----------
    x : Tensor of float

    Returns
    -------
    Tensor
        Same shape, every value > 0 (so that the kernel weights are positive).

    Examples
    --------
    >>> elu_feature_map(torch.tensor([-100.0, 0.0, 2.0]))
    tensor([0., 1., 3.])
    """
    return F.elu(x) + 1.0


def _causal_features(q, k, v):
    """φ(q), φ(k) after checking the shapes of a causal call (N = M)."""
    _check_qkv(q, k, v, causal=True)
    if q.shape[-2] != k.shape[-2]:
        raise ValueError(f"causal linear attention needs N = M, got {q.shape[-2]} and {k.shape[-2]}.")
    return elu_feature_map(q), elu_feature_map(k)                          # (..., N, d) each


def linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Non-causal linear attention: out_i = φ(q_i)ᵀ (Σ_j φ(k_j) v_jᵀ) / φ(q_i)ᵀ (Σ_j φ(k_j)).

    Defined in :ref:`sec-advances-mixing` (Eq. :eq:`eq-advances-linear-attention`).

    Parameters
    ----------
    q : (..., N, d) Tensor of float
    k : (..., M, d) Tensor of float
    v : (..., M, d_v) Tensor of float
    eps : float
        Added to the denominator.

    Returns
    -------
    (..., N, d_v) Tensor
        Equal to attention with weights A_ij ∝ φ(q_i)ᵀφ(k_j), computed in O((N + M) d d_v).

    Examples
    --------
    >>> q, k, v = torch.zeros(1, 3, 2), torch.zeros(1, 4, 2), torch.arange(4.0).reshape(1, 4, 1)
    >>> linear_attention(q, k, v).flatten().round(decimals=4).tolist()        # φ(0) = 1: equal weights, the mean of v
    [1.5, 1.5, 1.5]
    """
    _check_qkv(q, k, v)
    phi_q, phi_k = elu_feature_map(q), elu_feature_map(k)                 # (..., N, d), (..., M, d)
    S = phi_k.transpose(-2, -1) @ v                                       # (..., d, d_v) Σ_j φ(k_j) v_jᵀ
    z = phi_k.sum(dim=-2)                                                 # (..., d) Σ_j φ(k_j)
    return (phi_q @ S) / ((phi_q * z[..., None, :]).sum(-1, keepdim=True) + eps)   # (..., N, d_v)


def causal_linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Causal linear attention with prefix sums: out_i uses S_i = Σ_{j≤i} φ(k_j) v_jᵀ and z_i = Σ_{j≤i} φ(k_j).

    Defined in :ref:`sec-advances-mixing` (Eq. :eq:`eq-advances-causal-linear`).

    Parameters
    ----------
    q, k : (..., N, d) Tensor of float
    v : (..., N, d_v) Tensor of float
    eps : float

    Returns
    -------
    (..., N, d_v) Tensor
        Equal to :func:`causal_linear_attention_loop`; the prefix sums hold N states of d × d_v values.

    Examples
    --------
    >>> q = k = torch.zeros(1, 3, 2)
    >>> causal_linear_attention(q, k, torch.tensor([[[0.0], [2.0], [4.0]]])).flatten().round(decimals=4).tolist()
    [0.0, 1.0, 2.0]
    """
    phi_q, phi_k = _causal_features(q, k, v)                 # (..., N, d)
    S = torch.cumsum(phi_k[..., :, None] * v[..., None, :], dim=-3)       # (..., N, d, d_v) running Σ φ(k) vᵀ
    z = torch.cumsum(phi_k, dim=-2)                                       # (..., N, d) running Σ φ(k)
    num = (phi_q[..., None, :] @ S).squeeze(-2)                           # (..., N, d_v)
    return num / ((phi_q * z).sum(-1, keepdim=True) + eps)


def causal_linear_attention_loop(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """The same as :func:`causal_linear_attention`, as the recurrence an RNN would run: one token at a time.

    Defined in :ref:`sec-advances-mixing` (Eq. :eq:`eq-advances-causal-linear`).

    Parameters
    ----------
    q, k, v, eps
        As :func:`causal_linear_attention`.

    Returns
    -------
    (..., N, d_v) Tensor
        The outputs stacked over t.

    Notes
    -----
    State S (d × d_v) and z (d) start at 0; for t = 1 … N: S ← S + φ(k_t) v_tᵀ, z ← z + φ(k_t),
    out_t = φ(q_t)ᵀ S / (φ(q_t)ᵀ z). Decoding costs O(d d_v) per token whatever the length: no KV cache grows.

    Examples
    --------
    >>> q = k = torch.zeros(1, 3, 2)
    >>> causal_linear_attention_loop(q, k, torch.tensor([[[0.0], [2.0], [4.0]]])).flatten().round(decimals=4).tolist()
    [0.0, 1.0, 2.0]
    """
    phi_q, phi_k = _causal_features(q, k, v)
    S = q.new_zeros(*q.shape[:-2], q.shape[-1], v.shape[-1])              # (..., d, d_v)
    z = q.new_zeros(*q.shape[:-2], q.shape[-1])                           # (..., d)
    outs = []
    for t in range(q.shape[-2]):
        S = S + phi_k[..., t, :, None] * v[..., t, None, :]               # (..., d, d_v)
        z = z + phi_k[..., t, :]
        num = (phi_q[..., t, None, :] @ S).squeeze(-2)                    # (..., d_v)
        outs.append(num / ((phi_q[..., t, :] * z).sum(-1, keepdim=True) + eps))
    return torch.stack(outs, dim=-2)                                      # (..., N, d_v)
