"""Top-down versus bottom-up multi-person pose: the person crop of a top-down pipeline and a cost model.

Chapter 7 (Pose estimation). A *top-down* system first detects people, then crops each box, resizes it to the
pose network's input and runs the network once per person: its cost grows linearly with the number of
people P, and a person the detector misses is lost. A *bottom-up* system runs one network over the whole
image and groups the keypoints afterwards (:mod:`coursekit.pose.paf`): the network's cost does not depend on
P, only the (cheap, but super-linear) grouping does.

References
----------
G. Papandreou et al., "Towards Accurate Multi-person Pose Estimation in the Wild", CVPR 2017 (top-down).
Z. Cao, T. Simon, S.-E. Wei and Y. Sheikh, "Realtime Multi-Person 2D Pose Estimation using Part Affinity
Fields", CVPR 2017 (bottom-up; its runtime analysis compares both kinds as the number of people grows).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int, check_nonnegative
from coursekit.geometry.warp import bilinear_sample

__all__ = ["crop_person", "pipeline_cost"]


def crop_person(image, box, size: int = 64, margin: float = 0.15):
    """Cut a square around a person's box and resample it to ``size × size``: the input of a top-down network.

    Defined in :ref:`sec-pose-topdown`.

    Parameters
    ----------
    image : (H, W) array_like of float
        A grey image.
    box : (4,) array_like of float
        ``xyxy`` in pixels (continuous, pixel ``[r, c]`` covers ``[c, c + 1) × [r, r + 1)``).
    size : int
        Side of the crop in pixels (>= 1).
    margin : float
        Extra border around the box, as a fraction of its longer side on each side (>= 0).

    Returns
    -------
    crop : (size, size) ndarray of float64
        Bilinear samples of the image (0 outside it).
    origin : (2,) ndarray of float64
        ``(x, y)`` of the crop's top-left corner in the image.
    scale : float
        Image pixels per crop pixel: a point ``p`` of the crop is ``origin + scale · p`` in the image.

    Notes
    -----
    1. The square has side ``L = (1 + 2 · margin) · max(w, h)`` and the box's centre.
    2. Crop pixel ``[v, u]`` has its centre at ``(u + 0.5, v + 0.5)``; in the image that is
       ``origin + scale · (u + 0.5, v + 0.5)`` with ``scale = L / size``.
    3. Sample there by bilinear interpolation (which puts pixel centres at integers, hence a shift of 0.5).

    Examples
    --------
    >>> img = np.arange(64.0).reshape(8, 8)
    >>> crop, origin, scale = crop_person(img, (2, 2, 6, 6), size=4, margin=0.0)   # an exact 4×4 copy
    >>> bool(np.allclose(crop, img[2:6, 2:6])), origin.tolist(), scale
    (True, [2.0, 2.0], 1.0)
    """
    image = np.asarray(image, dtype=np.float64)
    check_array(image, "image", ndim=2, dtype_kind="f")
    box = np.asarray(box, dtype=np.float64).reshape(-1)
    check_array(box, "box", shape=(4,))
    if box[2] <= box[0] or box[3] <= box[1]:
        raise ValueError(f"box must be xyxy with x1 > x0 and y1 > y0, got {box.tolist()}.")
    size = check_int(size, "size", minimum=1)
    margin = check_nonnegative(margin, "margin")
    side = (1 + 2 * margin) * max(box[2] - box[0], box[3] - box[1])      # 1. the square's side L
    centre = (box[:2] + box[2:]) / 2
    origin = centre - side / 2
    scale = side / size
    c = np.arange(size) + 0.5                                            # 2. crop pixel centres
    x = origin[0] + scale * c[None, :]                                   # (1, size) image x
    y = origin[1] + scale * c[:, None]                                   # (size, 1) image y
    x, y = np.broadcast_arrays(x, y)                                     # (size, size)
    crop = bilinear_sample(image, x - 0.5, y - 0.5)                      # 3. integer-centre convention
    return crop, origin, float(scale)


def pipeline_cost(n_people, network_macs: float, image_pixels: int, crop_pixels: int, detector_macs: float = 0.0,
                  n_limbs: int = 14, n_samples: int = 10) -> dict:
    """Multiply-adds of a top-down and of a bottom-up multi-person pose pipeline, as a function of P.

    Defined in :ref:`sec-pose-topdown` (Eq. :eq:`eq-pose-cost`).

    Parameters
    ----------
    n_people : int or (N,) array_like of int
        The number of people P in the image.
    network_macs : float
        Multiply-adds of the pose network *per input pixel* (it is fully convolutional).
    image_pixels, crop_pixels : int
        Pixels of the whole image (bottom-up input) and of one person crop (top-down input).
    detector_macs : float
        The person detector's cost, paid once by the top-down pipeline.
    n_limbs : int
        E, the number of limbs scored by the bottom-up grouping.
    n_samples : int
        S, the samples of each line integral (about 4 multiply-adds each: bilinear read and dot product).

    Returns
    -------
    dict
        ``"top_down"``: ``detector_macs + P · crop_pixels · network_macs``;
        ``"bottom_up"``: ``image_pixels · network_macs + E · P² · 4 S`` (one line integral per candidate pair of
        every limb; the Hungarian step on P × P matrices, O(P³) comparisons, is left out, it is negligible at
        these sizes). Values are floats, or arrays shaped like ``n_people``.

    Examples
    --------
    >>> c = pipeline_cost([1, 10], network_macs=1000.0, image_pixels=10_000, crop_pixels=4096)
    >>> c["top_down"].tolist(), c["bottom_up"].tolist()
    ([4096000.0, 40960000.0], [10000560.0, 10056000.0])
    """
    P = np.asarray(n_people, dtype=np.float64)
    if np.any(P < 0) or np.any(P != np.round(P)):
        raise ValueError(f"n_people must be non-negative integers, got {n_people!r}.")
    network_macs = check_nonnegative(network_macs, "network_macs")
    image_pixels = check_int(image_pixels, "image_pixels", minimum=1)
    crop_pixels = check_int(crop_pixels, "crop_pixels", minimum=1)
    detector_macs = check_nonnegative(detector_macs, "detector_macs")
    n_limbs = check_int(n_limbs, "n_limbs", minimum=0)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    top_down = detector_macs + P * crop_pixels * network_macs
    bottom_up = image_pixels * network_macs + n_limbs * P ** 2 * 4 * n_samples
    if P.ndim == 0:
        return {"top_down": float(top_down), "bottom_up": float(bottom_up)}
    return {"top_down": top_down, "bottom_up": bottom_up}
