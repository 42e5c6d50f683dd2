"""Segmentation as mask classification (MaskFormer), on toy inputs: set targets, matching, loss, inference.

Chapter 6 (Segmentation and depth). A per-pixel classifier answers "which class is this pixel?" H·W times.
MaskFormer answers "which regions are there, and what is each?": Q learned queries each predict one binary
mask and one class distribution over K classes plus "no object" (∅). Training matches the Q predictions to the
N ground-truth segments one-to-one (the Hungarian algorithm, as in DETR), so the same model does semantic,
instance and panoptic segmentation — only the targets change. Here the network is replaced by given logits,
to see the bookkeeping alone.

References
----------
B. Cheng, A. G. Schwing and A. Kirillov, "Per-pixel classification is not all you need for semantic
segmentation", NeurIPS 2021 (MaskFormer; semantic inference, Sec. 3.4).
N. Carion et al., "End-to-end object detection with transformers", ECCV 2020 (set prediction by matching).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from coursekit.core.numerics import log_softmax, sigmoid, softmax
from coursekit.core.validation import check_array, check_int, check_nonnegative

__all__ = ["masks_from_semantic", "mask_matching_cost", "match_masks", "mask_classification_loss",
           "mask_classification_inference"]


def masks_from_semantic(semantic, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """A semantic map as a *set* of segments: one binary mask and one class per class present.

    Defined in :ref:`sec-seg-mask-classification`.

    Parameters
    ----------
    semantic : (H, W) ndarray of int
        Labels in ``0 .. K-1``.
    num_classes : int
        K.

    Returns
    -------
    classes : (N,) ndarray of int64
        The N classes present, ascending.
    masks : (N, H, W) ndarray of bool
        Their masks (disjoint, covering the image).

    Examples
    --------
    >>> c, m = masks_from_semantic(np.array([[0, 2], [2, 2]]), 3)
    >>> c, m.sum(axis=(1, 2))
    (array([0, 2]), array([1, 3]))
    """
    semantic = check_array(semantic, "semantic", ndim=2, dtype_kind="iu")
    K = check_int(num_classes, "num_classes")
    if semantic.min() < 0 or semantic.max() >= K:
        raise ValueError(f"semantic holds labels outside 0 .. {K - 1}.")
    classes = np.unique(semantic).astype(np.int64)                      # (N,)
    return classes, semantic[None] == classes[:, None, None]            # (N, H, W)


def _check_preds(class_logits, mask_logits):
    class_logits = check_array(class_logits, "class_logits", ndim=2, dtype_kind="f")
    mask_logits = check_array(mask_logits, "mask_logits", ndim=3, dtype_kind="f")
    if class_logits.shape[0] != mask_logits.shape[0]:
        raise ValueError(f"class_logits {class_logits.shape} and mask_logits {mask_logits.shape} must have one "
                         "row per query (Q).")
    if class_logits.shape[1] < 2:
        raise ValueError("class_logits must have K + 1 columns (K classes and 'no object' last), K >= 1.")
    return class_logits, mask_logits


def _dice_cost(m_prob, gt):
    """``1 - 2|m∩g| / (|m| + |g|)`` for every (query, segment) pair: (Q, HW) x (N, HW) -> (Q, N)."""
    inter = m_prob @ gt.T                                               # (Q, N)
    return 1 - (2 * inter + 1) / (m_prob.sum(1)[:, None] + gt.sum(1)[None, :] + 1)


def _bce_cost(m_logit, gt):
    """Mean binary cross-entropy of every query's mask against every segment: (Q, N)."""
    pos = np.logaddexp(0, -m_logit)                                     # (Q, HW) -log sigmoid(z)
    neg = np.logaddexp(0, m_logit)                                      # (Q, HW) -log(1 - sigmoid(z))
    return (pos @ gt.T + neg @ (1 - gt).T) / gt.shape[1]                # (Q, N)


