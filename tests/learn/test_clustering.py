"""coursekit.learn.clustering against scikit-learn (KMeans started from the same centres, GaussianMixture started
from the same weights/means/precisions) and SciPy (cdist, multivariate_normal), on generated mixtures and on
real data shipped with scikit-learn (digits, iris).

Tolerances:
* k-means centres 1e-10: both run the same Lloyd steps from the same start (the same labels every step),
  so centres differ only by the summation order of the means (~1e-15).
* GMM log-likelihood: the issue asks for 1 %; both run the same EM updates with the same reg_covar, and we
  measure agreement to ~1e-12 relative, so the test asserts 1e-8.
* log-densities vs SciPy: 1e-10 (Cholesky vs SciPy's eigendecomposition of the same 2×2..4×4 matrices).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import multivariate_normal
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits, load_iris
from sklearn.mixture import GaussianMixture

from coursekit.learn import clustering as CL
from coursekit.data.tabular import gaussian_mixture


def test_pairwise_sq_dists_match_scipy(rng):
    A, B = rng.normal(size=(30, 5)), rng.normal(size=(7, 5))
    assert np.allclose(CL.pairwise_sq_dists(A, B), cdist(A, B, "sqeuclidean"), atol=1e-12)


# ----------------------------------------------------------------------------- k-means++

def test_kmeans_plus_plus_returns_distinct_data_points_and_is_reproducible(rng):
    X = rng.normal(size=(100, 3))
    C = CL.kmeans_plus_plus_init(X, 6, np.random.default_rng(5))
    rows = [np.flatnonzero((X == c).all(1)) for c in C]
    assert all(len(r) == 1 for r in rows) and len({int(r[0]) for r in rows}) == 6
    assert np.array_equal(C, CL.kmeans_plus_plus_init(X, 6, np.random.default_rng(5)))


def test_kmeans_plus_plus_draws_with_probability_proportional_to_squared_distance():
    """Three 1-D points 0, 1, 3: after the first centre i, P(next = j) = d_ij^2 / sum_j d_ij^2."""
    X = np.array([[0.0], [1.0], [3.0]])
    d2 = (X - X.T) ** 2                                          # (3, 3)
    counts = np.zeros((3, 3))
    for seed in range(3000):
        C = CL.kmeans_plus_plus_init(X, 2, np.random.default_rng(seed))
        counts[int(C[0, 0] == 1) + 2 * int(C[0, 0] == 3), int(C[1, 0] == 1) + 2 * int(C[1, 0] == 3)] += 1
    for i in range(3):
        n = counts[i].sum()
        p = d2[i] / d2[i].sum()
        # binomial standard error sqrt(p(1-p)/n) with n ~ 1000: 5 sigma is < 0.08, so this fails only if
        # the sampling rule is wrong (proportional to d instead of d^2 gives errors of ~0.1-0.2).
        assert np.all(np.abs(counts[i] / n - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12), (i, counts[i] / n, p)


def test_kmeans_plus_plus_finds_far_apart_clusters(rng):
    centres = np.array([[0.0, 0.0], [50.0, 0.0], [0.0, 50.0], [50.0, 50.0]])
    X = np.repeat(centres, 25, axis=0) + 0.1 * rng.normal(size=(100, 2))
    for seed in range(5):
        C = CL.kmeans_plus_plus_init(X, 4, np.random.default_rng(seed))
        assert len({tuple(np.round(c / 50).astype(int)) for c in C}) == 4


def test_kmeans_plus_plus_rejects_bad_input(rng):
    X = rng.normal(size=(5, 2))
    with pytest.raises(ValueError, match="between 1 and"):
        CL.kmeans_plus_plus_init(X, 6, rng)
    with pytest.raises(ValueError, match="Generator"):
        CL.kmeans_plus_plus_init(X, 2, 0)
    with pytest.raises(ValueError, match="distinct"):
        CL.kmeans_plus_plus_init(np.ones((5, 2)), 2, rng)


# ----------------------------------------------------------------------------- Lloyd

@pytest.mark.parametrize("dataset", ["mixture", "digits"])
def test_lloyd_matches_sklearn_kmeans_from_the_same_centres(dataset):
    if dataset == "digits":
        X, K = load_digits().data, 10                           # (1797, 64) real handwritten digits
    else:
        X, K = gaussian_mixture(600, np.random.default_rng(3), n_components=4).X, 4
    init = CL.kmeans_plus_plus_init(X, K, np.random.default_rng(1))
    ours = CL.lloyd(X, init)
    ref = KMeans(K, init=init, n_init=1, algorithm="lloyd", tol=0.0, max_iter=300).fit(X)
    assert np.allclose(ours.centres, ref.cluster_centers_, atol=1e-10)
    assert np.array_equal(ours.labels, ref.labels_)
    assert abs(ours.inertia[-1] - ref.inertia_) <= 1e-9 * ref.inertia_


def test_lloyd_inertia_never_increases_and_history_is_complete(rng):
    X = gaussian_mixture(400, rng, n_components=5).X
    res = CL.kmeans(X, 5, rng)
    assert np.all(np.diff(res.inertia) <= 1e-9)
    assert len(res.history) == res.n_iter and np.array_equal(res.history[-1], res.centres)


def test_lloyd_rejects_centres_of_the_wrong_dimension(rng):
    with pytest.raises(ValueError, match="shape"):
        CL.lloyd(rng.normal(size=(10, 2)), rng.normal(size=(3, 3)))


# ----------------------------------------------------------------------------- GMM

def test_gaussian_log_pdf_matches_scipy(rng):
    A = rng.normal(size=(3, 3))
    cov, mean, X = A @ A.T + 0.5 * np.eye(3), rng.normal(size=3), rng.normal(size=(20, 3))
    assert np.allclose(CL.gaussian_log_pdf(X, mean, cov), multivariate_normal(mean, cov).logpdf(X), atol=1e-10)
    with pytest.raises(ValueError, match="positive definite"):
        CL.gaussian_log_pdf(X, mean, -np.eye(3))


def _sklearn_gmm(X, w, mu, cov, n_iter):
    gm = GaussianMixture(len(w), covariance_type="full", weights_init=w, means_init=mu,
                         precisions_init=np.linalg.inv(cov), max_iter=n_iter, tol=0.0, reg_covar=1e-6)
    with pytest.warns(Warning):                                 # tol = 0 never "converges": expected
        return gm.fit(X)


@pytest.mark.parametrize("dataset", ["mixture", "iris"])
def test_gmm_em_matches_sklearn_gaussian_mixture(dataset):
    if dataset == "iris":
        X, K = load_iris().data, 3                              # (150, 4) real measurements
    else:
        X, K = gaussian_mixture(600, np.random.default_rng(4), n_components=4).X, 4
    mu = CL.kmeans_plus_plus_init(X, K, np.random.default_rng(0))
    w, cov = np.full(K, 1.0 / K), np.stack([np.cov(X.T)] * K)
    ours = CL.gmm_em(X, w, mu, cov, n_iter=30)
    ref = _sklearn_gmm(X, w, mu, cov, 30)
    assert abs(ours.log_likelihood[-1] - ref.score(X)) <= 1e-8 * abs(ref.score(X))
    assert np.allclose(ours.means, ref.means_, atol=1e-6) and np.allclose(ours.weights, ref.weights_, atol=1e-6)


def test_gmm_log_likelihood_is_monotone_and_responsibilities_sum_to_one(rng):
    g = gaussian_mixture(500, rng, n_components=3)
    mu = CL.kmeans_plus_plus_init(g.X, 3, rng)
    res = CL.gmm_em(g.X, np.full(3, 1 / 3), mu, np.stack([np.eye(2)] * 3), n_iter=60, reg_covar=0.0)
    assert np.all(np.diff(res.log_likelihood) >= -1e-12)       # EM's guarantee (round-off only)
    assert res.log_likelihood[-1] > res.log_likelihood[0]
    assert np.allclose(res.responsibilities.sum(1), 1.0)


def test_gmm_em_recovers_the_generating_means(rng):
    g = gaussian_mixture(3000, rng, n_components=3, spread=6.0, scale=0.7)   # components >= 1.8 apart
    res = CL.gmm_em(g.X, np.full(3, 1 / 3), CL.kmeans(g.X, 3, rng).centres, np.stack([np.eye(2)] * 3), n_iter=100)
    err = cdist(res.means, g.means).min(1)                        # each fitted mean to its nearest truth
    assert np.all(err < 0.2)                                     # std of a mean of ~1000 points is ~0.03


def test_gmm_em_rejects_bad_weights(rng):
    X = rng.normal(size=(20, 2))
    with pytest.raises(ValueError, match="sum to 1"):
        CL.gmm_em(X, np.array([0.5, 0.6]), X[:2], np.stack([np.eye(2)] * 2))
    with pytest.raises(ValueError, match="symmetric"):
        CL.gmm_em(X, np.array([0.5, 0.5]), X[:2], np.stack([np.array([[1.0, 0.5], [0.0, 1.0]])] * 2))
