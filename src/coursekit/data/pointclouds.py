"""Point clouds sampled uniformly (by area) from the surfaces of six primitives.

Each primitive lives in the unit ball, centred at the origin (sizes in :data:`PRIMITIVE_SIZES`).
Points come in random order with optional Gaussian noise and a random rotation, and
with exact outward normals. :func:`primitive_distance` gives the unsigned distance to each
surface, so a test (or a student) can check that a cloud lies on its shape.

Used by Chapter 8 (voxels, PointNet and permutation invariance, farthest-point sampling,
ball query, kNN graphs and DGCNN; classifying procedural primitives).

References
----------
Qi et al., "PointNet: Deep Learning on Point Sets for 3D Classification and Segmentation", CVPR 2017.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import (
    check_array,
    check_int,
    check_names,
    check_nonnegative,
    check_rng,
)

__all__ = [
    "PRIMITIVES", "PRIMITIVE_SIZES", "random_rotation", "sample_primitive", "primitive_distance",
    "point_cloud_dataset", "primitive_mesh",
]

PRIMITIVES = ("sphere", "cube", "cylinder", "cone", "torus", "plane")
#: Geometry of each primitive (all fit in the unit ball). Axes of revolution are z.
PRIMITIVE_SIZES = {
    "sphere": {"radius": 1.0},
    "cube": {"half_side": 1 / np.sqrt(3)},
    "cylinder": {"radius": 0.6, "half_height": 0.8},
    "cone": {"radius": 0.6, "half_height": 0.8},          # base at z = -0.8, apex at z = +0.8
    "torus": {"major": 0.65, "minor": 0.3},
    "plane": {"half_side": 1 / np.sqrt(2)},               # a square in z = 0
}


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A rotation matrix drawn uniformly from SO(3) (QR of a Gaussian matrix, signs fixed).

    Parameters
    ----------
    rng : np.random.Generator
        Draws the 3×3 Gaussian matrix.

    Returns
    -------
    (3, 3) ndarray of float64
        ``R @ R.T == I`` and ``det R == +1``.

    Examples
    --------
    >>> R = random_rotation(np.random.default_rng(0))
    >>> bool(np.allclose(R @ R.T, np.eye(3))), round(float(np.linalg.det(R)), 6)
    (True, 1.0)
    """
    check_rng(rng)
    Q, Rr = np.linalg.qr(rng.standard_normal((3, 3)))
    Q = Q * np.sign(np.diag(Rr))                  # unique, Haar-distributed
    if np.linalg.det(Q) < 0:
        Q[:, 0] = -Q[:, 0]
    return Q


def _revolve(rho_z: np.ndarray, n_rho_z: np.ndarray, theta: np.ndarray):
    """Turn (rho, z) profile points and their 2-D normals into 3-D points and normals."""
    c, s = np.cos(theta), np.sin(theta)
    pts = np.stack([rho_z[:, 0] * c, rho_z[:, 0] * s, rho_z[:, 1]], axis=1)
    nrm = np.stack([n_rho_z[:, 0] * c, n_rho_z[:, 0] * s, n_rho_z[:, 1]], axis=1)
    return pts, nrm


