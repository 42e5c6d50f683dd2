"""Non-maximum suppression: greedy NMS, NMS per class, and Soft-NMS (Chapter 5, Object detection).

A detector fires many overlapping boxes on one object. Greedy NMS keeps the best-scoring box and deletes
every box that overlaps it by more than a threshold, then repeats with what is left. Soft-NMS lowers the
scores of overlapping boxes instead of deleting them, so that a second object hiding behind the first can
still be found. The conventions are torchvision's ``nms`` and ``batched_nms``: a box is suppressed when its
IoU with a kept box is *strictly greater* than the threshold, and the kept indices come back sorted by
decreasing score (ties keep their input order).

References
----------
P. Felzenszwalb, R. Girshick, D. McAllester and D. Ramanan, "Object detection with discriminatively trained
part-based models", TPAMI 2010 (greedy NMS as detectors use it).
N. Bodla, B. Singh, R. Chellappa and L. Davis, "Soft-NMS — improving object detection with one line of
code", ICCV 2017.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_choice, check_fraction, check_nonnegative, check_positive
from coursekit.detection.boxes import _check_xyxy, box_iou

__all__ = ["nms", "batched_nms", "soft_nms"]


def _check_scores(boxes, scores) -> tuple[np.ndarray, np.ndarray]:
    boxes = _check_xyxy(boxes, "boxes")
    scores = np.asarray(scores) if not isinstance(scores, np.ndarray) else scores
    check_array(scores, "scores", ndim=1, dtype_kind="fiu")
    if scores.shape[0] != boxes.shape[0]:
        raise ValueError(f"scores must have one entry per box ({boxes.shape[0]}), got {scores.shape[0]}.")
    return boxes, scores.astype(np.float64, copy=False)


def nms(boxes, scores, iou_threshold: float = 0.5) -> np.ndarray:
    """Greedy non-maximum suppression: keep the best box, drop those overlapping it, repeat.

    Defined in :ref:`sec-detection-nms` (Eq. :eq:`eq-nms`).

    Parameters
    ----------
    boxes : (N, 4) array_like of float
        ``xyxy`` boxes.
    scores : (N,) array_like of float
        Confidence of each box.
    iou_threshold : float
        A box whose IoU with a kept, higher-scoring box is ``> iou_threshold`` is removed.

    Returns
    -------
    (N_keep,) ndarray of int64
        Indices of the kept boxes, by decreasing score (torchvision's ``nms``).

    Notes
    -----
    1. Order the boxes by decreasing score (a stable sort, so ties keep their input order).
    2. Walk down the list: the first box not yet suppressed is kept; every later box whose IoU with it
       exceeds the threshold is suppressed.

    The IoU matrix is computed once, so the cost is O(N²) in time and memory.

    Examples
    --------
    >>> boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30]], float)
    >>> nms(boxes, np.array([0.9, 0.8, 0.7]), iou_threshold=0.5).tolist()
    [0, 2]
    """
    boxes, scores = _check_scores(boxes, scores)
    iou_threshold = check_fraction(iou_threshold, "iou_threshold")
    order = np.argsort(-scores, kind="stable")                   # (N,) best first
    iou = box_iou(boxes[order], boxes[order])                    # (N, N) in sorted order
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(order[i])
        suppressed[i + 1:] |= iou[i, i + 1:] > iou_threshold      # everything it covers, further down
    return np.array(keep, dtype=np.int64)


def batched_nms(boxes, scores, labels, iou_threshold: float = 0.5) -> np.ndarray:
    """NMS separately within each class: a cat box never suppresses a dog box.

    Defined in :ref:`sec-detection-nms` (Eq. :eq:`eq-nms`).

    Parameters
    ----------
    boxes : (N, 4) array_like of float
    scores : (N,) array_like of float
    labels : (N,) array_like of int
        Class of each box.
    iou_threshold : float

    Returns
    -------
    (N_keep,) ndarray of int64
        Indices of the boxes kept in their class, by decreasing score over all classes (torchvision's
        ``batched_nms``).

    Notes
    -----
    Run :func:`nms` on the boxes of each class, gather the survivors, sort them by score. (torchvision
    gets the same result in one call by shifting each class's boxes so far apart that they cannot overlap.)

    Examples
    --------
    >>> boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10]], float)
    >>> batched_nms(boxes, np.array([0.9, 0.8]), np.array([0, 1])).tolist()
    [0, 1]
    """
    boxes, scores = _check_scores(boxes, scores)
    labels = np.asarray(labels) if not isinstance(labels, np.ndarray) else labels
    check_array(labels, "labels", ndim=1, dtype_kind="iu", shape=(boxes.shape[0],))
    keep = [np.flatnonzero(labels == k)[nms(boxes[labels == k], scores[labels == k], iou_threshold)]
            for k in np.unique(labels)]
    keep = np.concatenate(keep) if keep else np.zeros(0, dtype=np.int64)
    return keep[np.argsort(-scores[keep], kind="stable")].astype(np.int64)


def soft_nms(boxes, scores, method: str = "gaussian", sigma: float = 0.5, iou_threshold: float = 0.3,
             score_threshold: float = 0.001) -> tuple[np.ndarray, np.ndarray]:
    """Soft-NMS: instead of deleting overlapping boxes, multiply their scores by a decay of the IoU.

    Defined in :ref:`sec-detection-nms` (Eq. :eq:`eq-soft-nms`).

    Parameters
    ----------
    boxes : (N, 4) array_like of float
    scores : (N,) array_like of float
    method : {"gaussian", "linear", "hard"}
        The decay ``f(IoU)``: ``exp(-IoU² / sigma)``; ``1 - IoU`` when ``IoU >= iou_threshold`` (else 1);
        or 0 when ``IoU > iou_threshold`` (else 1), which is greedy NMS.
    sigma : float
        Width of the Gaussian decay (the paper's default 0.5).
    iou_threshold : float
        Threshold ``N_t`` of the linear and hard decays.
    score_threshold : float
        Boxes whose (decayed) score drops below this are discarded.

    Returns
    -------
    keep : (N_keep,) ndarray of int64
        Indices of the kept boxes in the order they were selected (which is by decreasing new score).
    new_scores : (N_keep,) ndarray of float64
        Their scores after the decays.

    Notes
    -----
    Bodla et al.'s Algorithm 1:

    1. Select the box ``M`` with the highest current score; remove it from the candidates.
    2. Multiply every remaining candidate's score by ``f(IoU(M, b_i))``.
    3. Repeat until no candidate is left; drop selected boxes whose score is below ``score_threshold``.

    References
    ----------
    N. Bodla, B. Singh, R. Chellappa and L. Davis, "Soft-NMS", ICCV 2017.

    Examples
    --------
    >>> boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], float)
    >>> keep, s = soft_nms(boxes, np.array([0.9, 0.8]), method="linear", iou_threshold=0.3)
    >>> keep.tolist(), s.round(3).tolist()          # the duplicate's score 0.8 is multiplied by 1 - IoU = 0
    ([0], [0.9])
    """
    boxes, scores = _check_scores(boxes, scores)
    method = check_choice(method, "method", ("gaussian", "linear", "hard"))
    sigma = check_positive(sigma, "sigma")
    iou_threshold = check_fraction(iou_threshold, "iou_threshold")
    score_threshold = check_nonnegative(score_threshold, "score_threshold")
    s = scores.copy()                                             # (N,) current scores
    iou = box_iou(boxes, boxes)                                   # (N, N)
    alive = np.ones(len(s), dtype=bool)
    keep, kept_scores = [], []
    while alive.any():
        m = int(np.flatnonzero(alive)[np.argmax(s[alive])])        # best remaining (first among ties)
        alive[m] = False
        if s[m] < score_threshold:
            break                                                 # every other candidate is lower still
        keep.append(m)
        kept_scores.append(s[m])
        o = iou[m, alive]                                         # IoU of M with the other candidates
        if method == "gaussian":
            decay = np.exp(-o ** 2 / sigma)
        elif method == "linear":
            decay = np.where(o >= iou_threshold, 1.0 - o, 1.0)
        else:
            decay = np.where(o > iou_threshold, 0.0, 1.0)
        s[alive] *= decay
    return np.array(keep, dtype=np.int64), np.array(kept_scores, dtype=np.float64)
