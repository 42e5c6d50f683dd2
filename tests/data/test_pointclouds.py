"""Tests for coursekit.data.pointclouds (Chapter 8)."""

import numpy as np
import pytest

from coursekit.data.pointclouds import PRIMITIVES, point_cloud_dataset, primitive_distance, random_rotation, sample_primitive


@pytest.mark.parametrize("kind", PRIMITIVES)
def test_points_lie_on_the_primitive_surface(kind):
    p, n, R = sample_primitive(kind, 2000, np.random.default_rng(0))
    # exact sampling: the residual is float round-off only
    assert primitive_distance(kind, p).max() < 1e-9
    assert np.all(np.linalg.norm(p, axis=1) <= 1 + 1e-9)            # inside the unit ball


@pytest.mark.parametrize("kind", PRIMITIVES)
def test_normals_are_unit_and_point_away_from_the_surface(kind):
    p, n, _ = sample_primitive(kind, 2000, np.random.default_rng(1))
    assert np.allclose(np.linalg.norm(n, axis=1), 1.0)
    # stepping eps along the normal moves the point eps away from the surface (away from edges,
    # where the nearest point can switch faces; 1e-3 is far below every feature size)
    eps = 1e-3
    assert np.allclose(primitive_distance(kind, p + eps * n), eps, atol=1e-9)


@pytest.mark.parametrize("kind", PRIMITIVES)
def test_rotated_clouds_lie_on_the_rotated_surface(kind):
    p, n, R = sample_primitive(kind, 500, np.random.default_rng(2), rotate=True)
    assert np.allclose(R @ R.T, np.eye(3)) and np.isclose(np.linalg.det(R), 1.0)
    assert primitive_distance(kind, p @ R).max() < 1e-9               # undo the rotation


def test_noise_moves_points_off_the_surface_by_about_its_std():
    p, _, _ = sample_primitive("sphere", 5000, np.random.default_rng(0), noise=0.02)
    # radial component of isotropic noise has std 0.02; its mean absolute value is 0.02 * sqrt(2/pi)
    assert abs(primitive_distance("sphere", p).mean() - 0.02 * np.sqrt(2 / np.pi)) < 2e-3


def test_sampling_is_uniform_by_area_on_the_cylinder():
    p, _, _ = sample_primitive("cylinder", 20000, np.random.default_rng(0))
    cap = np.isclose(np.abs(p[:, 2]), 0.8)
    r, h = 0.6, 0.8
    expected = 2 * np.pi * r**2 / (2 * np.pi * r**2 + 2 * np.pi * r * 2 * h)
    assert abs(cap.mean() - expected) < 0.01                         # binomial se ~ 0.003


def test_point_order_carries_no_structure():
    # the first half of a cube cloud already covers all six faces about equally
    p, n, _ = sample_primitive("cube", 600, np.random.default_rng(0))
    face = np.argmax(np.abs(n), 1) * 2 + (n.sum(1) < 0)
    counts = np.bincount(face[:300], minlength=6)
    assert counts.min() > 25
    # and a random permutation is another equally likely draw: distances are order-free
    perm = np.random.default_rng(1).permutation(600)
    assert np.array_equal(np.sort(primitive_distance("cube", p[perm])), np.sort(primitive_distance("cube", p)))


def test_random_rotation_is_a_proper_rotation_and_seeded():
    R1, R2 = random_rotation(np.random.default_rng(0)), random_rotation(np.random.default_rng(0))
    assert np.array_equal(R1, R2)
    assert np.allclose(R1.T @ R1, np.eye(3)) and np.isclose(np.linalg.det(R1), 1.0)


def test_dataset_is_balanced_deterministic_and_shaped():
    X, y, n = point_cloud_dataset(3, np.random.default_rng(0), n_points=128)
    X2, y2, _ = point_cloud_dataset(3, np.random.default_rng(0), n_points=128)
    X3, _, _ = point_cloud_dataset(3, np.random.default_rng(1), n_points=128)
    assert X.shape == (18, 128, 3) and n.shape == X.shape and y.dtype == np.int64
    assert np.bincount(y).tolist() == [3] * 6
    assert np.array_equal(X, X2) and np.array_equal(y, y2) and not np.array_equal(X, X3)


@pytest.mark.parametrize("call", [
    lambda: sample_primitive("pyramid", 10, np.random.default_rng(0)),
    lambda: sample_primitive("sphere", 0, np.random.default_rng(0)),
    lambda: sample_primitive("sphere", 10, np.random.default_rng(0), noise=-1),
    lambda: primitive_distance("sphere", np.zeros((4, 2))),
    lambda: point_cloud_dataset(2, np.random.default_rng(0), classes=("cube", "blob")),
    lambda: random_rotation(0),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("kind, res", [("sphere", 5), ("cube", 3), ("torus", 4)])
def test_primitive_meshes_are_closed_outward_and_on_the_surface(kind, res):
    import trimesh
    from coursekit.data.pointclouds import primitive_mesh
    V, F = primitive_mesh(kind, res)
    m = trimesh.Trimesh(V, F, process=False)
    assert m.is_watertight and m.is_winding_consistent and m.volume > 0      # closed, normals out
    assert primitive_distance(kind, V).max() < 1e-12                         # vertices on the true surface
    with pytest.raises(ValueError, match="kind"):
        primitive_mesh("cone")
    with pytest.raises(ValueError, match="resolution"):
        primitive_mesh("torus", 2)
