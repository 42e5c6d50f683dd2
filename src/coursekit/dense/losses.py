"""Losses for segmentation: soft Dice next to cross-entropy, and how each spreads its gradient over the classes.

Chapter 6 (Segmentation and depth). Cross-entropy is a sum over pixels, so a class that covers 1% of the image
contributes about 1% of the loss and of the gradient: a network can score a low loss by painting everything
background. The soft Dice loss is a ratio per class — overlap over size — so every class weighs the same whatever
its area, which is why medical imaging (a small lesion in a large scan) adopted it. Dice on its own has noisy
gradients when a class is nearly absent, so practice often trains on ``CE + Dice``.

References
----------
F. Milletari, N. Navab and S.-A. Ahmadi, "V-Net: fully convolutional neural networks for volumetric medical image
segmentation", 3DV 2016 (the soft Dice loss).
C. H. Sudre et al., "Generalised Dice overlap as a deep learning loss function for highly unbalanced
segmentations", DLMIA 2017.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_nonnegative, check_shape

__all__ = ["soft_dice_loss", "SoftDiceLoss", "ce_dice_loss", "gradient_share_by_class"]


def _check(logits, target):
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise ValueError(f"logits must be a float tensor (B, K, H, W), got {type(logits).__name__}.")
    sizes = check_shape(logits, "B K H W", "logits")
    if not isinstance(target, torch.Tensor) or target.dtype != torch.int64:
        raise ValueError("target must be an int64 tensor (B, H, W) of class indices; use target.long().")
    check_shape(target, "B H W", "target", B=sizes["B"], H=sizes["H"], W=sizes["W"])
    if target.numel() and (target.min() < 0 or target.max() >= sizes["K"]):
        raise ValueError(f"target holds labels outside 0 .. {sizes['K'] - 1}.")
    return sizes["K"]


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """Soft Dice loss ``1 - (1/K) sum_k (2 sum p_k g_k + eps) / (sum p_k + sum g_k + eps)``.

    Defined in :ref:`sec-seg-dice-loss` (Eq. :eq:`eq-soft-dice-loss`).

    Parameters
    ----------
    logits : (B, K, H, W) Tensor of float
        Unnormalised class scores; ``p = softmax(logits)`` over K.
    target : (B, H, W) Tensor of int64
        Class of every pixel; ``g = one_hot(target)``.
    eps : float
        Smoothing (>= 0): keeps a class that is absent from both target and prediction at Dice 1 instead of 0/0.

    Returns
    -------
    () Tensor
        In [0, 1]; sums run over the batch and the pixels, one ratio per class.

    Notes
    -----
    1. ``p = softmax(logits, dim=1)``, ``g = one_hot(target)``, both (B, K, H, W).
    2. Per class: ``I_k = sum p_k g_k`` (soft overlap), ``S_k = sum p_k + sum g_k`` (soft sizes).
    3. ``Dice_k = (2 I_k + eps) / (S_k + eps)``; the loss is ``1 - mean_k Dice_k``.

    With ``eps = 0`` and one-hot ``p`` it is 1 minus the mean Dice of :func:`coursekit.metrics.segmentation.dice_per_class`.

    Examples
    --------
    >>> target = torch.tensor([[[0, 1], [1, 1]]])                       # (1, 2, 2)
    >>> perfect = 100.0 * F.one_hot(target, 2).permute(0, 3, 1, 2).float()
    >>> round(soft_dice_loss(perfect, target, eps=0.0).item(), 6)
    0.0
    """
    K = _check(logits, target)
    eps = check_nonnegative(eps, "eps")
    p = logits.softmax(dim=1)                                           # (B, K, H, W)
    g = F.one_hot(target, K).permute(0, 3, 1, 2).to(p.dtype)            # (B, H, W, K) -> (B, K, H, W)
    inter = (p * g).sum(dim=(0, 2, 3))                                  # (K,) soft |A ∩ B|
    sizes = p.sum(dim=(0, 2, 3)) + g.sum(dim=(0, 2, 3))                 # (K,) soft |A| + |B|
    dice = (2 * inter + eps) / (sizes + eps)                            # (K,)
    return 1 - dice.mean()


class SoftDiceLoss(nn.Module):
    """Module twin of :func:`soft_dice_loss`.

    Defined in :ref:`sec-seg-dice-loss`.

    Examples
    --------
    >>> SoftDiceLoss(eps=1.0)(torch.zeros(1, 3, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long)).shape
    torch.Size([])
    """

    def __init__(self, eps: float = 1.0):
        super().__init__()
        self.eps = check_nonnegative(eps, "eps")

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return soft_dice_loss(logits, target, self.eps)


def ce_dice_loss(logits: torch.Tensor, target: torch.Tensor, dice_weight: float = 1.0,
                 eps: float = 1.0) -> torch.Tensor:
    """Cross-entropy plus ``dice_weight`` times the soft Dice loss: the usual recipe for segmentation.

    Defined in :ref:`sec-seg-dice-loss` (Eq. :eq:`eq-soft-dice-loss`).

    Parameters
    ----------
    logits : (B, K, H, W) Tensor of float
    target : (B, H, W) Tensor of int64
    dice_weight : float
        >= 0; 0 gives plain cross-entropy.
    eps : float
        Smoothing of the Dice term.

    Returns
    -------
    () Tensor

    Examples
    --------
    >>> z, y = torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long)
    >>> round(ce_dice_loss(z, y, dice_weight=0.0).item(), 4)           # CE of a uniform guess: log 2
    0.6931
    """
    _check(logits, target)
    w = check_nonnegative(dice_weight, "dice_weight")
    ce = F.cross_entropy(logits, target)
    return ce + w * soft_dice_loss(logits, target, eps) if w > 0 else ce


def gradient_share_by_class(loss_fn: Callable, logits: torch.Tensor, target: torch.Tensor) -> np.ndarray:
    """Fraction of a loss's gradient (L1 norm over the logits) that falls on the pixels of each true class.

    Defined in :ref:`sec-seg-dice-loss`.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(logits, target) -> () Tensor``.
    logits : (B, K, H, W) Tensor of float
    target : (B, H, W) Tensor of int64

    Returns
    -------
    (K,) ndarray of float64
        Sums to 1 (NaN if the gradient is exactly zero). Under cross-entropy a pixel's gradient is
        ``(p - y) / (B H W)``, so a class's share is its pixel count times its pixels' mean error: a rare class
        gets a rare gradient unless its pixels are very wrong.

    Examples
    --------
    >>> y = torch.zeros(1, 4, 4, dtype=torch.long); y[0, 0, 0] = 1     # one pixel of class 1 in 16
    >>> share = gradient_share_by_class(F.cross_entropy, torch.zeros(1, 2, 4, 4), y)
    >>> share.round(4)                                                 # uniform logits: 1/16 of the gradient
    array([0.9375, 0.0625])
    """
    K = _check(logits, target)
    z = logits.detach().clone().requires_grad_(True)
    loss_fn(z, target).backward()
    per_pixel = z.grad.abs().sum(dim=1)                                 # (B, H, W) |∂L/∂z| summed over K
    share = torch.zeros(K, dtype=torch.float64)
    share.index_add_(0, target.reshape(-1), per_pixel.reshape(-1).double())
    total = share.sum()
    return (share / total).numpy() if total > 0 else np.full(K, np.nan)
