"""coursekit.learn.pca against sklearn.decomposition.PCA (components up to sign) on the digits images and on
seeded data, plus the identities that define PCA.

Tolerances: 1e-9 on unit-norm components and on variances relative to the largest — two eigensolvers
(LAPACK syevd vs gesdd) of the same well-separated spectrum agree to ~1e-13 here; 1e-9 leaves room for
other BLAS builds without letting a wrong centring (errors of order 1e-2) through.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from coursekit.learn import pca as P


@pytest.fixture(scope="module")
def digits():
    return load_digits().data                                  # (1797, 64) 8×8 grey digits, values 0..16


def _same_up_to_sign(A, B, atol):
    signs = np.sign(np.sum(A * B, axis=1))[:, None]            # +-1 per row
    return np.allclose(A, signs * B, atol=atol)


@pytest.mark.parametrize("method", [P.pca_eig, P.pca_svd])
def test_pca_matches_sklearn_on_digits(digits, method):
    ours, ref = method(digits, 12), PCA(12).fit(digits)
    assert _same_up_to_sign(ours.components, ref.components_, 1e-9)
    top = ref.explained_variance_[0]
    assert np.allclose(ours.explained_variance, ref.explained_variance_, atol=1e-9 * top)
    assert np.allclose(ours.explained_variance_ratio, ref.explained_variance_ratio_, atol=1e-12)
    assert np.allclose(P.pca_transform(digits, ours), ref.transform(digits) * np.sign(
        np.sum(ours.components * ref.components_, 1)), atol=1e-8)


def test_eig_and_svd_agree_exactly_with_the_sign_convention(rng):
    X = rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6))
    a, b = P.pca_eig(X), P.pca_svd(X)
    assert np.allclose(a.components, b.components, atol=1e-10)  # same signs: largest entry positive
    assert np.allclose(a.explained_variance, b.explained_variance, rtol=1e-10)


def test_components_are_orthonormal_and_sorted(digits):
    p = P.pca_svd(digits, 20)
    assert np.allclose(p.components @ p.components.T, np.eye(20), atol=1e-12)
    assert np.all(np.diff(p.explained_variance) <= 0)


def test_reconstruction_error_is_the_sum_of_the_discarded_variances(digits):
    full, p = P.pca_eig(digits), P.pca_eig(digits, 10)
    X_hat = P.pca_reconstruct(P.pca_transform(digits, p), p)
    mse = np.mean(np.sum((digits - X_hat) ** 2, axis=1))
    N = digits.shape[0]
    assert np.isclose(mse, (N - 1) / N * full.explained_variance[10:].sum(), rtol=1e-9)


def test_all_components_reconstruct_exactly(rng):
    X = rng.normal(size=(30, 5))
    p = P.pca_svd(X)
    assert np.allclose(P.pca_reconstruct(P.pca_transform(X, p), p), X, atol=1e-12)


def test_svd_keeps_a_tiny_variance_that_the_covariance_loses(rng):
    """Variances 1 and 1e-18: X^T X squares the condition number (1e18 > 1/eps), so eigh cannot see the
    small one, while the SVD of X (condition 1e9) gets it to ~7 digits."""
    N = 500
    Q, _ = np.linalg.qr(rng.normal(size=(N, 2)) - rng.normal(size=(N, 2)).mean(0))
    Q -= Q.mean(0)                                              # centred columns
    Q /= np.linalg.norm(Q, axis=0)
    R, _ = np.linalg.qr(rng.normal(size=(2, 2)))
    X = np.sqrt(N - 1) * Q @ np.diag([1.0, 1e-9]) @ R.T          # (N, 2) sample variances 1 and 1e-18
    assert abs(P.pca_svd(X).explained_variance[1] / 1e-18 - 1) < 1e-3
    assert abs(P.pca_eig(X).explained_variance[1] / 1e-18 - 1) > 0.5        # lost (0 or garbage)


def test_pca_rejects_bad_input(rng):
    with pytest.raises(ValueError, match="n_components"):
        P.pca_eig(rng.normal(size=(10, 3)), 4)
    with pytest.raises(ValueError, match="at least 2 points"):
        P.pca_svd(rng.normal(size=(1, 3)))
    p = P.pca_eig(rng.normal(size=(10, 3)), 2)
    with pytest.raises(ValueError, match="shape"):
        P.pca_transform(rng.normal(size=(4, 2)), p)
