"""Bounding boxes: formats and conversions, areas, IoU and generalised IoU (Chapter 5, Object detection).

Boxes are ``(x0, y0, x1, y1)`` ("xyxy") in continuous pixel coordinates: ``x`` runs along columns, ``y``
along rows, and the pixel in row ``r``, column ``c`` covers ``[c, c + 1) × [r, r + 1)``. A box covering
pixel columns 2..4 therefore has ``x0 = 2, x1 = 5``, and its area is ``(x1 - x0) * (y1 - y0)``, the
convention of torchvision's ``box_iou``. (torchvision's ``masks_to_boxes`` returns the last pixel index
instead, i.e. ``x1 - 1``.) The other formats are ``"xywh"`` (COCO's annotations: corner, width, height) and
``"cxcywh"`` (centre, width, height: what YOLO and DETR regress).

References
----------
M. Everingham et al., "The PASCAL visual object classes (VOC) challenge", IJCV 2010 (IoU ≥ 0.5 matching).
H. Rezatofighi et al., "Generalized intersection over union: a metric and a loss for bounding box
regression", CVPR 2019.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_choice

__all__ = ["masks_to_boxes", "box_convert", "box_area", "box_iou", "generalized_box_iou"]

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


def masks_to_boxes(masks: np.ndarray) -> np.ndarray:
    """Tight ``xyxy`` boxes of boolean masks (``x1``, ``y1`` exclusive; empty mask -> zeros).

    Parameters
    ----------
    masks : (N, H, W) ndarray of bool

    Returns
    -------
    (N, 4) ndarray of float64

    Examples
    --------
    >>> m = np.zeros((1, 5, 6), bool); m[0, 1:3, 2:5] = True
    >>> masks_to_boxes(m).tolist()
    [[2.0, 1.0, 5.0, 3.0]]
    """
    if not isinstance(masks, np.ndarray) or masks.ndim != 3 or masks.dtype != bool:
        raise ValueError(f"masks must be an (N, H, W) bool array, got {getattr(masks, 'shape', type(masks))}.")
    boxes = np.zeros((masks.shape[0], 4))
    for k, m in enumerate(masks):
        rows, cols = np.any(m, axis=1), np.any(m, axis=0)
        if rows.any():
            r = np.flatnonzero(rows)
            c = np.flatnonzero(cols)
            boxes[k] = [c[0], r[0], c[-1] + 1, r[-1] + 1]
    return boxes


def _as_boxes(boxes, name: str = "boxes") -> np.ndarray:
    """``boxes`` as an (N, 4) float64 array (a single box (4,) is refused: say which one you mean)."""
    boxes = np.asarray(boxes) if not isinstance(boxes, np.ndarray) else boxes
    check_array(boxes, name, ndim=2, dtype_kind="fiu", shape=(None, 4))
    return boxes.astype(np.float64, copy=False)


def _check_xyxy(boxes: np.ndarray, name: str) -> np.ndarray:
    boxes = _as_boxes(boxes, name)
    bad = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be xyxy with x1 >= x0 and y1 >= y0; row {i} is {boxes[i].tolist()} "
                         "(convert other formats with box_convert first).")
    return boxes


def box_convert(boxes, in_fmt: str, out_fmt: str) -> np.ndarray:
    """Convert boxes between ``"xyxy"``, ``"xywh"`` and ``"cxcywh"`` (torchvision's names).

    Defined in :ref:`sec-detection-boxes` (Eq. :eq:`eq-box-formats`).

    Parameters
    ----------
    boxes : (N, 4) array_like of float
    in_fmt, out_fmt : {"xyxy", "xywh", "cxcywh"}
        ``xyxy`` = corners, ``xywh`` = top-left corner and size (COCO), ``cxcywh`` = centre and size.

    Returns
    -------
    (N, 4) ndarray of float64
        A new array (also when ``in_fmt == out_fmt``).

    Notes
    -----
    Every conversion goes through ``xyxy``: ``x1 = x0 + w`` and ``cx = (x0 + x1) / 2``.

    Examples
    --------
    >>> box_convert([[2, 1, 5, 3]], "xyxy", "cxcywh").tolist()
    [[3.5, 2.0, 3.0, 2.0]]
    >>> box_convert([[3.5, 2.0, 3.0, 2.0]], "cxcywh", "xywh").tolist()
    [[2.0, 1.0, 3.0, 2.0]]
    """
    check_choice(in_fmt, "in_fmt", BOX_FORMATS)
    check_choice(out_fmt, "out_fmt", BOX_FORMATS)
    b = _as_boxes(boxes).copy()
    if in_fmt != "xyxy" and np.any(b[:, 2:] < 0):
        raise ValueError(f"{in_fmt} boxes must have width and height >= 0.")
    if in_fmt == "xywh":
        b[:, 2:] += b[:, :2]                                    # (N, 4) corners
    elif in_fmt == "cxcywh":
        centre, size = b[:, :2].copy(), b[:, 2:].copy()
        b[:, :2], b[:, 2:] = centre - size / 2, centre + size / 2
    if out_fmt == "xywh":
        b[:, 2:] -= b[:, :2]
    elif out_fmt == "cxcywh":
        x0y0, x1y1 = b[:, :2].copy(), b[:, 2:].copy()
        b[:, :2], b[:, 2:] = (x0y0 + x1y1) / 2, x1y1 - x0y0
    return b


def box_area(boxes) -> np.ndarray:
    """Areas ``(x1 - x0) (y1 - y0)`` of ``xyxy`` boxes.

    Defined in :ref:`sec-detection-boxes` (Eq. :eq:`eq-box-formats`).

    Parameters
    ----------
    boxes : (N, 4) array_like of float
        ``xyxy`` boxes with ``x1 >= x0`` and ``y1 >= y0``.

    Returns
    -------
    (N,) ndarray of float64

    Examples
    --------
    >>> box_area([[2, 1, 5, 3], [0, 0, 0, 4]]).tolist()
    [6.0, 0.0]
    """
    b = _check_xyxy(boxes, "boxes")
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def _pairwise_intersection(a: np.ndarray, b: np.ndarray):
    """Intersection areas and the corners of the overlap, for every pair: ``(N, M)`` each."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])             # (N, M, 2) top-left of the overlap
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])             # (N, M, 2) bottom-right
    wh = np.clip(rb - lt, 0.0, None)                            # (N, M, 2) 0 when they do not overlap
    return wh[..., 0] * wh[..., 1]


