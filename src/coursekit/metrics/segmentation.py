"""Segmentation metrics: the confusion matrix, IoU per class, mean IoU, Dice, pixel accuracy and panoptic quality.

Chapter 6 (Segmentation and depth). Every score here is a ratio of pixel counts taken from one K × K confusion
matrix accumulated over the *whole* evaluation set (the PASCAL VOC / Cityscapes convention), not averaged
image by image. A class that appears neither in the prediction nor in the ground truth has no IoU: it is
reported as NaN and left out of the mean. Per class, Dice and IoU are tied by Dice = 2 IoU / (1 + IoU).

References
----------
M. Everingham et al., "The PASCAL Visual Object Classes (VOC) challenge", IJCV 88, 2010 (IoU, mean IoU).
L. R. Dice, "Measures of the amount of ecologic association between species", Ecology 26(3), 1945.
A. Kirillov et al., "Panoptic segmentation", CVPR 2019 (panoptic quality PQ = SQ · RQ).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int

__all__ = ["confusion_matrix", "iou_per_class", "mean_iou", "dice_per_class", "dice_from_iou",
           "pixel_accuracy", "panoptic_quality"]


def _labels(pred, target, num_classes):
    K = check_int(num_classes, "num_classes", minimum=1)
    pred = check_array(np.asarray(pred) if isinstance(pred, list) else pred, "pred", dtype_kind="iub")
    target = check_array(np.asarray(target) if isinstance(target, list) else target, "target", dtype_kind="iub")
    if pred.shape != target.shape:
        raise ValueError(f"pred has shape {pred.shape} and target {target.shape}: they must label the same pixels.")
    return pred.astype(np.int64).ravel(), target.astype(np.int64).ravel(), K   # (P,), (P,)


def confusion_matrix(pred, target, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """Pixel counts ``M[i, j]`` of ground-truth class ``i`` predicted as class ``j``.

    Defined in :ref:`sec-seg-metrics` (Eq. :eq:`eq-iou-per-class`).

    Parameters
    ----------
    pred, target : (...) ndarray of int
        Label maps of one shape (one image ``(H, W)`` or a batch ``(B, H, W)``), values in ``0 .. K-1``.
    num_classes : int
        K.
    ignore_index : int, optional
        Pixels whose *target* has this label are not counted (e.g. 255, "void", in PASCAL VOC).

    Returns
    -------
    (K, K) ndarray of int64
        Rows are the true classes, columns the predicted ones; the diagonal holds the true positives.

    Notes
    -----
    One ``np.bincount`` of the combined index ``K · target + pred`` counts every (true, predicted) pair.

    Examples
    --------
    >>> confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3)
    array([[1, 0, 0],
           [0, 1, 0],
           [0, 1, 1]])
    """
    p, t, K = _labels(pred, target, num_classes)
    if ignore_index is not None:
        keep = t != ignore_index
        p, t = p[keep], t[keep]
    for name, a in (("pred", p), ("target", t)):
        if a.size and (a.min() < 0 or a.max() >= K):
            raise ValueError(f"{name} has labels outside 0 .. {K - 1} (found {a.min()} .. {a.max()}); "
                             "check num_classes, or pass ignore_index for void pixels.")
    return np.bincount(K * t + p, minlength=K * K).reshape(K, K)       # (K, K)


def _per_class(cm):
    tp = np.diag(cm).astype(np.float64)                                 # (K,)
    fp = cm.sum(axis=0) - tp                                            # predicted k, truly another class
    fn = cm.sum(axis=1) - tp                                            # truly k, predicted another class
    return tp, fp, fn


def iou_per_class(pred, target, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """Intersection over union of each class, ``TP_k / (TP_k + FP_k + FN_k)``.

    Defined in :ref:`sec-seg-metrics` (Eq. :eq:`eq-iou-per-class`).

    Parameters
    ----------
    pred, target : (...) ndarray of int
        Label maps of one shape, values in ``0 .. K-1``.
    num_classes : int
        K.
    ignore_index : int, optional
        Target label whose pixels are not counted.

    Returns
    -------
    (K,) ndarray of float64
        IoU of every class; NaN for a class absent from both ``pred`` and ``target`` (0/0).

    Examples
    --------
    >>> iou_per_class(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 3)
    array([0.5       , 0.66666667,        nan])
    """
    tp, fp, fn = _per_class(confusion_matrix(pred, target, num_classes, ignore_index))
    union = tp + fp + fn                                                # |A ∪ B| per class
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / np.maximum(union, 1), np.nan)


def mean_iou(pred, target, num_classes: int, ignore_index: int | None = None) -> float:
    """Mean IoU over the classes that occur in the prediction or the ground truth.

    Defined in :ref:`sec-seg-metrics` (Eq. :eq:`eq-miou`).

    Returns
    -------
    float
        The mean of :func:`iou_per_class` ignoring NaN; NaN if no class occurs at all.

    Examples
    --------
    >>> round(mean_iou(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 3), 4)
    0.5833
    """
    iou = iou_per_class(pred, target, num_classes, ignore_index)
    return float(np.nanmean(iou)) if np.any(~np.isnan(iou)) else float("nan")


def dice_per_class(pred, target, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """Dice coefficient (F1 score) of each class, ``2 TP_k / (2 TP_k + FP_k + FN_k) = 2|A∩B| / (|A| + |B|)``.

    Defined in :ref:`sec-seg-metrics` (Eq. :eq:`eq-dice`).

    Returns
    -------
    (K,) ndarray of float64
        NaN for a class absent from both maps.

    Examples
    --------
    >>> dice_per_class(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2)
    array([0.66666667, 0.8       ])
    """
    tp, fp, fn = _per_class(confusion_matrix(pred, target, num_classes, ignore_index))
    total = 2 * tp + fp + fn                                            # |A| + |B|
    return np.where(total > 0, 2 * tp / np.maximum(total, 1), np.nan)


def dice_from_iou(iou):
    """Convert IoU to Dice with the identity ``Dice = 2 IoU / (1 + IoU)``.

    Defined in :ref:`sec-seg-metrics` (Eq. :eq:`eq-dice-iou`).

    Parameters
    ----------
    iou : float or ndarray of float
        Values in [0, 1] (NaN passes through).

    Returns
    -------
    float or ndarray of float64
        Dice, never smaller than the IoU it came from (equal only at 0 and 1).

    Notes
    -----
    With ``I = |A∩B|`` and ``U = |A∪B|``: ``|A| + |B| = U + I``, so Dice ``= 2I / (U + I)``; divide by U.

    Examples
    --------
    >>> dice_from_iou(np.array([0.0, 0.5, 1.0]))
    array([0.        , 0.66666667, 1.        ])
    """
    iou = np.asarray(iou, dtype=np.float64)
    if np.any((iou < 0) | (iou > 1)):
        raise ValueError("iou must lie in [0, 1].")
    return 2 * iou / (1 + iou)


def pixel_accuracy(pred, target, num_classes: int, ignore_index: int | None = None) -> float:
    """Fraction of pixels labelled correctly: ``trace(M) / sum(M)``.

    Defined in :ref:`sec-seg-metrics`.

    Dominated by large classes (the background); shown in the chapter to contrast it with mean IoU.

    Examples
    --------
    >>> pixel_accuracy(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2)
    0.75
    """
    cm = confusion_matrix(pred, target, num_classes, ignore_index)
    return float(np.trace(cm) / cm.sum()) if cm.sum() else float("nan")


def panoptic_quality(pred_ids, pred_classes, true_ids, true_classes) -> dict:
    """Panoptic quality of one image: ``PQ = SQ · RQ`` with segments matched at IoU > 0.5.

    Defined in :ref:`sec-seg-tasks` (Eq. :eq:`eq-panoptic-quality`).

    Parameters
    ----------
    pred_ids, true_ids : (H, W) ndarray of int
        Segment id of every pixel; 0 is "no segment" (void), which is not scored.
    pred_classes, true_classes : dict of int to int
        The class of each segment id (ids > 0).

    Returns
    -------
    dict
        ``{"PQ", "SQ", "RQ", "TP", "FP", "FN"}``: SQ is the mean IoU of the matched pairs, RQ their F1
        score ``TP / (TP + FP/2 + FN/2)``; PQ, SQ and RQ are NaN when there are no segments at all.

    Notes
    -----
    1. Count the pixels shared by every (predicted, true) pair of segments of the same class.
    2. A pair with IoU > 0.5 is a match (at most one is possible per segment, since segments do not overlap).
    3. Unmatched predicted segments are false positives, unmatched true ones false negatives.

    Examples
    --------
    >>> t = np.array([[1, 1, 2, 2]]); p = np.array([[1, 1, 1, 2]])
    >>> r = panoptic_quality(p, {1: 0, 2: 0}, t, {1: 0, 2: 0})
    >>> r["TP"], r["FP"], r["FN"], round(r["PQ"], 3)
    (1, 1, 1, 0.333)
    """
    pred_ids = check_array(pred_ids, "pred_ids", ndim=2, dtype_kind="iu")
    true_ids = check_array(true_ids, "true_ids", ndim=2, dtype_kind="iu", shape=pred_ids.shape)
    for ids, classes, name in ((pred_ids, pred_classes, "pred"), (true_ids, true_classes, "true")):
        missing = set(np.unique(ids[ids > 0]).tolist()) - set(classes)
        if missing:
            raise ValueError(f"{name}_classes has no class for segment ids {sorted(missing)}.")
    p_ids = [i for i in np.unique(pred_ids).tolist() if i > 0]
    t_ids = [i for i in np.unique(true_ids).tolist() if i > 0]
    area_p = {i: int((pred_ids == i).sum()) for i in p_ids}
    area_t = {j: int((true_ids == j).sum()) for j in t_ids}
    matched_p, matched_t, ious = set(), set(), []
    for i in p_ids:
        for j in t_ids:
            if pred_classes[i] != true_classes[j]:
                continue
            inter = int(((pred_ids == i) & (true_ids == j)).sum())
            iou = inter / (area_p[i] + area_t[j] - inter)
            if iou > 0.5:
                matched_p.add(i)
                matched_t.add(j)
                ious.append(iou)
    tp, fp, fn = len(ious), len(p_ids) - len(matched_p), len(t_ids) - len(matched_t)
    if tp + fp + fn == 0:
        return {"PQ": float("nan"), "SQ": float("nan"), "RQ": float("nan"), "TP": 0, "FP": 0, "FN": 0}
    sq = float(np.mean(ious)) if ious else 0.0
    rq = tp / (tp + 0.5 * fp + 0.5 * fn)
    return {"PQ": sq * rq, "SQ": sq, "RQ": rq, "TP": tp, "FP": fp, "FN": fn}
