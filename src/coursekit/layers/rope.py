"""Rotary position embedding (RoPE): rotate each pair of query/key features by an angle proportional to position.

Chapter 14 (Transformer advances). Chapter 10 showed that shifting a sinusoidal code by k positions is a fixed
rotation; RoPE applies that rotation to the queries and keys themselves, so the score q_mᵀ k_n of a query at
position m and a key at position n depends on the positions only through the offset m − n.

Pairing convention: features (2i, 2i+1) form pair i, as in the RoFormer paper. (LLaMA's Hugging Face port pairs
feature i with i + d/2; the two differ by a fixed permutation of the features, and both give relative scores.)

References
----------
J. Su et al., "RoFormer: enhanced transformer with rotary position embedding", Neurocomputing 568, 2024
(arXiv 2021).
"""

from __future__ import annotations

import torch

from coursekit.core.validation import check_int, check_positive

__all__ = ["rope_angles", "apply_rope", "rope_rotation_matrix"]


def rope_angles(positions: torch.Tensor, head_dim: int, base: float = 10000.0) -> torch.Tensor:
    """The angles m·θ_i with θ_i = base^(-2i/d), for every position m and pair i.

    Defined in :ref:`sec-advances-rope` (Eq. :eq:`eq-advances-rope`).

    Parameters
    ----------
    positions : (N,) Tensor of int or float
        The positions m of the N tokens (e.g. ``torch.arange(t0, t0 + N)`` after t0 cached tokens).
    head_dim : int
        d, even.
    base : float
        10,000 as in RoFormer; larger bases stretch the longest wavelength.

    Returns
    -------
    (N, d/2) Tensor of float64

    Examples
    --------
    >>> rope_angles(torch.tensor([0, 1, 2]), 4, base=100.0)
    tensor([[0.0000, 0.0000],
            [1.0000, 0.1000],
            [2.0000, 0.2000]], dtype=torch.float64)
    """
    d = check_int(head_dim, "head_dim")
    if d % 2:
        raise ValueError(f"head_dim must be even (features are rotated in pairs), got {d}.")
    base = check_positive(base, "base")
    positions = torch.as_tensor(positions)
    if positions.ndim != 1:
        raise ValueError(f"positions must be a 1-D tensor (N,), got shape {tuple(positions.shape)}.")
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)    # (d/2,) θ_i = base^(-2i/d)
    return positions.to(torch.float64)[:, None] * theta[None, :]         # (N, d/2)


def apply_rope(x: torch.Tensor, positions: torch.Tensor | None = None, base: float = 10000.0) -> torch.Tensor:
    """Rotate pair i = (x_2i, x_2i+1) of the token at position m by the angle m·θ_i.

    Defined in :ref:`sec-advances-rope` (Eq. :eq:`eq-advances-rope`).

    Parameters
    ----------
    x : (..., N, d) Tensor of float
        Queries or keys of N tokens (any leading axes, e.g. (B, h, N, d)); d even.
    positions : (N,) Tensor, optional
        Their positions; default 0 … N−1.
    base : float
        As :func:`rope_angles`.

    Returns
    -------
    (..., N, d) Tensor
        Same dtype; every pair keeps its length (a rotation), so ‖x‖ is unchanged.

    Notes
    -----
    With R_m the block-diagonal rotation of position m, (R_m q)ᵀ (R_n k) = qᵀ R_mᵀ R_n k = qᵀ R_{n−m} k: the
    score depends on the positions only through their offset.

    Examples
    --------
    >>> x = torch.tensor([[1.0, 0.0], [1.0, 0.0]])        # the same vector at positions 0 and 1, d = 2
    >>> apply_rope(x).round(decimals=4)                     # θ_0 = 1: position 1 is turned by 1 radian
    tensor([[1.0000, 0.0000],
            [0.5403, 0.8415]])
    """
    if not isinstance(x, torch.Tensor) or x.ndim < 2 or not x.dtype.is_floating_point:
        raise ValueError(f"x must be a float tensor of shape (..., N, d), got {getattr(x, 'shape', type(x).__name__)}.")
    N, d = x.shape[-2:]
    positions = torch.arange(N) if positions is None else torch.as_tensor(positions)
    if positions.shape != (N,):
        raise ValueError(f"positions must have shape ({N},), one per token, got {tuple(positions.shape)}.")
    angles = rope_angles(positions, d, base).to(x.dtype)                 # (N, d/2)
    cos, sin = torch.cos(angles), torch.sin(angles)                       # (N, d/2)
    x1, x2 = x[..., 0::2], x[..., 1::2]                                   # (..., N, d/2) each
    rotated = torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)   # (..., N, d/2, 2)
    return rotated.flatten(-2)                                            # (..., N, d) pairs interleaved again


def rope_rotation_matrix(position: float, head_dim: int, base: float = 10000.0) -> torch.Tensor:
    """The (d, d) block-diagonal rotation R_m that :func:`apply_rope` applies at position m (for teaching and tests).

    Defined in :ref:`sec-advances-rope` (Eq. :eq:`eq-advances-rope`).

    Parameters
    ----------
    position : float
        m.
    head_dim : int
        d, even.
    base : float

    Returns
    -------
    (d, d) Tensor of float64
        Orthogonal; ``apply_rope(x)[m] == R_m @ x[m]``.

    Examples
    --------
    >>> R = rope_rotation_matrix(3, 4)
    >>> bool(torch.allclose(R.T @ R, torch.eye(4, dtype=torch.float64)))
    True
    """
    d = check_int(head_dim, "head_dim")
    angles = rope_angles(torch.tensor([float(position)]), d, base)[0]    # (d/2,)
    R = torch.zeros(d, d, dtype=torch.float64)
    c, s = torch.cos(angles), torch.sin(angles)
    i = torch.arange(0, d, 2)
    R[i, i], R[i, i + 1], R[i + 1, i], R[i + 1, i + 1] = c, -s, s, c     # [[c, -s], [s, c]] per pair
    return R
