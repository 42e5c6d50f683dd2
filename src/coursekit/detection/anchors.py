"""Anchor boxes, the box encoding a detector regresses, and the IoU rule that labels anchors (Chapter 5).

An anchor is a reference box at a fixed place and shape; a detector predicts, for every anchor, a class and
a small correction (the *deltas*) that turns the anchor into an object's box. Faster R-CNN places
``len(sizes) × len(ratios)`` anchors (3 × 3 = 9) at every cell of a feature map.

Coordinates follow :mod:`coursekit.detection.boxes` (``xyxy``, continuous pixels): the anchors of cell
``(i, j)`` of a stride-``s`` feature map are centred at ``((j + 0.5) s, (i + 0.5) s)``, the centre of the
image patch the cell sits on. (torchvision's ``AnchorGenerator`` centres them at ``(j s, i s)`` and rounds
the anchors' corners to integers.)

References
----------
S. Ren, K. He, R. Girshick and J. Sun, "Faster R-CNN: towards real-time object detection with region
proposal networks", NeurIPS 2015.
R. Girshick, J. Donahue, T. Darrell and J. Malik, "Rich feature hierarchies for accurate object detection and
semantic segmentation", CVPR 2014 (the box encoding, Appendix C).
"""

from __future__ import annotations

import math

import numpy as np

from coursekit.core.validation import check_fraction, check_int, check_positive
from coursekit.detection.boxes import _as_boxes, _check_xyxy, box_iou

__all__ = ["anchor_shapes", "grid_anchors", "encode_boxes", "decode_boxes", "match_anchors"]

#: Largest log-scale correction that :func:`decode_boxes` applies (torchvision's ``bbox_xform_clip``).
BBOX_XFORM_CLIP = math.log(1000.0 / 16)


def anchor_shapes(sizes=(32.0, 64.0, 128.0), ratios=(0.5, 1.0, 2.0)) -> np.ndarray:
    """Widths and heights of the ``len(ratios) × len(sizes)`` anchors: area ``size²``, ``h / w = ratio``.

    Defined in :ref:`sec-detection-anchors` (Eq. :eq:`eq-anchor-shapes`).

    Parameters
    ----------
    sizes : sequence of float
        Square roots of the anchor areas, in pixels (Faster R-CNN: 128, 256, 512 on ~600-pixel images).
    ratios : sequence of float
        Aspect ratios ``h / w`` (> 0).

    Returns
    -------
    (A, 2) ndarray of float64
        ``(w, h)`` per anchor, ``A = len(ratios) · len(sizes)``, ratios in the outer loop (torchvision's order).

    Notes
    -----
    ``w = size / √ratio`` and ``h = size · √ratio``, so ``w h = size²`` and ``h / w = ratio``.

    Examples
    --------
    >>> anchor_shapes(sizes=(16,), ratios=(0.25, 1.0, 4.0)).tolist()
    [[32.0, 8.0], [16.0, 16.0], [8.0, 32.0]]
    """
    sizes = np.array([check_positive(s, "sizes") for s in np.atleast_1d(sizes)])      # (S,)
    ratios = np.array([check_positive(r, "ratios") for r in np.atleast_1d(ratios)])   # (R,)
    w = sizes[None, :] / np.sqrt(ratios)[:, None]                                      # (R, S)
    h = sizes[None, :] * np.sqrt(ratios)[:, None]
    return np.stack([w.ravel(), h.ravel()], axis=1)                                    # (R*S, 2)


