"""NeRF's positional encoding γ(p) = (p, sin(2^k π p), cos(2^k π p)), k = 0 … L−1.

Chapter 9 (NeRF). An MLP on raw coordinates can only fit smooth functions (spectral bias); feeding it
sines and cosines of growing frequency lets it fit sharp edges and textures.

References
----------
B. Mildenhall et al., "NeRF: Representing scenes as neural radiance fields for view synthesis", ECCV 2020,
sec. 5.1.
M. Tancik et al., "Fourier features let networks learn high frequency functions in low dimensional
domains", NeurIPS 2020.
"""

from __future__ import annotations

import math

import torch

from coursekit.core.validation import check_int

__all__ = ["positional_encoding", "encoding_dim"]


def encoding_dim(d: int, L: int, include_input: bool = True) -> int:
    """Width of γ(p) for d-dimensional inputs: ``2 d L`` (+ d with the input itself).

    Defined in :ref:`sec-nerf-encoding`.

    Parameters
    ----------
    d, L : int
    include_input : bool

    Returns
    -------
    int

    Examples
    --------
    >>> encoding_dim(3, 10), encoding_dim(3, 4)
    (63, 27)
    """
    d, L = check_int(d, "d"), check_int(L, "L", minimum=0)
    return 2 * d * L + (d if include_input else 0)


def positional_encoding(p: torch.Tensor, L: int, include_input: bool = True) -> torch.Tensor:
    """Encode coordinates with L octaves of sines and cosines.

    Defined in :ref:`sec-nerf-encoding` (Eq. :eq:`eq-nerf-pe`).

    Parameters
    ----------
    p : (N, d) Tensor of float
    L : int
        Number of frequencies ``2^0 π … 2^(L−1) π`` (0: identity, if ``include_input``).
    include_input : bool
        Put ``p`` itself first.

    Returns
    -------
    (N, encoding_dim(d, L, include_input)) Tensor
        ``[p, sin(2^0 π p), cos(2^0 π p), …, sin(2^(L−1) π p), cos(2^(L−1) π p)]``.

    Examples
    --------
    >>> (positional_encoding(torch.tensor([[0.5]], dtype=torch.float64), 2).round(decimals=6) + 0.0).tolist()
    [[0.5, 1.0, 0.0, 0.0, -1.0]]
    """
    if p.ndim != 2:
        raise ValueError(f"p must have shape (N, d), got {tuple(p.shape)}.")
    L = check_int(L, "L", minimum=0)
    freqs = (2.0 ** torch.arange(L, dtype=p.dtype)) * math.pi                # (L,)
    x = p[:, None, :] * freqs[:, None]                                      # (N, L, d)
    enc = torch.stack([torch.sin(x), torch.cos(x)], dim=2).reshape(len(p), -1)   # (N, 2 L d)
    return torch.cat([p, enc], dim=-1) if include_input else enc