def mask_matching_cost(class_logits, mask_logits, gt_classes, gt_masks, w_class: float = 1.0,
                       w_bce: float = 1.0, w_dice: float = 1.0) -> np.ndarray:
    """Cost of assigning query q to segment n: ``-w_c p_q(c_n) + w_b BCE(m_q, g_n) + w_d Dice(m_q, g_n)``.

    Defined in :ref:`sec-seg-mask-classification` (Eq. :eq:`eq-mask-matching-cost`).

    Parameters
    ----------
    class_logits : (Q, K+1) ndarray of float
        Class scores of every query; the last column is "no object".
    mask_logits : (Q, H, W) ndarray of float
        Mask scores of every query (a pixel is in the mask when its sigmoid is > 0.5).
    gt_classes : (N,) ndarray of int
        Classes of the N ground-truth segments, in ``0 .. K-1``.
    gt_masks : (N, H, W) ndarray of bool
    w_class, w_bce, w_dice : float
        Weights of the three terms (>= 0).

    Returns
    -------
    (Q, N) ndarray of float64

    Examples
    --------
    >>> gt = np.array([[[True, False]]]); z = np.array([[[5.0, -5.0]], [[-5.0, 5.0]]])   # (2, 1, 2)
    >>> cost = mask_matching_cost(np.zeros((2, 3)), z, np.array([0]), gt)
    >>> bool(cost[0, 0] < cost[1, 0])                                   # query 0 drew the right mask
    True
    """
    class_logits, mask_logits = _check_preds(class_logits, mask_logits)
    gt_masks = check_array(gt_masks, "gt_masks", ndim=3, dtype_kind="b", shape=(None,) + mask_logits.shape[1:])
    gt_classes = check_array(np.asarray(gt_classes), "gt_classes", ndim=1, dtype_kind="iu", shape=(gt_masks.shape[0],))
    Q, K1 = class_logits.shape
    if gt_classes.size and gt_classes.max() >= K1 - 1:
        raise ValueError(f"gt_classes must lie in 0 .. {K1 - 2} (the last column is 'no object').")
    w_class, w_bce, w_dice = (check_nonnegative(w, n) for w, n in ((w_class, "w_class"), (w_bce, "w_bce"),
                                                                    (w_dice, "w_dice")))
    p = softmax(class_logits, axis=1)                                   # (Q, K+1)
    z = mask_logits.reshape(Q, -1)                                      # (Q, HW)
    g = gt_masks.reshape(gt_masks.shape[0], -1).astype(np.float64)      # (N, HW)
    return -w_class * p[:, gt_classes] + w_bce * _bce_cost(z, g) + w_dice * _dice_cost(sigmoid(z), g)


def match_masks(cost) -> tuple[np.ndarray, np.ndarray]:
    """The one-to-one assignment of queries to segments with the smallest total cost (Hungarian algorithm).

    Defined in :ref:`sec-seg-mask-classification` (Eq. :eq:`eq-mask-matching-cost`).

    Parameters
    ----------
    cost : (Q, N) ndarray of float
        Q >= N: every segment gets a query, the rest of the queries get "no object".

    Returns
    -------
    query_idx, gt_idx : (N,) ndarray of int64
        Query ``query_idx[i]`` is matched to segment ``gt_idx[i]``.

    Examples
    --------
    >>> match_masks(np.array([[5.0, 1.0], [1.0, 5.0], [3.0, 3.0]]))   # segment 0 -> query 1, 1 -> query 0
    (array([1, 0]), array([0, 1]))
    """
    cost = check_array(cost, "cost", ndim=2, dtype_kind="fiu")
    if cost.shape[0] < cost.shape[1]:
        raise ValueError(f"need at least as many queries as segments, got cost of shape {cost.shape}.")
    q, n = linear_sum_assignment(cost)                                  # not the lesson here: scipy's solver
    order = np.argsort(n)
    return q[order].astype(np.int64), n[order].astype(np.int64)