def _sample_clean(kind: str, n: int, rng: np.random.Generator):
    g = PRIMITIVE_SIZES[kind]
    if kind == "sphere":
        p = rng.standard_normal((n, 3))
        p /= np.linalg.norm(p, axis=1, keepdims=True)
        return g["radius"] * p, p.copy()
    if kind == "cube":
        a = g["half_side"]
        face = rng.integers(0, 6, size=n)                      # 6 faces of equal area
        axis, sign = face // 2, np.where(face % 2 == 0, 1.0, -1.0)
        p = rng.uniform(-a, a, size=(n, 3))
        p[np.arange(n), axis] = sign * a
        nrm = np.zeros((n, 3))
        nrm[np.arange(n), axis] = sign
        return p, nrm
    if kind == "plane":
        a = g["half_side"]
        p = np.concatenate([rng.uniform(-a, a, size=(n, 2)), np.zeros((n, 1))], axis=1)
        return p, np.tile([0.0, 0.0, 1.0], (n, 1))
    theta = rng.uniform(0, 2 * np.pi, size=n)
    if kind == "torus":
        R, r = g["major"], g["minor"]
        # area element ∝ (R + r cos phi): rejection-sample phi
        phi = np.empty(0)
        while phi.size < n:
            cand = rng.uniform(0, 2 * np.pi, size=2 * n)
            keep = rng.uniform(0, R + r, size=2 * n) < R + r * np.cos(cand)
            phi = np.concatenate([phi, cand[keep]])
        phi = phi[:n]
        prof = np.stack([R + r * np.cos(phi), r * np.sin(phi)], axis=1)
        return _revolve(prof, np.stack([np.cos(phi), np.sin(phi)], axis=1), theta)
    r, h = g["radius"], g["half_height"]
    if kind == "cylinder":
        areas = np.array([2 * np.pi * r * 2 * h, np.pi * r**2, np.pi * r**2])  # side, top, bottom
    else:  # cone
        slant = np.hypot(r, 2 * h)
        areas = np.array([np.pi * r * slant, 0.0, np.pi * r**2])              # side, -, base
    part = rng.choice(3, size=n, p=areas / areas.sum())
    u = rng.random(n)
    prof = np.zeros((n, 2))
    nprof = np.zeros((n, 2))
    cap_rho = r * np.sqrt(u)                                   # uniform on a disc
    top, bot, side = part == 1, part == 2, part == 0
    prof[top] = np.stack([cap_rho[top], np.full(top.sum(), h)], axis=1)
    nprof[top] = [0.0, 1.0]
    prof[bot] = np.stack([cap_rho[bot], np.full(bot.sum(), -h)], axis=1)
    nprof[bot] = [0.0, -1.0]
    if kind == "cylinder":
        prof[side] = np.stack([np.full(side.sum(), r), -h + 2 * h * u[side]], axis=1)
        nprof[side] = [1.0, 0.0]
    else:
        # distance from the apex t in [0, 1] has density ∝ t: t = sqrt(u)
        t = np.sqrt(u[side])
        prof[side] = np.stack([r * t, h - 2 * h * t], axis=1)
        nprof[side] = np.array([2 * h, r]) / np.hypot(2 * h, r)
    return _revolve(prof, nprof, theta)


def sample_primitive(kind: str, n: int, rng: np.random.Generator, noise: float = 0.0,
                     rotate: bool = False):
    """Sample ``n`` points uniformly (by area) from the surface of one primitive.

    Parameters
    ----------
    kind : str
        One of :data:`PRIMITIVES`.
    n : int
        Number of points N.
    rng : np.random.Generator
    noise : float
        Standard deviation of isotropic Gaussian noise added to every point.
    rotate : bool
        Apply a random rotation (:func:`random_rotation`) to points and normals.

    Returns
    -------
    points : (N, 3) ndarray of float64
        In random order (no face or ring is contiguous).
    normals : (N, 3) ndarray of float64
        Unit outward normals of the clean surface (rotated with the points; the plane's
        normal is +z).
    R : (3, 3) ndarray of float64
        The rotation applied (the identity when ``rotate`` is False).

    Used in Chapter 8.

    Examples
    --------
    >>> p, nrm, R = sample_primitive("sphere", 100, np.random.default_rng(0))
    >>> bool(np.allclose(np.linalg.norm(p, axis=1), 1.0)), bool(np.allclose(p, nrm))
    (True, True)
    """
    if kind not in PRIMITIVES:
        raise ValueError(f"kind must be one of {list(PRIMITIVES)}, got {kind!r}.")
    n = check_int(n, "n")
    check_rng(rng)
    noise = check_nonnegative(noise, "noise")
    p, nrm = _sample_clean(kind, n, rng)
    perm = rng.permutation(n)
    p, nrm = p[perm], nrm[perm]
    R = random_rotation(rng) if rotate else np.eye(3)
    p, nrm = p @ R.T, nrm @ R.T                                # (N, 3)
    if noise > 0:
        p = p + noise * rng.standard_normal(p.shape)
    return p, nrm, R


