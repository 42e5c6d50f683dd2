"""Reading a vision transformer's attention: attention rollout and mean attention distance.

Chapter 11 (Vision transformers); Chapter 18 (Explainability) revisits rollout as an explanation. Inputs are
the per-layer attention maps a model returns (e.g. ``ViT.tokens(x, need_weights=True)``), as NumPy arrays or
tensors; outputs are NumPy float64.

References
----------
S. Abnar and W. Zuidema, "Quantifying attention flow in transformers", ACL 2020 (attention rollout).
A. Dosovitskiy et al., "An image is worth 16x16 words", ICLR 2021 (Fig. 7: mean attention distance).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_int

__all__ = ["attention_rollout", "mean_attention_distance"]


def _as_maps(attn, name: str) -> np.ndarray:
    a = np.asarray(attn.detach().cpu() if hasattr(attn, "detach") else attn, dtype=np.float64)
    if a.ndim not in (3, 4) or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name} must have shape (h, T, T) or (B, h, T, T), got {a.shape}.")
    if not np.allclose(a.sum(-1), 1.0, atol=1e-4) or (a < 0).any():
        raise ValueError(f"{name} must hold attention weights: non-negative rows that sum to 1.")
    return a


def attention_rollout(attentions, residual: float = 0.5) -> np.ndarray:
    """How much each token's final representation draws on each input token, through all layers.

    Defined in :ref:`sec-vit-explain` (Eq. :eq:`eq-vit-rollout`).

    Parameters
    ----------
    attentions : sequence of (h, T, T) or (B, h, T, T) arrays or Tensors
        The attention weights of layers 1 … L, in order; rows sum to 1.
    residual : float
        Weight α of the identity that stands for the residual connection: Â = α·I + (1 - α)·mean_h(A).
        Abnar & Zuidema use α = ½ (Â = ½(A + I)).

    Returns
    -------
    (T, T) or (B, T, T) ndarray of float64
        R = Â_L ⋯ Â_2 Â_1; row i (e.g. i = 0, [CLS]) is a distribution over the input tokens.

    Notes
    -----
    1. Average each layer's weights over the heads.
    2. Mix in the identity and renormalise the rows (they already sum to 1, kept for safety).
    3. Multiply the layers' matrices, the last layer on the left.

    Examples
    --------
    >>> A = np.array([[[0.0, 1.0], [0.0, 1.0]]])          # one head: both tokens attend to token 1
    >>> attention_rollout([A, A]).round(3).tolist()
    [[0.25, 0.75], [0.0, 1.0]]
    """
    maps = [_as_maps(a, f"attentions[{i}]") for i, a in enumerate(attentions)]
    if not maps:
        raise ValueError("attentions is empty: pass the attention weights of at least one layer.")
    if any(m.shape != maps[0].shape for m in maps):
        raise ValueError(f"every layer's attention must have the same shape, got {[m.shape for m in maps]}.")
    if not 0.0 <= residual <= 1.0:
        raise ValueError(f"residual must be in [0, 1], got {residual!r}.")
    T = maps[0].shape[-1]
    eye = np.eye(T)
    R = np.broadcast_to(eye, maps[0].shape[:-3] + (T, T)).copy()      # (…, T, T)
    for a in maps:
        A = residual * eye + (1.0 - residual) * a.mean(axis=-3)          # (…, T, T) heads averaged
        A = A / A.sum(axis=-1, keepdims=True)
        R = A @ R                                                        # later layers on the left
    return R


def mean_attention_distance(attention, grid: tuple[int, int], patch_size: int, n_prefix: int = 1) -> np.ndarray:
    """For each head, the attention-weighted distance in pixels between a patch and the patches it attends to.

    Defined in :ref:`sec-vit-explain` (Eq. :eq:`eq-vit-attention-distance`).

    Parameters
    ----------
    attention : (h, T, T) or (B, h, T, T) array or Tensor
        One layer's weights; T = n_prefix + gh·gw.
    grid : (int, int)
        (gh, gw), the patch grid.
    patch_size : int
        P: distances are measured between patch centres, in pixels.
    n_prefix : int
        Leading tokens without a position ([CLS], ...), dropped as queries and as keys.

    Returns
    -------
    (h,) ndarray of float64
        d_h = mean over query patches i (and images) of Σ_j a_ij ‖p_i − p_j‖ / Σ_j a_ij over patch keys j,
        the analogue of a CNN's receptive field size.

    Examples
    --------
    >>> attn = np.full((1, 5, 5), 0.2)                   # [CLS] + a 2×2 grid, uniform attention
    >>> float(mean_attention_distance(attn, (2, 2), patch_size=1)[0])   # (0 + 1 + 1 + √2) / 4
    0.8535533905932737
    """
    a = _as_maps(attention, "attention")
    gh, gw = (check_int(g, "grid") for g in grid)
    P, k = check_int(patch_size, "patch_size"), check_int(n_prefix, "n_prefix", minimum=0)
    if a.shape[-1] != k + gh * gw:
        raise ValueError(f"attention has T = {a.shape[-1]} tokens but grid {gh}×{gw} plus {k} prefix tokens "
                         f"makes {k + gh * gw}.")
    a = a[..., k:, k:]                                                   # (…, h, N, N) patches only
    a = a / np.maximum(a.sum(-1, keepdims=True), 1e-12)                  # renormalise over patch keys
    ys, xs = np.divmod(np.arange(gh * gw), gw)                           # raster order → (row, col)
    dist = P * np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :])   # (N, N) pixels
    per_query = (a * dist).sum(-1)                                       # (…, h, N)
    per_query = per_query.reshape(-1, *per_query.shape[-2:])             # (B, h, N)
    return per_query.mean(axis=(0, 2))                                   # (h,)
