"""Tests for coursekit.pointclouds.sampling (Chapter 8): kNN, farthest-point sampling and ball query
against brute-force loops and scipy's cKDTree."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from coursekit.data.pointclouds import sample_primitive
from coursekit.pointclouds.sampling import ball_query, farthest_point_sampling, knn_indices, pairwise_sq_distances


def _cloud(seed=0, n=200, kind="torus"):
    return sample_primitive(kind, n, np.random.default_rng(seed), noise=0.01)[0]


def _fps_brute(P, m, start=0):
    """Farthest-point sampling by its definition: at each step recompute every point's distance to every sample."""
    chosen = [start]
    for _ in range(m - 1):
        best, best_d = None, -1.0
        for n in range(len(P)):
            d = min(float(np.sum((P[n] - P[s]) ** 2)) for s in chosen)
            if d > best_d:                                  # strict: the first maximum wins, as np.argmax
                best, best_d = n, d
        chosen.append(best)
    return np.array(chosen)


def test_pairwise_distances_match_scipy_cdist():
    from scipy.spatial.distance import cdist
    a, b = _cloud(0, 30), _cloud(1, 20)
    # both compute differences then squares: agreement to float64 round-off
    np.testing.assert_allclose(pairwise_sq_distances(a, b), cdist(a, b, "sqeuclidean"), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["torus", "cube"])
def test_knn_matches_ckdtree(kind):
    P = _cloud(2, 300, kind)
    d, j = cKDTree(P).query(P, k=9)                        # includes the point itself at distance 0
    np.testing.assert_array_equal(knn_indices(P, 8), j[:, 1:], err_msg="neighbours differ from cKDTree")
    np.testing.assert_array_equal(knn_indices(P, 9, include_self=True), j)


def test_knn_of_a_point_is_never_itself_and_is_nearest_first():
    P = _cloud(3, 100)
    idx = knn_indices(P, 5)
    assert not np.any(idx == np.arange(100)[:, None])
    d = np.linalg.norm(P[idx] - P[:, None], axis=-1)
    assert np.all(np.diff(d, axis=1) >= 0)


@pytest.mark.parametrize("seed, m, start", [(0, 16, 0), (1, 32, 7), (2, 5, 199)])
def test_fps_equals_the_brute_force_definition(seed, m, start):
    P = _cloud(seed, 200)
    np.testing.assert_array_equal(farthest_point_sampling(P, m, start), _fps_brute(P, m, start))


def test_fps_samples_are_distinct_and_spread_better_than_random():
    P = _cloud(4, 500, "sphere")
    idx = farthest_point_sampling(P, 32)
    assert len(np.unique(idx)) == 32
    cover = lambda S: cKDTree(P[S]).query(P)[0].max()         # worst distance to the nearest sample
    rand = np.random.default_rng(0).choice(500, 32, replace=False)
    assert cover(idx) < cover(rand)


def test_fps_is_a_2_approximation_of_the_best_covering():
    # Gonzalez (1985): the covering radius of FPS is at most twice the optimum; the optimum is at least
    # half the smallest distance between two of the m + 1 first FPS samples.
    P = _cloud(5, 400)
    idx = farthest_point_sampling(P, 21)
    r_fps = cKDTree(P[idx[:20]]).query(P)[0].max()
    sep = np.sqrt(pairwise_sq_distances(P[idx], P[idx]) + np.eye(21) * 1e9).min()
    # the 21st sample is the farthest point from the first 20, so it sets their covering radius ...
    np.testing.assert_allclose(r_fps, cKDTree(P[idx[:20]]).query(P[idx[20]])[0], rtol=1e-12)
    # ... and no two of the 21 samples are closer than that: r_fps <= sep <= 2 r_opt
    assert r_fps <= sep + 1e-12


@pytest.mark.parametrize("radius, k", [(0.2, 8), (0.35, 32), (0.05, 4)])
def test_ball_query_matches_ckdtree(radius, k):
    P = _cloud(6, 300)
    C = P[farthest_point_sampling(P, 24)]
    got = ball_query(P, C, radius, k)
    for row, members in zip(got, cKDTree(P).query_ball_point(C, radius)):
        members = sorted(members)[:k]                       # index order, as PointNet++'s CUDA kernel
        want = members + [members[0]] * (k - len(members))
        np.testing.assert_array_equal(row, want)


def test_ball_query_marks_empty_balls_and_pads_short_ones():
    P = np.array([[0.0, 0, 0], [0.1, 0, 0], [5, 5, 5]])
    out = ball_query(P, np.array([[0.0, 0, 0], [9.0, 9, 9]]), 0.5, 4)
    np.testing.assert_array_equal(out, [[0, 1, 0, 0], [-1, -1, -1, -1]])


@pytest.mark.parametrize("call, words", [
    (lambda: knn_indices(np.zeros((5, 3)), 5), "k"),
    (lambda: knn_indices(np.zeros(5), 1), "points"),
    (lambda: farthest_point_sampling(np.zeros((5, 3)), 6), "m"),
    (lambda: farthest_point_sampling(np.zeros((5, 3)), 2, start=5), "start"),
    (lambda: ball_query(np.zeros((5, 3)), np.zeros((2, 2)), 0.1, 2), "same number of coordinates"),
    (lambda: ball_query(np.zeros((5, 3)), np.zeros((2, 3)), -1.0, 2), "radius"),
    (lambda: pairwise_sq_distances(np.zeros((0, 3)), np.zeros((2, 3))), "at least one point"),
    (lambda: knn_indices(np.full((4, 3), np.nan), 1), "finite"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
