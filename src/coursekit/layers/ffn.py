"""The gated feed-forward network SwiGLU and the width that matches a GELU network's parameter count.

Chapter 14 (Transformer advances). A transformer's feed-forward network is W₂ σ(W₁ x). SwiGLU multiplies the
activated branch by a second, linear branch: W₂ (SiLU(W₁ x) ⊙ W₃ x). It has three matrices instead of two, so a
hidden width of 2/3 · 4D keeps the parameter count of the 4D-wide two-matrix network.

References
----------
N. Shazeer, "GLU variants improve transformer", arXiv 2020.
Y. Dauphin et al., "Language modeling with gated convolutional networks", ICML 2017 (gated linear units).
H. Touvron et al., "LLaMA: open and efficient foundation language models", arXiv 2023 (SwiGLU at 2/3 · 4D).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_int

__all__ = ["swiglu", "swiglu_hidden_width", "SwiGLU"]


def swiglu(x: torch.Tensor, w1: torch.Tensor, w3: torch.Tensor, w2: torch.Tensor) -> torch.Tensor:
    """SwiGLU(x) = W₂ (SiLU(W₁ x) ⊙ W₃ x), without biases; SiLU(z) = z · sigmoid(z).

    Defined in :ref:`sec-advances-swiglu` (Eq. :eq:`eq-advances-swiglu`).

    Parameters
    ----------
    x : (..., D) Tensor of float
    w1, w3 : (H, D) Tensor
        The gate and the value branch (rows = hidden units, as ``nn.Linear``).
    w2 : (D, H) Tensor
        The output projection.

    Returns
    -------
    (..., D) Tensor

    Examples
    --------
    >>> x = torch.ones(1, 2)
    >>> swiglu(x, torch.ones(3, 2), torch.ones(3, 2), torch.ones(2, 3)).round(decimals=3)   # 3 · (2·σ(2)) · 2
    tensor([[10.5700, 10.5700]])
    """
    D = x.shape[-1]
    if w1.ndim != 2 or w1.shape[1] != D or w3.shape != w1.shape or w2.shape != (D, w1.shape[0]):
        raise ValueError(f"expected w1, w3 (H, {D}) and w2 ({D}, H), got {tuple(w1.shape)}, {tuple(w3.shape)} "
                         f"and {tuple(w2.shape)}.")
    gate = F.silu(x @ w1.T)                                               # (..., H) SiLU(W₁ x)
    value = x @ w3.T                                                      # (..., H) W₃ x
    return (gate * value) @ w2.T                                          # (..., D)


def swiglu_hidden_width(d_model: int, expansion: int = 4, multiple_of: int = 1) -> int:
    """H = 2/3 · expansion · D, rounded up to a multiple: SwiGLU with H has about the parameters of a 4D-wide MLP.

    Defined in :ref:`sec-advances-swiglu` (Eq. :eq:`eq-advances-swiglu`).

    Parameters
    ----------
    d_model : int
        D.
    expansion : int
        The width factor of the two-matrix network it replaces (4).
    multiple_of : int
        Round H up to a multiple of this (hardware-friendly sizes, 256 in LLaMA).

    Returns
    -------
    int

    Examples
    --------
    >>> swiglu_hidden_width(4096, multiple_of=256)           # LLaMA-7B's 11,008
    11008
    """
    D, m = check_int(d_model, "d_model"), check_int(multiple_of, "multiple_of")
    H = math.ceil(2 * check_int(expansion, "expansion") * D / 3)
    return m * math.ceil(H / m)


class SwiGLU(nn.Module):
    """The module twin of :func:`swiglu`: three bias-free ``nn.Linear`` layers ``w1``, ``w3`` (D → H), ``w2`` (H → D).

    Defined in :ref:`sec-advances-swiglu` (Eq. :eq:`eq-advances-swiglu`).

    Parameters
    ----------
    d_model : int
        D.
    hidden : int, optional
        H (default :func:`swiglu_hidden_width` of D).
    generator : torch.Generator, optional
        Draws the initial weights (``nn.Linear``'s U(-1/√fan_in, 1/√fan_in)).

    Examples
    --------
    >>> ffn = SwiGLU(12)
    >>> ffn.hidden, sum(p.numel() for p in ffn.parameters())   # 3 · 12 · 32 = 1152 vs 2 · 12 · 48 = 1152
    (32, 1152)
    """

    def __init__(self, d_model: int, hidden: int | None = None, generator: torch.Generator | None = None):
        super().__init__()
        D = check_int(d_model, "d_model")
        self.hidden = swiglu_hidden_width(D) if hidden is None else check_int(hidden, "hidden")
        self.w1 = nn.Linear(D, self.hidden, bias=False)
        self.w3 = nn.Linear(D, self.hidden, bias=False)
        self.w2 = nn.Linear(self.hidden, D, bias=False)
        for layer in (self.w1, self.w3, self.w2):
            bound = 1.0 / math.sqrt(layer.in_features)
            nn.init.uniform_(layer.weight, -bound, bound, generator=generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., D) → (..., D)."""
        return swiglu(x, self.w1.weight, self.w3.weight, self.w2.weight)
