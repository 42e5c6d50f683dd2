"""Procedural shapes on noisy backgrounds, with exact ground truth for every task.

One scene gives an RGB image and, computed from the same rasterisation, the boxes
(xyxy), class labels, instance masks, a semantic map, an instance map and a depth map
(flat shapes floating in front of a tilted ground plane). Because the pictures are
drawn from the labels, the labels are exact — detection and segmentation metrics
measured on them mean what they say.

Used by Chapter 5 (a tiny one-stage detector), Chapter 6 (a tiny U-Net, depth
losses and metrics), Chapter 15 (image–caption pairs, via :mod:`coursekit.data.text`),
Chapter 16 (moving shapes, via :mod:`coursekit.data.video`) and Chapter 17
(:func:`shape_images`, 16x16 images for a toy diffusion model).

Conventions: pixel ``(row i, column j)`` has its centre at ``(x, y) = (j + 0.5, i + 0.5)``;
a box ``(x0, y0, x1, y1)`` covers columns ``x0 .. x1 - 1`` and rows ``y0 .. y1 - 1``, so its
width is ``x1 - x0`` pixels and it encloses its mask tightly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coursekit.core.validation import (
    check_count_range,
    check_fraction,
    check_int,
    check_names,
    check_nonnegative,
    check_rng,
)
from coursekit.detection.boxes import masks_to_boxes

__all__ = [
    "SHAPE_NAMES", "COLOR_NAMES", "COLORS", "ShapesScene", "shapes_scene", "ShapesDataset", "shapes_dataset",
    "shape_images", "shapes_detection_set",
]

#: Shape classes; every shape fits in the disc of radius 1.07 around its centre (in units of its radius).
SHAPE_NAMES = ("circle", "square", "triangle", "cross")
#: Colour names and their RGB values in [0, 1] (rows of :data:`COLORS`).
COLOR_NAMES = ("red", "green", "blue", "yellow")
COLORS = np.array([[0.90, 0.15, 0.10],
                   [0.10, 0.75, 0.20],
                   [0.15, 0.30, 0.95],
                   [0.95, 0.85, 0.10]])


def _inside(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Membership of canonical coordinates ``(u, v)`` (the shape's radius is 1, v points down)."""
    if shape == "circle":
        return u * u + v * v <= 1.0
    if shape == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.75
    if shape == "triangle":
        # equilateral, pointing up (towards -v), inscribed in the unit circle: three half-planes
        s3 = np.sqrt(3.0)
        return (v <= 0.5) & (s3 * u - v <= 1.0) & (-s3 * u - v <= 1.0)
    if shape == "cross":
        a, b = np.abs(u), np.abs(v)
        return ((a <= 1.0) & (b <= 0.33)) | ((a <= 0.33) & (b <= 1.0))
    raise ValueError(f"unknown shape {shape!r}; choose from {list(SHAPE_NAMES)}.")


def _canonical_coords(cx, cy, radius, angle, H: int, W: int):
    """Pixel centres mapped into a shape's frame: ``u = R(-angle) (x - c) / radius``.

    ``cx, cy, radius, angle`` are scalars or arrays of one shape ``S``; the result is ``(*S, H, W)``.
    """
    cx, cy, radius, angle = (np.asarray(a, dtype=np.float64)[..., None, None]
                             for a in (cx, cy, radius, angle))
    x = np.arange(W) + 0.5                         # (W,)
    y = (np.arange(H) + 0.5)[:, None]              # (H, 1)
    dx, dy = x - cx, y - cy                        # (*S, H, W)
    c, s = np.cos(angle), np.sin(angle)
    return (c * dx + s * dy) / radius, (-s * dx + c * dy) / radius


def _shape_mask(shape, cx, cy, radius, angle, H, W) -> np.ndarray:
    u, v = _canonical_coords(cx, cy, radius, angle, H, W)
    return _inside(shape, u, v)