def grid_anchors(feature_size, stride: float, sizes=(32.0, 64.0, 128.0), ratios=(0.5, 1.0, 2.0)) -> np.ndarray:
    """All anchors of a feature map: every shape of :func:`anchor_shapes` centred on every cell.

    Defined in :ref:`sec-detection-anchors` (Eq. :eq:`eq-anchor-shapes`).

    Parameters
    ----------
    feature_size : (int, int)
        ``(H_f, W_f)`` cells of the feature map.
    stride : float
        Pixels per cell (the network's total downsampling).
    sizes, ratios : sequence of float
        Passed to :func:`anchor_shapes`.

    Returns
    -------
    (H_f · W_f · A, 4) ndarray of float64
        ``xyxy`` anchors, cell by cell in row-major order and the ``A`` shapes within a cell, the layout of
        a head whose output ``(A·4, H_f, W_f)`` is permuted to ``(H_f, W_f, A, 4)``.

    Examples
    --------
    >>> grid_anchors((1, 2), stride=8, sizes=(4,), ratios=(1,)).tolist()
    [[2.0, 2.0, 6.0, 6.0], [10.0, 2.0, 14.0, 6.0]]
    """
    if len(feature_size) != 2:
        raise ValueError(f"feature_size must be (H_f, W_f), got {feature_size!r}.")
    Hf, Wf = (check_int(n, "feature_size") for n in feature_size)
    stride = check_positive(stride, "stride")
    wh = anchor_shapes(sizes, ratios)                                        # (A, 2)
    cy, cx = np.meshgrid((np.arange(Hf) + 0.5) * stride, (np.arange(Wf) + 0.5) * stride, indexing="ij")
    centres = np.stack([cx, cy], axis=-1).reshape(Hf * Wf, 1, 2)             # (H_f*W_f, 1, 2)
    boxes = np.concatenate([centres - wh / 2, centres + wh / 2], axis=-1)    # (H_f*W_f, A, 4)
    return boxes.reshape(-1, 4)


def encode_boxes(boxes, anchors, weights=(1.0, 1.0, 1.0, 1.0)) -> np.ndarray:
    """The deltas ``(t_x, t_y, t_w, t_h)`` that turn each anchor into its box (R-CNN's parametrisation).

    Defined in :ref:`sec-detection-anchors` (Eq. :eq:`eq-box-encoding`).

    Parameters
    ----------
    boxes : (N, 4) array_like of float
        Target ``xyxy`` boxes (width and height > 0).
    anchors : (N, 4) array_like of float
        One ``xyxy`` anchor per box (width and height > 0).
    weights : (4,) sequence of float
        Multipliers ``(w_x, w_y, w_w, w_h)``; Faster R-CNN's second stage uses ``(10, 10, 5, 5)`` so that the
        deltas have roughly unit variance.

    Returns
    -------
    (N, 4) ndarray of float64

    Notes
    -----
    With centres ``(x, y)``, sizes ``(w, h)`` of the box and ``(x_a, y_a)``, ``(w_a, h_a)`` of the anchor:
    ``t_x = w_x (x - x_a) / w_a``, ``t_y = w_y (y - y_a) / h_a``, ``t_w = w_w log(w / w_a)``,
    ``t_h = w_h log(h / h_a)``. Offsets are measured in anchor widths, so the same delta means the same
    relative shift for a small and a large anchor; sizes are log-ratios, so they can never turn negative.

    Examples
    --------
    >>> encode_boxes([[12, 10, 28, 20]], [[10, 10, 30, 20]]).round(4).tolist()
    [[0.0, 0.0, -0.2231, 0.0]]
    """
    b, a = _check_xyxy(boxes, "boxes"), _check_xyxy(anchors, "anchors")
    if b.shape != a.shape:
        raise ValueError(f"boxes and anchors must pair up one to one, got {b.shape} and {a.shape}.")
    wx, wy, ww, wh = _check_weights(weights)
    bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]                # (N,) each
    aw, ah = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
    if np.any(bw <= 0) or np.any(bh <= 0) or np.any(aw <= 0) or np.any(ah <= 0):
        raise ValueError("boxes and anchors need a width and height > 0: the encoding takes log(w / w_a).")
    bx, by = b[:, 0] + bw / 2, b[:, 1] + bh / 2
    ax, ay = a[:, 0] + aw / 2, a[:, 1] + ah / 2
    return np.stack([wx * (bx - ax) / aw, wy * (by - ay) / ah, ww * np.log(bw / aw), wh * np.log(bh / ah)], axis=1)


