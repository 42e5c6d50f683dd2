"""A tiny analytically ray-traced 3-D scene and pinhole cameras around it (NeRF / 3DGS data).

The scene is a few coloured spheres resting on a checkered (textured) square of ground
(z = 0, z is up) under one directional light, with hard shadows and a white background.
The spheres are Lambertian plus, if ``Scene.specular > 0``, a Blinn-Phong highlight that
moves with the viewer (view-dependent colour, what NeRF's direction input and 3DGS's
spherical harmonics are for). Every pixel is shaded at the exact first intersection of
its ray with the spheres or the ground, so colour and depth are ground truth: a NeRF or
a 3D Gaussian splat trained on :func:`views` or :func:`ring_views` can be scored against
renders of held-out cameras.

Camera convention (the NeRF / OpenGL one): in camera coordinates x points right, y up and
the camera looks along -z. ``c2w`` is the 4x4 camera-to-world matrix ``[R | o]``. Pixel
``(row i, column j)`` has its centre at ``(x, y) = (j + 0.5, i + 0.5)`` and the principal
point is ``(W / 2, H / 2)``; so the intrinsics are ``K = [[f, 0, W/2], [0, f, H/2], [0, 0, 1]]``
with a y-flip between image rows and camera y.

Used by Chapter 9 (rays and back-projection, a tiny NeRF, 3D Gaussian Splatting, NeRF vs 3DGS).

References
----------
Mildenhall et al., "NeRF: Representing Scenes as Neural Radiance Fields for View Synthesis", ECCV 2020.
Kerbl et al., "3D Gaussian Splatting for Real-Time Radiance Field Rendering", SIGGRAPH 2023.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coursekit.core.validation import check_choice, check_int, check_positive, check_rng
from coursekit.geometry.camera import (
    Camera,
    _check_camera,
    _focal,
    camera_rays,
    look_at,
    orbit_cameras,
)

__all__ = ["Scene", "default_scene", "random_scene", "render", "SceneViews", "views", "ring_views"]


@dataclass
class Scene:
    """Spheres on a checkered ground square, lit by one directional light.

    Attributes
    ----------
    centers : (S, 3) ndarray of float64
    radii : (S,) ndarray of float64
    colors : (S, 3) ndarray of float64
        Albedo in [0, 1].
    ground_half_size : float
        The ground is the square ``|x|, |y| <= ground_half_size`` in the plane z = 0.
    checker_size : float
        Side of a checker square.
    ground_colors : (2, 3) ndarray of float64
        Albedo of the two kinds of checker square.
    light_dir : (3,) ndarray of float64
        Unit vector from a surface point towards the light.
    ambient : float
        Fraction of light that reaches even shadowed or back-facing points.
    background : (3,) ndarray of float64
        Colour of rays that hit nothing (their depth is ``inf``).
    specular : float
        Strength ``k_s`` of the white Blinn-Phong highlight on the spheres (0: purely Lambertian).
    shininess : float
        Blinn-Phong exponent: the larger, the smaller and sharper the highlight.

    Examples
    --------
    >>> scene = default_scene()
    >>> scene.centers.shape, scene.radii.shape, scene.colors.shape
    ((3, 3), (3,), (3, 3))
    """

    centers: np.ndarray
    radii: np.ndarray
    colors: np.ndarray
    ground_half_size: float = 2.5
    checker_size: float = 0.5
    ground_colors: np.ndarray = field(default_factory=lambda: np.array([[0.85, 0.82, 0.75],
                                                                         [0.35, 0.35, 0.40]]))
    light_dir: np.ndarray = field(default_factory=lambda: np.array([1.0, -0.5, 2.0]) / np.sqrt(5.25))
    ambient: float = 0.3
    background: np.ndarray = field(default_factory=lambda: np.ones(3))
    specular: float = 0.0
    shininess: float = 20.0


def default_scene() -> Scene:
    """Three spheres (red, green, blue) with a specular highlight, on a checkered ground near the origin.

    Returns
    -------
    Scene
        The same scene every call: radii 0.6, 0.4 and 0.35, checker squares of side 0.5 on a
        3 x 3 ground, Blinn-Phong highlight ``specular=0.5``, ``shininess=20``.

    Examples
    --------
    >>> default_scene().centers.shape
    (3, 3)
    """
    return Scene(centers=np.array([[0.0, 0.0, 0.6], [1.1, 0.6, 0.4], [-0.7, 1.0, 0.35]]),
                 radii=np.array([0.6, 0.4, 0.35]),
                 colors=np.array([[0.9, 0.2, 0.15], [0.2, 0.8, 0.3], [0.2, 0.35, 0.95]]),
                 ground_half_size=1.5, checker_size=0.5, specular=0.5, shininess=20.0)


def random_scene(rng: np.random.Generator, n_spheres: int = 3) -> Scene:
    """Non-overlapping spheres of random radius and colour resting on the ground.

    Parameters
    ----------
    rng : np.random.Generator
        Draws the radii, positions and colours.
    n_spheres : int
        Number of spheres, >= 1.

    Returns
    -------
    Scene
        Every sphere touches the ground (centre height = radius) and no two overlap.

    Examples
    --------
    >>> s = random_scene(np.random.default_rng(0), n_spheres=4)
    >>> bool(np.allclose(s.centers[:, 2], s.radii))
    True
    """
    check_rng(rng)
    n_spheres = check_int(n_spheres, "n_spheres", maximum=8)
    centers, radii = [], []
    while len(centers) < n_spheres:
        r = rng.uniform(0.25, 0.6)
        c = np.array([*rng.uniform(-1.5, 1.5, size=2), r])
        if all(np.linalg.norm(c[:2] - d[:2]) > r + s + 0.05 for d, s in zip(centers, radii)):
            centers.append(c)
            radii.append(r)
    return Scene(centers=np.array(centers), radii=np.array(radii),
                 colors=rng.uniform(0.15, 0.95, size=(n_spheres, 3)))


def _hit_spheres(o, d, scene: Scene):
    """Nearest positive hit of rays (R, 3) with all spheres: t (R,) (inf if none), index (R,)."""
    oc = o[:, None, :] - scene.centers[None]                               # (R, S, 3)
    b = np.einsum("rk,rsk->rs", d, oc)                                     # (R, S)
    c = (oc**2).sum(-1) - scene.radii**2                                   # (R, S)
    disc = b * b - c
    sq = np.sqrt(np.maximum(disc, 0.0))
    t = np.where(-b - sq > 1e-9, -b - sq, -b + sq)
    t = np.where((disc >= 0) & (t > 1e-9), t, np.inf)
    idx = np.argmin(t, axis=1) if t.shape[1] else np.zeros(len(o), int)
    return (t[np.arange(len(o)), idx] if t.shape[1] else np.full(len(o), np.inf)), idx


def render(camera: Camera, H: int, W: int, scene: Scene | None = None, depth: str = "distance",
           samples: int = 1):
    """Ray-trace the scene exactly: RGB and depth at every pixel centre (optionally anti-aliased).

    Parameters
    ----------
    camera : Camera
    H, W : int
    scene : Scene, optional
        Defaults to :func:`default_scene`.
    depth : {"distance", "z"}
        Euclidean distance along the ray from the camera centre, or depth along the
        viewing axis (``z`` of the camera frame, what a depth sensor reports).
    samples : int
        Odd number s of rays per pixel side: each pixel's colour is the mean of an s × s grid of rays
        spread evenly over the pixel (anti-aliasing, a box filter, as in the renders of NeRF's synthetic
        scenes); the depth stays that of the centre ray. 1: one ray through the pixel centre.

    Returns
    -------
    rgb : (H, W, 3) ndarray of float64 in [0, 1]
    depth : (H, W) ndarray of float64
        ``inf`` where the ray hits nothing (background).

    Notes
    -----
    1. One ray per pixel centre (:func:`camera_rays`).
    2. Intersect with every sphere (``|o + t d - c|^2 = r^2``, smaller positive root) and with
       the ground square (``t = -o_z / d_z``); keep the nearest hit.
    3. Lambertian shading ``albedo * (ambient + (1 - ambient) * max(0, n . l) * visible)``, where
       ``visible`` is 0 if a shadow ray towards the light hits a sphere.
    4. On spheres, plus the view-dependent Blinn-Phong highlight
       ``specular * max(0, n . h)^shininess * visible`` (white), ``h = normalise(l - d)`` the half
       vector between the light and the direction back to the camera.

    Used in Chapter 9.

    Examples
    --------
    >>> from coursekit.geometry import orbit_cameras
    >>> rgb, d = render(orbit_cameras(1, 32)[0], 32, 32)
    >>> rgb.shape, bool(np.isfinite(d[16, 16])), bool(np.isinf(d[0, 0]))
    ((32, 32, 3), True, True)
    """
    _check_camera(camera)
    scene = default_scene() if scene is None else scene
    check_choice(depth, "depth", ("distance", "z"))
    samples = check_int(samples, "samples", maximum=9)
    if samples % 2 == 0:
        raise ValueError(f"samples must be odd (the centre ray gives the depth), got {samples}.")
    if samples > 1:                      # an s-times finer image of the same camera, then s x s box means
        rgb, t = render(Camera(camera.c2w, camera.focal * samples), H * samples, W * samples, scene, depth)
        c = samples // 2
        return rgb.reshape(H, samples, W, samples, 3).mean(axis=(1, 3)), t[c::samples, c::samples]
    o, d = camera_rays(camera, H, W)
    o, d = o.reshape(-1, 3), d.reshape(-1, 3)                              # (R, 3)
    t_s, idx = _hit_spheres(o, d, scene)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_g = np.where(d[:, 2] < 0, -o[:, 2] / d[:, 2], np.inf)           # (R,)
    hit_g = o + np.where(np.isfinite(t_g), t_g, 0.0)[:, None] * d
    t_g = np.where(np.all(np.abs(hit_g[:, :2]) <= scene.ground_half_size, axis=1), t_g, np.inf)
    on_sphere = t_s < t_g
    t = np.minimum(t_s, t_g)                                               # (R,)
    hit = np.isfinite(t)
    x = o + np.where(hit, t, 0.0)[:, None] * d                             # (R, 3) hit points

    normal = np.tile([0.0, 0.0, 1.0], (len(o), 1))
    albedo = np.tile(scene.background, (len(o), 1))
    if len(scene.radii):
        n_s = (x - scene.centers[idx]) / scene.radii[idx, None]
        normal[on_sphere] = n_s[on_sphere]
        albedo[on_sphere] = scene.colors[idx[on_sphere]]
    ground = hit & ~on_sphere
    parity = (np.floor(x[:, 0] / scene.checker_size) + np.floor(x[:, 1] / scene.checker_size)) % 2
    albedo[ground] = scene.ground_colors[parity[ground].astype(int)]
    l = np.asarray(scene.light_dir, dtype=np.float64)
    t_shadow, _ = _hit_spheres(x + 1e-6 * normal, np.broadcast_to(l, x.shape), scene)
    lit = np.isinf(t_shadow)
    shade = scene.ambient + (1 - scene.ambient) * np.maximum(normal @ l, 0.0) * lit
    rgb = albedo * shade[:, None]
    if scene.specular > 0:
        h = l - d
        h /= np.linalg.norm(h, axis=1, keepdims=True)                     # (R, 3) half vectors
        spec = scene.specular * np.maximum((normal * h).sum(1), 0.0) ** scene.shininess * lit
        rgb = rgb + (spec * on_sphere)[:, None]
    rgb = np.where(hit[:, None], rgb, scene.background)
    if depth == "z":
        t = t * (d @ -camera.c2w[:3, 2])
    return np.clip(rgb, 0.0, 1.0).reshape(H, W, 3), t.reshape(H, W)


@dataclass
class SceneViews:
    """A multi-view training set (n views) of one scene.

    Attributes
    ----------
    images : (n, H, W, 3) ndarray of float64
    depths : (n, H, W) ndarray of float64
        Distance along each ray (``inf`` on the background).
    c2w : (n, 4, 4) ndarray of float64
    focal : float
    K : (3, 3) ndarray of float64
        ``[[f, 0, W/2], [0, f, H/2], [0, 0, 1]]``.
    cameras : list of Camera
    scene : Scene

    Examples
    --------
    >>> v = views(2, 16, 16, np.random.default_rng(0))
    >>> v.images.shape, v.depths.shape, v.c2w.shape
    ((2, 16, 16, 3), (2, 16, 16), (2, 4, 4))
    """

    images: np.ndarray
    depths: np.ndarray
    c2w: np.ndarray
    focal: float
    K: np.ndarray
    cameras: list
    scene: Scene


def views(n: int, H: int, W: int, rng: np.random.Generator, scene: Scene | None = None,
          radius: float = 4.0, elevation_deg=(15.0, 60.0), fov_deg: float = 45.0) -> SceneViews:
    """Render ``n`` views from random cameras on a sphere cap looking at the origin.

    Parameters
    ----------
    n : int
    H, W : int
    rng : np.random.Generator
        Draws azimuths (uniform) and elevations (uniform in ``elevation_deg``).
    scene : Scene, optional
        Defaults to :func:`default_scene`.
    radius, fov_deg : float
        Camera distance from the origin and horizontal field of view.
    elevation_deg : (float, float)

    Returns
    -------
    SceneViews

    Used in Chapter 9 (the NeRF and 3DGS training set; held-out views for PSNR/SSIM).

    Examples
    --------
    >>> v = views(3, 16, 16, np.random.default_rng(0))
    >>> v.images.shape, v.c2w.shape, float(v.K[0, 2])
    ((3, 16, 16, 3), (3, 4, 4), 8.0)
    """
    n = check_int(n, "n")
    H, W = check_int(H, "H"), check_int(W, "W")
    check_rng(rng)
    radius = check_positive(radius, "radius")
    lo, hi = elevation_deg
    if not 0 < lo <= hi < 90:
        raise ValueError(f"elevation_deg must be (low, high) with 0 < low <= high < 90, got {elevation_deg}.")
    if not 0 < fov_deg < 180:
        raise ValueError(f"fov_deg must be in (0, 180), got {fov_deg}.")
    scene = default_scene() if scene is None else scene
    az = rng.uniform(0, 2 * np.pi, size=n)
    el = np.deg2rad(rng.uniform(lo, hi, size=n))
    f = _focal(W, fov_deg)
    eyes = radius * np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=1)
    cameras = [Camera(look_at(e), f) for e in eyes]
    renders = [render(c, H, W, scene) for c in cameras]
    K = np.array([[f, 0.0, W / 2], [0.0, f, H / 2], [0.0, 0.0, 1.0]])
    return SceneViews(images=np.stack([r[0] for r in renders]), depths=np.stack([r[1] for r in renders]),
                      c2w=np.stack([c.c2w for c in cameras]), focal=f, K=K, cameras=cameras, scene=scene)


def ring_views(n_train: int, n_test: int, H: int, W: int, scene: Scene | None = None, radius: float = 4.0,
               elevation_deg: float = 30.0, fov_deg: float = 45.0, samples: int = 1):
    """Training and held-out views from one ring of cameras around the scene.

    Parameters
    ----------
    n_train, n_test : int
        Training cameras are evenly spaced in azimuth (the first at 0°); the ``n_test`` held-out
        cameras sit half-way between training cameras spread evenly around the ring.
    H, W : int
    scene : Scene, optional
        Defaults to :func:`default_scene`.
    radius, elevation_deg, fov_deg : float
        The ring (distance and elevation) and the horizontal field of view.
    samples : int
        Rays per pixel side (odd): anti-aliased colours, see :func:`render`.

    Returns
    -------
    train, test : SceneViews
        ``n_train`` and ``n_test`` exact renders; no held-out camera coincides with a training one.

    Used in Chapter 9 (the NeRF and 3DGS training set and their held-out views).

    Examples
    --------
    >>> train, test = ring_views(8, 2, 16, 16)
    >>> train.images.shape, test.images.shape
    ((8, 16, 16, 3), (2, 16, 16, 3))
    """
    n_train, n_test = check_int(n_train, "n_train"), check_int(n_test, "n_test", maximum=n_train)
    H, W = check_int(H, "H"), check_int(W, "W")
    radius = check_positive(radius, "radius")
    if not 0 < elevation_deg < 90:
        raise ValueError(f"elevation_deg must be in (0, 90), got {elevation_deg}.")
    if not 0 < fov_deg < 180:
        raise ValueError(f"fov_deg must be in (0, 180), got {fov_deg}.")
    scene = default_scene() if scene is None else scene
    step = 360.0 / n_train
    slots = np.floor(np.arange(n_test) * n_train / n_test)                # (n_test,) training gaps used
    az_test = step * (slots + 0.5)
    out = []
    for az in (step * np.arange(n_train), az_test):
        cams = [orbit_cameras(1, W, radius, elevation_deg, fov_deg, float(a))[0] for a in az]
        renders = [render(c, H, W, scene, samples=samples) for c in cams]
        f = cams[0].focal
        K = np.array([[f, 0.0, W / 2], [0.0, f, H / 2], [0.0, 0.0, 1.0]])
        out.append(SceneViews(images=np.stack([r[0] for r in renders]),
                              depths=np.stack([r[1] for r in renders]),
                              c2w=np.stack([c.c2w for c in cams]), focal=f, K=K, cameras=cams,
                              scene=scene))
    return out[0], out[1]