def _background(rng: np.random.Generator, H: int, W: int) -> np.ndarray:
    """A dim grey background with a random linear gradient, (H, W, 3) in [0.1, 0.5]."""
    base = rng.uniform(0.2, 0.4)
    gx, gy = rng.uniform(-0.1, 0.1, size=2)
    x = np.linspace(-1, 1, W)
    y = np.linspace(-1, 1, H)[:, None]
    g = base + gx * x + gy * y                     # (H, W)
    return np.repeat(g[..., None], 3, axis=-1)


def _compose(objects, background: np.ndarray):
    """Paint objects far-to-near (painter's algorithm).

    ``objects`` is a list of dicts with keys shape, color, cx, cy, radius, angle, depth.
    Returns the image (H, W, 3), the visible masks (N, H, W) and the full masks (N, H, W).
    """
    H, W = background.shape[:2]
    image = background.copy()
    full = np.zeros((len(objects), H, W), dtype=bool)
    for k, o in enumerate(objects):
        full[k] = _shape_mask(o["shape"], o["cx"], o["cy"], o["radius"], o["angle"], H, W)
    for k in sorted(range(len(objects)), key=lambda k: -objects[k]["depth"]):  # far first
        image[full[k]] = COLORS[objects[k]["color"]]
    visible = full.copy()
    for k in range(len(objects)):  # an object loses the pixels that nearer objects cover
        nearer = [j for j in range(len(objects)) if objects[j]["depth"] < objects[k]["depth"]]
        if nearer:
            visible[k] = full[k] & ~full[nearer].any(axis=0)
    return image, visible, full


@dataclass
class ShapesScene:
    """One procedural scene and its exact ground truth (N objects, K = len(class_names)).

    Attributes
    ----------
    image : (H, W, 3) ndarray of float64 in [0, 1]
    boxes : (N, 4) ndarray of float64
        Tight ``xyxy`` boxes of the *visible* masks (``x1``, ``y1`` exclusive).
    labels : (N,) ndarray of int64
        Shape class in ``0 .. K-1`` (an index into ``class_names``).
    colors : (N,) ndarray of int64
        Index into :data:`COLOR_NAMES`.
    masks : (N, H, W) ndarray of bool
        Visible instance masks (disjoint; nearer objects occlude farther ones).
    semantic : (H, W) ndarray of int64
        0 for background, ``label + 1`` on each object.
    instances : (H, W) ndarray of int64
        0 for background, ``n + 1`` on object n.
    depth : (H, W) ndarray of float64
        Depth of the ground plane (far at the top, near at the bottom) or of the object.
    object_depths : (N,) ndarray of float64
        Each object is flat and fronto-parallel at this depth.
    centers : (N, 2) ndarray of float64
        ``(x, y)`` centre of each shape.
    radii : (N,) ndarray of float64
    class_names : tuple of str

    Examples
    --------
    >>> scene = shapes_scene(np.random.default_rng(0))
    >>> scene.image.shape, scene.masks.shape[1:], len(scene.labels) == len(scene.boxes)
    ((64, 64, 3), (64, 64), True)
    """

    image: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    colors: np.ndarray
    masks: np.ndarray
    semantic: np.ndarray
    instances: np.ndarray
    depth: np.ndarray
    object_depths: np.ndarray
    centers: np.ndarray
    radii: np.ndarray
    class_names: tuple


