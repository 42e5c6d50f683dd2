"""The pinhole camera: intrinsics, look-at extrinsics, rays through pixels and projection of points.

Chapter 9 (NeRF and 3D Gaussian Splatting) and the 3-D scene generator in ``coursekit.data.scenes3d``.
Camera-to-world matrices follow the OpenGL convention (the camera looks down its own ``-z`` axis, ``+y`` up);
pixel coordinates are ``(x, y)`` = (column, row) with pixel centres at half-integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coursekit.core.validation import check_array, check_int, check_positive

__all__ = ["Camera", "look_at", "orbit_cameras", "camera_rays", "project"]


@dataclass
class Camera:
    """A pinhole camera: pose ``c2w`` (4, 4) and focal length ``focal`` in pixels."""

    c2w: np.ndarray
    focal: float


def look_at(eye, target=(0.0, 0.0, 0.0), up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """Camera-to-world matrix of a camera at ``eye`` looking at ``target`` (OpenGL axes).

    Returns
    -------
    (4, 4) ndarray of float64
        Columns: right, up, backward (= -viewing direction), position.

    Examples
    --------
    >>> c2w = look_at((0.0, -4.0, 0.0))
    >>> (c2w[:3, 2].round(6) + 0.0).tolist()  # the camera looks along +y, so "backward" is -y
    [0.0, -1.0, 0.0]
    """
    eye, target, up = (np.asarray(v, dtype=np.float64) for v in (eye, target, up))
    f = target - eye
    if np.linalg.norm(f) == 0:
        raise ValueError("eye and target must differ.")
    f /= np.linalg.norm(f)
    right = np.cross(f, up)
    if np.linalg.norm(right) < 1e-9:
        raise ValueError("the viewing direction is parallel to up; choose another up vector.")
    right /= np.linalg.norm(right)
    true_up = np.cross(right, f)
    c2w = np.eye(4)
    c2w[:3, 0], c2w[:3, 1], c2w[:3, 2], c2w[:3, 3] = right, true_up, -f, eye
    return c2w


def _focal(W: int, fov_deg: float) -> float:
    return 0.5 * W / np.tan(np.deg2rad(fov_deg) / 2)


def orbit_cameras(n: int, W: int, radius: float = 4.0, elevation_deg: float = 30.0,
                  fov_deg: float = 45.0, azimuth0_deg: float = 0.0) -> list:
    """``n`` cameras evenly spaced on a circle around the z axis, looking at the origin.

    Parameters
    ----------
    n : int
    W : int
        Image width in pixels (sets the focal length from the field of view).
    radius : float
        Distance from the origin.
    elevation_deg : float
        Height of the circle as an angle above the ground (must be in (0, 90)).
    fov_deg : float
        Horizontal field of view.
    azimuth0_deg : float
        Azimuth of the first camera.

    Returns
    -------
    list of Camera

    Examples
    --------
    >>> cams = orbit_cameras(4, W=32)
    >>> len(cams), round(float(np.linalg.norm(cams[1].c2w[:3, 3])), 6)
    (4, 4.0)
    """
    n = check_int(n, "n")
    W = check_int(W, "W")
    radius = check_positive(radius, "radius")
    if not 0 < elevation_deg < 90:
        raise ValueError(f"elevation_deg must be in (0, 90), got {elevation_deg}.")
    if not 0 < fov_deg < 180:
        raise ValueError(f"fov_deg must be in (0, 180), got {fov_deg}.")
    az = np.deg2rad(azimuth0_deg) + 2 * np.pi * np.arange(n) / n
    el = np.deg2rad(elevation_deg)
    f = _focal(W, fov_deg)
    return [Camera(look_at(radius * np.array([np.cos(el) * np.cos(a), np.cos(el) * np.sin(a),
                                              np.sin(el)])), f) for a in az]


def _check_camera(camera) -> Camera:
    if not isinstance(camera, Camera):
        raise ValueError(f"camera must be a coursekit.data.Camera, got {type(camera).__name__}.")
    check_array(camera.c2w, "camera.c2w", shape=(4, 4), dtype_kind="f")
    check_positive(camera.focal, "camera.focal")
    return camera


def camera_rays(camera: Camera, H: int, W: int):
    """World-space origins and unit directions of the rays through every pixel centre.

    Returns
    -------
    origins : (H, W, 3) ndarray of float64
    directions : (H, W, 3) ndarray of float64
        Unit length.

    Examples
    --------
    >>> o, d = camera_rays(orbit_cameras(1, 8)[0], 8, 8)
    >>> o.shape, bool(np.allclose(np.linalg.norm(d, axis=-1), 1.0))
    ((8, 8, 3), True)
    """
    _check_camera(camera)
    H, W = check_int(H, "H"), check_int(W, "W")
    j, i = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)            # (H, W) each
    d_cam = np.stack([(j - W / 2) / camera.focal, -(i - H / 2) / camera.focal,
                      -np.ones_like(i)], axis=-1)                          # (H, W, 3)
    d = d_cam @ camera.c2w[:3, :3].T                                       # (H, W, 3) world
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    return np.broadcast_to(camera.c2w[:3, 3], d.shape).copy(), d


def project(points: np.ndarray, camera: Camera, H: int, W: int):
    """Project world points to continuous pixel coordinates (inverse of :func:`camera_rays`).

    Parameters
    ----------
    points : (N, 3) ndarray of float
    camera : Camera
    H, W : int

    Returns
    -------
    xy : (N, 2) ndarray of float64
        ``(x, y)`` = (column, row) position; pixel ``(i, j)`` covers ``[j, j+1) x [i, i+1)``.
    z : (N,) ndarray of float64
        Depth along the viewing direction (> 0 in front of the camera).

    Examples
    --------
    >>> cam = orbit_cameras(1, 32)[0]
    >>> xy, z = project(np.zeros((1, 3)), cam, 32, 32)   # the camera looks at the origin
    >>> xy.round(6).tolist(), round(float(z[0]), 6)
    ([[16.0, 16.0]], 4.0)
    """
    check_array(points, "points", ndim=2, dtype_kind="fiu", shape=(None, 3))
    _check_camera(camera)
    p = (points - camera.c2w[:3, 3]) @ camera.c2w[:3, :3]                 # (N, 3) camera coords
    z = -p[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        xy = np.stack([camera.focal * p[:, 0] / z + W / 2, -camera.focal * p[:, 1] / z + H / 2], 1)
    return xy, z
