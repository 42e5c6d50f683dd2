"""Detection metrics: matching detections to objects, precision–recall, AP (all-point, 11-point, 101-point),
PASCAL VOC mAP@0.5 and the COCO summary (mAP@[.5:.95], AP50, AP75, APs/m/l, AR) (Chapter 5).

:func:`coco_evaluate` reproduces ``pycocotools``' ``COCOeval`` for boxes step for step — per-image greedy
matching at ten IoU thresholds, area ranges, at most 1/10/100 detections per image and class, the precision
envelope sampled at 101 recall levels — and the tests hold it equal to ``COCOeval`` to 1e-6. Crowd regions
are not modelled (the generated scenes have none). Input format: one entry per image, boxes ``xyxy``.

References
----------
M. Everingham et al., "The PASCAL visual object classes (VOC) challenge", IJCV 2010 (AP, 11-point AP).
T.-Y. Lin et al., "Microsoft COCO: common objects in context", ECCV 2014; the ``cocoeval.py`` of pycocotools.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_choice, check_fraction
from coursekit.detection.boxes import _check_xyxy, box_area, box_iou

__all__ = ["match_detections", "detection_pr_curve", "ap_all_points", "ap_interpolated",
           "mean_average_precision", "coco_evaluate", "COCO_STAT_NAMES"]

#: The twelve numbers of ``COCOeval.summarize()``, in its order.
COCO_STAT_NAMES = ("AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
                   "AR1", "AR10", "AR100", "AR_small", "AR_medium", "AR_large")
COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
COCO_RECALL_LEVELS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
COCO_AREA_RANGES = ((0.0, 1e5 ** 2), (0.0, 32.0 ** 2), (32.0 ** 2, 96.0 ** 2), (96.0 ** 2, 1e5 ** 2))
COCO_MAX_DETS = (1, 10, 100)


def match_detections(det_boxes, det_scores, gt_boxes, iou_threshold: float = 0.5, gt_ignore=None):
    """Greedy matching of one image's detections (one class) to its objects, best score first.

    Defined in :ref:`sec-detection-metrics` (Eq. :eq:`eq-detection-pr`).

    Parameters
    ----------
    det_boxes : (D, 4) array_like of float
    det_scores : (D,) array_like of float
    gt_boxes : (G, 4) array_like of float
        ``xyxy`` boxes of the same class in the same image.
    iou_threshold : float
        A detection may take an object with IoU ``>= iou_threshold``.
    gt_ignore : (G,) array_like of bool, optional
        Objects that neither count as missed nor make a detection true (COCO's area ranges).

    Returns
    -------
    matched : (D,) ndarray of int64
        Index of the object each detection took, ``-1`` for a false positive; in the input order.
    det_ignore : (D,) ndarray of bool
        Detections matched to an ignored object.

    Notes
    -----
    COCO's rule (``COCOeval.evaluateImg``): detections in order of decreasing score (stable); each takes,
    among the objects not yet taken with IoU ``>= t``, the one of highest IoU (the last of ties), preferring
    objects that are not ignored. A second detection of a taken object is a false positive — the duplicate
    that NMS should have removed. (PASCAL VOC differs slightly: it compares with the best object even if
    taken, and needs IoU ``> 0.5``.)

    Examples
    --------
    >>> gt = np.array([[0, 0, 10, 10.]])
    >>> match_detections(np.array([[0, 0, 10, 9.], [1, 0, 10, 10.]]), np.array([0.6, 0.9]), gt)[0].tolist()
    [-1, 0]
    """
    d = _check_xyxy(det_boxes, "det_boxes")
    g = _check_xyxy(gt_boxes, "gt_boxes")
    scores = np.asarray(det_scores, dtype=np.float64)
    check_array(scores, "det_scores", shape=(d.shape[0],))
    ign = np.zeros(g.shape[0], bool) if gt_ignore is None else np.asarray(gt_ignore, dtype=bool)
    check_array(ign, "gt_ignore", shape=(g.shape[0],))
    t = min(check_fraction(iou_threshold, "iou_threshold"), 1 - 1e-10)
    order = np.argsort(-scores, kind="mergesort")                 # best first, ties in input order
    iou = box_iou(d[order], g)                                    # (D, G)
    taken = np.zeros(g.shape[0], dtype=bool)
    matched = np.full(d.shape[0], -1, dtype=np.int64)
    det_ignore = np.zeros(d.shape[0], dtype=bool)
    for k, row in enumerate(iou):
        ok = ~taken & (row >= t)                                  # (G,) objects this detection may take
        for pool in (ok & ~ign, ok & ign):                        # real objects before ignored ones
            if pool.any():
                best = np.flatnonzero(pool & (row == row[pool].max()))[-1]
                taken[best] = True
                matched[order[k]] = best
                det_ignore[order[k]] = ign[best]
                break
    return matched, det_ignore


def detection_pr_curve(scores, is_tp, n_gt: int, ignore=None):
    """Precision and recall after each detection of a ranked list (all images of one class pooled).

    Defined in :ref:`sec-detection-metrics` (Eq. :eq:`eq-detection-pr`).

    Parameters
    ----------
    scores : (D,) array_like of float
    is_tp : (D,) array_like of bool
        Whether each detection matched an object.
    n_gt : int
        Number of (non-ignored) objects, the denominator of recall; > 0.
    ignore : (D,) array_like of bool, optional
        Detections that count as neither true nor false (they still hold their place in the ranking).

    Returns
    -------
    precision, recall : (D,) ndarrays of float64
        After the k best detections: ``TP_k / (TP_k + FP_k)`` (0 while both are 0) and ``TP_k / n_gt``.

    Examples
    --------
    >>> p, r = detection_pr_curve([0.9, 0.8, 0.7], [True, False, True], n_gt=4)
    >>> p.round(3).tolist(), r.tolist()
    ([1.0, 0.5, 0.667], [0.25, 0.25, 0.5])
    """
    scores = np.asarray(scores, dtype=np.float64)
    tp = np.asarray(is_tp, dtype=bool)
    check_array(scores, "scores", ndim=1)
    check_array(tp, "is_tp", shape=scores.shape)
    if int(n_gt) <= 0:
        raise ValueError(f"n_gt must be > 0 (recall divides by it), got {n_gt}.")
    ign = np.zeros(tp.shape, bool) if ignore is None else np.asarray(ignore, dtype=bool)
    order = np.argsort(-scores, kind="mergesort")
    tp, ign = tp[order], ign[order]
    tps = np.cumsum(tp & ~ign).astype(np.float64)                  # (D,) true positives so far
    fps = np.cumsum(~tp & ~ign).astype(np.float64)
    precision = np.divide(tps, tps + fps, out=np.zeros_like(tps), where=(tps + fps) > 0)
    return precision, tps / int(n_gt)


def _envelope(precision: np.ndarray) -> np.ndarray:
    """Interpolated precision: the best precision at this or any higher recall (a running max from the end)."""
    return np.maximum.accumulate(precision[::-1])[::-1]


def ap_all_points(precision, recall) -> float:
    """All-point interpolated AP (PASCAL VOC 2010 on): the area under the precision envelope.

    Defined in :ref:`sec-detection-metrics` (Eq. :eq:`eq-ap-all-point`).

    Parameters
    ----------
    precision, recall : (D,) array_like of float
        As returned by :func:`detection_pr_curve` (recall non-decreasing).

    Returns
    -------
    float
        ``Σ_n (r_n - r_{n-1}) p_interp(r_n)`` with ``r_0 = 0``; recall never reached adds nothing.

    Examples
    --------
    >>> ap_all_points([1.0, 0.5, 2 / 3], [0.5, 0.5, 1.0])       # 0.5·1 + 0.5·(2/3)
    0.8333333333333333
    """
    p = np.asarray(precision, dtype=np.float64)
    r = np.asarray(recall, dtype=np.float64)
    check_array(r, "recall", ndim=1, shape=p.shape)
    if p.size == 0:
        return 0.0
    return float(np.sum(np.diff(np.r_[0.0, r]) * _envelope(p)))


def ap_interpolated(precision, recall, n_points: int = 101) -> float:
    """AP sampled at ``n_points`` equally spaced recall levels: 11 (VOC 2007) or 101 (COCO).

    Defined in :ref:`sec-detection-metrics` (Eq. :eq:`eq-ap-interpolated`).

    Parameters
    ----------
    precision, recall : (D,) array_like of float
    n_points : int
        Number of recall levels ``0, 1/(n-1), ..., 1``.

    Returns
    -------
    float
        The mean over the levels ``ρ`` of the best precision at recall ``>= ρ`` (0 where none reaches it).

    Notes
    -----
    As ``COCOeval.accumulate``: the envelope is read at ``searchsorted(recall, ρ, side="left")``, the first
    detection whose recall reaches ``ρ``.

    Examples
    --------
    >>> round(ap_interpolated([1.0, 0.5, 2 / 3], [0.5, 0.5, 1.0], n_points=11), 6)   # (6·1 + 5·2/3) / 11
    0.848485
    """
    p = np.asarray(precision, dtype=np.float64)
    r = np.asarray(recall, dtype=np.float64)
    check_array(r, "recall", ndim=1, shape=p.shape)
    levels = np.linspace(0.0, 1.0, int(n_points))
    idx = np.searchsorted(r, levels, side="left")                  # (n_points,) first index reaching each level
    env = _envelope(p) if p.size else p
    q = np.where(idx < p.size, env[np.minimum(idx, max(p.size - 1, 0))] if p.size else 0.0, 0.0)
    return float(np.mean(q))


def _check_sets(detections, ground_truth):
    if len(detections) != len(ground_truth):
        raise ValueError(f"detections and ground_truth need one entry per image, got {len(detections)} and "
                         f"{len(ground_truth)}.")
    dets, gts = [], []
    for n, (d, g) in enumerate(zip(detections, ground_truth)):
        try:
            db, ds, dl = (np.asarray(d[k]) for k in ("boxes", "scores", "labels"))
            gb, gl = np.asarray(g["boxes"]), np.asarray(g["labels"])
        except (KeyError, TypeError):
            raise ValueError(f"image {n}: a detection needs 'boxes', 'scores', 'labels'; a ground truth needs "
                             "'boxes' and 'labels'.") from None
        db, gb = _check_xyxy(db.reshape(-1, 4), f"detections[{n}]['boxes']"), _check_xyxy(gb.reshape(-1, 4),
                                                                                       f"ground_truth[{n}]['boxes']")
        if not (len(ds) == len(dl) == len(db)) or len(gl) != len(gb):
            raise ValueError(f"image {n}: boxes, scores and labels must have the same length.")
        dets.append((db, ds.astype(np.float64), dl.astype(np.int64)))
        gts.append((gb, gl.astype(np.int64)))
    return dets, gts


def mean_average_precision(detections, ground_truth, iou_threshold: float = 0.5, method: str = "all") -> float:
    """PASCAL-VOC-style mAP at one IoU threshold: AP per class over all images, averaged over classes.

    Defined in :ref:`sec-detection-metrics` (Eq. :eq:`eq-ap-all-point`).

    Parameters
    ----------
    detections : list of dict
        Per image ``{"boxes": (D, 4) xyxy, "scores": (D,), "labels": (D,) int}``.
    ground_truth : list of dict
        Per image ``{"boxes": (G, 4) xyxy, "labels": (G,) int}``.
    iou_threshold : float
    method : {"all", "11", "101"}
        All-point AP, or the 11- or 101-point interpolation.

    Returns
    -------
    float
        Mean over the classes that have at least one object (others have no defined AP).

    Examples
    --------
    >>> gt = [{"boxes": np.array([[0, 0, 10, 10.]]), "labels": np.array([0])}]
    >>> det = [{"boxes": np.array([[0, 0, 10, 10.], [20, 20, 30, 30.]]), "scores": np.array([0.5, 0.9]),
    ...         "labels": np.array([0, 0])}]
    >>> mean_average_precision(det, gt)                       # a false positive ranked first
    0.5
    """
    method = check_choice(method, "method", ("all", "11", "101"))
    dets, gts = _check_sets(detections, ground_truth)
    classes = np.unique(np.concatenate([gl for _, gl in gts])) if gts else np.zeros(0, np.int64)
    aps = []
    for k in classes:
        scores, tp, n_gt = [], [], 0
        for (db, ds, dl), (gb, gl) in zip(dets, gts):
            sel, gsel = dl == k, gl == k
            matched, _ = match_detections(db[sel], ds[sel], gb[gsel], iou_threshold)
            scores.append(ds[sel])
            tp.append(matched >= 0)
            n_gt += int(gsel.sum())
        p, r = detection_pr_curve(np.concatenate(scores), np.concatenate(tp), n_gt)
        aps.append(ap_all_points(p, r) if method == "all" else ap_interpolated(p, r, int(method)))
    return float(np.mean(aps)) if aps else float("nan")


def coco_evaluate(detections, ground_truth, num_classes: int | None = None) -> dict:
    """The twelve COCO box metrics, computed as ``pycocotools``' ``COCOeval`` computes them.

    Defined in :ref:`sec-detection-metrics` (Eq. :eq:`eq-coco-map`).

    Parameters
    ----------
    detections : list of dict
        Per image ``{"boxes": (D, 4) xyxy, "scores": (D,), "labels": (D,) int}``.
    ground_truth : list of dict
        Per image ``{"boxes": (G, 4) xyxy, "labels": (G,) int}``; an object's area is its box area (COCO's
        annotations use the mask area).
    num_classes : int, optional
        Classes ``0 .. K-1`` to evaluate (default: those seen in the ground truth or detections).

    Returns
    -------
    dict of str to float
        :data:`COCO_STAT_NAMES` → value (-1 where undefined, e.g. AP_large with no large objects), plus
        ``"precision"``: the ``(T, R, K, A, M)`` array of ``COCOeval.eval["precision"]``.

    Notes
    -----
    1. Per image and class: keep the 100 best detections; for each area range mark objects outside it as
       ignored; match greedily (:func:`match_detections`) at each IoU threshold 0.50, 0.55, …, 0.95.
       Unmatched detections outside the area range are ignored too.
    2. Per class, area range and budget of 1, 10 or 100 detections per image: pool the images, rank by
       score, and sample the precision envelope at the 101 recall levels 0, 0.01, …, 1.
    3. AP = mean of those precisions over thresholds, levels and classes (classes without objects excluded);
       AR = mean over thresholds and classes of the final recall.

    Examples
    --------
    >>> gt = [{"boxes": np.array([[0, 0, 10, 10.]]), "labels": np.array([0])}]
    >>> det = [{"boxes": np.array([[0, 0, 10, 8.]]), "scores": np.array([0.9]), "labels": np.array([0])}]
    >>> s = coco_evaluate(det, gt)
    >>> round(s["AP50"], 6), round(s["AP"], 6)                # IoU 0.8: a hit at 7 of the 10 thresholds
    (1.0, 0.7)
    """
    dets, gts = _check_sets(detections, ground_truth)
    labels = np.concatenate([gl for _, gl in gts] + [dl for _, _, dl in dets])
    K = int(num_classes) if num_classes is not None else (int(labels.max()) + 1 if labels.size else 0)
    T, R, A, M = len(COCO_IOU_THRESHOLDS), len(COCO_RECALL_LEVELS), len(COCO_AREA_RANGES), len(COCO_MAX_DETS)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    for k in range(K):
        per_image = []                                            # (scores, gt areas, det areas, ious) per image
        for (db, ds, dl), (gb, gl) in zip(dets, gts):
            d_sel = np.flatnonzero(dl == k)
            d_sel = d_sel[np.argsort(-ds[d_sel], kind="mergesort")][:COCO_MAX_DETS[-1]]
            g_b = gb[gl == k]
            if len(d_sel) == 0 and len(g_b) == 0:
                continue
            per_image.append((ds[d_sel], box_area(g_b), box_area(db[d_sel]), box_iou(db[d_sel], g_b)))
        for a, (lo, hi) in enumerate(COCO_AREA_RANGES):
            if not any(np.any((g_area >= lo) & (g_area <= hi)) for _, g_area, _, _ in per_image):
                continue                                          # no object in range: undefined, stays -1
            evals = []
            for scores, g_area, d_area, iou in per_image:
                g_ign = (g_area < lo) | (g_area > hi)
                g_order = np.argsort(g_ign, kind="mergesort")    # real objects first, as COCOeval sorts them
                d_out = (d_area < lo) | (d_area > hi)
                tp = np.zeros((T, len(scores)), bool)
                d_ign = np.zeros((T, len(scores)), bool)
                for ti, t in enumerate(COCO_IOU_THRESHOLDS):
                    box_pairs = iou[:, g_order]                  # already in score order
                    m, ig = _match_sorted(box_pairs, g_ign[g_order], t)
                    tp[ti], d_ign[ti] = m >= 0, ig | ((m < 0) & d_out)
                evals.append((scores, tp, d_ign, int((~g_ign).sum())))
            for mi, max_det in enumerate(COCO_MAX_DETS):
                n_gt = sum(e[3] for e in evals)
                if n_gt == 0:
                    continue                                      # undefined: stays -1
                s = np.concatenate([e[0][:max_det] for e in evals])
                order = np.argsort(-s, kind="mergesort")
                tp = np.concatenate([e[1][:, :max_det] for e in evals], axis=1)[:, order]    # (T, D)
                ign = np.concatenate([e[2][:, :max_det] for e in evals], axis=1)[:, order]
                for ti in range(T):
                    tps = np.cumsum(tp[ti] & ~ign[ti]).astype(np.float64)
                    fps = np.cumsum(~tp[ti] & ~ign[ti]).astype(np.float64)
                    rc = tps / n_gt
                    pr = tps / (fps + tps + np.spacing(1))        # COCOeval's guard against 0 / 0
                    recall[ti, k, a, mi] = rc[-1] if len(rc) else 0.0
                    env = _envelope(pr) if len(pr) else pr
                    idx = np.searchsorted(rc, COCO_RECALL_LEVELS, side="left")
                    precision[ti, :, k, a, mi] = np.where(idx < len(pr), env[np.minimum(idx, len(pr) - 1)]
                                                          if len(pr) else 0.0, 0.0)
    stats = {}
    spec = [("AP", None, 0, 2), ("AP50", 0, 0, 2), ("AP75", 5, 0, 2), ("AP_small", None, 1, 2),
            ("AP_medium", None, 2, 2), ("AP_large", None, 3, 2), ("AR1", None, 0, 0), ("AR10", None, 0, 1),
            ("AR100", None, 0, 2), ("AR_small", None, 1, 2), ("AR_medium", None, 2, 2), ("AR_large", None, 3, 2)]
    for name, t, a, mi in spec:
        src = precision[:, :, :, a, mi] if name.startswith("AP") else recall[:, :, a, mi]
        if t is not None:
            src = src[t]
        valid = src[src > -1]
        stats[name] = float(np.mean(valid)) if valid.size else -1.0
    stats["precision"] = precision
    return stats


def _match_sorted(iou: np.ndarray, g_ign: np.ndarray, t: float):
    """COCOeval's matching of detections already in score order to objects already sorted (real first)."""
    t = min(t, 1 - 1e-10)
    taken = np.zeros(iou.shape[1], dtype=bool)
    matched = np.full(iou.shape[0], -1, dtype=np.int64)
    ignored = np.zeros(iou.shape[0], dtype=bool)
    for k, row in enumerate(iou):
        ok = ~taken & (row >= t)
        for pool in (ok & ~g_ign, ok & g_ign):
            if pool.any():
                best = np.flatnonzero(pool & (row == row[pool].max()))[-1]
                taken[best], matched[k], ignored[k] = True, best, g_ign[best]
                break
    return matched, ignored
