"""Tests for coursekit.pointclouds.voxels (Chapter 8): occupancy against a plain loop and trimesh, memory R³."""

import numpy as np
import pytest

from coursekit.data.pointclouds import sample_primitive
from coursekit.pointclouds.voxels import dense_grid_bytes, voxel_indices, voxelize


def _voxelize_loop(P, R, lo=-1.0, hi=1.0):
    grid = np.zeros((R, R, R), bool)
    s = (hi - lo) / R
    for p in P:
        i, j, k = (min(int((c - lo) // s), R - 1) for c in p)
        grid[i, j, k] = True
    return grid


@pytest.mark.parametrize("kind, R", [("sphere", 8), ("torus", 16), ("cube", 5)])
def test_voxelize_equals_a_plain_loop(kind, R):
    P = sample_primitive(kind, 2000, np.random.default_rng(0), rotate=True)[0]
    np.testing.assert_array_equal(voxelize(P, R), _voxelize_loop(P, R))


def test_voxel_indices_match_trimesh_points_to_indices():
    from trimesh.voxel.ops import points_to_indices
    P = sample_primitive("cone", 500, np.random.default_rng(1))[0]
    R, lo = 10, -1.0
    pitch = 2.0 / R
    # trimesh centres cell i at origin + i·pitch and rounds; our cell i spans [lo + i·s, lo + (i+1)·s)
    want = points_to_indices(P, pitch=pitch, origin=np.full(3, lo + pitch / 2))
    np.testing.assert_array_equal(voxel_indices(P, R), want)


def test_the_right_boundary_belongs_to_the_last_cell():
    np.testing.assert_array_equal(voxel_indices(np.array([[1.0, -1.0, 0.999]]), 4), [[3, 0, 3]])


def test_dense_memory_grows_as_r_cubed_and_matches_nbytes():
    P = sample_primitive("sphere", 100, np.random.default_rng(2))[0]
    for R in (8, 16, 32, 64):
        assert voxelize(P, R).nbytes == dense_grid_bytes(R, itemsize=1) == R**3
    assert dense_grid_bytes(64, channels=32, itemsize=4) == np.zeros((32, 64, 64, 64), np.float32).nbytes


def test_occupied_cells_of_a_surface_grow_about_as_r_squared():
    P = sample_primitive("sphere", 200_000, np.random.default_rng(3))[0]
    occ = np.array([voxelize(P, R).sum() for R in (16, 32, 64)])
    slope = np.polyfit(np.log([16, 32, 64]), np.log(occ), 1)[0]
    assert 1.8 < slope < 2.2, slope                         # a 2-D surface: count ∝ R², not R³


@pytest.mark.parametrize("call, words", [
    (lambda: voxelize(np.zeros((4, 2)), 8), "points"),
    (lambda: voxelize(np.full((1, 3), 2.0), 8), "must lie in"),
    (lambda: voxelize(np.zeros((1, 3)), 0), "resolution"),
    (lambda: voxel_indices(np.zeros((1, 3)), 4, lo=1.0, hi=-1.0), "lo < hi"),
    (lambda: dense_grid_bytes(8, channels=0), "channels"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
