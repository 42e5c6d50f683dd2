"""The pinhole camera: intrinsics, look-at extrinsics, rays through pixels and projection of points.

Chapter 9 (NeRF and 3D Gaussian Splatting) and the 3-D scene generator in ``coursekit.data.scenes3d``.
Camera-to-world matrices follow the OpenGL convention (the camera looks down its own ``-z`` axis, ``+y`` up);
pixel coordinates are ``(x, y)`` = (column, row) as everywhere in coursekit (CONTRIBUTING.md, "Conventions"),
but here, as in NeRF and graphics, pixel ``[row, col]`` covers ``[col, col + 1) × [row, row + 1)``, so its
centre is at ``(col + 0.5, row + 0.5)`` (in Chapter 2's image functions centres are at integers).

References
----------
R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed., 2004, ch. 6.
B. Mildenhall et al., "NeRF: Representing scenes as neural radiance fields for view synthesis", ECCV 2020.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coursekit.core.validation import check_array, check_int, check_positive

__all__ = ["Camera", "look_at", "orbit_cameras", "camera_rays", "project"]


@dataclass
class Camera:
    """A pinhole camera: pose ``c2w`` (4, 4) and focal length ``focal`` in pixels.

    Defined in :ref:`sec-pinhole-camera`.

    Parameters
    ----------
    c2w : (4, 4) ndarray of float64
        Camera-to-world matrix: columns right, up, backward (= -viewing direction), position.
    focal : float
        Focal length in pixels (the principal point is the image centre).

    References
    ----------
    R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed., 2004, sec. 6.1.

    Examples
    --------
    >>> cam = Camera(c2w=look_at((0.0, -4.0, 0.0)), focal=30.0)
    >>> cam.c2w[:3, 3].tolist(), cam.focal
    ([0.0, -4.0, 0.0], 30.0)
    """

    c2w: np.ndarray
    focal: float


def look_at(eye, target=(0.0, 0.0, 0.0), up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """Camera-to-world matrix of a camera at ``eye`` looking at ``target`` (OpenGL axes).

    Defined in :ref:`sec-pinhole-camera`.

    Parameters
    ----------
    eye : (3,) array_like
        Camera position in world coordinates.
    target : (3,) array_like
        The point the camera looks at; must differ from ``eye``.
    up : (3,) array_like
        World "up" (default +z); must not be parallel to the viewing direction.

    Returns
    -------
    (4, 4) ndarray of float64
        Columns: right, up, backward (= -viewing direction), position.

    Notes
    -----
    ``forward = normalise(target - eye)``, ``right = normalise(forward × up)``, ``true_up = right × forward``:
    an orthonormal, right-handed frame with the camera looking down its ``-z``.

    References
    ----------
    R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed., 2004, sec. 6.1.

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

    Defined in :ref:`sec-pinhole-camera`.

    Parameters
    ----------
    n : int
        Number of cameras, >= 1.
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
        ``n`` cameras, the k-th at azimuth ``azimuth0_deg + 360° k / n``, focal ``W / (2 tan(fov / 2))``.

    References
    ----------
    R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed., 2004, sec. 6.1.

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

    Defined in :ref:`sec-pinhole-camera`.

    Parameters
    ----------
    camera : Camera
        The camera (pose and focal length).
    H, W : int
        Image height and width in pixels.

    Returns
    -------
    origins : (H, W, 3) ndarray of float64
        The camera position, repeated; indexed ``[row, col]``.
    directions : (H, W, 3) ndarray of float64
        Unit length; ``directions[row, col]`` passes through the pixel centre ``(col + 0.5, row + 0.5)``.

    Notes
    -----
    In camera coordinates the ray through ``(x, y)`` is ``((x - W/2) / f, -(y - H/2) / f, -1)`` (image y
    points down, camera y up); the rotation of ``c2w`` takes it to the world.

    References
    ----------
    R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed., 2004, sec. 6.1.

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

    Defined in :ref:`sec-pinhole-camera`.

    Parameters
    ----------
    points : (N, 3) ndarray of float
        World points.
    camera : Camera
        The camera (pose and focal length).
    H, W : int
        Image height and width in pixels.

    Returns
    -------
    xy : (N, 2) ndarray of float64
        ``(x, y)`` = (column, row) position; pixel ``(i, j)`` covers ``[j, j+1) x [i, i+1)``.
    z : (N,) ndarray of float64
        Depth along the viewing direction (> 0 in front of the camera).

    Notes
    -----
    World → camera coordinates with the inverse pose, then the pinhole division by depth.

    References
    ----------
    R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed., 2004, sec. 6.1.

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
