"""Tests for coursekit.rendering.gaussians (Chapter 9): quaternions, Σ = R S Sᵀ Rᵀ, the EWA projection."""

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from coursekit.geometry.camera import look_at, project
from coursekit.geometry.camera import Camera
from coursekit.rendering.gaussians import covariance_3d, project_gaussians, quaternion_to_rotation, world_to_camera

f64 = torch.float64


def test_quaternion_to_rotation_matches_scipy_for_unnormalised_quaternions():
    q = torch.randn(100, 4, generator=torch.Generator().manual_seed(0), dtype=f64) * 3
    R = quaternion_to_rotation(q).numpy()
    # scipy takes (x, y, z, w) and normalises too
    ref = Rotation.from_quat(q.numpy()[:, [1, 2, 3, 0]]).as_matrix()
    assert np.allclose(R, ref, atol=1e-12)
    assert np.allclose(np.linalg.det(R), 1.0) and np.allclose(R @ R.transpose(0, 2, 1), np.eye(3), atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_covariance_is_symmetric_psd_for_any_parameters(seed):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(500, 4, generator=g, dtype=f64)
    s = torch.randn(500, 3, generator=g, dtype=f64) * 4            # scales from e^-12 to e^12
    Sigma = covariance_3d(q, s)
    assert torch.allclose(Sigma, Sigma.transpose(1, 2))
    eig = torch.linalg.eigvalsh(Sigma)
    # PSD up to round-off relative to the largest eigenvalue (eigvalsh is accurate to ~1e-16 of it)
    top = eig[:, -1:].abs()
    assert bool((eig >= -1e-12 * top).all())
    # its eigenvalues are the squared scales, to that same absolute accuracy
    ref = torch.sort(torch.exp(2 * s), dim=1).values
    assert bool(((eig - ref).abs() <= 1e-8 * ref + 1e-12 * top).all())


def test_covariance_gradcheck():
    g = torch.Generator().manual_seed(1)
    q = torch.randn(3, 4, generator=g, dtype=f64, requires_grad=True)
    s = torch.randn(3, 3, generator=g, dtype=f64, requires_grad=True)
    assert torch.autograd.gradcheck(covariance_3d, (q, s))


def test_projected_means_match_the_pinhole_projection():
    cam = Camera(look_at((3.0, -2.0, 2.0)), 30.0)
    X = np.random.default_rng(0).normal(size=(20, 3)) * 0.5
    xy, z, _ = project_gaussians(torch.tensor(X), torch.eye(3, dtype=f64).expand(20, 3, 3),
                                 torch.tensor(cam.c2w), cam.focal, 24, 32)
    xy_ref, z_ref = project(X, cam, 24, 32)
    assert np.allclose(xy.numpy(), xy_ref) and np.allclose(z.numpy(), z_ref)


def test_world_to_camera_puts_points_in_front_at_positive_depth():
    c2w = torch.tensor(look_at((0.0, -5.0, 1.0)))
    W, t = world_to_camera(c2w)
    p = W @ torch.zeros(3, dtype=f64) + t
    assert p[2] > 0 and torch.allclose(W @ W.T, torch.eye(3, dtype=f64))


@pytest.mark.parametrize("seed", range(3))
def test_ewa_covariance_matches_monte_carlo_projection(seed):
    # oracle: sample the 3-D Gaussian, project every sample exactly, measure the image covariance;
    # a small Gaussian far from the camera keeps the linearisation error well below the MC error
    rng = np.random.default_rng(seed)
    cam = Camera(look_at((4.0, -3.0, 2.0)), 50.0)
    mu = rng.normal(size=3) * 0.3
    q = torch.tensor(rng.normal(size=(1, 4)))
    s = torch.tensor(np.log(rng.uniform(0.03, 0.12, size=(1, 3))))
    Sigma = covariance_3d(q, s)
    xy, _, cov2d = project_gaussians(torch.tensor(mu[None]), Sigma, torch.tensor(cam.c2w), cam.focal, 64, 64,
                                     blur=0.0)
    X = rng.multivariate_normal(mu, Sigma[0].numpy(), size=200_000)
    pts, _ = project(X, cam, 64, 64)
    emp = np.cov(pts.T)
    # MC standard error of a covariance entry with n = 2e5 samples: ~ sqrt(2/n) ≈ 0.3 %; the
    # first-order (EWA) approximation adds ~ (σ / depth)² ≈ 0.1 %: 3 % relative tolerance is generous
    assert np.allclose(cov2d[0].numpy(), emp, rtol=0.03, atol=0.03 * np.abs(emp).max())
    assert np.allclose(xy[0].numpy(), pts.mean(0), atol=0.05)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="q"):
        quaternion_to_rotation(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="log_scale"):
        covariance_3d(torch.ones(2, 4), torch.ones(3, 3))
    with pytest.raises(ValueError, match="focal"):
        project_gaussians(torch.zeros(1, 3), torch.eye(3)[None], torch.eye(4), -1.0, 8, 8)
