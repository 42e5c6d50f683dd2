"""The graded checks of Chapter 8: the reference earns full points, a stub is "not done", and typical
mistakes fail with a hint that names them (and no expected values)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.checks import ch08_pointclouds as ch08
from coursekit.grading import Status
from coursekit.pointclouds.sampling import ball_query, farthest_point_sampling, knn_indices
from coursekit.pointclouds.voxels import voxelize


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch08.voxelize", voxelize),
    ("ch08.knn_indices", knn_indices),
    ("ch08.farthest_point_sampling", farthest_point_sampling),
    ("ch08.ball_query", ball_query),
    ("ch08.edge_conv", ch08.edge_conv_reference),
    ("ch08.mesh_edge_features", ch08.mesh_edge_features_reference),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=3)
    assert result.status is Status.PASSED and result.points == 3 and len(result.cases) >= 4, result.report()
    assert grading.run_check(eid, _stub).status is Status.NOT_DONE


def _fails_with(eid, fn, words):
    result = grading.run_check(eid, fn)
    assert result.status is Status.FAILED, result.report()
    assert words in result.report(), result.report()
    return result


def test_voxelize_mistakes_are_named():
    _fails_with("ch08.voxelize", ch08._voxel_round, "not rounding")
    _fails_with("ch08.voxelize", ch08._voxel_transposed, "[x, y, z]")
    _fails_with("ch08.voxelize", ch08._voxel_no_scale, "cell size")


def test_voxelize_without_the_upper_boundary_rule_fails():
    def no_clip(P, R):
        g = np.zeros((R,) * 3, bool)
        g[tuple(np.floor((P + 1) / (2 / R)).astype(int).T)] = True       # IndexError for a point at +1
        return g
    _fails_with("ch08.voxelize", no_clip, "IndexError")


def test_knn_mistakes_are_named():
    _fails_with("ch08.knn_indices", ch08._knn_with_self, "leave the point itself out")
    _fails_with("ch08.knn_indices", ch08._knn_farthest, "nearest first")


def test_fps_mistakes_are_named():
    _fails_with("ch08.farthest_point_sampling", ch08._fps_last_only, "running minimum")
    _fails_with("ch08.farthest_point_sampling", ch08._fps_sum, "not the sum")


def test_ball_query_mistakes_are_named():
    _fails_with("ch08.ball_query", ch08._ball_nearest, "index order")
    _fails_with("ch08.ball_query", ch08._ball_pad_minus_one, "not with -1")
    _fails_with("ch08.ball_query", ch08._ball_strict, "use <=")


def test_edge_conv_mistakes_are_named():
    _fails_with("ch08.edge_conv", ch08._edge_no_offset, "offset x_j - x_i")
    _fails_with("ch08.edge_conv", ch08._edge_mean, "max, not a mean")
    _fails_with("ch08.edge_conv", ch08._edge_swapped, "in that order")


def test_edge_conv_reference_equals_a_plain_loop():
    rng = np.random.default_rng(0)
    X, W, b = rng.normal(size=(12, 3)), rng.normal(size=(4, 6)), rng.normal(size=4)
    idx = knn_indices(X, 3, include_self=True)
    want = np.array([[max(max(W[c] @ np.r_[X[i], X[j] - X[i]] + b[c], 0) for j in idx[i]) for c in range(4)]
                     for i in range(12)])
    np.testing.assert_allclose(ch08.edge_conv_reference(X, idx, W, b), want, atol=1e-12)   # float64 round-off


def test_mesh_feature_mistakes_are_named():
    _fails_with("ch08.mesh_edge_features", ch08._mesh_normal_angle, "π minus the angle")
    _fails_with("ch08.mesh_edge_features", ch08._mesh_unsorted, "sort each pair")
    _fails_with("ch08.mesh_edge_features", ch08._mesh_inverted_ratio, "over the triangle's height")


def test_hints_never_print_expected_values():
    result = grading.run_check("ch08.farthest_point_sampling", ch08._fps_last_only)
    expected = farthest_point_sampling(np.array([[0.0, 0, 0], [1, 0, 0], [2, 0, 0], [10, 0, 0]]), 3)
    assert str(expected.tolist()) not in result.report()
