"""RoI Pool and RoI Align: a fixed-size feature grid from every region of a feature map (Chapter 5).

A two-stage detector (Fast/Faster R-CNN, Mask R-CNN) proposes regions of any size and must hand its second
stage a fixed ``(C, h, w)`` block per region. **RoI Pool** rounds the region to whole feature cells and
max-pools ``h × w`` uneven bins: every rounding moves the features by up to half a cell, which for a
stride-16 feature map is 8 pixels. **RoI Align** keeps the region's real-valued corners, samples each bin at
a few points by bilinear interpolation and averages them: nothing is rounded.

The semantics are torchvision's ``roi_pool`` and ``roi_align`` (boxes ``xyxy`` in image pixels, scaled by
``spatial_scale`` onto the feature map). With ``aligned=True`` a continuous coordinate ``u`` on the feature map
is looked up at ``u - 0.5`` in index units, because feature cell ``j`` covers ``[j, j + 1)`` and has its centre
at ``j + 0.5`` (the box convention of :mod:`coursekit.detection.boxes`); the interpolation is
:func:`coursekit.geometry.warp.bilinear_sample`.

References
----------
R. Girshick, "Fast R-CNN", ICCV 2015 (RoI pooling).
K. He, G. Gkioxari, P. Dollár and R. Girshick, "Mask R-CNN", ICCV 2017 (RoI Align).
"""

from __future__ import annotations

import math

import numpy as np

from coursekit.core.validation import check_array, check_int, check_positive
from coursekit.detection.boxes import _as_boxes
from coursekit.geometry.warp import bilinear_sample

__all__ = ["roi_pool", "roi_align"]


def _check_inputs(features, boxes, output_size):
    check_array(features, "features", ndim=3, dtype_kind="fiu")
    if 0 in features.shape:
        raise ValueError(f"features must be a non-empty (C, H, W) map, got shape {features.shape}.")
    boxes = _as_boxes(boxes)
    if len(output_size) != 2:
        raise ValueError(f"output_size must be (h, w), got {output_size!r}.")
    h, w = (check_int(n, "output_size") for n in output_size)
    return boxes, h, w