def shapes_scene(rng: np.random.Generator, size: int = 64, n_objects=(1, 4),
                 classes=SHAPE_NAMES, noise: float = 0.05, radius=(0.08, 0.2),
                 rotate: bool = False, color_by_class: bool = False,
                 min_visible: float = 0.5) -> ShapesScene:
    """Draw one scene of procedural shapes with boxes, masks, semantic map and depth.

    Parameters
    ----------
    rng : np.random.Generator
    size : int
        Image side H = W (>= 16).
    n_objects : int or (int, int)
        Number of objects, or an inclusive range to draw it from.
    classes : sequence of str
        Subset of :data:`SHAPE_NAMES`; labels index into it.
    noise : float
        Standard deviation of the Gaussian pixel noise (added everywhere, then clipped).
    radius : (float, float)
        Range of shape radii as fractions of ``size``.
    rotate : bool
        Rotate each shape by a random angle (default: upright, so captions stay simple).
    color_by_class : bool
        Give every class a fixed colour (class k -> colour k mod 4) instead of a random one.
    min_visible : float
        Each object keeps at least this fraction of its area visible after occlusion.

    Returns
    -------
    ShapesScene

    Notes
    -----
    1. Draw a background with a gradient and a ground-plane depth whose inverse is linear
       in the row (what a tilted plane seen by a pinhole camera gives): ``z`` from about 10
       at the top to about 4 at the bottom.
    2. Place objects one by one (rejection sampling) at depths in [1, 3], keeping every
       object at least ``min_visible`` visible; paint them far to near.
    3. Derive masks, boxes and maps from the same rasterisation; add noise last.

    Used in Chapter 5 (detection) and Chapter 6 (segmentation and depth).

    Examples
    --------
    >>> s = shapes_scene(np.random.default_rng(0), size=32, n_objects=2)
    >>> s.image.shape, s.boxes.shape, s.masks.shape, s.semantic.dtype
    ((32, 32, 3), (2, 4), (2, 32, 32), dtype('int64'))
    """
    check_rng(rng)
    size = check_int(size, "size", minimum=16)
    lo, hi = check_count_range(n_objects, "n_objects", minimum=0)
    classes = check_names(classes, "classes", SHAPE_NAMES)
    noise = check_nonnegative(noise, "noise")
    min_visible = check_fraction(min_visible, "min_visible")
    try:
        r_lo, r_hi = (check_fraction(r, "radius", 0.02, 0.5) for r in radius)
    except TypeError:
        raise ValueError(f"radius must be a pair of fractions of size, got {radius!r}.") from None
    if r_hi < r_lo:
        raise ValueError(f"radius must be (low, high) with low <= high, got {radius!r}.")
    H = W = size
    target = int(rng.integers(lo, hi + 1))

    objects: list[dict] = []
    for _ in range(target):
        for _attempt in range(50):
            r = rng.uniform(r_lo, r_hi) * size
            m = 1.1 * r
            label = int(rng.integers(len(classes)))
            o = dict(shape=classes[label], label=label,
                     color=label % len(COLOR_NAMES) if color_by_class else int(rng.integers(len(COLOR_NAMES))),
                     cx=rng.uniform(m, W - m), cy=rng.uniform(m, H - m), radius=r,
                     angle=rng.uniform(0, 2 * np.pi) if rotate else 0.0, depth=rng.uniform(1.0, 3.0))
            trial = objects + [o]
            _, vis, full = _compose(trial, np.zeros((H, W, 3)))
            areas = full.sum(axis=(1, 2))
            if np.all(vis.sum(axis=(1, 2)) >= np.maximum(min_visible * areas, 4)):
                objects = trial
                break

    background = _background(rng, H, W)
    image, masks, _ = _compose(objects, background)
    N = len(objects)
    labels = np.array([o["label"] for o in objects], dtype=np.int64)
    object_depths = np.array([o["depth"] for o in objects], dtype=np.float64)

    z_far, z_near = rng.uniform(8, 12), rng.uniform(3.5, 5)
    rows = (np.arange(H) + 0.5) / H
    inv_z = 1 / z_far + (1 / z_near - 1 / z_far) * rows          # (H,) inverse depth linear in row
    depth = np.repeat((1.0 / inv_z)[:, None], W, axis=1)          # (H, W)
    semantic = np.zeros((H, W), dtype=np.int64)
    instances = np.zeros((H, W), dtype=np.int64)
    for k in range(N):
        semantic[masks[k]] = labels[k] + 1
        instances[masks[k]] = k + 1
        depth[masks[k]] = object_depths[k]

    image = np.clip(image + noise * rng.standard_normal(image.shape), 0.0, 1.0)
    return ShapesScene(
        image=image, boxes=masks_to_boxes(masks.reshape(N, H, W)), labels=labels,
        colors=np.array([o["color"] for o in objects], dtype=np.int64),
        masks=masks.reshape(N, H, W), semantic=semantic, instances=instances, depth=depth,
        object_depths=object_depths,
        centers=np.array([[o["cx"], o["cy"]] for o in objects], dtype=np.float64).reshape(N, 2),
        radii=np.array([o["radius"] for o in objects], dtype=np.float64), class_names=classes)


