"""Normalisation and residual scaling of modern transformers: RMSNorm, LayerScale, and gradient norms per block.

Chapter 14 (Transformer advances). RMSNorm drops LayerNorm's re-centring and keeps only the division by the root
mean square; LayerScale multiplies each residual branch by a learned per-channel γ that starts tiny, so a deep
stack starts close to the identity. :func:`block_gradient_norms` measures the gradient reaching each block, the
quantity that separates Post-LN from Pre-LN stacks at initialisation.

References
----------
B. Zhang and R. Sennrich, "Root mean square layer normalization", NeurIPS 2019 (RMSNorm).
H. Touvron et al., "Going deeper with image transformers", ICCV 2021 (CaiT: LayerScale).
R. Xiong et al., "On layer normalization in the transformer architecture", ICML 2020 (Post-LN vs Pre-LN gradients).
"""

from __future__ import annotations

import torch
from torch import nn

from coursekit.core.validation import check_int, check_positive

__all__ = ["rms_norm", "RMSNorm", "LayerScale", "block_gradient_norms"]


def rms_norm(x: torch.Tensor, weight: torch.Tensor | None = None, eps: float = 1e-6) -> torch.Tensor:
    """RMSNorm(x) = x / sqrt(mean(x²) + ε) · g, over the last axis.

    Defined in :ref:`sec-advances-norms` (Eq. :eq:`eq-advances-rmsnorm`).

    Parameters
    ----------
    x : (..., D) Tensor of float
    weight : (D,) Tensor, optional
        The learned gain g (default all ones).
    eps : float
        ε > 0 inside the square root (``torch.nn.RMSNorm`` with ``eps=None`` uses the dtype's machine epsilon).

    Returns
    -------
    (..., D) Tensor
        Each row has root mean square ≈ 1 (times g). Unlike LayerNorm the mean is *not* subtracted.

    Examples
    --------
    >>> rms_norm(torch.tensor([[3.0, 4.0]]), eps=0.0)      # rms = √((9 + 16)/2)
    tensor([[0.8485, 1.1314]])
    """
    if not isinstance(x, torch.Tensor) or x.ndim < 1 or not x.dtype.is_floating_point:
        raise ValueError(f"x must be a float tensor of shape (..., D), got {getattr(x, 'shape', type(x).__name__)}.")
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}.")
    if weight is not None and weight.shape != x.shape[-1:]:
        raise ValueError(f"weight must have shape ({x.shape[-1]},), got {tuple(weight.shape)}.")
    rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)          # (..., 1)
    y = x / rms                                                           # (..., D)
    return y if weight is None else y * weight


class RMSNorm(nn.Module):
    """The module twin of :func:`rms_norm`, with the parameter name of ``torch.nn.RMSNorm`` (``weight``).

    Defined in :ref:`sec-advances-norms` (Eq. :eq:`eq-advances-rmsnorm`).

    Parameters
    ----------
    d_model : int
        D, the normalised (last) axis.
    eps : float
        ε.

    Examples
    --------
    >>> RMSNorm(4)(torch.ones(2, 4)).shape
    torch.Size([2, 4])
    """

    def __init__(self, d_model: int, eps: float = 1e-6):
        super().__init__()
        self.d_model = check_int(d_model, "d_model")
        self.eps = float(eps)
        self.weight = nn.Parameter(torch.ones(d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., D) → (..., D)."""
        return rms_norm(x, self.weight, self.eps)


class LayerScale(nn.Module):
    """LayerScale: multiply a residual branch by a learned per-channel γ that starts at ``init`` (≈ 1e-5 … 0.1).

    Defined in :ref:`sec-advances-layerscale` (Eq. :eq:`eq-advances-layerscale`).

    Parameters
    ----------
    d_model : int
        D.
    init : float
        The starting value of every γ_c (> 0). Small values make each block start near the identity.

    Examples
    --------
    >>> LayerScale(3, init=0.1)(torch.ones(1, 3))
    tensor([[0.1000, 0.1000, 0.1000]], grad_fn=<MulBackward0>)
    """

    def __init__(self, d_model: int, init: float = 1e-5):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((check_int(d_model, "d_model"),), check_positive(init, "init")))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., D) → (..., D): x · γ, channel by channel."""
        if x.shape[-1] != self.gamma.shape[0]:
            raise ValueError(f"x must have shape (..., {self.gamma.shape[0]}), got {tuple(x.shape)}.")
        return x * self.gamma


def block_gradient_norms(blocks, x: torch.Tensor, target: torch.Tensor, head: nn.Module | None = None) -> list[float]:
    """The norm of the gradient of a squared-error loss with respect to each block's weights, first block first.

    Defined in :ref:`sec-advances-norms` (Eq. :eq:`eq-advances-pre-post`).

    Parameters
    ----------
    blocks : sequence of nn.Module
        Applied in order, each (B, N, D) → (B, N, D).
    x : (B, N, D) Tensor
        The input of the first block.
    target : (B, N, D) Tensor
        The loss is L = mean((output − target)²), a generic regression loss (use a random target: the mean
        square of a LayerNorm's output alone would be a constant, with no gradient to the blocks).
    head : nn.Module, optional
        Applied after the last block (e.g. the final LayerNorm a Pre-LN stack has).

    Returns
    -------
    list of float
        ‖∂L/∂θ_l‖₂ for block l = 1 … L.

    Examples
    --------
    >>> norms = block_gradient_norms([nn.Linear(4, 4), nn.Linear(4, 4)], torch.ones(2, 3, 4), torch.zeros(2, 3, 4))
    >>> len(norms)
    2
    """
    for block in blocks:
        block.zero_grad(set_to_none=True)
    h = x
    for block in blocks:
        h = block(h)                                                       # (B, N, D)
    if head is not None:
        h = head(h)
    if target.shape != h.shape:
        raise ValueError(f"target must have the output's shape {tuple(h.shape)}, got {tuple(target.shape)}.")
    (h - target).pow(2).mean().backward()
    out = []
    for block in blocks:
        sq = sum(float(p.grad.pow(2).sum()) for p in block.parameters() if p.grad is not None)
        out.append(sq ** 0.5)
    return out
