"""Procedural stick figures with exact keypoints, a skeleton and per-keypoint visibility.

Each person has K = 13 keypoints (COCO's 17 without eyes and ears, in COCO order), limbs
drawn along the :data:`SKELETON` edges, a head disc around the nose, and optional grey
occluders that hide some keypoints (visibility 1, as in COCO; 2 = visible, 0 = absent).
Several people per image give the bottom-up (part affinity field) lesson its data.
"Left" is the person's left, which appears on the image's right (they face the camera).

Used by Chapter 7 (heatmap targets, PCK/OKS, top-down vs bottom-up, PAF grouping).

References
----------
Lin et al., "Microsoft COCO: Common Objects in Context", ECCV 2014 (keypoint format, OKS).
Cao et al., "OpenPose: Realtime Multi-Person 2D Pose Estimation using Part Affinity Fields", CVPR 2017.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coursekit.core.validation import (
    check_count_range,
    check_fraction,
    check_int,
    check_nonnegative,
    check_positive,
    check_rng,
)
from coursekit.data.shapes import _background
from coursekit.detection.boxes import masks_to_boxes

__all__ = ["KEYPOINT_NAMES", "SKELETON", "StickFigures", "stick_figures", "segment_distance", "StickFigureBatch",
           "stick_figure_batch", "stick_figure_crowd"]

KEYPOINT_NAMES = (
    "nose", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
#: Limbs as pairs of keypoint indices (E = 14 edges).
SKELETON = ((0, 1), (0, 2), (1, 2), (1, 3), (3, 5), (2, 4), (4, 6),
            (1, 7), (2, 8), (7, 8), (7, 9), (9, 11), (8, 10), (10, 12))


def segment_distance(px: np.ndarray, py: np.ndarray, a, b) -> np.ndarray:
    """Distance from points ``(px, py)`` (any shape) to the segment from ``a`` to ``b`` (2-vectors).

    Parameters
    ----------
    px, py : ndarray of float
        x and y coordinates of the points, of one shape (broadcastable).
    a, b : (2,) array_like
        The segment's end points ``(x, y)``.

    Returns
    -------
    ndarray of float64
        The Euclidean distance of every point to the nearest point of the segment, shaped like ``px``.

    Examples
    --------
    >>> float(segment_distance(np.array(1.0), np.array(1.0), (0, 0), (2, 0)))
    1.0
    """
    ax, ay = float(a[0]), float(a[1])
    dx, dy = float(b[0]) - ax, float(b[1]) - ay
    L2 = dx * dx + dy * dy
    t = np.zeros_like(px) if L2 == 0 else np.clip(((px - ax) * dx + (py - ay) * dy) / L2, 0.0, 1.0)
    return np.hypot(px - ax - t * dx, py - ay - t * dy)


def _pose(rng: np.random.Generator, h: float) -> np.ndarray:
    """Keypoints (K, 2) of a person of height about h, hips centred at the origin, y down."""
    def down(phi):  # unit vector at angle phi from "down", positive towards image +x
        return np.array([np.sin(phi), np.cos(phi)])

    lean = rng.normal(0.0, 0.12)
    up = -down(lean)
    perp = np.array([-up[1], up[0]])                    # towards image +x (the person's left)
    if perp[0] < 0:
        perp = -perp
    neck = 0.36 * h * up
    kp = np.zeros((13, 2))
    kp[0] = neck + 0.13 * h * up                        # nose (head centre)
    kp[1], kp[2] = neck + 0.12 * h * perp, neck - 0.12 * h * perp
    kp[7], kp[8] = 0.08 * h * perp, -0.08 * h * perp
    for side, (sh, el, wr, hip, kn, an) in ((1, (1, 3, 5, 7, 9, 11)), (-1, (2, 4, 6, 8, 10, 12))):
        arm = rng.uniform(0.1, 2.4)                     # upper arm away from the body
        bend = rng.uniform(-0.3, 1.8)                   # elbow
        kp[el] = kp[sh] + 0.17 * h * down(side * (arm + lean))
        kp[wr] = kp[el] + 0.16 * h * down(side * (arm + bend + lean))
        thigh = rng.uniform(-0.05, 0.5)
        knee = rng.uniform(-0.6, 0.1)
        kp[kn] = kp[hip] + 0.24 * h * down(side * thigh)
        kp[an] = kp[kn] + 0.23 * h * down(side * (thigh + knee))
    return kp


@dataclass
class StickFigures:
    """An image of P stick figures and their ground truth (K = 13 keypoints).

    Attributes
    ----------
    image : (H, W, 3) ndarray of float64 in [0, 1]
    keypoints : (P, K, 2) ndarray of float64
        ``(x, y)`` in pixels (pixel centres at ``j + 0.5``); all inside the image.
    visibility : (P, K) ndarray of int64
        2 visible, 1 hidden by an occluder (COCO convention).
    boxes : (P, 4) ndarray of float64
        Tight ``xyxy`` box of each figure's drawn pixels (before occlusion).
    masks : (P, H, W) ndarray of bool
        Pixels of each figure (limbs and head) before occlusion.
    occluder : (H, W) ndarray of bool
        Pixels covered by grey occluding rectangles.
    head_radius : (P,) ndarray of float64
    scale : (P,) ndarray of float64
        Person height in pixels (the OKS / PCK normaliser).
    limb_width : float

    Examples
    --------
    >>> people = stick_figures(np.random.default_rng(0))
    >>> people.image.shape, people.keypoints.shape[1:]
    ((64, 64, 3), (13, 2))
    """

    image: np.ndarray
    keypoints: np.ndarray
    visibility: np.ndarray
    boxes: np.ndarray
    masks: np.ndarray
    occluder: np.ndarray
    head_radius: np.ndarray
    scale: np.ndarray
    limb_width: float


def stick_figures(rng: np.random.Generator, size: int = 64, n_people=(1, 3),
                  height=(0.45, 0.8), limb_width: float = 2.0, occlusion: float = 0.0,
                  noise: float = 0.03, color_per_person: bool = False) -> StickFigures:
    """Draw P stick figures with random poses, optionally partly occluded.

    Parameters
    ----------
    rng : np.random.Generator
    size : int
        Image side H = W (>= 32).
    n_people : int or (int, int)
        Number of people P (or an inclusive range). People are placed without overlapping
        boxes by more than IoU 0.2; if one cannot be placed in 100 tries it is dropped.
    height : (float, float)
        Range of person heights as fractions of ``size`` (divided by ``sqrt(P)`` for P > 1).
    limb_width : float
        Limb thickness in pixels.
    occlusion : float
        Probability that each person gets a grey rectangle over one random keypoint.
    noise : float
        Gaussian pixel noise.
    color_per_person : bool
        Draw each person in its own colour (default: all white-ish, so grouping must come
        from geometry, as with part affinity fields).

    Returns
    -------
    StickFigures

    Notes
    -----
    A pose is built from the hips up: a leaning torso, shoulders and hips across it, and
    two-segment arms and legs at random joint angles; then it is rotated slightly, and
    placed. A limb covers the pixels whose centre lies within ``limb_width / 2`` of the
    segment; the head is a disc of radius ``0.07 * height`` around the nose.

    Used in Chapter 7 (pose estimation).

    Examples
    --------
    >>> f = stick_figures(np.random.default_rng(0), size=64, n_people=2)
    >>> f.image.shape, f.keypoints.shape, f.visibility.shape
    ((64, 64, 3), (2, 13, 2), (2, 13))
    """
    check_rng(rng)
    size = check_int(size, "size", minimum=32)
    lo, hi = check_count_range(n_people, "n_people", minimum=1)
    limb_width = check_positive(limb_width, "limb_width")
    occlusion = check_fraction(occlusion, "occlusion")
    noise = check_nonnegative(noise, "noise")
    try:
        h_lo, h_hi = (check_fraction(v, "height", 0.1, 0.95) for v in height)
    except TypeError:
        raise ValueError(f"height must be a pair of fractions of size, got {height!r}.") from None
    if h_hi < h_lo:
        raise ValueError(f"height must be (low, high) with low <= high, got {height!r}.")
    H = W = size
    P = int(rng.integers(lo, hi + 1))
    shrink = np.sqrt(P)
    pad = limb_width / 2 + 1.0

    poses, heights, boxes = [], [], []
    for _ in range(P):
        for _attempt in range(100):
            h = rng.uniform(h_lo, h_hi) * size / shrink
            kp = _pose(rng, h)
            a = rng.normal(0.0, 0.1)
            R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
            kp = kp @ R.T
            r_head = 0.07 * h
            lo_xy = np.minimum(kp.min(0), kp[0] - r_head) - pad
            hi_xy = np.maximum(kp.max(0), kp[0] + r_head) + pad
            span = hi_xy - lo_xy
            if np.any(span >= size):
                continue
            shift = rng.uniform(-lo_xy, size - hi_xy)             # keeps the whole figure inside
            box = np.concatenate([lo_xy + shift, hi_xy + shift])
            if all(_iou(box, b) < 0.2 for b in boxes):
                poses.append(kp + shift)
                heights.append(h)
                boxes.append(box)
                break
    P = len(poses)
    keypoints = np.array(poses).reshape(P, 13, 2)
    heights = np.array(heights)
    head_radius = 0.07 * heights

    x = np.arange(W) + 0.5
    y = (np.arange(H) + 0.5)[:, None]
    px, py = np.broadcast_arrays(x, y)                            # (H, W) each
    masks = np.zeros((P, H, W), dtype=bool)
    for p in range(P):
        for i, j in SKELETON:
            masks[p] |= segment_distance(px, py, keypoints[p, i], keypoints[p, j]) <= limb_width / 2
        masks[p] |= np.hypot(px - keypoints[p, 0, 0], py - keypoints[p, 0, 1]) <= head_radius[p]

    image = _background(rng, H, W)
    palette = np.array([[0.95, 0.95, 0.95], [0.95, 0.6, 0.1], [0.3, 0.8, 0.95],
                        [0.9, 0.3, 0.7], [0.5, 0.95, 0.3]])
    for p in range(P):
        image[masks[p]] = palette[p % len(palette)] if color_per_person else palette[0]

    occluder = np.zeros((H, W), dtype=bool)
    for p in range(P):
        if rng.random() < occlusion:
            k = int(rng.integers(13))
            half = rng.uniform(0.06, 0.1) * heights[p]
            cx, cy = keypoints[p, k] + rng.uniform(-0.5, 0.5, 2) * half
            occluder |= (np.abs(px - cx) <= half) & (np.abs(py - cy) <= half)
    image[occluder] = 0.55
    col = np.clip(np.floor(keypoints[..., 0]).astype(int), 0, W - 1)
    row = np.clip(np.floor(keypoints[..., 1]).astype(int), 0, H - 1)
    visibility = np.where(occluder[row, col], 1, 2).astype(np.int64)

    image = np.clip(image + noise * rng.standard_normal(image.shape), 0.0, 1.0)
    return StickFigures(image=image, keypoints=keypoints, visibility=visibility,
                        boxes=masks_to_boxes(masks), masks=masks, occluder=occluder,
                        head_radius=head_radius, scale=heights, limb_width=limb_width)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


@dataclass
class StickFigureBatch:
    """A batch of B single-person stick-figure images (top-down crops), grey, with their keypoints.

    Attributes
    ----------
    images : (B, H, W) ndarray of float32 in [0, 1]
    keypoints : (B, K, 2) ndarray of float64
        ``(x, y)`` in pixels (pixel centres at ``j + 0.5``).
    visibility : (B, K) ndarray of int64
        All 2 (visible): the batch has no occluders.
    boxes : (B, 4) ndarray of float64
        Tight ``xyxy`` box of each figure's drawn pixels.
    scale : (B,) ndarray of float64
        Person height in pixels.

    Examples
    --------
    >>> batch = stick_figure_batch(np.random.default_rng(0), 3)
    >>> batch.images.shape, batch.keypoints.shape
    ((3, 64, 64), (3, 13, 2))
    """

    images: np.ndarray
    keypoints: np.ndarray
    visibility: np.ndarray
    boxes: np.ndarray
    scale: np.ndarray


def _place(rng: np.random.Generator, h: float, size: int, pad: float):
    """One random pose of height ``h``, slightly rotated, shifted to lie inside a ``size`` image (or None)."""
    kp = _pose(rng, h)
    a = rng.normal(0.0, 0.1)
    R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    kp = kp @ R.T
    r_head = 0.07 * h
    lo_xy = np.minimum(kp.min(0), kp[0] - r_head) - pad
    hi_xy = np.maximum(kp.max(0), kp[0] + r_head) + pad
    if np.any(hi_xy - lo_xy >= size):
        return None
    shift = rng.uniform(-lo_xy, size - hi_xy)
    return kp + shift, np.concatenate([lo_xy + shift, hi_xy + shift])


def _figure_masks(keypoints: np.ndarray, heights: np.ndarray, size: int, limb_width: float) -> np.ndarray:
    """(N, size, size) bool masks of N figures: pixel centres within limb_width / 2 of a limb, or in the head.

    The same rule as :func:`stick_figures`, vectorised over the figures in float32 with squared distances,
    each limb and head evaluated only in a window around it (the pixels it can reach).
    """
    N = len(keypoints)
    masks = np.zeros((N, size, size), dtype=bool)
    n_idx = np.arange(N)[:, None, None]                                      # (N, 1, 1)
    r = limb_width / 2

    def paint(lo: np.ndarray, extent: int, inside):
        """Evaluate ``inside(x, y)`` on an extent² window from the integer corner lo (N, 2)."""
        off = np.arange(extent)
        cols = lo[:, 0, None, None] + off[None, None, :]                     # (N, 1, w)
        rows = lo[:, 1, None, None] + off[None, :, None]                     # (N, w, 1)
        hit = inside(cols.astype(np.float32) + 0.5, rows.astype(np.float32) + 0.5)   # (N, w, w)
        hit &= (cols >= 0) & (cols < size) & (rows >= 0) & (rows < size)
        nn, rr, cc = np.broadcast_arrays(n_idx, rows, cols)
        masks[nn[hit], rr[hit], cc[hit]] = True

    kp = keypoints.astype(np.float32)
    for i, j in SKELETON:
        a, b = kp[:, i], kp[:, j]                                            # (N, 2)
        d = b - a
        L2 = np.maximum((d * d).sum(1), np.float32(1e-12))[:, None, None]
        lo = np.floor(np.minimum(a, b) - r).astype(int)                      # (N, 2) window corner
        extent = int(np.ceil(np.abs(d).max())) + int(np.ceil(2 * r)) + 2

        def limb(x, y, a=a, d=d, L2=L2):
            ax, ay = a[:, 0, None, None], a[:, 1, None, None]
            dx, dy = d[:, 0, None, None], d[:, 1, None, None]
            t = np.clip(((x - ax) * dx + (y - ay) * dy) / L2, 0.0, 1.0)
            return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= np.float32(r * r)

        paint(lo, extent, limb)
    rh = (0.07 * heights).astype(np.float32)[:, None, None]                  # (N, 1, 1)
    nose = kp[:, 0]
    lo = np.floor(nose - rh[:, :, 0]).astype(int)
    paint(lo, int(np.ceil(2 * rh.max())) + 2,
          lambda x, y: (x - nose[:, 0, None, None]) ** 2 + (y - nose[:, 1, None, None]) ** 2 <= rh * rh)
    return masks


def stick_figure_batch(rng: np.random.Generator, n: int, size: int = 64, height=(0.45, 0.8),
                       limb_width: float = 2.0, noise: float = 0.03) -> StickFigureBatch:
    """Many single-person grey stick-figure images at once: the training set of a top-down pose network.

    Parameters
    ----------
    rng : np.random.Generator
    n : int
        Number of images B (>= 1).
    size : int
        Image side H = W (>= 32).
    height : (float, float)
        Range of person heights as fractions of ``size``.
    limb_width : float
        Limb thickness in pixels.
    noise : float
        Gaussian pixel noise.

    Returns
    -------
    StickFigureBatch

    Notes
    -----
    Poses, rotations and placement are drawn as in :func:`stick_figures` with one person; the figures are
    drawn in one vectorised pass (about 2,000 images of 64×64 per second on one core), in grey (the mean of
    the colour image :func:`stick_figures` would draw).

    Used in Chapter 7 (the heatmap network).

    Examples
    --------
    >>> b = stick_figure_batch(np.random.default_rng(0), 4)
    >>> b.images.shape, b.images.dtype, b.keypoints.shape
    ((4, 64, 64), dtype('float32'), (4, 13, 2))
    """
    check_rng(rng)
    n = check_int(n, "n", minimum=1)
    size = check_int(size, "size", minimum=32)
    limb_width = check_positive(limb_width, "limb_width")
    noise = check_nonnegative(noise, "noise")
    try:
        h_lo, h_hi = (check_fraction(v, "height", 0.1, 0.95) for v in height)
    except TypeError:
        raise ValueError(f"height must be a pair of fractions of size, got {height!r}.") from None
    if h_hi < h_lo:
        raise ValueError(f"height must be (low, high) with low <= high, got {height!r}.")
    pad = limb_width / 2 + 1.0
    keypoints, heights = np.zeros((n, 13, 2)), np.zeros(n)
    for b in range(n):
        placed = None
        while placed is None:                                             # heights <= 0.95 always fit
            heights[b] = rng.uniform(h_lo, h_hi) * size
            placed = _place(rng, heights[b], size, pad)
        keypoints[b] = placed[0]
    images = np.empty((n, size, size), dtype=np.float32)
    boxes = np.zeros((n, 4))
    x = np.linspace(-1, 1, size, dtype=np.float32)
    base = rng.uniform(0.2, 0.4, n).astype(np.float32)
    gx, gy = rng.uniform(-0.1, 0.1, (2, n)).astype(np.float32)
    for s in range(0, n, 256):                                            # chunks bound the memory
        sl = slice(s, min(n, s + 256))
        masks = _figure_masks(keypoints[sl], heights[sl], size, limb_width)   # (b, H, W)
        bg = base[sl, None, None] + gx[sl, None, None] * x[None, None, :] + gy[sl, None, None] * x[None, :, None]
        images[sl] = np.where(masks, np.float32(0.95), bg)
        rows, cols = masks.any(axis=2), masks.any(axis=1)                 # (b, H), (b, W)
        boxes[sl] = np.stack([cols.argmax(1), rows.argmax(1), size - cols[:, ::-1].argmax(1),
                              size - rows[:, ::-1].argmax(1)], axis=1)
    images += (noise * rng.standard_normal(images.shape)).astype(np.float32)
    np.clip(images, 0.0, 1.0, out=images)
    return StickFigureBatch(images=images, keypoints=keypoints, visibility=np.full((n, 13), 2, np.int64),
                            boxes=boxes, scale=heights)


def stick_figure_crowd(rng: np.random.Generator, size: int = 96, n_people=4, height=(0.5, 0.8),
                       max_iou: float = 0.5, limb_width: float = 2.0, noise: float = 0.03) -> StickFigures:
    """A crowded image: P full-size stick figures whose boxes may overlap (the bottom-up grouping lesson).

    Parameters
    ----------
    rng : np.random.Generator
    size : int
        Image side (>= 32).
    n_people : int or (int, int)
        Number of people P (or an inclusive range); a person that cannot be placed in 100 tries is dropped.
    height : (float, float)
        Range of heights as fractions of ``size`` (not shrunk with P, unlike :func:`stick_figures`).
    max_iou : float
        Largest allowed IoU between two people's boxes, in [0, 1]: 0.5 puts limbs of different people
        side by side and across each other.
    limb_width, noise : float
        As in :func:`stick_figures`.

    Returns
    -------
    StickFigures
        Without occluders (all keypoints visible); every figure drawn in the same colour.

    Used in Chapter 7 (part affinity fields).

    Examples
    --------
    >>> f = stick_figure_crowd(np.random.default_rng(0), n_people=4)
    >>> f.image.shape, f.keypoints.shape
    ((96, 96, 3), (4, 13, 2))
    """
    check_rng(rng)
    size = check_int(size, "size", minimum=32)
    lo, hi = check_count_range(n_people, "n_people", minimum=1)
    max_iou = check_fraction(max_iou, "max_iou")
    limb_width = check_positive(limb_width, "limb_width")
    noise = check_nonnegative(noise, "noise")
    try:
        h_lo, h_hi = (check_fraction(v, "height", 0.1, 0.95) for v in height)
    except TypeError:
        raise ValueError(f"height must be a pair of fractions of size, got {height!r}.") from None
    if h_hi < h_lo:
        raise ValueError(f"height must be (low, high) with low <= high, got {height!r}.")
    P = int(rng.integers(lo, hi + 1))
    poses, heights, boxes = [], [], []
    for _ in range(P):
        for _attempt in range(100):
            h = rng.uniform(h_lo, h_hi) * size
            placed = _place(rng, h, size, limb_width / 2 + 1.0)
            if placed is not None and all(_iou(placed[1], b) <= max_iou for b in boxes):
                poses.append(placed[0])
                heights.append(h)
                boxes.append(placed[1])
                break
    keypoints = np.array(poses).reshape(len(poses), 13, 2)
    heights = np.array(heights)
    masks = _figure_masks(keypoints, heights, size, limb_width)
    image = _background(rng, size, size)
    image[masks.any(axis=0)] = 0.95
    image = np.clip(image + noise * rng.standard_normal(image.shape), 0.0, 1.0)
    return StickFigures(image=image, keypoints=keypoints, visibility=np.full((len(poses), 13), 2, np.int64),
                        boxes=masks_to_boxes(masks), masks=masks, occluder=np.zeros((size, size), bool),
                        head_radius=0.07 * heights, scale=heights, limb_width=limb_width)