@dataclass
class ShapesDataset:
    """A batch of B scenes: dense maps stacked, per-object arrays in lists of length B.

    Attributes
    ----------
    images : (B, H, W, 3) ndarray of float64
    semantic, instances : (B, H, W) ndarray of int64
    depth : (B, H, W) ndarray of float64
    boxes : list of (N_b, 4) ndarray of float64
    labels, colors : list of (N_b,) ndarray of int64
    masks : list of (N_b, H, W) ndarray of bool
    class_names : tuple of str

    Examples
    --------
    >>> data = shapes_dataset(3, np.random.default_rng(0))
    >>> data.images.shape, len(data.boxes)
    ((3, 64, 64, 3), 3)
    """

    images: np.ndarray
    semantic: np.ndarray
    instances: np.ndarray
    depth: np.ndarray
    boxes: list
    labels: list
    colors: list
    masks: list
    class_names: tuple


def shapes_dataset(n: int, rng: np.random.Generator, size: int = 64, n_objects=(1, 4),
                   **kwargs) -> ShapesDataset:
    """``n`` independent :func:`shapes_scene` draws, batched.

    Parameters
    ----------
    n : int
        Number of scenes B.
    rng : np.random.Generator
    size, n_objects, **kwargs
        Passed to :func:`shapes_scene`.

    Returns
    -------
    ShapesDataset

    Used in Chapter 5 (training a tiny detector) and Chapter 6 (training a tiny U-Net).

    Examples
    --------
    >>> d = shapes_dataset(3, np.random.default_rng(0), size=32)
    >>> d.images.shape, d.semantic.shape, len(d.boxes)
    ((3, 32, 32, 3), (3, 32, 32), 3)
    """
    n = check_int(n, "n")
    check_rng(rng)
    scenes = [shapes_scene(rng, size=size, n_objects=n_objects, **kwargs) for _ in range(n)]
    return ShapesDataset(
        images=np.stack([s.image for s in scenes]), semantic=np.stack([s.semantic for s in scenes]),
        instances=np.stack([s.instances for s in scenes]), depth=np.stack([s.depth for s in scenes]),
        boxes=[s.boxes for s in scenes], labels=[s.labels for s in scenes],
        colors=[s.colors for s in scenes], masks=[s.masks for s in scenes],
        class_names=scenes[0].class_names)


