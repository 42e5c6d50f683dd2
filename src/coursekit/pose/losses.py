"""Training losses of Chapter 7's pose networks: heatmap regression with intermediate supervision, and
direct coordinate regression.

A convolutional pose machine (CPM) stacks S stages; each one sees the image features and the previous
stage's heatmaps and outputs a better set of heatmaps. Every stage gets its own loss against the same
target ("intermediate supervision"), so the early stages receive a gradient directly instead of only through
all the later ones. DeepPose instead regresses the 2K coordinates with a fully connected head.

References
----------
S.-E. Wei, V. Ramakrishna, T. Kanade and Y. Sheikh, "Convolutional Pose Machines", CVPR 2016 (the loss summed
over stages).
A. Toshev and C. Szegedy, "DeepPose: Human Pose Estimation via Deep Neural Networks", CVPR 2014
(coordinate regression).
J. Li et al., "Human Pose Regression with Residual Log-likelihood Estimation", ICCV 2021 (why an L1 loss
suits coordinate regression better than L2).
"""

from __future__ import annotations

import torch

from coursekit.core.validation import check_shape

__all__ = ["heatmap_loss", "coordinate_loss"]


def _weights(weight, B: int, K: int, like: torch.Tensor) -> torch.Tensor:
    if weight is None:
        return torch.ones(B, K, dtype=like.dtype, device=like.device)
    if not isinstance(weight, torch.Tensor):
        raise ValueError(f"weight must be a (B, K) tensor, got {type(weight).__name__}.")
    check_shape(weight, "B K", "weight", B=B, K=K)
    return weight.to(like.dtype)


def heatmap_loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared heatmap error, summed over the stages of a multi-stage network.

    Defined in :ref:`sec-pose-stages` (Eq. :eq:`eq-pose-stage-loss`).

    Parameters
    ----------
    pred : (B, S, K, H, W) or (B, K, H, W) Tensor of float
        The heatmaps of each of S stages (a 4-D tensor is one stage).
    target : (B, K, H, W) Tensor of float
        Gaussian targets (:func:`coursekit.pose.gaussian_heatmaps`).
    weight : (B, K) Tensor of float, optional
        Per-keypoint weights, e.g. 1 for labelled keypoints and 0 for unlabelled ones. Default: all 1.

    Returns
    -------
    0-d Tensor
        ``Σ_t (1 / BKHW) Σ_{b,k,i,j} w_{bk} (H^t_{bkij} − H*_{bkij})²``.

    Notes
    -----
    Each stage's term is ``F.mse_loss`` when all weights are 1; summing (not averaging) over the stages keeps
    every stage's gradient as large as if it were the last one.

    Examples
    --------
    >>> t = torch.zeros(2, 3, 4, 4)
    >>> heatmap_loss(torch.ones(2, 2, 3, 4, 4), t)           # two stages, each off by 1 everywhere
    tensor(2.)
    """
    if not isinstance(pred, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise ValueError("pred and target must be torch tensors.")
    sizes = check_shape(target, "B K H W", "target")
    if pred.ndim == 4:
        pred = pred.unsqueeze(1)                                           # (B, 1, K, H, W)
    check_shape(pred, "B S K H W", "pred", **{k: sizes[k] for k in "BKHW"})
    w = _weights(weight, sizes["B"], sizes["K"], pred)                     # (B, K)
    sq = (pred - target.unsqueeze(1)) ** 2                                 # (B, S, K, H, W)
    per_stage = (sq * w[:, None, :, None, None]).mean(dim=(0, 2, 3, 4))    # (S,)
    return per_stage.sum()


def coordinate_loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean absolute error of regressed keypoint coordinates (the L1 loss).

    Defined in :ref:`sec-pose-regression` (Eq. :eq:`eq-pose-coordinate-loss`).

    Parameters
    ----------
    pred, target : (B, K, 2) Tensor of float
        ``(x, y)`` per keypoint, in any common unit (e.g. pixels divided by the image size).
    weight : (B, K) Tensor of float, optional
        Per-keypoint weights. Default: all 1.

    Returns
    -------
    0-d Tensor
        ``(1 / 2BK) Σ_{b,k} w_{bk} (|x̂ − x| + |ŷ − y|)``; equals ``F.l1_loss`` when all weights are 1.

    Examples
    --------
    >>> coordinate_loss(torch.tensor([[[1.0, 2.0]]]), torch.tensor([[[0.0, 0.0]]]))
    tensor(1.5000)
    """
    if not isinstance(pred, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise ValueError("pred and target must be torch tensors.")
    sizes = check_shape(target, "B K 2", "target")
    check_shape(pred, "B K 2", "pred", B=sizes["B"], K=sizes["K"])
    w = _weights(weight, sizes["B"], sizes["K"], pred)                     # (B, K)
    return ((pred - target).abs() * w[..., None]).mean()
