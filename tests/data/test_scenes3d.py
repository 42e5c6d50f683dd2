"""Tests for coursekit.data.scenes3d (Chapter 9)."""

from dataclasses import replace

import numpy as np
import pytest

from coursekit.geometry.camera import Camera, camera_rays, look_at, orbit_cameras, project
from coursekit.data.scenes3d import default_scene, random_scene, render, ring_views, views

H = W = 48


def test_views_are_deterministic_per_seed():
    a, b = views(3, 16, 16, np.random.default_rng(0)), views(3, 16, 16, np.random.default_rng(0))
    c = views(3, 16, 16, np.random.default_rng(1))
    assert np.array_equal(a.images, b.images) and np.array_equal(a.c2w, b.c2w)
    assert not np.array_equal(a.c2w, c.c2w)


def test_views_shapes_ranges_and_intrinsics():
    v = views(4, 24, 32, np.random.default_rng(0))
    assert v.images.shape == (4, 24, 32, 3) and v.depths.shape == (4, 24, 32)
    assert v.images.min() >= 0 and v.images.max() <= 1
    assert np.allclose(v.K, [[v.focal, 0, 16], [0, v.focal, 12], [0, 0, 1]])
    R = v.c2w[:, :3, :3]
    assert np.allclose(R @ np.swapaxes(R, 1, 2), np.eye(3))
    assert np.allclose(np.linalg.norm(v.c2w[:, :3, 3], axis=1), 4.0)


def test_sphere_centre_pixel_depth_is_the_analytic_distance():
    scene = default_scene()
    offset = np.array([0.4, -0.5, 3.0])          # from above: nothing can occlude a sphere's top
    for c, r in zip(scene.centers, scene.radii):
        cam = Camera(look_at(c + offset, c), 40.0)
        _, depth = render(cam, 33, 33, scene)   # odd size: the centre ray passes through pixel (16, 16)
        # the ray through the centre meets the sphere at distance |c - o| - r (exact up to round-off)
        assert np.isclose(depth[16, 16], np.linalg.norm(offset) - r, rtol=1e-12)
        xy, z = project(c[None], cam, 33, 33)
        assert np.allclose(xy, 16.5) and np.isclose(z[0], np.linalg.norm(offset))


def test_rendered_surface_points_project_back_to_their_pixels():
    cam = orbit_cameras(3, W, elevation_deg=40.0)[1]
    rgb, depth = render(cam, H, W)
    o, d = camera_rays(cam, H, W)
    hit = np.isfinite(depth)
    X = (o + depth[..., None] * d)[hit]                       # (M, 3) 3-D points seen in the image
    xy, z = project(X, cam, H, W)
    i, j = np.nonzero(hit)
    assert np.allclose(xy, np.stack([j + 0.5, i + 0.5], axis=1), atol=1e-9)
    assert np.all(z > 0)


def test_projected_sphere_has_the_sphere_colour_and_ground_is_a_checker():
    scene = replace(default_scene(), specular=0.0)                 # Lambertian only
    cam = Camera(look_at((0.0, -4.0, 3.0)), 50.0)
    rgb, depth = render(cam, H, W, scene)
    xy, _ = project(scene.centers[:1], cam, H, W)
    x, y = xy[0]
    col = rgb[int(y), int(x)]
    # Lambertian: colour = albedo * s with one shade s in [ambient, 1] for all channels
    s = col / scene.colors[0]
    assert np.allclose(s, s[0]) and scene.ambient - 1e-12 <= s[0] <= 1 + 1e-12
    z_depth = render(cam, H, W, scene, depth="z")[1]
    assert np.allclose(z_depth[np.isfinite(z_depth)] <= depth[np.isfinite(depth)], True)


def test_sphere_pixels_are_lambert_plus_blinn_phong_recomputed_independently():
    scene = default_scene()
    assert scene.specular > 0 and len(scene.radii) >= 3
    assert len({tuple(c) for c in scene.colors}) == len(scene.colors)      # all different colours
    cam = Camera(look_at((3.0, -2.5, 2.0)), 60.0)
    rgb, depth = render(cam, 64, 64, scene)
    o, d = camera_rays(cam, 64, 64)
    X = o + np.where(np.isfinite(depth), depth, 0)[..., None] * d
    l = scene.light_dir
    checked = 0
    for c, r, albedo in zip(scene.centers, scene.radii, scene.colors):
        on = np.isfinite(depth) & np.isclose(np.linalg.norm(X - c, axis=-1), r, atol=1e-9)
        n = (X[on] - c) / r
        # shadow rays from these points: none of the other spheres is in the way (checked by marching)
        s = np.linspace(1e-4, 6, 3000)
        P = X[on][:, None] + s[None, :, None] * l
        blocked = np.zeros(on.sum(), bool)
        for c2, r2 in zip(scene.centers, scene.radii):
            blocked |= (np.linalg.norm(P - c2, axis=-1) < r2 - 1e-6).any(1)
        view = -d[on]
        h = (l + view) / np.linalg.norm(l + view, axis=1, keepdims=True)
        lit = ~blocked & (n @ l > 0)
        expect = albedo * (scene.ambient + (1 - scene.ambient) * np.clip(n @ l, 0, None) * lit)[:, None]
        expect = expect + (scene.specular * np.clip((n * h).sum(1), 0, None) ** scene.shininess * lit)[:, None]
        assert np.allclose(rgb[on], np.clip(expect, 0, 1), atol=1e-6)
        checked += on.sum()
    assert checked > 300


