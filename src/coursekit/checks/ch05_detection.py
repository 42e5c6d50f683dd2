"""Checks of Chapter 5's exercises: IoU, the anchor box encoding, NMS, average precision, RoI Align and the
Hungarian method.

Each check runs the student's function on seeded random inputs (boxes placed like detections on a
64×64 image, cost matrices, feature maps cut from a real photograph) and compares with the coursekit
reference; a few *probe* cases let :func:`_review` name the usual slip without revealing expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit import grading
from coursekit.data.images import load_image
from coursekit.detection.anchors import encode_boxes
from coursekit.detection.boxes import box_iou, generalized_box_iou
from coursekit.detection.matching import hungarian_match, linear_sum_assignment
from coursekit.detection.nms import batched_nms, nms
from coursekit.detection.roi import roi_align
from coursekit.metrics.detection import ap_all_points, detection_pr_curve
from coursekit.grading import Case, Check, matches, review_with

__all__ = ["CHECKS"]


def _boxes(rng, n, size=64.0, lo=4.0, hi=24.0):
    """``n`` xyxy boxes with real-valued corners inside a ``size``-pixel image."""
    wh = rng.uniform(lo, hi, (n, 2))
    xy = rng.uniform(0, size - wh)
    return np.c_[xy, xy + wh]


def _clustered(rng, n):
    """Boxes in a few clusters (as a detector's raw output) and their scores."""
    centres = rng.uniform(15, 50, (4, 2))[rng.integers(0, 4, n)] + rng.normal(0, 2.5, (n, 2))
    wh = rng.uniform(8, 16, (n, 2))
    return np.c_[centres - wh / 2, centres + wh / 2], rng.random(n)


# ----------------------------------------------------------------------------- ch05.box_iou

def _iou_cases(rng):
    yield Case("hand-made: overlapping, identical and disjoint boxes",
               (np.array([[0.0, 0, 10, 10], [5, 5, 15, 15]]), np.array([[0.0, 0, 10, 10], [20, 20, 30, 30], [2, 2, 8, 8]])))
    for n, m in [(5, 7), (12, 3)]:
        yield Case(f"random real-valued boxes, {n} × {m}", (_boxes(rng, n), _boxes(rng, m)))
    b = _boxes(rng, 6)
    yield Case("a set of boxes against itself", (b, b.copy()))


def _iou_union_no_minus(a, b):
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])
    lt, rb = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), -1)
    return inter / (area(a)[:, None] + area(b)[None, :])


def _iou_no_clip(a, b):
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])
    lt, rb = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(rb - lt, -1)
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def _iou_plus_one(a, b):
    area = lambda x: (x[:, 2] - x[:, 0] + 1) * (x[:, 3] - x[:, 1] + 1)
    lt, rb = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt + 1, 0, None), -1)
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


# ----------------------------------------------------------------------------- ch05.encode_boxes

def _encode_cases(rng):
    yield Case("hand-made: a shifted, narrower box", (np.array([[12.0, 10, 28, 20]]), np.array([[10.0, 10, 30, 20]])))
    for n in (5, 9):
        anchors = _boxes(rng, n)
        yield Case(f"{n} random boxes and anchors", (_boxes(rng, n), anchors))
    anchors = _boxes(rng, 12, lo=8, hi=32)
    jitter = rng.uniform(-0.2, 0.2, (12, 4)) * np.tile(anchors[:, 2:] - anchors[:, :2], 2)
    yield Case("12 boxes close to their anchors (small deltas)", (anchors + jitter, anchors))


def _encode_not_normalised(b, a):
    bw, bh, aw, ah = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1], a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
    return np.c_[(b[:, 0] + bw / 2) - (a[:, 0] + aw / 2), (b[:, 1] + bh / 2) - (a[:, 1] + ah / 2), np.log(bw / aw), np.log(bh / ah)]


def _encode_no_log(b, a):
    bw, bh, aw, ah = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1], a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
    return np.c_[((b[:, 0] + bw / 2) - (a[:, 0] + aw / 2)) / aw, ((b[:, 1] + bh / 2) - (a[:, 1] + ah / 2)) / ah, bw / aw, bh / ah]


def _encode_corners(b, a):
    aw, ah = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
    bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    return np.c_[(b[:, 0] - a[:, 0]) / aw, (b[:, 1] - a[:, 1]) / ah, np.log(bw / aw), np.log(bh / ah)]


# ----------------------------------------------------------------------------- ch05.nms