def box_iou(boxes1, boxes2) -> np.ndarray:
    """Intersection over union of every pair of ``xyxy`` boxes, ``|A ∩ B| / |A ∪ B|``.

    Defined in :ref:`sec-detection-boxes` (Eq. :eq:`eq-box-iou`).

    Parameters
    ----------
    boxes1 : (N, 4) array_like of float
    boxes2 : (M, 4) array_like of float
        ``xyxy`` boxes.

    Returns
    -------
    (N, M) ndarray of float64 in [0, 1]
        ``iou[i, j]`` compares ``boxes1[i]`` with ``boxes2[j]``. A pair of empty boxes (union 0) has IoU 0.

    Notes
    -----
    1. Intersection: the overlap rectangle runs from the larger top-left corner to the smaller bottom-right
       corner; its width and height are clipped at 0.
    2. Union: ``|A| + |B| - |A ∩ B|`` (inclusion–exclusion), so nothing is counted twice.

    References
    ----------
    M. Everingham et al., "The PASCAL visual object classes (VOC) challenge", IJCV 2010.

    Examples
    --------
    >>> box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3], [0, 0, 2, 2], [5, 5, 6, 6]]).round(4).tolist()
    [[0.1429, 1.0, 0.0]]
    """
    a, b = _check_xyxy(boxes1, "boxes1"), _check_xyxy(boxes2, "boxes2")
    inter = _pairwise_intersection(a, b)                        # (N, M)
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter  # (N, M) inclusion-exclusion
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def generalized_box_iou(boxes1, boxes2) -> np.ndarray:
    """Generalised IoU of every pair: ``IoU - |C \\ (A ∪ B)| / |C|`` with ``C`` the smallest enclosing box.

    Defined in :ref:`sec-detection-boxes` (Eq. :eq:`eq-giou`).

    Parameters
    ----------
    boxes1 : (N, 4) array_like of float
    boxes2 : (M, 4) array_like of float
        ``xyxy`` boxes.

    Returns
    -------
    (N, M) ndarray of float64 in [-1, 1]
        Equals the IoU when one box contains the other's hull (C = A ∪ B); tends to -1 as two small boxes
        move far apart, so ``1 - GIoU`` still has a gradient where IoU is flat at 0.

    Notes
    -----
    1. IoU and the union ``U`` as in :func:`box_iou`.
    2. ``C``: from the smaller top-left corner to the larger bottom-right corner of the pair.
    3. ``GIoU = IoU - (|C| - U) / |C|``; a degenerate pair (``|C| = 0``) gets GIoU = IoU = 0.

    References
    ----------
    H. Rezatofighi et al., "Generalized intersection over union", CVPR 2019.

    Examples
    --------
    >>> generalized_box_iou([[0, 0, 1, 1]], [[2, 0, 3, 1], [0, 0, 1, 1]]).tolist()
    [[-0.3333333333333333, 1.0]]
    """
    a, b = _check_xyxy(boxes1, "boxes1"), _check_xyxy(boxes2, "boxes2")
    inter = _pairwise_intersection(a, b)                        # (N, M)
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    lt = np.minimum(a[:, None, :2], b[None, :, :2])             # (N, M, 2) enclosing box C
    rb = np.maximum(a[:, None, 2:], b[None, :, 2:])
    hull = np.prod(rb - lt, axis=-1)                            # (N, M) |C|
    waste = np.divide(hull - union, hull, out=np.zeros_like(hull), where=hull > 0)
    return iou - waste
