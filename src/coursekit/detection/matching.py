"""Set prediction: the Hungarian algorithm and DETR's matching cost (Chapter 5, Object detection).

DETR predicts a fixed set of N boxes and trains them against the M ≤ N objects of an image by first finding
the one-to-one assignment of predictions to objects with the lowest total cost — a *linear assignment
problem* — then applying the loss to the matched pairs only (the unmatched predictions learn "no object").
No anchors, no NMS: the matching itself forbids duplicates.

:func:`linear_sum_assignment` solves the assignment problem exactly with the Hungarian method in its
shortest-augmenting-path form (Kuhn 1955; Munkres 1957; this O(n² m) variant with dual potentials is the one
Jonker and Volgenant made fast). ``scipy.optimize.linear_sum_assignment`` solves the same problem; the tests
hold the two equal.

References
----------
H. W. Kuhn, "The Hungarian method for the assignment problem", Naval Research Logistics Quarterly, 1955.
R. Jonker and A. Volgenant, "A shortest augmenting path algorithm for dense and sparse linear assignment
problems", Computing 38, 1987.
N. Carion, F. Massa, G. Synnaeve, N. Usunier, A. Kirillov and S. Zagoruyko, "End-to-end object detection with
transformers" (DETR), ECCV 2020.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.numerics import softmax
from coursekit.core.validation import check_array, check_nonnegative
from coursekit.detection.boxes import box_convert, generalized_box_iou

__all__ = ["linear_sum_assignment", "detr_match_cost", "hungarian_match"]


def linear_sum_assignment(cost, maximize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost one-to-one assignment of rows to columns (the Hungarian method).

    Defined in :ref:`sec-detection-detr` (Eq. :eq:`eq-assignment`).

    Parameters
    ----------
    cost : (n, m) array_like of float
        ``cost[i, j]`` of assigning row ``i`` to column ``j``; finite. Rectangular is fine: every row is
        assigned when ``n <= m``, every column when ``n > m``.
    maximize : bool
        Find the maximum-weight assignment instead.

    Returns
    -------
    row_ind, col_ind : (min(n, m),) ndarrays of int64
        Row ``row_ind[k]`` goes to column ``col_ind[k]``; rows in increasing order (scipy's convention).

    Notes
    -----
    Rows are added one at a time (work on the transpose when ``n > m``). Dual potentials ``u`` (rows) and
    ``v`` (columns) keep every reduced cost ``c_ij - u_i - v_j >= 0``, and assigned pairs at reduced cost 0.

    1. To add row ``i``, grow a Dijkstra-like tree of alternating paths from it: ``minv[j]`` is the smallest
       reduced cost of reaching column ``j`` so far, ``way[j]`` the column it was reached from.
    2. Add the cheapest unreached column; shift the potentials by that ``δ`` (reached columns ``v -= δ``, their
       rows ``u += δ``), which keeps the reduced costs non-negative and makes the new edge tight.
    3. Stop at a free column, then flip the path back along ``way``: each column takes the previous row.

    Each row costs O(n m), so O(n² m) in all — against O(n!) for trying every permutation.

    References
    ----------
    H. W. Kuhn, "The Hungarian method for the assignment problem", 1955; R. Jonker and A. Volgenant, 1987.

    Examples
    --------
    >>> r, c = linear_sum_assignment(np.array([[4.0, 1, 3], [2, 0, 5], [3, 2, 2]]))
    >>> r.tolist(), c.tolist()
    ([0, 1, 2], [1, 0, 2])
    """
    C = np.asarray(cost) if not isinstance(cost, np.ndarray) else cost
    check_array(C, "cost", ndim=2, dtype_kind="fiub")
    C = C.astype(np.float64)
    if maximize:
        C = -C
    transposed = C.shape[0] > C.shape[1]
    if transposed:
        C = C.T                                                   # now n <= m
    n, m = C.shape
    u, v = np.zeros(n + 1), np.zeros(m + 1)                       # potentials; index 0 is a dummy
    p = np.zeros(m + 1, dtype=np.int64)                           # p[j]: row (1-based) on column j, 0 = free
    way = np.zeros(m + 1, dtype=np.int64)
    for i in range(1, n + 1):
        p[0], j0 = i, 0                                           # the new row sits on the dummy column
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = p[j0]
            free = np.flatnonzero(~used[1:]) + 1                  # columns not in the tree yet
            reduced = C[i0 - 1, free - 1] - u[i0] - v[free]       # reduced costs from row i0
            better = reduced < minv[free]
            minv[free[better]] = reduced[better]
            way[free[better]] = j0
            j1 = free[np.argmin(minv[free])]                      # cheapest column to add
            delta = minv[j1]
            u[p[used]] += delta                                   # rows in the tree
            v[used] -= delta                                      # columns in the tree
            minv[~used] -= delta
            j0 = j1
            if p[j0] == 0:
                break                                             # a free column: augment
        while j0:                                                 # flip the alternating path
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    cols = np.flatnonzero(p[1:]) + 1                              # assigned columns (1-based)
    rows, cols = p[cols] - 1, cols - 1
    if transposed:
        rows, cols = cols, rows
    order = np.argsort(rows, kind="stable")
    return rows[order].astype(np.int64), cols[order].astype(np.int64)