def test_the_highlight_moves_with_the_viewer_but_diffuse_colour_does_not():
    scene = default_scene()
    top = scene.centers[0] + np.array([0.0, 0.0, scene.radii[0]])          # the top of the red sphere
    colours = []
    for sc in (scene, replace(scene, specular=0.0)):
        col = []
        for eye in ((3.0, 0.5, 2.5), (-2.5, -1.5, 2.5)):
            cam = Camera(look_at(eye, top), 80.0)
            rgb, _ = render(cam, 33, 33, sc)                               # centre pixel sees `top`
            col.append(rgb[16, 16])
        colours.append(col)
    assert not np.allclose(colours[0][0], colours[0][1], atol=0.02)        # view-dependent
    assert np.allclose(colours[1][0], colours[1][1], atol=1e-9)            # Lambertian: the same


def test_ring_views_hold_out_cameras_between_training_cameras():
    train, test = ring_views(8, 3, 16, 20)
    assert train.images.shape == (8, 16, 20, 3) and test.images.shape == (3, 16, 20, 3)
    pos = lambda v: v.c2w[:, :3, 3]                                          # noqa: E731
    assert np.allclose(np.linalg.norm(pos(train), axis=1), 4.0) and np.allclose(pos(test)[:, 2], pos(train)[0, 2])
    az = lambda v: np.rad2deg(np.arctan2(pos(v)[:, 1], pos(v)[:, 0])) % 360  # noqa: E731
    assert np.allclose(az(train), np.arange(8) * 45.0)
    gaps = np.abs((az(test)[:, None] - az(train)[None] + 180) % 360 - 180).min(1)
    assert np.allclose(gaps, 22.5)
    # the renders are exact: the same camera through render() gives the same image
    assert np.array_equal(test.images[1], render(test.cameras[1], 16, 20, test.scene)[0])


def test_ground_in_a_spheres_shadow_gets_only_ambient_light():
    scene = default_scene()
    l = scene.light_dir
    cam = Camera(look_at((2.0, -3.0, 3.0)), 50.0)
    rgb, depth = render(cam, 64, 64, scene)
    o, d = camera_rays(cam, 64, 64)
    X = o + np.where(np.isfinite(depth), depth, 0)[..., None] * d          # (H, W, 3)
    ground = np.isfinite(depth) & np.isclose(X[..., 2], 0.0, atol=1e-9)
    # independent shadow test: does the ray X + s l (s > 0) pass within r of a sphere centre?
    shadow = np.zeros_like(ground)
    for c, r in zip(scene.centers, scene.radii):
        s = np.clip((c - X) @ l, 0, None)
        shadow |= np.linalg.norm(X + s[..., None] * l - c, axis=-1) < r
    assert (ground & shadow).sum() > 20 and (ground & ~shadow).sum() > 20
    lo, hi = scene.ground_colors.min(0), scene.ground_colors.max(0)
    assert np.all(rgb[ground & shadow] <= scene.ambient * hi + 1e-12)
    lit = scene.ambient + (1 - scene.ambient) * l[2]                       # n = +z on the ground
    assert np.all(rgb[ground & ~shadow] >= lit * lo - 1e-12)


def test_random_scene_spheres_rest_on_the_ground_without_overlap():
    s = random_scene(np.random.default_rng(0), n_spheres=5)
    assert np.allclose(s.centers[:, 2], s.radii)
    d = np.linalg.norm(s.centers[:, None] - s.centers[None], axis=-1)
    assert np.all(d[np.triu_indices(5, 1)] > (s.radii[:, None] + s.radii[None])[np.triu_indices(5, 1)])


@pytest.mark.parametrize("call", [
    lambda: render("camera", 8, 8),
    lambda: render(orbit_cameras(1, 8)[0], 0, 8),
    lambda: render(orbit_cameras(1, 8)[0], 8, 8, depth="inverse"),
    lambda: orbit_cameras(2, 8, elevation_deg=95),
    lambda: views(2, 8, 8, np.random.default_rng(0), elevation_deg=(50, 10)),
    lambda: views(2, 8, 8, 0),
    lambda: ring_views(2, 3, 8, 8),
    lambda: ring_views(4, 1, 8, 8, elevation_deg=0),
    lambda: look_at((0, 0, 1), (0, 0, 0)),                 # view direction parallel to up
    lambda: project(np.zeros((3, 2)), orbit_cameras(1, 8)[0], 8, 8),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_anti_aliased_render_keeps_the_centre_depth_and_only_softens_edges():
    cam = orbit_cameras(2, 16, elevation_deg=35.0)[1]
    rgb1, d1 = render(cam, 24, 32)
    rgb3, d3 = render(cam, 24, 32, samples=3)
    assert np.array_equal(d3, d1)                                  # the centre ray of each pixel
    # a pixel whose 3 x 3 neighbourhood of centre rays sees one flat colour (background, or one checker
    # square without shadow edges) keeps that colour; pixels on edges change
    pad = np.pad(rgb1, ((1, 1), (1, 1), (0, 0)), mode="edge")
    flat = np.all([np.isclose(pad[1 + a:25 + a, 1 + b:33 + b], rgb1, atol=1e-12).all(-1)
                   for a in (-1, 0, 1) for b in (-1, 0, 1)], axis=0)
    background = flat & np.isinf(d1)
    assert background.sum() > 50 and np.allclose(rgb3[background], 1.0)
    assert np.abs(rgb3 - rgb1).max() > 0.1                          # edges are softened
    assert abs(rgb3.mean() - rgb1.mean()) < 0.02                    # ... but the image is the same scene
    with pytest.raises(ValueError, match="odd"):
        render(cam, 4, 4, samples=2)