def shape_images(n: int, rng: np.random.Generator, size: int = 16, classes=SHAPE_NAMES,
                 gray: bool = False, noise: float = 0.0, jitter: float = 0.1):
    """Small images of one centred shape on black: a toy classification / diffusion set.

    Parameters
    ----------
    n : int
        Number of images B.
    rng : np.random.Generator
    size : int
        Image side (>= 8).
    classes : sequence of str
        Subset of :data:`SHAPE_NAMES`; labels index into it (classes are balanced).
    gray : bool
        Return grey images (the shape at intensity 1) instead of coloured ones.
    noise : float
        Gaussian pixel noise, then clipped to [0, 1].
    jitter : float
        Maximum shift of the centre, as a fraction of ``size``; radius is 22–32% of ``size``.

    Returns
    -------
    images : (B, H, W, 3) or (B, H, W) ndarray of float64 in [0, 1]
    labels : (B,) ndarray of int64
    colors : (B,) ndarray of int64
        Index into :data:`COLOR_NAMES` (a second attribute for conditioning or concepts).

    Used in Chapter 17 (a toy image diffusion model, classifier-free guidance) and
    Chapter 18 (concepts: shape and colour).

    Examples
    --------
    >>> x, y, c = shape_images(8, np.random.default_rng(0), size=16, gray=True)
    >>> x.shape, float(x.max()), y.dtype
    ((8, 16, 16), 1.0, dtype('int64'))
    """
    n = check_int(n, "n")
    check_rng(rng)
    size = check_int(size, "size", minimum=8)
    classes = check_names(classes, "classes", SHAPE_NAMES)
    noise = check_nonnegative(noise, "noise")
    jitter = check_fraction(jitter, "jitter", 0.0, 0.15)
    labels = rng.permutation(np.arange(n) % len(classes)).astype(np.int64)
    colors = rng.integers(0, len(COLOR_NAMES), size=n).astype(np.int64)
    r = rng.uniform(0.22, 0.32, size=n) * size                          # (B,) fits with the jitter
    c = size / 2 + rng.uniform(-jitter, jitter, size=(n, 2)) * size
    masks = np.zeros((n, size, size), dtype=bool)
    for k, name in enumerate(classes):
        sel = labels == k
        masks[sel] = _shape_mask(name, c[sel, 0], c[sel, 1], r[sel], 0.0, size, size)
    if gray:
        images = masks.astype(np.float64)
    else:
        images = masks[..., None] * COLORS[colors][:, None, None, :]   # (B, H, W, 3)
    images = np.clip(images + noise * rng.standard_normal(images.shape), 0.0, 1.0)
    return images, labels, colors