def _segment_dist2d(q: np.ndarray, a, b) -> np.ndarray:
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    t = np.clip(((q - a) @ d) / (d @ d), 0.0, 1.0)
    return np.linalg.norm(q - a - t[:, None] * d, axis=1)


def primitive_distance(kind: str, points: np.ndarray) -> np.ndarray:
    """Unsigned distance from points to the surface of a primitive in its canonical pose.

    Parameters
    ----------
    kind : str
        One of :data:`PRIMITIVES`.
    points : (N, 3) ndarray of float

    Returns
    -------
    (N,) ndarray of float64
        Zero exactly on the surface. For surfaces of revolution this is the distance in
        the ``(rho, z)`` half-plane to the profile curve.

    Examples
    --------
    >>> primitive_distance("torus", np.array([[0.65, 0.0, 0.3], [0.0, 0.0, 0.0]])).round(3).tolist()
    [0.0, 0.35]
    """
    if kind not in PRIMITIVES:
        raise ValueError(f"kind must be one of {list(PRIMITIVES)}, got {kind!r}.")
    check_array(points, "points", ndim=2, dtype_kind="fiu", shape=(None, 3))
    p = points.astype(np.float64)
    g = PRIMITIVE_SIZES[kind]
    if kind == "sphere":
        return np.abs(np.linalg.norm(p, axis=1) - g["radius"])
    if kind == "cube":
        q = np.abs(p) - g["half_side"]
        return np.abs(np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(axis=1), 0))
    if kind == "plane":
        q = np.maximum(np.abs(p[:, :2]) - g["half_side"], 0)
        return np.sqrt((q**2).sum(axis=1) + p[:, 2] ** 2)
    rz = np.stack([np.hypot(p[:, 0], p[:, 1]), p[:, 2]], axis=1)   # (N, 2) profile coordinates
    if kind == "torus":
        return np.abs(np.hypot(rz[:, 0] - g["major"], rz[:, 1]) - g["minor"])
    r, h = g["radius"], g["half_height"]
    if kind == "cylinder":
        segs = [((0, h), (r, h)), ((r, h), (r, -h)), ((r, -h), (0, -h))]
    else:
        segs = [((0, h), (r, -h)), ((r, -h), (0, -h))]
    return np.min([_segment_dist2d(rz, a, b) for a, b in segs], axis=0)


def point_cloud_dataset(n_per_class: int, rng: np.random.Generator, n_points: int = 256,
                        noise: float = 0.01, rotate: bool = True, classes=PRIMITIVES):
    """A balanced, shuffled classification set of primitive point clouds.

    Parameters
    ----------
    n_per_class : int
    rng : np.random.Generator
    n_points : int
        Points per cloud N.
    noise : float
    rotate : bool
        Randomly rotate every cloud (so a classifier must be rotation-robust).
    classes : sequence of str
        Subset of :data:`PRIMITIVES`; labels index into it.

    Returns
    -------
    X : (B, N, 3) ndarray of float64
        ``B = n_per_class * len(classes)``.
    y : (B,) ndarray of int64
    normals : (B, N, 3) ndarray of float64

    Used in Chapter 8 (PointNet / DGCNN on procedural primitives).

    Examples
    --------
    >>> X, y, nrm = point_cloud_dataset(2, np.random.default_rng(0), n_points=64)
    >>> X.shape, np.bincount(y).tolist()
    ((12, 64, 3), [2, 2, 2, 2, 2, 2])
    """
    n_per_class = check_int(n_per_class, "n_per_class")
    check_rng(rng)
    n_points = check_int(n_points, "n_points")
    classes = check_names(classes, "classes", PRIMITIVES)
    labels = rng.permutation(np.repeat(np.arange(len(classes)), n_per_class)).astype(np.int64)
    X = np.empty((labels.size, n_points, 3))
    normals = np.empty_like(X)
    for b, k in enumerate(labels):
        X[b], normals[b], _ = sample_primitive(classes[k], n_points, rng, noise=noise, rotate=rotate)
    return X, labels, normals


