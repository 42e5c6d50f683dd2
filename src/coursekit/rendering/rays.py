"""Rays through pixels from intrinsics K and extrinsics c2w, projection back to pixels, and ray-box clipping.

Chapter 9 (the pinhole camera and NeRF). NumPy, batched over cameras; the convention is that of
``coursekit.geometry.camera``: OpenGL camera axes (looking down ``-z``, ``+y`` up), pixel ``(x, y)`` =
(column, row), pixel ``[i, j]`` centred at ``(j + 0.5, i + 0.5)``, and a general
``K = [[f_x, s, c_x], [0, f_y, c_y], [0, 0, 1]]``.

References
----------
R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed., 2004, ch. 6.
B. Mildenhall et al., "NeRF: Representing scenes as neural radiance fields for view synthesis", ECCV 2020.
A. Williams et al., "An efficient and robust ray-box intersection algorithm", JGT 2005 (the slab test).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int

__all__ = ["pixel_rays", "project_points", "ray_box", "backproject_depths"]

_FLIP = np.array([1.0, -1.0, -1.0])      # image-aligned camera (x right, y down, z forward) <-> OpenGL


def _check_pose(K, c2w):
    check_array(np.asarray(K, dtype=np.float64), "K", shape=(3, 3))
    check_array(np.asarray(c2w, dtype=np.float64), "c2w", shape=(4, 4))
    if abs(K[2, 2] - 1) > 1e-12 or K[2, 0] != 0 or K[2, 1] != 0 or K[1, 0] != 0:
        raise ValueError(f"K must be upper-triangular with K[2, 2] = 1, got {np.asarray(K).tolist()}.")


def pixel_rays(K: np.ndarray, c2w: np.ndarray, H: int, W: int):
    """Origins and unit directions of the rays through every pixel centre (back-projection).

    Defined in :ref:`sec-pinhole-camera` (Eq. :eq:`eq-ray`).

    Parameters
    ----------
    K : (3, 3) ndarray of float
        Intrinsics.
    c2w : (4, 4) ndarray of float
        Camera-to-world matrix (OpenGL convention).
    H, W : int

    Returns
    -------
    origins : (H, W, 3) ndarray of float64
    directions : (H, W, 3) ndarray of float64
        Unit vectors; ``r(t) = o + t d`` passes through pixel centre ``(j + 0.5, i + 0.5)``.

    Notes
    -----
    ``d_cam = K^-1 (x, y, 1)ᵀ`` is the ray in the image-aligned camera frame (y down, z forward); flip y
    and z to the OpenGL frame, rotate by ``R`` of ``c2w``, normalise. The origin is the camera centre.

    Examples
    --------
    >>> K = np.array([[10.0, 0, 2], [0, 10.0, 2], [0, 0, 1]])
    >>> o, d = pixel_rays(K, np.eye(4), 4, 4)
    >>> d.shape, d[1, 1].round(4).tolist()
    ((4, 4, 3), [-0.0499, 0.0499, -0.9975])
    """
    _check_pose(K, c2w)
    H, W = check_int(H, "H"), check_int(W, "W")
    j, i = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)            # (H, W) each
    pix = np.stack([j, i, np.ones_like(i)], axis=-1)                       # (H, W, 3) homogeneous
    d_cam = pix @ np.linalg.inv(K).T * _FLIP                               # (H, W, 3) OpenGL camera
    d = d_cam @ c2w[:3, :3].T                                              # (H, W, 3) world
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    return np.broadcast_to(c2w[:3, 3], d.shape).copy(), d


def project_points(points: np.ndarray, K: np.ndarray, c2w: np.ndarray):
    """Project world points to pixels: ``x ~ K [R | t] X`` with ``[R | t]`` the inverse of ``c2w``.

    Defined in :ref:`sec-pinhole-camera` (Eq. :eq:`eq-projection`).

    Parameters
    ----------
    points : (N, 3) ndarray of float
    K : (3, 3) ndarray of float
    c2w : (4, 4) ndarray of float

    Returns
    -------
    xy : (N, 2) ndarray of float64
        Pixel coordinates ``(x, y)`` = (column, row).
    z : (N,) ndarray of float64
        Depth in front of the camera (> 0 if visible).

    Examples
    --------
    >>> K = np.array([[10.0, 0, 2], [0, 10.0, 2], [0, 0, 1]])
    >>> xy, z = project_points(np.array([[0.0, 0.0, -5.0]]), K, np.eye(4))
    >>> xy.tolist(), z.tolist()
    ([[2.0, 2.0]], [5.0])
    """
    check_array(points, "points", ndim=2, dtype_kind="fiu", shape=(None, 3))
    _check_pose(K, c2w)
    p = (points - c2w[:3, 3]) @ c2w[:3, :3] * _FLIP                       # (N, 3) image-aligned frame
    z = p[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        uvw = p @ K.T                                                      # (N, 3)
        xy = uvw[:, :2] / uvw[:, 2:]
    return xy, z


def ray_box(origins, directions, lo, hi):
    """Where rays enter and leave an axis-aligned box (the slab test); works on ndarrays and tensors.

    Defined in :ref:`sec-nerf-sampling`.

    Parameters
    ----------
    origins, directions : (R, 3) ndarray or Tensor of float
    lo, hi : (3,) sequence of float
        The box's corners, ``lo < hi``.

    Returns
    -------
    near, far : (R,) same type as the input
        Ray parameters of entry and exit (``near`` clipped at 0); ``near >= far`` means a miss.

    Notes
    -----
    For each axis the ray is inside the slab for ``t`` between ``(lo - o) / d`` and ``(hi - o) / d``;
    the box is the intersection of the three slabs: the largest entry and the smallest exit.

    Examples
    --------
    >>> n, f = ray_box(np.array([[0.0, 0, 5]]), np.array([[0.0, 0, -1]]), (-1, -1, -1), (1, 1, 1))
    >>> n.tolist(), f.tolist()
    ([4.0], [6.0])
    """
    lib = np if isinstance(origins, np.ndarray) else __import__("torch")
    lo_ = lib.asarray(lo, dtype=origins.dtype) if lib is np else lib.tensor(lo, dtype=origins.dtype)
    hi_ = lib.asarray(hi, dtype=origins.dtype) if lib is np else lib.tensor(hi, dtype=origins.dtype)
    if not bool((lo_ < hi_).all()):
        raise ValueError(f"the box needs lo < hi on every axis, got lo={lo}, hi={hi}.")
    inv = 1.0 / lib.where(directions == 0, 1e-12, directions)
    t0, t1 = (lo_ - origins) * inv, (hi_ - origins) * inv                 # (R, 3) each
    near = lib.minimum(t0, t1).max(-1)
    far = lib.maximum(t0, t1).min(-1)
    if lib is not np:
        near, far = near.values, far.values
    return lib.clip(near, 0.0, None) if lib is np else near.clamp_min(0.0), far


def backproject_depths(K: np.ndarray, c2w: np.ndarray, depths: np.ndarray, images: np.ndarray):
    """Turn every pixel with a finite depth into a coloured 3-D point: ``X = o + t d``.

    Defined in :ref:`sec-pinhole-camera` (Eq. :eq:`eq-ray`).

    Parameters
    ----------
    K : (3, 3) ndarray of float
    c2w : (V, 4, 4) ndarray of float
    depths : (V, H, W) ndarray of float
        Distance along each pixel's ray; ``inf`` where the ray hits nothing.
    images : (V, H, W, 3) ndarray of float

    Returns
    -------
    points : (M, 3) ndarray of float64
    colors : (M, 3) ndarray of float64
        One row per pixel with a finite depth, view after view, in raster order.

    Examples
    --------
    >>> K = np.array([[4.0, 0, 1], [0, 4.0, 1], [0, 0, 1]])
    >>> X, C = backproject_depths(K, np.eye(4)[None], np.full((1, 2, 2), 2.0), np.ones((1, 2, 2, 3)))
    >>> X.shape, bool(np.allclose(np.linalg.norm(X, axis=1), 2.0))
    ((4, 3), True)
    """
    V = check_array(np.asarray(c2w, dtype=np.float64), "c2w", ndim=3, shape=(None, 4, 4)).shape[0]
    depths = np.asarray(depths, dtype=np.float64)
    if depths.ndim != 3 or depths.shape[0] != V or np.isnan(depths).any():
        raise ValueError(f"depths must have shape (V={V}, H, W) without NaN, got {depths.shape}.")
    H, W = depths.shape[1:]
    check_array(np.asarray(images, dtype=np.float64), "images", shape=(V, H, W, 3))
    points, colors = [], []
    for v in range(V):
        o, d = pixel_rays(K, c2w[v], H, W)                                   # (H, W, 3) each
        hit = np.isfinite(depths[v])
        points.append(o[hit] + depths[v][hit][:, None] * d[hit])
        colors.append(np.asarray(images[v], dtype=np.float64)[hit])
    return np.concatenate(points), np.concatenate(colors)
