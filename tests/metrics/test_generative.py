"""FID and MMD (Chapter 17): the Fréchet distance against ``scipy.linalg.sqrtm`` and against closed forms (1-D,
commuting covariances, equal Gaussians), FID of features against the same formula on their sample moments,
and the unbiased MMD² against a brute-force double loop with scikit-learn's RBF kernel."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from sklearn.metrics.pairwise import rbf_kernel

from coursekit.metrics.generative import fid_from_features, frechet_distance, gaussian_stats, mmd_rbf


def _spd(rng, d, rank=None):
    A = rng.normal(size=(d, rank or d))
    return A @ A.T / d + (0 if rank else 0.1 * np.eye(d))


def _scipy_fid(mu1, S1, mu2, S2):
    covmean = scipy.linalg.sqrtm(S1 @ S2)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(S1 + S2 - 2 * covmean.real))


@pytest.mark.parametrize("d", [1, 2, 8, 32])
def test_frechet_distance_matches_scipy_sqrtm(d):
    rng = np.random.default_rng(d)
    mu1, mu2 = rng.normal(size=(2, d))
    S1, S2 = _spd(rng, d), _spd(rng, d)
    # sqrtm (Schur) and our symmetric eigendecompositions round differently; both are backward stable, so
    # the traces agree to ~1e-12 relative to tr(Σ) for these well-conditioned matrices.
    assert frechet_distance(mu1, S1, mu2, S2) == pytest.approx(_scipy_fid(mu1, S1, mu2, S2), rel=1e-8, abs=1e-9)


def test_frechet_distance_handles_singular_covariances_like_sqrtm():
    rng = np.random.default_rng(5)
    S1, S2 = _spd(rng, 6, rank=3), _spd(rng, 6, rank=4)
    mu = np.zeros(6)
    # Rank-deficient: sqrtm warns and is accurate to ~1e-7 only; 1e-5 absolute is well beyond both errors.
    assert frechet_distance(mu, S1, mu, S2) == pytest.approx(_scipy_fid(mu, S1, mu, S2), abs=1e-5)


def test_frechet_distance_closed_forms():
    assert frechet_distance([1.0], [[4.0]], [-2.0], [[9.0]]) == pytest.approx(9 + (2 - 3) ** 2)
    d1, d2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])          # commuting (diagonal) covariances
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(d1) - np.sqrt(d2)) ** 2).sum()
    assert frechet_distance(mu1, np.diag(d1), mu2, np.diag(d2)) == pytest.approx(expected, rel=1e-12)
    S = _spd(np.random.default_rng(0), 5)
    assert frechet_distance(np.ones(5), S, np.ones(5), S) == pytest.approx(0.0, abs=1e-10)


def test_frechet_distance_is_symmetric():
    rng = np.random.default_rng(7)
    S1, S2 = _spd(rng, 4), _spd(rng, 4)
    mu1, mu2 = rng.normal(size=(2, 4))
    assert frechet_distance(mu1, S1, mu2, S2) == pytest.approx(frechet_distance(mu2, S2, mu1, S1), rel=1e-10)


def test_gaussian_stats_match_numpy():
    X = np.random.default_rng(3).normal(size=(50, 4))
    mu, S = gaussian_stats(X)
    np.testing.assert_allclose(mu, X.mean(0))
    np.testing.assert_allclose(S, np.cov(X, rowvar=False), rtol=1e-12)


def test_fid_of_features_converges_to_the_gaussian_distance():
    rng = np.random.default_rng(4)
    A = rng.normal(0.0, 1.0, size=(20_000, 3))
    B = rng.normal(0.5, 2.0, size=(20_000, 3))
    # True value 3 · (0.5² + (1 − 2)²) = 3.75; sample moments of 20k points are accurate to ~2%.
    assert fid_from_features(A, B) == pytest.approx(3.75, rel=0.05)
    assert fid_from_features(A, B) == pytest.approx(_scipy_fid(*gaussian_stats(A), *gaussian_stats(B)), rel=1e-9)


def _mmd_loop(X, Y, h):
    k = lambda A, B: rbf_kernel(A, B, gamma=1 / (2 * h * h))     # noqa: E731  sklearn's exp(-γ‖a−b‖²)
    n, m = len(X), len(Y)
    Kxx, Kyy, Kxy = k(X, X), k(Y, Y), k(X, Y)
    sx = sum(Kxx[i, j] for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    sy = sum(Kyy[i, j] for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    return sx + sy - 2 * Kxy.sum() / (n * m)


@pytest.mark.parametrize("h", [0.1, 0.5, 2.0])
def test_mmd_matches_a_double_loop_with_sklearn_kernel(h):
    rng = np.random.default_rng(int(10 * h))
    X, Y = rng.normal(size=(40, 2)), rng.normal(0.3, 1.2, size=(30, 2))
    assert mmd_rbf(X, Y, h) == pytest.approx(_mmd_loop(X, Y, h), rel=1e-10, abs=1e-13)


def test_mmd_is_near_zero_for_one_distribution_and_large_for_two():
    rng = np.random.default_rng(6)
    same = mmd_rbf(rng.normal(size=(500, 2)), rng.normal(size=(500, 2)), 0.5)
    diff = mmd_rbf(rng.normal(size=(500, 2)), rng.normal(1.0, 1.0, size=(500, 2)), 0.5)
    assert abs(same) < 0.01 < diff


@pytest.mark.parametrize("call, words", [
    (lambda: frechet_distance([0.0], [[1.0, 0.0]], [0.0], [[1.0]]), "sigma1"),
    (lambda: frechet_distance([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], [0.0, 0.0], np.eye(2)), "symmetric"),
    (lambda: frechet_distance([0.0, 1.0], np.eye(2), [0.0], np.eye(2)), "mu2"),
    (lambda: fid_from_features(np.ones((5, 2)), np.ones((5, 3))), "same width"),
    (lambda: fid_from_features(np.ones((1, 2)), np.ones((5, 2))), "at least 2"),
    (lambda: mmd_rbf(np.ones((5, 2)), np.ones((5, 2)), 0.0), "bandwidth"),
    (lambda: mmd_rbf(np.ones(5), np.ones((5, 2))), "2-D"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
