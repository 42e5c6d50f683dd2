"""Tests for coursekit.rendering.rays (Chapter 9): back-projection and projection are inverses."""

import numpy as np
import pytest
import torch

from coursekit.geometry.camera import Camera, camera_rays, look_at
from coursekit.rendering.rays import pixel_rays, project_points, ray_box


def _K(fx=30.0, fy=28.0, cx=15.0, cy=11.0, s=0.0):
    return np.array([[fx, s, cx], [0, fy, cy], [0, 0, 1.0]])


@pytest.mark.parametrize("s", [0.0, 2.5])
def test_points_on_pixel_rays_project_back_to_pixel_centres(s):
    K, c2w = _K(s=s), look_at((3.0, -2.0, 1.5), (0.2, 0.1, 0.0))
    o, d = pixel_rays(K, c2w, 22, 30)
    t = np.random.default_rng(0).uniform(0.5, 10, size=(22, 30, 1))
    xy, z = project_points((o + t * d).reshape(-1, 3), K, c2w)
    j, i = np.meshgrid(np.arange(30) + 0.5, np.arange(22) + 0.5)
    assert np.allclose(xy, np.stack([j, i], -1).reshape(-1, 2), atol=1e-9)
    assert np.all(z > 0) and np.allclose(np.linalg.norm(d, axis=-1), 1)


def test_pixel_rays_equal_the_camera_module_for_a_centred_square_pixel_K():
    cam = Camera(look_at((0.0, -4.0, 2.0)), 25.0)
    K = _K(25.0, 25.0, 16.0, 12.0)
    o, d = pixel_rays(K, cam.c2w, 24, 32)
    o2, d2 = camera_rays(cam, 24, 32)
    assert np.allclose(o, o2) and np.allclose(d, d2)


def test_ray_box_matches_brute_force_marching():
    rng = np.random.default_rng(1)
    o = rng.uniform(-3, 3, size=(300, 3))
    d = rng.normal(size=(300, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    lo, hi = (-1.0, -0.5, 0.0), (1.0, 0.5, 0.8)
    near, far = ray_box(o, d, lo, hi)
    t = np.linspace(0, 10, 20001)
    inside = np.all((o[:, None] + t[None, :, None] * d[:, None] >= lo) &
                    (o[:, None] + t[None, :, None] * d[:, None] <= hi), axis=-1)   # (R, steps)
    hit = inside.any(1)
    assert np.array_equal(hit, near < far)
    first = t[np.argmax(inside, 1)]
    assert np.allclose(near[hit], first[hit], atol=1e-3)             # step of the march: 5e-4
    nt, ft = ray_box(torch.tensor(o), torch.tensor(d), lo, hi)
    assert np.allclose(nt.numpy(), near) and np.allclose(ft.numpy(), far)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="K"):
        pixel_rays(np.eye(4), np.eye(4), 4, 4)
    with pytest.raises(ValueError, match="K"):
        pixel_rays(np.array([[1.0, 0, 0], [0, 1, 0], [1, 0, 1]]), np.eye(4), 4, 4)
    with pytest.raises(ValueError, match="points"):
        project_points(np.zeros((3, 2)), _K(), np.eye(4))
    with pytest.raises(ValueError, match="lo < hi"):
        ray_box(np.zeros((1, 3)), np.ones((1, 3)), (1, 1, 1), (0, 0, 0))


def test_backprojected_depths_land_on_the_rendered_surfaces():
    from coursekit.data.scenes3d import ring_views
    from coursekit.rendering.rays import backproject_depths
    train, _ = ring_views(4, 1, 24, 24)
    X, C = backproject_depths(train.K, train.c2w, train.depths, train.images)
    scene = train.scene
    # every point is on the ground (z = 0) or on a sphere's surface
    on_sphere = np.abs(np.linalg.norm(X[:, None] - scene.centers[None], axis=-1) - scene.radii).min(1) < 1e-9
    assert np.all(on_sphere | (np.abs(X[:, 2]) < 1e-9))
    assert len(X) == np.isfinite(train.depths).sum() and np.array_equal(C, train.images[np.isfinite(train.depths)])
