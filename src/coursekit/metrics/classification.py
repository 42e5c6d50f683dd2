"""Binary classification metrics: confusion counts, precision/recall/F1, ROC and PR curves, AUC and AP.

Chapter 3 (Machine learning recap), classical half. A score threshold turns scores into decisions;
sweeping it over every distinct score traces the ROC curve (TPR against FPR) and the precision-recall
curve. Tied scores are one threshold: the points they contain enter the curve together.

Average precision follows scikit-learn's definition, the step-wise sum ``sum_n (R_n - R_{n-1}) P_n``
(no interpolation, no trapezoids); the 11-point interpolated AP of PASCAL VOC 2007 is given for contrast.

References
----------
T. Fawcett, "An introduction to ROC analysis", Pattern Recognition Letters 27, 2006.
J. Davis and M. Goadrich, "The relationship between precision-recall and ROC curves", ICML 2006.
M. Everingham et al., "The PASCAL Visual Object Classes (VOC) challenge", IJCV 88, 2010 (11-point AP).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array

__all__ = [
    "confusion_counts", "precision_recall_f1", "threshold_counts", "roc_curve", "auc_trapezoid", "roc_auc",
    "precision_recall_curve", "average_precision", "average_precision_11pt",
]


def _check_binary(y_true, name="y_true") -> np.ndarray:
    y = check_array(y_true, name, ndim=1, dtype_kind="biuf")
    if y.size == 0:
        raise ValueError(f"{name} is empty.")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"{name} must hold 0/1 (or False/True) labels, got values {np.unique(y)[:5]}.")
    return y.astype(np.int64)


def _check_scores(y_true, scores):
    y = _check_binary(y_true)
    s = check_array(scores, "scores", ndim=1, dtype_kind="fiu", shape=y.shape).astype(np.float64)
    return y, s


def confusion_counts(y_true, y_pred):
    """``(TP, FP, FN, TN)`` of 0/1 predictions against 0/1 labels.

    Defined in :ref:`sec-precision-recall` (Eq. :eq:`eq-precision-recall`).

    Parameters
    ----------
    y_true : (N,) array_like of 0/1
        True labels, 1 for the positive class.
    y_pred : (N,) array_like of 0/1
        Predicted labels.

    Returns
    -------
    tuple of 4 int
        ``(TP, FP, FN, TN)``.

    Examples
    --------
    >>> confusion_counts(np.array([1, 1, 0, 0, 1]), np.array([1, 0, 1, 0, 1]))
    (2, 1, 1, 1)
    """
    y = _check_binary(y_true)
    p = _check_binary(y_pred, "y_pred")
    if p.shape != y.shape:
        raise ValueError(f"y_pred has shape {p.shape}, y_true has shape {y.shape}; they must match.")
    return (int(np.sum((p == 1) & (y == 1))), int(np.sum((p == 1) & (y == 0))),
            int(np.sum((p == 0) & (y == 1))), int(np.sum((p == 0) & (y == 0))))


def precision_recall_f1(y_true, y_pred):
    """Precision ``TP/(TP+FP)``, recall ``TP/(TP+FN)`` and their harmonic mean F1.

    Defined in :ref:`sec-precision-recall` (Eq. :eq:`eq-precision-recall`).

    A ratio with a zero denominator is reported as 0 (scikit-learn's ``zero_division=0``).

    Parameters
    ----------
    y_true : (N,) array_like of 0/1
        True labels, 1 for the positive class.
    y_pred : (N,) array_like of 0/1
        Predicted labels.

    Returns
    -------
    precision, recall, f1 : float

    Examples
    --------
    >>> precision_recall_f1(np.array([1, 1, 0, 0, 1]), np.array([1, 0, 1, 0, 1]))
    (0.6666666666666666, 0.6666666666666666, 0.6666666666666666)
    """
    tp, fp, fn, _ = confusion_counts(y_true, y_pred)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def threshold_counts(y_true, scores):
    """Cumulative TP and FP when predicting "positive" for ``score >= t``, for every distinct score t.

    Defined in :ref:`sec-precision-recall` (Eq. :eq:`eq-roc-auc`).

    Parameters
    ----------
    y_true : (N,) array_like of 0/1
        True labels, 1 for the positive class.
    scores : (N,) array_like of float
        Classifier scores; a higher score means "more likely positive".

    Returns
    -------
    tps, fps : (M,) ndarrays of float64
        Counts at the M distinct thresholds, from the highest score down (so both are non-decreasing).
    thresholds : (M,) ndarray of float64
        The distinct scores, decreasing.

    Notes
    -----
    Sort by decreasing score, take cumulative sums of the labels, and keep only the last index of each
    run of equal scores, so tied points switch to "positive" together.

    Examples
    --------
    >>> threshold_counts(np.array([1, 0, 1, 0]), np.array([0.9, 0.5, 0.5, 0.1]))
    (array([1., 2., 2.]), array([0., 1., 2.]), array([0.9, 0.5, 0.1]))
    """
    y, s = _check_scores(y_true, scores)
    order = np.argsort(-s, kind="mergesort")                        # decreasing score, stable
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), y.size - 1]            # last index of each tie group
    tps = np.cumsum(y, dtype=np.float64)[last]
    fps = (last + 1) - tps
    return tps, fps, s[last]


def roc_curve(y_true, scores):
    """The ROC curve: false-positive rate and true-positive rate at every distinct threshold.

    Defined in :ref:`sec-precision-recall` (Eq. :eq:`eq-roc-auc`).

    Parameters
    ----------
    y_true : (N,) array_like of 0/1
        True labels, 1 for the positive class.
    scores : (N,) array_like of float
        Classifier scores; a higher score means "more likely positive".

    Returns
    -------
    fpr, tpr : (M + 1,) ndarrays of float64
        Starting at (0, 0) (threshold +inf: nothing is positive) and ending at (1, 1).
    thresholds : (M + 1,) ndarray
        ``inf`` followed by the distinct scores, decreasing.

    Notes
    -----
    ``TPR = TP / P`` and ``FPR = FP / (N - P)``. Needs both classes in ``y_true``. All distinct thresholds
    are kept (``sklearn.metrics.roc_curve(..., drop_intermediate=False)``).

    Examples
    --------
    >>> fpr, tpr, _ = roc_curve(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> fpr, tpr
    (array([0. , 0. , 0.5, 0.5, 1. ]), array([0. , 0.5, 0.5, 1. , 1. ]))
    """
    tps, fps, thr = threshold_counts(y_true, scores)
    if tps[-1] == 0 or fps[-1] == 0:
        raise ValueError("y_true has only one class; the ROC curve needs both positives and negatives.")
    return np.r_[0.0, fps] / fps[-1], np.r_[0.0, tps] / tps[-1], np.r_[np.inf, thr]


def auc_trapezoid(x, y) -> float:
    """Area under a curve through the points ``(x_j, y_j)`` by the trapezoid rule, x non-decreasing.

    Defined in :ref:`sec-precision-recall` (Eq. :eq:`eq-roc-auc`).

    Parameters
    ----------
    x : (M,) array_like of float
        Abscissae, non-decreasing (e.g. the FPR of :func:`roc_curve`).
    y : (M,) array_like of float
        Ordinates (e.g. the TPR).

    Returns
    -------
    float
        ``sum_j (x_j - x_{j-1}) (y_j + y_{j-1}) / 2``.

    Examples
    --------
    >>> auc_trapezoid(np.array([0.0, 0.5, 1.0]), np.array([0.0, 1.0, 1.0]))
    0.75
    """
    x = check_array(np.asarray(x, dtype=np.float64), "x", ndim=1)
    y = check_array(np.asarray(y, dtype=np.float64), "y", ndim=1, shape=x.shape)
    if np.any(np.diff(x) < 0):
        raise ValueError("x must be non-decreasing (sort the points by x first).")
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve: the chance that a random positive outscores a random negative.

    Defined in :ref:`sec-precision-recall` (Eq. :eq:`eq-roc-auc`).

    A tie counts one half. Equals ``sklearn.metrics.roc_auc_score``.

    Parameters
    ----------
    y_true : (N,) array_like of 0/1
        True labels, 1 for the positive class.
    scores : (N,) array_like of float
        Classifier scores; a higher score means "more likely positive".

    Returns
    -------
    float
        In [0, 1]; 0.5 for scores that carry no information.

    Examples
    --------
    >>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    fpr, tpr, _ = roc_curve(y_true, scores)
    return auc_trapezoid(fpr, tpr)


def precision_recall_curve(y_true, scores):
    """Precision and recall at every distinct threshold, from the highest score down.

    Defined in :ref:`sec-precision-recall` (Eq. :eq:`eq-average-precision`).

    Parameters
    ----------
    y_true : (N,) array_like of 0/1
        True labels, 1 for the positive class.
    scores : (N,) array_like of float
        Classifier scores; a higher score means "more likely positive".

    Returns
    -------
    precision, recall : (M,) ndarrays of float64
        Recall is non-decreasing and ends at 1. (scikit-learn returns the same points in reverse order,
        with an extra point (recall 0, precision 1) appended.)
    thresholds : (M,) ndarray

    Examples
    --------
    >>> p, r, _ = precision_recall_curve(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> p.round(3), r
    (array([1.   , 0.5  , 0.667, 0.5  ]), array([0.5, 0.5, 1. , 1. ]))
    """
    tps, fps, thr = threshold_counts(y_true, scores)
    if tps[-1] == 0:
        raise ValueError("y_true has no positives; precision and recall are undefined.")
    return tps / (tps + fps), tps / tps[-1], thr


def average_precision(y_true, scores) -> float:
    """Average precision ``AP = sum_n (R_n - R_{n-1}) P_n`` over the distinct thresholds (``R_0 = 0``).

    Defined in :ref:`sec-precision-recall` (Eq. :eq:`eq-average-precision`).

    The step-wise area under the PR curve, as ``sklearn.metrics.average_precision_score`` defines it:
    no interpolation, so it is not the trapezoid area (which is optimistic on PR curves).

    Parameters
    ----------
    y_true : (N,) array_like of 0/1
        True labels, 1 for the positive class.
    scores : (N,) array_like of float
        Classifier scores; a higher score means "more likely positive".

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> average_precision(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.8333333333333333
    """
    precision, recall, _ = precision_recall_curve(y_true, scores)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def average_precision_11pt(y_true, scores) -> float:
    """11-point interpolated AP (PASCAL VOC 2007), the mean of 11 interpolated precisions.

    Defined in :ref:`sec-precision-recall` (Eq. :eq:`eq-eleven-point-ap`).

    The mean over ``r in {0, 0.1, ..., 1}`` of the best precision reached at any recall ``>= r``.

    Interpolation replaces each precision by the best precision at any higher recall, which tends to
    raise it above the step-wise :func:`average_precision`; sampling only 11 recall levels can move it
    either way.

    Parameters
    ----------
    y_true : (N,) array_like of 0/1
        True labels, 1 for the positive class.
    scores : (N,) array_like of float
        Classifier scores; a higher score means "more likely positive".

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> round(average_precision_11pt(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])), 6)
    0.848485
    """
    precision, recall, _ = precision_recall_curve(y_true, scores)
    levels = np.linspace(0.0, 1.0, 11)                               # (11,)
    reach = recall[None, :] >= levels[:, None] - 1e-12               # (11, M) points with enough recall
    return float(np.mean(np.max(np.where(reach, precision[None, :], 0.0), axis=1)))
