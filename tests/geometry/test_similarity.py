"""Tests of coursekit.geometry.similarity (Umeyama) against scikit-image's SimilarityTransform and
EuclideanTransform (Chapter 2, the similarity rung of the DoF ladder)."""

import numpy as np
import pytest
from skimage import transform

from coursekit.geometry.similarity import estimate_similarity
from coursekit.geometry.transforms import affine_matrix, apply_homography


def _random_problem(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    src = rng.uniform(0, 512, (n, 2))
    M = affine_matrix(theta=rng.uniform(-3, 3), scale=rng.uniform(0.3, 3.0), translation=rng.uniform(-100, 100, 2))
    dst = apply_homography(M, src) + rng.normal(0, rng.uniform(0, 20), (n, 2))
    if seed % 4 == 0:
        dst[:, 0] = -dst[:, 0]                       # mirrored data: the best *rotation* is still returned
    return src, dst


@pytest.mark.parametrize("seed", range(12))
def test_similarity_equals_skimage(seed):
    src, dst = _random_problem(seed)
    ref = transform.SimilarityTransform.from_estimate(src, dst).params
    # the same closed form (Umeyama 1991); the SVD of one 2x2 matrix: agreement to float64 rounding
    np.testing.assert_allclose(estimate_similarity(src, dst), ref, rtol=0, atol=1e-9 * np.abs(ref).max())


@pytest.mark.parametrize("seed", range(12))
def test_rigid_equals_skimage_euclidean(seed):
    src, dst = _random_problem(seed)
    ref = transform.EuclideanTransform.from_estimate(src, dst).params
    np.testing.assert_allclose(estimate_similarity(src, dst, scale=False), ref, rtol=0,
                               atol=1e-9 * np.abs(ref).max())


def test_exact_similarity_is_recovered_from_two_points():
    M = affine_matrix(theta=0.7, scale=1.8, translation=(30.0, -5.0))
    src = np.array([[10.0, 20.0], [200.0, 90.0]])
    np.testing.assert_allclose(estimate_similarity(src, apply_homography(M, src)), M, atol=1e-10)


def test_result_is_a_scaled_rotation_never_a_reflection(rng):
    src = rng.uniform(0, 100, (20, 2))
    dst = src * [-1.0, 1.0]                            # a mirror image
    A = estimate_similarity(src, dst)[:2, :2]
    s = np.sqrt(abs(np.linalg.det(A)))
    np.testing.assert_allclose(A @ A.T, s ** 2 * np.eye(2), atol=1e-9)
    assert np.linalg.det(A) > 0


def test_least_squares_optimality_no_nearby_similarity_does_better(rng):
    src = rng.uniform(0, 100, (30, 2))
    dst = apply_homography(affine_matrix(theta=0.3, scale=1.2, translation=(5, 7)), src) + rng.normal(0, 2, (30, 2))
    M = estimate_similarity(src, dst)
    cost = lambda T: np.sum((apply_homography(T, src) - dst) ** 2)
    a, b = M[0, 0], M[1, 0]
    for da, db, dt in rng.normal(0, 1e-3, (50, 3)):
        T = M.copy()
        T[:2, :2] = [[a + da, -(b + db)], [b + db, a + da]]
        T[0, 2] += dt
        assert cost(T) >= cost(M) - 1e-9


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="coincide"):
        estimate_similarity(np.ones((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="same number"):
        estimate_similarity(np.zeros((3, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError):
        estimate_similarity(np.zeros((3, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError):
        estimate_similarity([[0, 0], [1, 1]], [[0, 0], [1, 1]])