def decode_boxes(deltas, anchors, weights=(1.0, 1.0, 1.0, 1.0), clip: float = BBOX_XFORM_CLIP) -> np.ndarray:
    """Apply deltas to anchors: the inverse of :func:`encode_boxes`.

    Defined in :ref:`sec-detection-anchors` (Eq. :eq:`eq-box-encoding`).

    Parameters
    ----------
    deltas : (N, 4) array_like of float
        ``(t_x, t_y, t_w, t_h)`` per anchor, e.g. a network's regression output.
    anchors : (N, 4) array_like of float
        ``xyxy`` anchors.
    weights : (4,) sequence of float
        The same weights as in :func:`encode_boxes`.
    clip : float
        Upper bound on ``t_w / w_w`` and ``t_h / w_h`` before ``exp`` (torchvision: log(1000/16)), so an
        untrained network cannot produce infinite boxes.

    Returns
    -------
    (N, 4) ndarray of float64
        ``xyxy`` boxes.

    Examples
    --------
    >>> a = np.array([[10.0, 10, 30, 20]])
    >>> decode_boxes(encode_boxes([[12, 11, 28, 23]], a), a).round(6).tolist()
    [[12.0, 11.0, 28.0, 23.0]]
    """
    d = _as_boxes(deltas, "deltas")
    a = _check_xyxy(anchors, "anchors")
    if d.shape != a.shape:
        raise ValueError(f"deltas and anchors must pair up one to one, got {d.shape} and {a.shape}.")
    wx, wy, ww, wh = _check_weights(weights)
    aw, ah = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]                # (N,) each
    ax, ay = a[:, 0] + aw / 2, a[:, 1] + ah / 2
    x, y = ax + d[:, 0] / wx * aw, ay + d[:, 1] / wy * ah
    w = aw * np.exp(np.minimum(d[:, 2] / ww, clip))
    h = ah * np.exp(np.minimum(d[:, 3] / wh, clip))
    return np.stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2], axis=1)


def _check_weights(weights) -> tuple[float, float, float, float]:
    if len(weights) != 4:
        raise ValueError(f"weights must be 4 numbers (w_x, w_y, w_w, w_h), got {weights!r}.")
    return tuple(check_positive(w, "weights") for w in weights)


def match_anchors(anchors, gt_boxes, high: float = 0.7, low: float = 0.3,
                  allow_low_quality: bool = True) -> np.ndarray:
    """Label every anchor with the ground-truth box it must predict, background, or "ignore".

    Defined in :ref:`sec-detection-anchors` (Eq. :eq:`eq-anchor-labels`).

    Parameters
    ----------
    anchors : (A, 4) array_like of float
    gt_boxes : (G, 4) array_like of float
        ``xyxy`` boxes.
    high : float
        IoU at or above which an anchor is foreground (Faster R-CNN's RPN: 0.7).
    low : float
        IoU below which an anchor is background (RPN: 0.3); ``low <= high``.
    allow_low_quality : bool
        Also make foreground, for each ground truth, the anchors with its highest IoU (so that no object
        is left without an anchor).

    Returns
    -------
    (A,) ndarray of int64
        Index of the matched ground truth, ``-1`` for background, ``-2`` for "between the thresholds,
        ignored by the loss" (torchvision's ``Matcher`` codes). With no ground truth, every anchor is -1.

    Notes
    -----
    1. ``Q = IoU(gt, anchors)``, shape ``(G, A)``; each anchor takes its best ground truth ``argmax_g Q``.
    2. Best IoU ``< low`` → -1; ``low <= IoU < high`` → -2.
    3. Low-quality matches: for each ground truth ``g``, every anchor whose IoU with ``g`` equals the largest
       IoU ``g`` has with any anchor gets back its best match of step 1 (as torchvision's ``Matcher``,
       except that a ground truth no anchor overlaps restores nothing: torchvision would then restore every
       anchor, since all tie at IoU 0).

    Examples
    --------
    >>> anchors = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [30, 30, 40, 40]], float)
    >>> match_anchors(anchors, np.array([[0, 0, 10, 10.]]), high=0.7, low=0.3).tolist()   # IoUs 1, 1/3, 0
    [0, -2, -1]
    """
    a = _check_xyxy(anchors, "anchors")
    g = _check_xyxy(gt_boxes, "gt_boxes")
    low, high = check_fraction(low, "low"), check_fraction(high, "high")
    if low > high:
        raise ValueError(f"low ({low}) must not exceed high ({high}).")
    if g.shape[0] == 0:
        return np.full(a.shape[0], -1, dtype=np.int64)
    Q = box_iou(g, a)                                             # (G, A)
    best = Q.argmax(axis=0)                                       # (A,) first best ground truth
    best_iou = Q.max(axis=0)                                      # (A,)
    matches = best.astype(np.int64)
    matches[best_iou < low] = -1
    matches[(best_iou >= low) & (best_iou < high)] = -2
    if allow_low_quality:
        top = Q.max(axis=1, keepdims=True)                        # (G, 1) each ground truth's best IoU
        _, restore = np.nonzero((Q == top) & (top > 0))           # anchors that reach it
        matches[restore] = best[restore]
    return matches