def shapes_detection_set(n: int, rng: np.random.Generator, size: int = 64, n_objects=(1, 4),
                         classes=SHAPE_NAMES, noise: float = 0.05, radius=(0.1, 0.2)):
    """Many detection scenes at once: shapes that never touch, drawn in one vectorised pass.

    :func:`shapes_dataset` places objects one by one with occlusion and exact masks (about 5 ms a scene);
    a detector needs thousands of scenes, so this generator draws them all together and keeps the
    objects apart (no occlusion), which is all a box detector needs.

    Parameters
    ----------
    n : int
        Number of scenes B.
    rng : np.random.Generator
    size : int
        Image side H = W (>= 16).
    n_objects : int or (int, int)
        Objects per scene, or an inclusive range; an object that finds no free place in 30 draws is left
        out, so a crowded scene may hold fewer.
    classes : sequence of str
        Subset of :data:`SHAPE_NAMES`; labels index into it.
    noise : float
        Standard deviation of the Gaussian pixel noise (then clipped to [0, 1]).
    radius : (float, float)
        Range of shape radii as fractions of ``size``.

    Returns
    -------
    images : (B, H, W, 3) ndarray of float32 in [0, 1]
        Random colours (from :data:`COLORS`) on a grey gradient, as in :func:`shapes_scene`.
    boxes : list of B (N_b, 4) ndarrays of float64
        Tight ``xyxy`` boxes of each object's pixels (``x1``, ``y1`` exclusive).
    labels : list of B (N_b,) ndarrays of int64

    Notes
    -----
    1. Draw every scene's count, radii and classes at once; place object k of all scenes together,
       redrawing the centres that come closer than ``1.1 (r_j + r_k) + 2`` pixels to an earlier object.
    2. Rasterise each class's objects in one broadcast (:func:`_canonical_coords`), take tight boxes.
    3. Paint objects over a per-scene gradient background; add noise last.

    Used in Chapter 5 (training and evaluating a tiny one-stage detector).

    Examples
    --------
    >>> images, boxes, labels = shapes_detection_set(4, np.random.default_rng(0), size=32)
    >>> images.shape, images.dtype, boxes[0].shape[1], labels[0].dtype
    ((4, 32, 32, 3), dtype('float32'), 4, dtype('int64'))
    """
    n = check_int(n, "n")
    check_rng(rng)
    size = check_int(size, "size", minimum=16)
    lo, hi = check_count_range(n_objects, "n_objects", minimum=0)
    classes = check_names(classes, "classes", SHAPE_NAMES)
    noise = check_nonnegative(noise, "noise")
    try:
        r_lo, r_hi = (check_fraction(r, "radius", 0.02, 0.5) for r in radius)
    except TypeError:
        raise ValueError(f"radius must be a pair of fractions of size, got {radius!r}.") from None
    if r_hi < r_lo:
        raise ValueError(f"radius must be (low, high) with low <= high, got {radius!r}.")
    B, N, H = n, hi, size
    count = rng.integers(lo, hi + 1, size=B)                             # (B,)
    valid = np.arange(N)[None, :] < count[:, None]                       # (B, N)
    r = rng.uniform(r_lo, r_hi, size=(B, N)) * size                      # (B, N) radii in pixels
    labels = rng.integers(len(classes), size=(B, N))                     # (B, N)
    color = rng.integers(len(COLOR_NAMES), size=(B, N))                  # (B, N)
    centre = np.zeros((B, N, 2))
    for k in range(N):
        todo = valid[:, k].copy()                                        # (B,) scenes still placing object k
        for _attempt in range(30):
            if not todo.any():
                break
            m = 1.1 * r[todo, k]                                         # keep the whole shape inside
            cand = rng.uniform(m[:, None], size - m[:, None], size=(int(todo.sum()), 2))   # (b, 2)
            gap = np.linalg.norm(cand[:, None, :] - centre[todo, :k], axis=-1)            # (b, k)
            need = 1.1 * (r[todo, :k] + r[todo, k, None]) + 2.0
            ok = np.all((gap >= need) | ~valid[todo, :k], axis=1)                          # (b,)
            idx = np.flatnonzero(todo)[ok]
            centre[idx, k] = cand[ok]
            todo[idx] = False
        valid[todo, k] = False                                           # no room left in those scenes
    b_idx, k_idx = np.nonzero(valid)                                     # (M,) every placed object
    masks = np.zeros((b_idx.size, H, H), dtype=bool)                     # (M, H, W)
    for c, name in enumerate(classes):
        sel = np.flatnonzero(labels[b_idx, k_idx] == c)
        for s in np.array_split(sel, max(1, sel.size // 512)):           # chunks bound the memory
            if s.size:
                bb, kk = b_idx[s], k_idx[s]
                masks[s] = _shape_mask(name, centre[bb, kk, 0], centre[bb, kk, 1], r[bb, kk], 0.0, H, H)
    rows, cols = masks.any(axis=2), masks.any(axis=1)                    # (M, H), (M, W)
    x0, y0 = cols.argmax(axis=1), rows.argmax(axis=1)
    x1, y1 = H - cols[:, ::-1].argmax(axis=1), H - rows[:, ::-1].argmax(axis=1)
    flat_boxes = np.stack([x0, y0, x1, y1], axis=1).astype(np.float64)  # (M, 4)

    xs = np.linspace(-1, 1, H, dtype=np.float32)
    base = rng.uniform(0.2, 0.4, size=B).astype(np.float32)[:, None, None]
    g = rng.uniform(-0.1, 0.1, size=(B, 2)).astype(np.float32)
    grey = base + g[:, 0, None, None] * xs[None, None, :] + g[:, 1, None, None] * xs[None, :, None]  # (B, H, W)
    owner = np.zeros((B, H, H), dtype=np.int64)                          # (B, H, W) 1 + index of the object drawn
    for k in range(N):                                                   # objects never overlap: any order
        sel = np.flatnonzero(k_idx == k)
        owner[b_idx[sel]] += masks[sel] * (sel[:, None, None] + 1)
    palette = np.vstack([np.zeros((1, 3)), COLORS[color[b_idx, k_idx]]]).astype(np.float32)  # (1 + M, 3)
    images = np.where((owner > 0)[..., None], palette[owner], grey[..., None])        # (B, H, W, 3)
    images += np.float32(noise) * rng.standard_normal(images.shape, dtype=np.float32)
    np.clip(images, 0.0, 1.0, out=images)
    split = np.cumsum(np.bincount(b_idx, minlength=B))[:-1]
    return (images, np.split(flat_boxes, split),
            [lab.astype(np.int64) for lab in np.split(labels[b_idx, k_idx], split)])
