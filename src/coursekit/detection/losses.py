"""Detection losses: YOLO's sum-squared loss and the sigmoid focal loss of RetinaNet (Chapter 5).

YOLO (v1) regresses, in every cell of an ``S × S`` grid, ``B`` boxes with a confidence each and one set of
class scores, and trains all of it with one weighted sum of squared errors. The focal loss scales the binary
cross-entropy of every (anchor, class) pair by ``(1 - p_t)^γ``, so that the many easy background anchors of a
dense detector stop dominating the few objects. Both follow the papers; the focal loss matches the
semantics of torchvision's ``sigmoid_focal_loss`` (arguments, defaults and reductions).

References
----------
J. Redmon, S. Divvala, R. Girshick and A. Farhadi, "You only look once: unified, real-time object
detection", CVPR 2016.
T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal loss for dense object detection", ICCV 2017.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_array, check_choice, check_int, check_nonnegative

__all__ = ["sigmoid_focal_loss", "SigmoidFocalLoss", "yolo_loss", "yolo_loss_loops", "YOLOLoss"]

_REDUCTIONS = ("none", "mean", "sum")


def sigmoid_focal_loss(inputs: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0,
                       reduction: str = "none") -> torch.Tensor:
    """Focal loss ``-α_t (1 - p_t)^γ log p_t`` on independent sigmoid outputs (RetinaNet).

    Defined in :ref:`sec-detection-losses` (Eq. :eq:`eq-sigmoid-focal-loss`).

    Parameters
    ----------
    inputs : Tensor of float, any shape
        Logits, one per (anchor or cell, class).
    targets : Tensor of float, same shape
        Binary labels in {0, 1} (soft labels in [0, 1] are accepted).
    alpha : float
        Weight ``α`` of the positives (``1 - α`` of the negatives); a negative value turns weighting off.
    gamma : float
        Focusing exponent ``γ >= 0``; ``γ = 0`` and ``alpha < 0`` give plain binary cross-entropy.
    reduction : {"none", "mean", "sum"}

    Returns
    -------
    Tensor
        The loss per element (``"none"``, same shape as ``inputs``) or its mean or sum.

    Notes
    -----
    With ``p = σ(x)``: ``p_t = p`` for a positive and ``1 - p`` for a negative, ``CE = -log p_t`` (computed
    stably from the logit by ``binary_cross_entropy_with_logits``), ``α_t = α`` or ``1 - α``. An easy
    negative with ``p_t = 0.99`` is down-weighted by ``(0.01)² = 10⁻⁴`` at ``γ = 2``. RetinaNet sums the loss
    over all anchors and divides by the number of positive anchors.

    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal loss for dense object detection", ICCV 2017.

    Examples
    --------
    >>> x, t = torch.tensor([3.0, -3.0, 0.0]), torch.tensor([1.0, 0.0, 1.0])
    >>> sigmoid_focal_loss(x, t).round(decimals=5)
    tensor([3.0000e-05, 8.0000e-05, 4.3320e-02])
    """
    if not isinstance(inputs, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise ValueError("inputs and targets must be torch tensors.")
    if inputs.shape != targets.shape:
        raise ValueError(f"inputs and targets must have the same shape, got {tuple(inputs.shape)} and "
                         f"{tuple(targets.shape)}.")
    if not inputs.is_floating_point():
        raise ValueError(f"inputs must be float logits, got {inputs.dtype}.")
    gamma = check_nonnegative(gamma, "gamma")
    reduction = check_choice(reduction, "reduction", _REDUCTIONS)
    targets = targets.to(inputs.dtype)
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")     # -log p_t
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


class SigmoidFocalLoss(nn.Module):
    """Module twin of :func:`sigmoid_focal_loss`.

    Defined in :ref:`sec-detection-losses` (Eq. :eq:`eq-sigmoid-focal-loss`).

    Parameters
    ----------
    alpha, gamma, reduction
        As in :func:`sigmoid_focal_loss`.

    Examples
    --------
    >>> SigmoidFocalLoss(reduction="sum")(torch.zeros(4), torch.ones(4)).item() > 0
    True
    """

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "none"):
        super().__init__()
        self.alpha, self.gamma, self.reduction = alpha, gamma, reduction

    def forward(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return sigmoid_focal_loss(inputs, targets, self.alpha, self.gamma, self.reduction)


def _check_yolo(pred, target, n_boxes: int):
    if pred.ndim != 4 or target.ndim != 4 or pred.shape[:3] != target.shape[:3] or pred.shape[1] != pred.shape[2]:
        raise ValueError(f"pred must be (B, S, S, n_boxes*5 + K) and target (B, S, S, 5 + K) on the same grid, "
                         f"got {tuple(pred.shape)} and {tuple(target.shape)}.")
    K = target.shape[-1] - 5
    if K < 1 or pred.shape[-1] != n_boxes * 5 + K:
        raise ValueError(f"with {n_boxes} boxes per cell and K = {K} classes, pred needs {n_boxes * 5 + K} "
                         f"channels, got {pred.shape[-1]}.")
    return K


def _cell_boxes_xyxy(x, y, w, h, S: int, j, i):
    """Image-relative ``xyxy`` of boxes given in cell-relative centres ``(x, y)`` of cell ``(i, j)``."""
    cx, cy = (j + x) / S, (i + y) / S
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def yolo_loss(pred: torch.Tensor, target: torch.Tensor, n_boxes: int = 2, lambda_coord: float = 5.0,
              lambda_noobj: float = 0.5, rescore: bool = True, return_terms: bool = False):
    """YOLO v1's loss: λ_coord-weighted box errors on √w, √h, confidences, λ_noobj on empty predictors, classes.

    Defined in :ref:`sec-detection-losses` (Eq. :eq:`eq-yolo-loss`).

    Parameters
    ----------
    pred : (B, S, S, n_boxes·5 + K) Tensor of float
        Per cell, ``n_boxes`` predictors ``(x, y, √w, √h, C)`` then ``K`` class scores. ``(x, y)`` is the
        box centre relative to the cell (in [0, 1]); ``√w, √h`` are square roots of the width and height as
        fractions of the image (the network regresses the square roots, as in the paper).
    target : (B, S, S, 5 + K) Tensor of float
        Per cell ``(obj, x, y, w, h)`` then the one-hot class, for the object whose centre falls in the
        cell (``obj = 1``); all zeros for an empty cell.
    n_boxes : int
        Predictors per cell (the paper's B = 2).
    lambda_coord, lambda_noobj : float
        Weights of the box terms (5) and of the confidences of predictors without an object (0.5).
    rescore : bool
        Train the responsible predictor's confidence towards the IoU of its box with the object (the paper;
        Darknet's ``rescore=1``), treated as a constant; ``False``: towards 1.
    return_terms : bool
        Also return the five terms (summed over the batch, divided by B) in a dict.

    Returns
    -------
    Tensor (scalar), or (Tensor, dict of str to Tensor)
        The loss summed over cells and averaged over the batch.

    Notes
    -----
    1. In a cell with an object, the *responsible* predictor is the one whose box has the highest IoU with
       the object (the first of ties); ``1^obj_ij`` marks it, ``1^noobj_ij`` marks every other predictor.
    2. Box terms: ``(x - x̂)² + (y - ŷ)²`` and ``(√w - √ŵ)² + (√h - √ĥ)²`` for responsible predictors, times
       λ_coord. The square roots make a 2-pixel error cost more on a small box than on a large one.
    3. Confidence: ``(C - IoU)²`` for responsible predictors, ``λ_noobj C²`` for all others.
    4. Classes: ``Σ_c (p(c) - p̂(c))²`` in cells with an object.

    References
    ----------
    J. Redmon et al., "You only look once: unified, real-time object detection", CVPR 2016, Eq. (3).

    Examples
    --------
    >>> target = torch.zeros(1, 2, 2, 6); target[0, 0, 1] = torch.tensor([1, .5, .5, .25, .25, 1])
    >>> pred = torch.zeros(1, 2, 2, 11)                     # 2 predictors, K = 1, everything 0
    >>> yolo_loss(pred, target, rescore=False).item()   # 5·(.25 + .25) for x, y and for √w, √h; C: 1; class: 1
    7.0
    """
    n_boxes = check_int(n_boxes, "n_boxes")
    _check_yolo(pred, target, n_boxes)
    lambda_coord = check_nonnegative(lambda_coord, "lambda_coord")
    lambda_noobj = check_nonnegative(lambda_noobj, "lambda_noobj")
    B, S = pred.shape[0], pred.shape[1]
    boxes = pred[..., :n_boxes * 5].reshape(B, S, S, n_boxes, 5)              # (B, S, S, n_boxes, 5)
    obj = target[..., 0]                                                      # (B, S, S)
    t = target[..., 1:5].unsqueeze(3)                                         # (B, S, S, 1, 4)
    i = torch.arange(S, dtype=pred.dtype).view(1, S, 1, 1)                    # cell row
    j = torch.arange(S, dtype=pred.dtype).view(1, 1, S, 1)                    # cell column
    with torch.no_grad():                                                     # IoUs pick and rescore; no gradient
        pb = _cell_boxes_xyxy(boxes[..., 0], boxes[..., 1], boxes[..., 2] ** 2, boxes[..., 3] ** 2, S, j, i)
        tb = _cell_boxes_xyxy(t[..., 0], t[..., 1], t[..., 2], t[..., 3], S, j, i)
        iw = (torch.minimum(pb[2], tb[2]) - torch.maximum(pb[0], tb[0])).clamp(min=0)
        ih = (torch.minimum(pb[3], tb[3]) - torch.maximum(pb[1], tb[1])).clamp(min=0)
        inter = iw * ih                                                       # (B, S, S, n_boxes)
        union = (pb[2] - pb[0]) * (pb[3] - pb[1]) + (tb[2] - tb[0]) * (tb[3] - tb[1]) - inter
        iou = torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(inter))
        resp = F.one_hot(iou.argmax(dim=-1), n_boxes).to(pred.dtype) * obj.unsqueeze(-1)   # 1^obj_ij
    coord = (resp * ((boxes[..., 0] - t[..., 0]) ** 2 + (boxes[..., 1] - t[..., 1]) ** 2)).sum()
    size = (resp * ((boxes[..., 2] - t[..., 2].sqrt()) ** 2 + (boxes[..., 3] - t[..., 3].sqrt()) ** 2)).sum()
    conf_target = iou if rescore else torch.ones_like(iou)
    conf_obj = (resp * (boxes[..., 4] - conf_target) ** 2).sum()
    conf_noobj = ((1 - resp) * boxes[..., 4] ** 2).sum()
    cls = (obj * ((pred[..., n_boxes * 5:] - target[..., 5:]) ** 2).sum(-1)).sum()
    terms = {"coord": lambda_coord * coord / B, "size": lambda_coord * size / B, "conf_obj": conf_obj / B,
             "conf_noobj": lambda_noobj * conf_noobj / B, "class": cls / B}
    total = sum(terms.values())
    return (total, terms) if return_terms else total


def yolo_loss_loops(pred: np.ndarray, target: np.ndarray, n_boxes: int = 2, lambda_coord: float = 5.0,
                    lambda_noobj: float = 0.5, rescore: bool = True) -> float:
    """:func:`yolo_loss` written as the paper's sums, one cell and one predictor at a time (NumPy).

    Defined in :ref:`sec-detection-losses` (Eq. :eq:`eq-yolo-loss`).

    Parameters
    ----------
    pred : (B, S, S, n_boxes·5 + K) ndarray of float
    target : (B, S, S, 5 + K) ndarray of float
    n_boxes, lambda_coord, lambda_noobj, rescore
        As in :func:`yolo_loss`.

    Returns
    -------
    float
        The same number as :func:`yolo_loss`.

    Examples
    --------
    >>> target = np.zeros((1, 2, 2, 6)); target[0, 0, 1] = [1, .5, .5, .25, .25, 1]
    >>> yolo_loss_loops(np.zeros((1, 2, 2, 11)), target, rescore=False)
    7.0
    """
    check_array(pred, "pred", ndim=4, dtype_kind="f")
    check_array(target, "target", ndim=4, dtype_kind="f")
    K = _check_yolo(pred, target, check_int(n_boxes, "n_boxes"))
    B, S = pred.shape[:2]
    total = 0.0
    for b in range(B):
        for i in range(S):
            for j in range(S):
                cell, t = pred[b, i, j], target[b, i, j]
                preds = [cell[5 * k:5 * k + 5] for k in range(n_boxes)]
                if t[0] == 0:                                        # no object: only λ_noobj C²
                    total += sum(lambda_noobj * p[4] ** 2 for p in preds)
                    continue
                gt = _cell_boxes_xyxy(t[1], t[2], t[3], t[4], S, j, i)
                ious = [_iou_xyxy(_cell_boxes_xyxy(p[0], p[1], p[2] ** 2, p[3] ** 2, S, j, i), gt) for p in preds]
                r = int(np.argmax(ious))                             # the responsible predictor
                for k, p in enumerate(preds):
                    if k != r:
                        total += lambda_noobj * p[4] ** 2
                p = preds[r]
                total += lambda_coord * ((p[0] - t[1]) ** 2 + (p[1] - t[2]) ** 2)
                total += lambda_coord * ((p[2] - np.sqrt(t[3])) ** 2 + (p[3] - np.sqrt(t[4])) ** 2)
                total += (p[4] - (ious[r] if rescore else 1.0)) ** 2
                total += sum((cell[5 * n_boxes + c] - t[5 + c]) ** 2 for c in range(K))
    return float(total / B)


def _iou_xyxy(a, b) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - iw * ih
    return iw * ih / union if union > 0 else 0.0


class YOLOLoss(nn.Module):
    """Module twin of :func:`yolo_loss`.

    Defined in :ref:`sec-detection-losses` (Eq. :eq:`eq-yolo-loss`).

    Parameters
    ----------
    n_boxes, lambda_coord, lambda_noobj, rescore
        As in :func:`yolo_loss`.

    Examples
    --------
    >>> YOLOLoss()(torch.zeros(1, 2, 2, 11), torch.zeros(1, 2, 2, 6)).item()
    0.0
    """

    def __init__(self, n_boxes: int = 2, lambda_coord: float = 5.0, lambda_noobj: float = 0.5, rescore: bool = True):
        super().__init__()
        self.n_boxes, self.lambda_coord, self.lambda_noobj, self.rescore = n_boxes, lambda_coord, lambda_noobj, rescore

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return yolo_loss(pred, target, self.n_boxes, self.lambda_coord, self.lambda_noobj, self.rescore)