def _nms_cases(rng):
    yield Case("hand-made: two overlapping boxes and a distant one, threshold 0.5",
               (np.array([[0.0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30]]), np.array([0.9, 0.8, 0.7]), 0.5))
    for n, t in [(20, 0.5), (40, 0.3), (40, 0.7)]:
        boxes, scores = _clustered(rng, n)
        yield Case(f"{n} clustered detections, threshold {t}", (boxes, scores, t))
    yield Case("a pair at IoU exactly 0.5 with threshold 0.5 (kept: NMS removes IoU > threshold)",
               (np.array([[0.0, 0, 4, 1], [0, 0, 2, 1]]), np.array([0.9, 0.8]), 0.5))


def _nms_judge(case, got, expected):
    hint = grading.compare(got, expected, atol=0)
    if hint and matches(np.sort(np.asarray(got, float)), np.sort(expected)):
        hint += " Hint: you keep the right boxes; return them ordered by decreasing score."
    return hint


def _nms_ge(boxes, scores, t):
    order = np.argsort(-scores, kind="stable")
    iou = box_iou(boxes, boxes)
    keep, dead = [], np.zeros(len(scores), bool)
    for i in order:
        if not dead[i]:
            keep.append(i)
            dead |= iou[i] >= t
    return np.array(keep)


def _nms_once(boxes, scores, t):
    """Suppress against every higher-scoring box, kept or not (no greedy bookkeeping)."""
    iou = box_iou(boxes, boxes)
    order = np.argsort(-scores, kind="stable")
    keep = [i for k, i in enumerate(order) if not np.any(iou[i, order[:k]] > t)]
    return np.array(keep)


# ----------------------------------------------------------------------------- ch05.average_precision

def average_precision_reference(scores, is_tp, n_gt):
    """All-point AP of a ranked list (the exercise's answer, built from the library's two steps)."""
    precision, recall = detection_pr_curve(scores, is_tp, n_gt)
    return ap_all_points(precision, recall)


def _ap_cases(rng):
    yield Case("hand-made: TP, FP, TP, FP, TP with 3 objects", (np.array([0.9, 0.8, 0.7, 0.6, 0.5]),
                                                              np.array([True, False, True, False, True]), 3))
    yield Case("hand-made: scores not sorted, one object never found",
               (np.array([0.2, 0.95, 0.6]), np.array([True, False, True]), 3))
    for n in (15, 60):
        tp = rng.random(n) < 0.6
        yield Case(f"{n} random detections", (rng.random(n), tp, int(tp.sum() + rng.integers(0, 4))))


def _ap_no_envelope(scores, tp, n_gt):
    o = np.argsort(-scores, kind="stable")
    t = np.cumsum(tp[o])
    p, r = t / np.arange(1, len(t) + 1), t / n_gt
    return float(np.sum(np.diff(np.r_[0, r]) * p))


def _ap_recall_by_detections(scores, tp, n_gt):
    return average_precision_reference(scores, tp, int(np.sum(tp)))


def _ap_unsorted(scores, tp, n_gt):
    t = np.cumsum(tp)
    p, r = t / np.arange(1, len(t) + 1), t / n_gt
    env = np.maximum.accumulate(p[::-1])[::-1]
    return float(np.sum(np.diff(np.r_[0, r]) * env))


# ----------------------------------------------------------------------------- ch05.roi_align

def roi_align_reference(feature, box, output_size, sampling_ratio):
    """RoI Align of one box on a single-channel map (aligned, spatial scale 1): the exercise's answer."""
    return roi_align(feature[None], np.asarray(box, float)[None], output_size, 1.0, sampling_ratio, True)[0, 0]


def _roi_cases(rng):
    camera = load_image("camera").astype(np.float64) / 255
    ramp = np.add.outer(np.arange(12.0), 2 * np.arange(16.0))
    yield Case("a 12×16 ramp, box (2, 3, 10, 9), 2×2 bins, 2 samples", (ramp, np.array([2.0, 3, 10, 9]), (2, 2), 2))
    feat = camera[200:232, 220:252]
    for k in range(3):
        x0, y0 = rng.uniform(1, 12, 2)
        box = np.array([x0, y0, x0 + rng.uniform(4, 18), y0 + rng.uniform(4, 18)])
        out = (int(rng.integers(2, 5)), int(rng.integers(2, 5)))
        yield Case(f"a 32×32 crop of 'camera', random box, {out[0]}×{out[1]} bins, sampling {k + 1}",
                   (feat, box, out, k + 1))


def _roi_no_shift(feature, box, output_size, s):
    return roi_align(feature[None], np.asarray(box, float)[None], output_size, 1.0, s, False)[0, 0]