def _round_half_away(x: float) -> int:
    """C's ``round``: halves go away from zero (``np.round`` would round them to even)."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def roi_pool(features: np.ndarray, boxes, output_size=(7, 7), spatial_scale: float = 1.0) -> np.ndarray:
    """RoI max pooling (Fast R-CNN): round the box to whole cells, split it into uneven bins, take maxima.

    Defined in :ref:`sec-detection-roi` (Eq. :eq:`eq-roi-pool`).

    Parameters
    ----------
    features : (C, H, W) ndarray of float
        One feature map.
    boxes : (R, 4) array_like of float
        ``xyxy`` regions in image pixels.
    output_size : (int, int)
        ``(h, w)`` bins per region.
    spatial_scale : float
        Feature cells per image pixel (1 / stride).

    Returns
    -------
    (R, C, h, w) ndarray of float64
        The maximum of each bin; an empty bin (outside the map) gives 0.

    Notes
    -----
    As torchvision's ``roi_pool`` (and the original Caffe layer):

    1. Round the scaled corners to integers ``x0 = round(s x_0)``, ``x1 = round(s x_1)`` and treat ``x1`` as
       an *inclusive* cell index, so the region spans ``W_r = max(x1 - x0 + 1, 1)`` cells (rows alike).
    2. Bin ``j`` of ``w`` covers cells ``x0 + floor(j W_r / w)`` up to ``x0 + ceil((j + 1) W_r / w)``
       (exclusive), clipped to the map — neighbouring bins may share a cell.
    3. Max over each bin's cells and every channel separately.

    References
    ----------
    R. Girshick, "Fast R-CNN", ICCV 2015.

    Examples
    --------
    >>> f = np.arange(16.0).reshape(1, 4, 4)
    >>> roi_pool(f, [[0, 0, 3, 3]], output_size=(2, 2))[0, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    boxes, h, w = _check_inputs(features, boxes, output_size)
    spatial_scale = check_positive(spatial_scale, "spatial_scale")
    C, H, W = features.shape
    out = np.zeros((boxes.shape[0], C, h, w))
    for r, (bx0, by0, bx1, by1) in enumerate(boxes):
        x0, y0 = _round_half_away(bx0 * spatial_scale), _round_half_away(by0 * spatial_scale)
        x1, y1 = _round_half_away(bx1 * spatial_scale), _round_half_away(by1 * spatial_scale)
        Wr, Hr = max(x1 - x0 + 1, 1), max(y1 - y0 + 1, 1)          # region size in whole cells
        for i in range(h):
            r0 = min(max(math.floor(i * Hr / h) + y0, 0), H)         # bin rows [r0, r1)
            r1 = min(max(math.ceil((i + 1) * Hr / h) + y0, 0), H)
            for j in range(w):
                c0 = min(max(math.floor(j * Wr / w) + x0, 0), W)     # bin columns [c0, c1)
                c1 = min(max(math.ceil((j + 1) * Wr / w) + x0, 0), W)
                if r1 > r0 and c1 > c0:
                    out[r, :, i, j] = features[:, r0:r1, c0:c1].max(axis=(1, 2))
    return out


def roi_align(features: np.ndarray, boxes, output_size=(7, 7), spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = True) -> np.ndarray:
    """RoI Align (Mask R-CNN): average bilinear samples on a regular grid inside each bin; no rounding.

    Defined in :ref:`sec-detection-roi` (Eq. :eq:`eq-roi-align`).

    Parameters
    ----------
    features : (C, H, W) ndarray of float
    boxes : (R, 4) array_like of float
        ``xyxy`` regions in image pixels.
    output_size : (int, int)
        ``(h, w)`` bins per region.
    spatial_scale : float
        Feature cells per image pixel (1 / stride).
    sampling_ratio : int
        Samples per bin along each axis; ``<= 0`` picks ``ceil(region size / bins)`` per region.
    aligned : bool
        ``True``: a continuous coordinate ``u`` is sampled at index ``u - 0.5`` (Mask R-CNN as torchvision's
        ``aligned=True`` and Detectron2 use it). ``False``: the legacy half-cell shift, with regions grown to
        at least one cell.

    Returns
    -------
    (R, C, h, w) ndarray of float64

    Notes
    -----
    For a region with scaled corners ``(x_0, y_0, x_1, y_1)``, bins of size ``b_w = (x_1 - x_0) / w`` and
    ``b_h`` alike, and ``g_h × g_w`` samples per bin:

    1. sample ``(m, n)`` of bin ``(i, j)`` sits at ``x = x_0 + j b_w + (n + ½) b_w / g_w`` and
       ``y = y_0 + i b_h + (m + ½) b_h / g_h`` (minus ½ with ``aligned``);
    2. its value is the bilinear interpolation of the four cells around it (:func:`bilinear_sample`); as in
       torchvision, a point more than one cell outside the map counts 0, and a point within one cell of the
       border is moved onto the border;
    3. each bin outputs the mean of its ``g_h g_w`` samples.

    References
    ----------
    K. He, G. Gkioxari, P. Dollár and R. Girshick, "Mask R-CNN", ICCV 2017.

    Examples
    --------
    >>> ramp = np.tile(np.arange(8.0), (8, 1))[None]                  # value = column index
    >>> roi_align(ramp, [[2.0, 2.0, 6.0, 6.0]], output_size=(1, 2))[0, 0].tolist()   # bin centres x = 3, 5
    [[2.5, 4.5]]
    """
    boxes, h, w = _check_inputs(features, boxes, output_size)
    spatial_scale = check_positive(spatial_scale, "spatial_scale")
    sampling_ratio = check_int(sampling_ratio, "sampling_ratio", minimum=None)
    C, H, W = features.shape
    image = np.moveaxis(features, 0, -1).astype(np.float64)       # (H, W, C) for bilinear_sample
    offset = 0.5 if aligned else 0.0
    out = np.zeros((boxes.shape[0], C, h, w))
    for r, box in enumerate(boxes):
        x0, y0, x1, y1 = box * spatial_scale - offset
        rw, rh = x1 - x0, y1 - y0
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / h)
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / w)
        if gh <= 0 or gw <= 0:
            continue                                              # an empty region: zeros, as torchvision
        ys = y0 + (np.arange(h * gh) + 0.5) * (rh / h) / gh        # (h*gh,) sample rows, bin after bin
        xs = x0 + (np.arange(w * gw) + 0.5) * (rw / w) / gw        # (w*gw,)
        yy, xx = np.meshgrid(ys, xs, indexing="ij")               # (h*gh, w*gw)
        inside = (yy >= -1.0) & (yy <= H) & (xx >= -1.0) & (xx <= W)
        v = bilinear_sample(image, np.clip(xx, 0, W - 1), np.clip(yy, 0, H - 1))    # (h*gh, w*gw, C)
        v *= inside[..., None]
        out[r] = v.reshape(h, gh, w, gw, C).mean(axis=(1, 3)).transpose(2, 0, 1)   # (C, h, w)
    return out
