"""Bounding boxes: formats and conversions used by the detection chapter (Chapter 5) and the data generators.

Boxes are ``(x0, y0, x1, y1)`` ("xyxy") in continuous pixel coordinates: ``x`` runs along columns, ``y``
along rows, and the pixel in row ``r``, column ``c`` covers ``[c, c + 1) × [r, r + 1)``. A box covering
pixel columns 2..4 therefore has ``x0 = 2, x1 = 5``, and its area is ``(x1 - x0) * (y1 - y0)``, the
convention of torchvision's ``box_iou``. (torchvision's ``masks_to_boxes`` returns the last pixel index
instead, i.e. ``x1 - 1``.)
"""

from __future__ import annotations

import numpy as np

__all__ = ["masks_to_boxes"]


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