def _roi_rounded(feature, box, output_size, s):
    return roi_align(feature[None], np.round(np.asarray(box, float))[None], output_size, 1.0, s, True)[0, 0]


# ----------------------------------------------------------------------------- ch05.linear_assignment

def _lsa_cases(rng):
    yield Case("hand-made 3×3", (np.array([[4.0, 1, 3], [2, 0, 5], [3, 2, 2]]),))
    yield Case("a 3×3 matrix where the greedy row-by-row choice fails", (np.array([[1.0, 2, 9], [2, 9, 9], [9, 9, 9]]),))
    for shape in [(6, 6), (5, 9), (12, 12)]:
        yield Case(f"random {shape[0]}×{shape[1]} costs", (rng.normal(size=shape),))
    yield Case("integer costs with many ties, 7×7", (rng.integers(0, 4, (7, 7)).astype(float),))


def _lsa_judge(case, got, expected):
    C = case.args[0]
    n, m = C.shape
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "return a pair (row_ind, col_ind) of integer arrays."
    try:
        rows, cols = (np.asarray(g) for g in got)
    except Exception:
        return "row_ind and col_ind must be arrays of integers."
    if rows.shape != (min(n, m),) or cols.shape != rows.shape or rows.dtype.kind not in "iu" or cols.dtype.kind not in "iu":
        return f"row_ind and col_ind must be integer arrays of length {min(n, m)}, got shapes {rows.shape}, {cols.shape}."
    if rows.min() < 0 or rows.max() >= n or cols.min() < 0 or cols.max() >= m:
        return "some indices are outside the matrix."
    if len(set(rows.tolist())) != len(rows) or len(set(cols.tolist())) != len(cols):
        return "a row or a column is used twice: the assignment must be one-to-one."
    if not np.all(np.diff(rows) > 0):
        return "list the rows in increasing order (as scipy does)."
    best = C[expected[0], expected[1]].sum()
    if C[rows, cols].sum() > best + 1e-9:
        return ("a valid assignment, but not the cheapest one. Hint: choosing the best column row by row is "
                "greedy; the Hungarian method must be able to undo earlier choices along augmenting paths.")
    return ""


CHECKS = [
    Check("ch05.box_iou", cases=_iou_cases, reference=box_iou, atol=1e-9,
          review=review_with([(_iou_union_no_minus, "the union is |A| + |B| minus the intersection (counted twice)."),
                               (_iou_no_clip, "clip the overlap's width and height at 0: disjoint boxes have no intersection."),
                               (_iou_plus_one, "boxes here are continuous: the width is x1 - x0, with no + 1.")]),
          implements=(box_iou, generalized_box_iou)),
    Check("ch05.encode_boxes", cases=_encode_cases, reference=encode_boxes, atol=1e-9,
          review=review_with([(_encode_not_normalised, "divide the centre offsets by the anchor's width and height."),
                               (_encode_no_log, "the size deltas are log-ratios, log(w / w_a)."),
                               (_encode_corners, "use the box and anchor centres, not their top-left corners.")])),
    Check("ch05.nms", cases=_nms_cases, reference=nms, judge=_nms_judge,
          review=review_with([(_nms_ge, "suppress only boxes with IoU strictly greater than the threshold."),
                               (_nms_once, "a box that was itself suppressed must not suppress others: compare "
                                           "only with the boxes you kept.")]),
          implements=(nms, batched_nms)),
    Check("ch05.average_precision", cases=_ap_cases, reference=average_precision_reference, atol=1e-9,
          review=review_with([(_ap_no_envelope, "replace each precision by the best precision at any higher recall "
                                                 "(the envelope) before summing."),
                               (_ap_unsorted, "rank the detections by decreasing score first."),
                               (_ap_recall_by_detections, "recall divides by the number of objects n_gt, including "
                                                          "those never detected.")]),
          implements=(ap_all_points, detection_pr_curve)),
    Check("ch05.roi_align", cases=_roi_cases, reference=roi_align_reference, atol=1e-9,
          review=review_with([(_roi_no_shift, "a continuous coordinate u sits at index u - 0.5 (pixel centres are at "
                                               "j + 0.5)."),
                               (_roi_rounded, "do not round the box: RoI Align keeps real-valued corners.")]),
          implements=(roi_align,), forbidden=("torchvision.ops.roi_align", "torch.nn.functional.grid_sample")),
    Check("ch05.linear_assignment", cases=_lsa_cases, reference=linear_sum_assignment, judge=_lsa_judge,
          implements=(linear_sum_assignment, hungarian_match),
          forbidden=("scipy.optimize.linear_sum_assignment", "scipy.sparse.csgraph.min_weight_full_bipartite_matching")),
]