def mask_classification_loss(class_logits, mask_logits, gt_classes, gt_masks, w_bce: float = 1.0,
                             w_dice: float = 1.0, no_object_weight: float = 0.1) -> float:
    """MaskFormer's loss after matching: class cross-entropy for every query, mask losses for matched ones.

    Defined in :ref:`sec-seg-mask-classification` (Eq. :eq:`eq-mask-classification-loss`).

    Parameters
    ----------
    class_logits : (Q, K+1) ndarray of float
    mask_logits : (Q, H, W) ndarray of float
    gt_classes : (N,) ndarray of int
    gt_masks : (N, H, W) ndarray of bool
    w_bce, w_dice : float
        Weights of the binary cross-entropy and Dice mask losses.
    no_object_weight : float
        Weight of the cross-entropy of unmatched queries (their target is "no object"); MaskFormer uses 0.1.

    Returns
    -------
    float
        ``sum_q w_q CE(p_q, c_q) / sum_q w_q + (1/N) sum_matched (w_b BCE + w_d Dice)``.

    Examples
    --------
    >>> gt = np.array([[[True, False]]])
    >>> good = mask_classification_loss(np.array([[9.0, -9.0], [-9.0, 9.0]]),
    ...                                 np.array([[[9.0, -9.0]], [[0.0, 0.0]]]), np.array([0]), gt)
    >>> bool(good < 0.01)
    True
    """
    class_logits, mask_logits = _check_preds(class_logits, mask_logits)
    Q, K1 = class_logits.shape
    cost = mask_matching_cost(class_logits, mask_logits, gt_classes, gt_masks, 1.0, w_bce, w_dice)
    qi, ni = match_masks(cost)
    target = np.full(Q, K1 - 1)                                         # (Q,) "no object" by default
    target[qi] = np.asarray(gt_classes)[ni]
    weight = np.where(np.isin(np.arange(Q), qi), 1.0, check_nonnegative(no_object_weight, "no_object_weight"))
    ce = -log_softmax(class_logits, axis=1)[np.arange(Q), target]       # (Q,)
    loss = float(np.sum(weight * ce) / np.sum(weight))
    if len(ni):
        z = mask_logits.reshape(Q, -1)[qi]                              # (N, HW) matched masks
        g = gt_masks.reshape(len(gt_masks), -1)[ni].astype(np.float64)  # (N, HW)
        bce = np.diag(_bce_cost(z, g))                                  # (N,)
        dice = np.diag(_dice_cost(sigmoid(z), g))
        loss += float(np.mean(w_bce * bce + w_dice * dice))
    return loss


def mask_classification_inference(class_logits, mask_logits) -> np.ndarray:
    """Semantic map from Q (class, mask) pairs: ``argmax_k sum_q p_q(k) · sigmoid(m_q)`` per pixel.

    Defined in :ref:`sec-seg-mask-classification` (Eq. :eq:`eq-mask-classification-inference`).

    Parameters
    ----------
    class_logits : (Q, K+1) ndarray of float
        The last column ("no object") is dropped before the argmax.
    mask_logits : (Q, H, W) ndarray of float

    Returns
    -------
    (H, W) ndarray of int64
        Classes in ``0 .. K-1``.

    Examples
    --------
    >>> cls = np.array([[9.0, -9.0, -9.0], [-9.0, 9.0, -9.0]])          # query 0: class 0, query 1: class 1
    >>> masks = np.array([[[9.0, -9.0]], [[-9.0, 9.0]]])                # (2, 1, 2)
    >>> mask_classification_inference(cls, masks)
    array([[0, 1]])
    """
    class_logits, mask_logits = _check_preds(class_logits, mask_logits)
    p = softmax(class_logits, axis=1)[:, :-1]                           # (Q, K) without "no object"
    scores = np.einsum("qk,qhw->khw", p, sigmoid(mask_logits))          # (K, H, W)
    return scores.argmax(axis=0).astype(np.int64)