def _grid_faces(rows: int, cols: int, wrap_rows: bool) -> np.ndarray:
    """Two triangles per cell of a rows × cols vertex grid that wraps around in columns (and rows)."""
    r, c = np.meshgrid(np.arange(rows if wrap_rows else rows - 1), np.arange(cols), indexing="ij")
    a = r * cols + c
    b = r * cols + (c + 1) % cols
    d = ((r + 1) % rows) * cols + c
    e = ((r + 1) % rows) * cols + (c + 1) % cols
    return np.concatenate([np.stack([a, b, e], -1).reshape(-1, 3), np.stack([a, e, d], -1).reshape(-1, 3)])


def primitive_mesh(kind: str, resolution: int = 16):
    """A closed, consistently oriented triangle mesh of a primitive in its canonical pose.

    Parameters
    ----------
    kind : {"sphere", "cube", "torus"}
        The sphere is a latitude-longitude mesh (fans at the poles), the cube has 2 triangles per face
        (``resolution`` is ignored), the torus is a ``resolution × 2·resolution`` grid.
    resolution : int
        Rings of the sphere and of the torus' tube (at least 3).

    Returns
    -------
    vertices : (V, 3) ndarray of float64
        On the surface of :data:`PRIMITIVE_SIZES`' shape.
    faces : (F, 3) ndarray of int64
        Counter-clockwise seen from outside (normals point out); every edge is shared by two faces.

    Used in Chapter 8 (mesh edge features).

    Examples
    --------
    >>> V, F = primitive_mesh("torus", 4)
    >>> V.shape, F.shape, float(primitive_distance("torus", V).max()) < 1e-12
    ((32, 3), (64, 3), True)
    """
    if kind not in ("sphere", "cube", "torus"):
        raise ValueError(f"kind must be 'sphere', 'cube' or 'torus', got {kind!r}.")
    n = check_int(resolution, "resolution", minimum=3)
    g = PRIMITIVE_SIZES[kind]
    if kind == "cube":
        V = g["half_side"] * np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
        F = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
        return V, F.astype(np.int64)
    if kind == "torus":
        cols = 2 * n
        phi = 2 * np.pi * np.arange(n) / n                       # around the tube (rows)
        theta = 2 * np.pi * np.arange(cols) / cols               # around the axis (columns)
        P, T = np.meshgrid(phi, theta, indexing="ij")
        rho = g["major"] + g["minor"] * np.cos(P)
        V = np.stack([rho * np.cos(T), rho * np.sin(T), g["minor"] * np.sin(P)], -1).reshape(-1, 3)
        return V, _grid_faces(n, cols, wrap_rows=True).astype(np.int64)
    cols = 2 * n
    lat = np.pi * np.arange(1, n) / n                            # n - 1 rings between the poles
    theta = 2 * np.pi * np.arange(cols) / cols
    L, T = np.meshgrid(lat, theta, indexing="ij")
    ring = np.stack([np.sin(L) * np.cos(T), np.sin(L) * np.sin(T), np.cos(L)], -1).reshape(-1, 3)
    V = g["radius"] * np.concatenate([[[0.0, 0.0, 1.0]], ring, [[0.0, 0.0, -1.0]]])
    body = _grid_faces(n - 1, cols, wrap_rows=False) + 1
    south = len(V) - 1
    c = np.arange(cols)
    top = np.stack([np.zeros(cols, int), 1 + c, 1 + (c + 1) % cols], -1)
    last = 1 + (n - 2) * cols
    bottom = np.stack([np.full(cols, south), last + (c + 1) % cols, last + c], -1)
    F = np.concatenate([top, body[:, [0, 2, 1]], bottom])
    return V, F.astype(np.int64)
