"""Procedural video clips with exact optical flow, and a small action-classification set.

Three generators:

* :func:`moving_shapes_clip` — textured shapes sliding (and optionally turning) across a
  static textured background, with the exact forward flow of every pixel;
* :func:`texture_motion_clip` — a smooth analytic texture under a global translation and
  rotation (the easy case for Lucas–Kanade and Horn–Schunck: brightness constancy holds
  everywhere and there are no occlusions);
* :func:`action_clips` — one shape per clip moving left/right/up/down, growing, shrinking or
  turning; any single frame is ambiguous, so a classifier must use time.

Flow convention: ``flow[t, i, j] = (dx, dy)`` moves the point seen at pixel centre
``(x, y) = (j + 0.5, i + 0.5)`` in frame ``t`` to ``(x + dx, y + dy)`` in frame ``t + 1``
(x to the right, y down), so ``frames[t+1](x + flow) == frames[t](x)`` for every point
that stays visible.

Used by Chapter 16 (brightness constancy, Lucas–Kanade, Horn–Schunck, endpoint error, a
tiny video classifier).

References
----------
Lucas & Kanade, "An Iterative Image Registration Technique...", IJCAI 1981.
Horn & Schunck, "Determining Optical Flow", Artificial Intelligence 17, 1981.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coursekit.core.validation import (
    check_count_range,
    check_int,
    check_names,
    check_nonnegative,
    check_rng,
)
from coursekit.data.shapes import COLORS, SHAPE_NAMES, _canonical_coords, _inside

__all__ = ["MovingShapesClip", "moving_shapes_clip", "texture_motion_clip", "ACTION_NAMES", "action_clips"]

ACTION_NAMES = ("left", "right", "up", "down", "grow", "shrink", "rotate_cw", "rotate_ccw")


def _smooth_texture(rng: np.random.Generator, n_waves: int = 4, wavelength=(6.0, 16.0)):
    """Random sum of plane waves; returns a function of (x, y) arrays with values in [0, 1]."""
    k = 2 * np.pi / rng.uniform(*wavelength, size=n_waves)
    theta = rng.uniform(0, 2 * np.pi, size=n_waves)
    kx, ky = k * np.cos(theta), k * np.sin(theta)
    phase = rng.uniform(0, 2 * np.pi, size=n_waves)

    def tex(x, y):
        s = sum(np.sin(kx[i] * x + ky[i] * y + phase[i]) for i in range(n_waves))
        return 0.5 + 0.5 * s / n_waves

    return tex


def _track(shape, cx, cy, r, ang, H, W):
    """Mask (T, H, W) and canonical coordinates of a shape following per-frame parameters (T,)."""
    u, v = _canonical_coords(cx, cy, r, ang, H, W)           # (T, H, W) each
    return _inside(shape, u, v), u, v


def _object_flow(u, v, cx, cy, r, ang, H, W):
    """Flow (T-1, H, W, 2) of the material point with canonical coords (u, v) at frame t."""
    x = np.arange(W) + 0.5
    y = (np.arange(H) + 0.5)[:, None]
    c, s = np.cos(ang[1:])[:, None, None], np.sin(ang[1:])[:, None, None]
    rr = r[1:, None, None]
    x_next = cx[1:, None, None] + rr * (c * u[:-1] - s * v[:-1])   # inverse of _canonical_coords
    y_next = cy[1:, None, None] + rr * (s * u[:-1] + c * v[:-1])
    return np.stack([x_next - x, y_next - y], axis=-1)


@dataclass
class MovingShapesClip:
    """A clip of N moving shapes and its ground truth.

    Attributes
    ----------
    frames : (T, H, W) or (T, H, W, 3) ndarray of float64 in [0, 1]
    flow : (T-1, H, W, 2) ndarray of float64
        Forward flow ``(dx, dy)``; zero on the static background.
    masks : (T, N, H, W) ndarray of bool
        Where each object is in each frame (objects never overlap).
    labels : (N,) ndarray of int64
        Shape class (index into ``SHAPE_NAMES``).
    velocities : (N, 2) ndarray of float64
        Centre velocity in pixels per frame.
    angular_velocities : (N,) ndarray of float64
        Radians per frame (positive turns clockwise on screen, since y points down).

    Examples
    --------
    >>> clip = moving_shapes_clip(np.random.default_rng(0))
    >>> clip.frames.shape, clip.flow.shape, clip.masks.shape
    ((8, 32, 32), (7, 32, 32, 2), (8, 1, 32, 32))
    """

    frames: np.ndarray
    flow: np.ndarray
    masks: np.ndarray
    labels: np.ndarray
    velocities: np.ndarray
    angular_velocities: np.ndarray


def moving_shapes_clip(rng: np.random.Generator, T: int = 8, size: int = 32, n_objects=(1, 2),
                       max_speed: float = 2.0, rotate: bool = False, color: bool = False,
                       noise: float = 0.0) -> MovingShapesClip:
    """Textured shapes moving at constant velocity over a static background, with exact flow.

    Parameters
    ----------
    rng : np.random.Generator
    T : int
        Number of frames (>= 2).
    size : int
        H = W (>= 16).
    n_objects : int or (int, int)
        Number of objects N (placed so their paths never overlap; one that cannot be placed
        in 100 tries is dropped).
    max_speed : float
        Maximum speed in pixels per frame.
    rotate : bool
        Also spin each object at up to 0.15 rad per frame.
    color : bool
        RGB frames (object colours from :data:`COLORS`) instead of grey.
    noise : float
        Gaussian pixel noise (0 keeps brightness constancy exact).

    Returns
    -------
    MovingShapesClip

    Notes
    -----
    Each object carries a smooth texture in its own frame, so points inside it can be
    tracked; the flow of a pixel is where its material point is one frame later.

    Used in Chapter 16.

    Examples
    --------
    >>> c = moving_shapes_clip(np.random.default_rng(0), T=4, size=32)
    >>> c.frames.shape, c.flow.shape
    ((4, 32, 32), (3, 32, 32, 2))
    """
    check_rng(rng)
    T = check_int(T, "T", minimum=2)
    size = check_int(size, "size", minimum=16)
    lo, hi = check_count_range(n_objects, "n_objects", minimum=0)
    max_speed = check_nonnegative(max_speed, "max_speed")
    noise = check_nonnegative(noise, "noise")
    H = W = size
    t = np.arange(T, dtype=np.float64)
    bg_tex = _smooth_texture(rng, wavelength=(8.0, 24.0))
    x = np.arange(W) + 0.5
    y = (np.arange(H) + 0.5)[:, None]
    background = 0.15 + 0.3 * bg_tex(x, y)                                   # (H, W)

    target = int(rng.integers(lo, hi + 1))
    placed = []                                  # (shape, cx, cy, r, ang, label, color, vel, omega, box)
    for _ in range(target):
        for _attempt in range(100):
            r = rng.uniform(0.12, 0.2) * size
            m = 1.1 * r
            speed = rng.uniform(0, max_speed)
            heading = rng.uniform(0, 2 * np.pi)
            vel = speed * np.array([np.cos(heading), np.sin(heading)])
            travel = np.abs(vel) * (T - 1)
            if np.any(travel + 2 * m >= size):
                continue
            start = np.array([rng.uniform(m, size - m - travel[i]) for i in range(2)])
            start = np.where(vel < 0, start + travel, start)
            cx, cy = start[0] + vel[0] * t, start[1] + vel[1] * t              # (T,)
            box = np.array([cx.min() - m, cy.min() - m, cx.max() + m, cy.max() + m])
            if all(box[0] >= b[2] or b[0] >= box[2] or box[1] >= b[3] or b[1] >= box[3]
                   for b in (p[-1] for p in placed)):
                label = int(rng.integers(len(SHAPE_NAMES)))
                omega = rng.uniform(-0.15, 0.15) if rotate else 0.0
                ang = rng.uniform(0, 2 * np.pi) * rotate + omega * t
                placed.append((SHAPE_NAMES[label], cx, cy, np.full(T, r), ang, label,
                               int(rng.integers(len(COLORS))), vel, omega, box))
                break

    N = len(placed)
    frames = np.repeat(background[None], T, axis=0)                          # (T, H, W)
    if color:
        frames = np.repeat(frames[..., None], 3, axis=-1)                    # (T, H, W, 3)
    flow = np.zeros((T - 1, H, W, 2))
    masks = np.zeros((T, N, H, W), dtype=bool)
    for k, (shape, cx, cy, r, ang, label, col, vel, omega, box) in enumerate(placed):
        mask, u, v = _track(shape, cx, cy, r, ang, H, W)
        tex = _smooth_texture(rng, wavelength=(1.0, 2.5))(u, v)              # moves with the object
        value = 0.55 + 0.45 * tex                                            # (T, H, W)
        masks[:, k] = mask
        if color:
            frames[mask] = value[mask][:, None] * COLORS[col]
        else:
            frames[mask] = value[mask]
        f = _object_flow(u, v, cx, cy, r, ang, H, W)
        flow[mask[:-1]] = f[mask[:-1]]
    if noise > 0:
        frames = frames + noise * rng.standard_normal(frames.shape)
    return MovingShapesClip(
        frames=np.clip(frames, 0.0, 1.0), flow=flow, masks=masks,
        labels=np.array([p[5] for p in placed], dtype=np.int64),
        velocities=np.array([p[7] for p in placed], dtype=np.float64).reshape(N, 2),
        angular_velocities=np.array([p[8] for p in placed], dtype=np.float64))


def texture_motion_clip(rng: np.random.Generator, T: int = 2, size: int = 64, velocity=None,
                        rotation: float = 0.0, max_speed: float = 1.0):
    """A smooth grey texture moved by a global rigid motion: translation + rotation about the centre.

    Parameters
    ----------
    rng : np.random.Generator
    T : int
        Number of frames (>= 2).
    size : int
        H = W.
    velocity : (float, float), optional
        Translation ``(vx, vy)`` in pixels per frame; random with ``|v| <= max_speed`` if None.
    rotation : float
        Rotation per frame in radians about the image centre (positive: clockwise on screen).
    max_speed : float
        Used when ``velocity`` is None.

    Returns
    -------
    frames : (T, H, W) ndarray of float64 in [0, 1]
    flow : (T-1, H, W, 2) ndarray of float64
        The same field every step: ``(R - I)(x - c) + v``.

    Notes
    -----
    The texture is a sum of plane waves (wavelengths 10–30 px), evaluated analytically at
    the back-warped pixel centres, so brightness constancy holds exactly (no resampling).

    Used in Chapter 16 (Lucas–Kanade and Horn–Schunck vs OpenCV and the analytic flow).

    Examples
    --------
    >>> frames, flow = texture_motion_clip(np.random.default_rng(0), velocity=(1.0, 0.5))
    >>> frames.shape, flow[0, 10, 10].tolist()
    ((2, 64, 64), [1.0, 0.5])
    """
    check_rng(rng)
    T = check_int(T, "T", minimum=2)
    size = check_int(size, "size", minimum=8)
    max_speed = check_nonnegative(max_speed, "max_speed")
    if velocity is None:
        a, s = rng.uniform(0, 2 * np.pi), rng.uniform(0, max_speed)
        v = s * np.array([np.cos(a), np.sin(a)])
    else:
        v = np.asarray(velocity, dtype=np.float64)
        if v.shape != (2,) or not np.all(np.isfinite(v)):
            raise ValueError(f"velocity must be a finite pair (vx, vy), got {velocity!r}.")
    if not np.isfinite(rotation) or abs(rotation) > 0.5:
        raise ValueError(f"rotation must be a finite angle in [-0.5, 0.5] rad per frame, got {rotation!r}.")
    tex = _smooth_texture(rng, n_waves=6, wavelength=(10.0, 30.0))
    c = size / 2
    A = np.array([[np.cos(rotation), -np.sin(rotation)], [np.sin(rotation), np.cos(rotation)]])
    x, y = np.meshgrid(np.arange(size) + 0.5, np.arange(size) + 0.5)         # (H, W) each
    p = np.stack([x, y], axis=-1)                                             # (H, W, 2)
    flow = (p - c) @ A.T + c + v - p                                          # (H, W, 2)
    frames = np.empty((T, size, size))
    q = p.copy()
    for k in range(T):
        frames[k] = tex(q[..., 0], q[..., 1])
        q = (q - v - c) @ A + c            # one more step back: Phi^{-1}(q) = c + A^T (q - v - c)
    return frames, np.repeat(flow[None], T - 1, axis=0)


def action_clips(n: int, rng: np.random.Generator, T: int = 8, size: int = 32,
                 classes=ACTION_NAMES, noise: float = 0.05):
    """A balanced action-classification set: one grey shape per clip doing one action.

    Parameters
    ----------
    n : int
        Number of clips B.
    rng : np.random.Generator
    T : int
        Frames per clip (>= 3).
    size : int
        H = W (>= 16).
    classes : sequence of str
        Subset of :data:`ACTION_NAMES`; labels index into it.
    noise : float
        Gaussian pixel noise.

    Returns
    -------
    X : (B, T, H, W) ndarray of float64 in [0, 1]
    y : (B,) ndarray of int64

    Notes
    -----
    Motions are centred in time (the middle frame is at a random place and size), so a
    single frame does not reveal the class: a model must compare frames. Rotations use
    squares, triangles and crosses (a turning circle looks still).

    Used in Chapter 16 (3D convs, two-stream, a tiny video classifier).

    Examples
    --------
    >>> X, y = action_clips(16, np.random.default_rng(0), T=6, size=24)
    >>> X.shape, np.bincount(y).tolist()
    ((16, 6, 24, 24), [2, 2, 2, 2, 2, 2, 2, 2])
    """
    n = check_int(n, "n")
    check_rng(rng)
    T = check_int(T, "T", minimum=3)
    size = check_int(size, "size", minimum=16)
    classes = check_names(classes, "classes", ACTION_NAMES)
    noise = check_nonnegative(noise, "noise")
    y = rng.permutation(np.arange(n) % len(classes)).astype(np.int64)
    tc = np.arange(T) - (T - 1) / 2                                           # (T,) centred time
    X = np.empty((n, T, size, size))
    for b in range(n):
        action = classes[y[b]]
        shape = SHAPE_NAMES[rng.integers(1 if action.startswith("rotate") else 0, len(SHAPE_NAMES))]
        r = np.full(T, rng.uniform(0.14, 0.22) * size)
        ang = np.full(T, 0.0)
        if action in ("grow", "shrink"):
            g = rng.uniform(1.05, 1.1) ** (1 if action == "grow" else -1)
            r = r * g**tc
        elif action.startswith("rotate"):
            ang = ang + rng.uniform(0.15, 0.3) * (1 if action == "rotate_cw" else -1) * tc
        v = np.zeros(2)
        if action in ("left", "right", "up", "down"):
            speed = rng.uniform(0.8, min(2.0, 0.3 * size / (T - 1)))
            v = speed * np.array({"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}[action])
        m = 1.1 * r.max()
        half = np.full(2, np.abs(v).max() * (T - 1) / 2 + m)                # (2,) room needed, the same on
        # both axes, so that where the middle frame shows the shape does not reveal the axis of motion
        mid = rng.uniform(half, size - half)                                 # middle-frame centre
        mask, u, vv = _track(shape, mid[0] + v[0] * tc, mid[1] + v[1] * tc, r, ang, size, size)
        level = rng.uniform(0.7, 1.0)
        frame_bg = rng.uniform(0.1, 0.35)
        shade = level * (0.8 + 0.2 * np.clip(u, -1, 1))                     # a gradient shows the spin
        X[b] = np.where(mask, shade, frame_bg)
    X = np.clip(X + noise * rng.standard_normal(X.shape), 0.0, 1.0)
    return X, y