def detr_match_cost(logits, pred_boxes, gt_labels, gt_boxes, w_class: float = 1.0, w_l1: float = 5.0,
                    w_giou: float = 2.0) -> np.ndarray:
    """DETR's matching cost between N predictions and M ground-truth objects.

    Defined in :ref:`sec-detection-detr` (Eq. :eq:`eq-detr-cost`).

    Parameters
    ----------
    logits : (N, K + 1) array_like of float
        Class scores of each prediction; the last class is "no object".
    pred_boxes : (N, 4) array_like of float
        Predicted boxes as ``cxcywh`` normalised by the image size (what DETR regresses).
    gt_labels : (M,) array_like of int
        Classes ``0 .. K-1`` of the objects.
    gt_boxes : (M, 4) array_like of float
        ``cxcywh`` normalised boxes of the objects.
    w_class, w_l1, w_giou : float
        The weights of the three terms (DETR's defaults 1, 5, 2).

    Returns
    -------
    (N, M) ndarray of float64
        ``w_class (-p̂_i(c_j)) + w_l1 ||b_i - b_j||_1 + w_giou (-GIoU(b_i, b_j))``.

    Notes
    -----
    The class term is the negative probability (not the log-probability), so it lives on the same scale as
    the box terms; the L1 term uses the ``cxcywh`` coordinates, the GIoU term the ``xyxy`` boxes.

    References
    ----------
    N. Carion et al., "End-to-end object detection with transformers", ECCV 2020.

    Examples
    --------
    >>> logits = np.array([[5.0, 0.0, 0.0], [0.0, 5.0, 0.0]])     # K = 2 classes + "no object"
    >>> boxes = np.array([[0.3, 0.3, 0.2, 0.2], [0.7, 0.7, 0.2, 0.2]])
    >>> C = detr_match_cost(logits, boxes, np.array([1, 0]), boxes[::-1])   # objects in the other order
    >>> pred_idx, gt_idx = hungarian_match(C)
    >>> pred_idx.tolist(), gt_idx.tolist()
    ([1, 0], [0, 1])
    """
    logits = np.asarray(logits, dtype=np.float64)
    check_array(logits, "logits", ndim=2)
    pb = check_array(np.asarray(pred_boxes, dtype=np.float64), "pred_boxes", shape=(logits.shape[0], 4))
    gt_labels = np.asarray(gt_labels)
    check_array(gt_labels, "gt_labels", ndim=1, dtype_kind="iu")
    gb = check_array(np.asarray(gt_boxes, dtype=np.float64), "gt_boxes", shape=(gt_labels.shape[0], 4))
    if gt_labels.size and (gt_labels.min() < 0 or gt_labels.max() >= logits.shape[1] - 1):
        raise ValueError(f"gt_labels must lie in 0..{logits.shape[1] - 2}; the last logit is 'no object'.")
    w_class, w_l1, w_giou = (check_nonnegative(w, "weights") for w in (w_class, w_l1, w_giou))
    prob = softmax(logits, axis=-1)                                     # (N, K + 1)
    cost_class = -prob[:, gt_labels]                                    # (N, M)
    cost_l1 = np.abs(pb[:, None, :] - gb[None, :, :]).sum(-1)           # (N, M)
    cost_giou = -generalized_box_iou(box_convert(pb, "cxcywh", "xyxy"), box_convert(gb, "cxcywh", "xyxy"))
    return w_class * cost_class + w_l1 * cost_l1 + w_giou * cost_giou


def hungarian_match(cost) -> tuple[np.ndarray, np.ndarray]:
    """Match predictions (rows) to objects (columns) at the lowest total cost.

    Defined in :ref:`sec-detection-detr` (Eq. :eq:`eq-assignment`).

    Parameters
    ----------
    cost : (N, M) array_like of float
        E.g. :func:`detr_match_cost`, with ``N >= M`` predictions.

    Returns
    -------
    pred_idx, gt_idx : (M,) ndarrays of int64
        Prediction ``pred_idx[k]`` is trained towards object ``gt_idx[k]``; the other ``N - M`` predictions
        are trained towards "no object". Sorted by ``gt_idx``.

    Examples
    --------
    >>> hungarian_match(np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]))
    (array([1, 0]), array([0, 1]))
    """
    C = np.asarray(cost, dtype=np.float64)
    check_array(C, "cost", ndim=2)
    if C.shape[0] < C.shape[1]:
        raise ValueError(f"need at least as many predictions as objects, got {C.shape[0]} < {C.shape[1]}.")
    rows, cols = linear_sum_assignment(C)
    order = np.argsort(cols, kind="stable")
    return rows[order], cols[order]
