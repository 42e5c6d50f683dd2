"""Objects as centre points: heatmap targets, the penalty-reduced focal loss and decoding (Chapter 5).

An anchor-free one-stage detector (CenterNet, "objects as points") predicts, on a grid of stride ``s``, one
heatmap per class whose peaks are object centres, plus at every cell the centre's offset inside the cell and
the box size. Training targets are Gaussian bumps around each centre, so that the cells next to a centre are
only mildly penalised for firing; decoding keeps confident cells and removes duplicates with NMS.

References
----------
X. Zhou, D. Wang and P. Krähenbühl, "Objects as points", arXiv:1904.07850, 2019 (CenterNet).
H. Law and J. Deng, "CornerNet: detecting objects as paired keypoints", ECCV 2018 (the penalty-reduced focal loss).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from coursekit.core.validation import check_int, check_positive
from coursekit.detection.boxes import _check_xyxy
from coursekit.detection.nms import batched_nms

__all__ = ["center_targets", "heatmap_focal_loss", "decode_centers"]


def center_targets(boxes, labels, num_classes: int, grid_size: int, stride: float):
    """Per-class Gaussian heatmaps and per-cell box targets for a batch of images.

    Defined in :ref:`sec-detection-tiny` (Eq. :eq:`eq-center-targets`).

    Parameters
    ----------
    boxes : list of B (N_b, 4) ndarrays of float
        ``xyxy`` boxes in pixels.
    labels : list of B (N_b,) ndarrays of int
        Classes ``0 .. K-1``.
    num_classes : int
        K.
    grid_size : int
        G: the heatmaps are G × G (image side / stride).
    stride : float
        Pixels per cell.

    Returns
    -------
    heat : (B, K, G, G) ndarray of float32 in [0, 1]
        1 at each object's centre cell, ``exp(-d² / 2σ²)`` around it with ``σ = max(w, h) / (6 s)`` cells.
    reg : (B, 4, G, G) ndarray of float32
        At centre cells: ``(x/s - j, y/s - i, log(w/s), log(h/s))`` (offset in the cell, log size in cells).
    pos : (B, G, G) ndarray of bool
        The centre cells (where ``reg`` is trained).

    Examples
    --------
    >>> heat, reg, pos = center_targets([np.array([[4.0, 4, 12, 12]])], [np.array([1])], 2, 4, 4.0)
    >>> heat.shape, np.argwhere(pos[0]).tolist(), reg[0, :, 2, 2].astype(float).round(3).tolist()
    ((1, 2, 4, 4), [[2, 2]], [0.0, 0.0, 0.693, 0.693])
    """
    K, G = check_int(num_classes, "num_classes"), check_int(grid_size, "grid_size")
    s = check_positive(stride, "stride")
    if len(boxes) != len(labels):
        raise ValueError(f"boxes and labels need one entry per image, got {len(boxes)} and {len(labels)}.")
    B = len(boxes)
    heat = np.zeros((B, K, G, G), np.float32)
    reg = np.zeros((B, 4, G, G), np.float32)
    pos = np.zeros((B, G, G), bool)
    gy, gx = np.mgrid[0:G, 0:G] + 0.5                                  # (G, G) cell centres, in cells
    for b in range(B):
        bx = _check_xyxy(boxes[b], f"boxes[{b}]")
        for (x0, y0, x1, y1), k in zip(bx, np.asarray(labels[b])):
            if not 0 <= k < K:
                raise ValueError(f"labels[{b}] contains {k}, outside 0..{K - 1}.")
            cx, cy = (x0 + x1) / 2 / s, (y0 + y1) / 2 / s                  # centre in cells
            j, i = min(int(cx), G - 1), min(int(cy), G - 1)
            sigma = max(x1 - x0, y1 - y0) / (6 * s)
            bump = np.exp(-((gx - j - 0.5) ** 2 + (gy - i - 0.5) ** 2) / (2 * sigma ** 2))
            heat[b, k] = np.maximum(heat[b, k], bump)
            heat[b, k, i, j] = 1.0
            pos[b, i, j] = True
            reg[b, :, i, j] = [cx - j, cy - i, np.log((x1 - x0) / s), np.log((y1 - y0) / s)]
    return heat, reg, pos


def heatmap_focal_loss(logits: torch.Tensor, heat: torch.Tensor, alpha: float = 2.0, beta: float = 4.0) -> torch.Tensor:
    """CornerNet/CenterNet's penalty-reduced focal loss, summed and divided by the number of peaks.

    Defined in :ref:`sec-detection-tiny` (Eq. :eq:`eq-center-loss`).

    Parameters
    ----------
    logits : (B, K, G, G) Tensor of float
    heat : (B, K, G, G) Tensor of float
        Targets from :func:`center_targets` (exactly 1 at the peaks).
    alpha, beta : float
        Focusing exponent on ``p`` (2) and the penalty reduction ``(1 - y)^β`` near peaks (4).

    Returns
    -------
    Tensor (scalar)
        ``-(1/N) Σ [y = 1] (1 - p)^α log p + [y < 1] (1 - y)^β p^α log(1 - p)``, ``N`` = number of peaks (≥ 1).

    Examples
    --------
    >>> heat = torch.zeros(1, 1, 2, 2); heat[0, 0, 0, 0] = 1
    >>> round(heatmap_focal_loss(torch.zeros(1, 1, 2, 2), heat).item(), 4)     # (1/4) log 2 + 3 (1/4) log 2
    0.6931
    """
    if logits.shape != heat.shape or logits.ndim != 4:
        raise ValueError(f"logits and heat must both be (B, K, G, G), got {tuple(logits.shape)} and {tuple(heat.shape)}.")
    p = torch.sigmoid(logits)
    peak = (heat == 1).to(logits.dtype)
    log_p, log_not_p = F.logsigmoid(logits), F.logsigmoid(-logits)     # stable log p and log(1 - p)
    loss = peak * (1 - p) ** alpha * log_p + (1 - peak) * (1 - heat) ** beta * p ** alpha * log_not_p
    return -loss.sum() / peak.sum().clamp(min=1)


@torch.no_grad()
def decode_centers(heat_logits: torch.Tensor, reg: torch.Tensor, stride: float, score_threshold: float = 0.05,
                   top_k: int = 20, iou_threshold: float = 0.5) -> list[dict]:
    """Turn heatmaps and box maps into detections: top cells, boxes, then NMS per class.

    Defined in :ref:`sec-detection-tiny` (Eq. :eq:`eq-center-targets`).

    Parameters
    ----------
    heat_logits : (B, K, G, G) Tensor of float
    reg : (B, 4, G, G) Tensor of float
        Raw outputs: the offsets go through a sigmoid, the log sizes through ``exp``.
    stride : float
    score_threshold : float
        Cells with ``σ(logit)`` below this are dropped.
    top_k : int
        At most this many cells per image before NMS.
    iou_threshold : float
        Of :func:`coursekit.detection.nms.batched_nms`.

    Returns
    -------
    list of B dicts
        ``{"boxes": (D, 4) xyxy float64, "scores": (D,), "labels": (D,) int64}``, by decreasing score.

    Examples
    --------
    >>> logits = torch.full((1, 1, 4, 4), -9.0); logits[0, 0, 2, 1] = 3.0
    >>> out = decode_centers(logits, torch.zeros(1, 4, 4, 4), stride=4)
    >>> out[0]["boxes"].tolist(), out[0]["labels"].tolist()      # offsets σ(0) = ½, sizes e⁰ = 1 cell
    ([[4.0, 8.0, 8.0, 12.0]], [0])
    """
    B, K, G, _ = heat_logits.shape
    scores = torch.sigmoid(heat_logits).reshape(B, -1)                   # (B, K*G*G)
    out = []
    for b in range(B):
        v, idx = scores[b].topk(min(top_k, scores.shape[1]))
        v, idx = v[v >= score_threshold], idx[v >= score_threshold]
        k, cell = idx // (G * G), idx % (G * G)
        i, j = cell // G, cell % G
        cx = (j + torch.sigmoid(reg[b, 0, i, j])) * stride
        cy = (i + torch.sigmoid(reg[b, 1, i, j])) * stride
        w, h = torch.exp(reg[b, 2, i, j]) * stride, torch.exp(reg[b, 3, i, j]) * stride
        boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=1).double().numpy()
        keep = batched_nms(boxes, v.double().numpy(), k.numpy(), iou_threshold)
        out.append({"boxes": boxes[keep], "scores": v.double().numpy()[keep], "labels": k.numpy()[keep].astype(np.int64)})
    return out
