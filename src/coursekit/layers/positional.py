"""Positional encodings: the sinusoidal table of the original transformer and a learned table.

Chapter 10 (Attention and transformers) shows why attention needs them (it is permutation-equivariant) and
that a sinusoidal code of position p + k is a fixed rotation of the code of p; Chapter 11 uses the learned
table for ViT's patches and Chapter 14 turns the rotation into RoPE.

References
----------
A. Vaswani et al., "Attention is all you need", NeurIPS 2017 (Section 3.5, the sinusoidal encoding).
J. Gehring et al., "Convolutional sequence to sequence learning", ICML 2017 (learned position embeddings).
"""

from __future__ import annotations

import torch
from torch import nn

from coursekit.core.validation import check_int, check_positive

__all__ = ["sinusoidal_positional_encoding", "sinusoidal_shift_matrix", "SinusoidalPositionalEncoding",
           "LearnedPositionalEncoding"]


def _check_even(d_model) -> int:
    d_model = check_int(d_model, "d_model")
    if d_model % 2:
        raise ValueError(f"d_model must be even (sines and cosines come in pairs), got {d_model}.")
    return d_model


def sinusoidal_positional_encoding(n_positions: int, d_model: int, base: float = 10000.0,
                                   dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The table PE(pos, 2i) = sin(pos / base^(2i/D)), PE(pos, 2i+1) = cos(pos / base^(2i/D)).

    Defined in :ref:`sec-attention-positional` (Eq. :eq:`eq-attention-sinusoidal-pe`).

    Parameters
    ----------
    n_positions : int
        N, positions 0 … N-1.
    d_model : int
        D (even): pair i of columns (2i, 2i+1) is one sinusoid of frequency ω_i = base^(-2i/D).
    base : float
        10,000 in the paper: wavelengths grow geometrically from 2π to about 2π·base.
    dtype : torch.dtype
        Computed in float64, then cast.

    Returns
    -------
    (N, D) Tensor of ``dtype``
        Values in [-1, 1]; row ``pos`` is the code added to the embedding of the token at ``pos``.

    Notes
    -----
    The exponent is 2i/D with i the index of the *pair*, so columns 2i and 2i+1 share one frequency: sine
    in the even column, cosine in the odd one.

    Examples
    --------
    >>> import math
    >>> pe = sinusoidal_positional_encoding(3, 4)
    >>> pe[0].tolist()                                    # sin 0 = 0, cos 0 = 1
    [0.0, 1.0, 0.0, 1.0]
    >>> round(pe[1, 2].item(), 4) == round(math.sin(1 / 10000 ** (2 / 4)), 4)
    True
    """
    n_positions = check_int(n_positions, "n_positions")
    d_model = _check_even(d_model)
    base = check_positive(base, "base")
    pos = torch.arange(n_positions, dtype=torch.float64)[:, None]            # (N, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)                  # (D/2,) the even column 2i
    angle = pos / base ** (two_i / d_model)                                   # (N, D/2) pos · ω_i
    pe = torch.empty(n_positions, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.to(dtype)


def sinusoidal_shift_matrix(offset: int, d_model: int, base: float = 10000.0,
                            dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The matrix R_k with PE(pos + k) = R_k PE(pos) for every pos: one 2×2 rotation per frequency.

    Defined in :ref:`sec-attention-positional` (Eq. :eq:`eq-attention-pe-shift`).

    Parameters
    ----------
    offset : int
        k (any integer, also negative).
    d_model : int
        D (even).
    base : float

    Returns
    -------
    (D, D) Tensor of ``dtype``
        Block diagonal; block i is [[cos kω_i, sin kω_i], [-sin kω_i, cos kω_i]], orthogonal, independent
        of pos. This is why a linear layer (or a dot product) can read relative offsets from the code.

    Examples
    --------
    >>> pe = sinusoidal_positional_encoding(20, 8, dtype=torch.float64)
    >>> R = sinusoidal_shift_matrix(5, 8)
    >>> bool(torch.allclose(pe[3:15] @ R.T, pe[8:20], atol=1e-12))
    True
    """
    offset = check_int(offset, "offset", minimum=None)
    d_model = _check_even(d_model)
    base = check_positive(base, "base")
    omega = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)   # (D/2,) frequencies
    c, s = torch.cos(offset * omega), torch.sin(offset * omega)                     # (D/2,)
    R = torch.zeros(d_model, d_model, dtype=torch.float64)
    i = torch.arange(0, d_model, 2)
    R[i, i], R[i, i + 1] = c, s                # sin(a + b) = sin a cos b + cos a sin b
    R[i + 1, i], R[i + 1, i + 1] = -s, c       # cos(a + b) = cos a cos b - sin a sin b
    return R.to(dtype)


class SinusoidalPositionalEncoding(nn.Module):
    """Adds the fixed sinusoidal table to a sequence of embeddings (no parameters).

    Defined in :ref:`sec-attention-positional` (Eq. :eq:`eq-attention-sinusoidal-pe`).

    Parameters
    ----------
    d_model : int
        D (even).
    max_positions : int
        Length of the stored table.
    base : float

    Examples
    --------
    >>> enc = SinusoidalPositionalEncoding(4, max_positions=10)
    >>> enc(torch.zeros(2, 3, 4), offset=1)[0, 0].tolist() == sinusoidal_positional_encoding(2, 4)[1].tolist()
    True
    """

    def __init__(self, d_model: int, max_positions: int = 512, base: float = 10000.0):
        super().__init__()
        self.max_positions = check_int(max_positions, "max_positions")
        self.register_buffer("pe", sinusoidal_positional_encoding(max_positions, d_model, base), persistent=False)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """``x`` (B, N, D) plus rows ``offset … offset + N - 1`` of the table."""
        n = x.shape[1]
        if offset + n > self.max_positions:
            raise ValueError(f"positions up to {offset + n - 1} requested, the table holds {self.max_positions}.")
        return x + self.pe[offset:offset + n].to(x.dtype)                   # (B, N, D)


class LearnedPositionalEncoding(nn.Module):
    """Adds one learned vector per position (GPT-2, BERT and ViT use this).

    Defined in :ref:`sec-attention-positional` (Eq. :eq:`eq-attention-sinusoidal-pe`).

    Parameters
    ----------
    max_positions : int
        N_max: a model with a learned table cannot read positions beyond it.
    d_model : int
    std : float
        Initial weights ~ N(0, std²), 0.02 as in GPT-2.
    generator : torch.Generator, optional
        Draws the initial table (torch's global generator if omitted, as ``torch.nn`` layers).

    Examples
    --------
    >>> enc = LearnedPositionalEncoding(8, 4, generator=torch.Generator().manual_seed(0))
    >>> enc(torch.zeros(2, 5, 4)).shape, enc.weight.shape
    (torch.Size([2, 5, 4]), torch.Size([8, 4]))
    """

    def __init__(self, max_positions: int, d_model: int, std: float = 0.02, generator: torch.Generator | None = None):
        super().__init__()
        self.max_positions = check_int(max_positions, "max_positions")
        self.weight = nn.Parameter(torch.empty(max_positions, check_int(d_model, "d_model")))
        nn.init.normal_(self.weight, 0.0, check_positive(std, "std"), generator=generator)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """``x`` (B, N, D) plus rows ``offset … offset + N - 1`` of the learned table."""
        n = x.shape[1]
        if offset + n > self.max_positions:
            raise ValueError(f"positions up to {offset + n - 1} requested, the learned table has "
                             f"{self.max_positions}: a learned encoding cannot extrapolate.")
        return x + self.weight[offset:offset + n]                           # (B, N, D)

