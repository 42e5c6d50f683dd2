"""coursekit.learn.linear against NumPy's lstsq, scikit-learn (Ridge, Lasso, LogisticRegression,
KNeighborsClassifier) and torch autograd, on real tabular data shipped with scikit-learn (diabetes,
breast cancer, iris, digits) and on seeded generated sets.

Tolerances:
* closed forms (normal equations vs lstsq / Ridge): 1e-8 relative — two direct solvers of the same
  well-conditioned system differ by a few ulps times the condition number (< 1e3 here).
* iterative fits (our gradient descent vs sklearn's lbfgs / coordinate descent): 1e-5 on the weights —
  both run until their steps are ~1e-10, and the objective is strongly convex, so the minimisers agree
  to far better than 1e-5; the gap that remains is lbfgs's own stopping tolerance (~1e-7 measured).
* float64 losses and gradients vs torch float64: 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.special import expit
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.linear_model import Lasso, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier

from coursekit.learn import linear as L
from coursekit.learn import sparse
from coursekit.learn import neighbors as N
from coursekit.data import blobs, two_moons


def _standardise(X):
    return (X - X.mean(0)) / X.std(0)


# ----------------------------------------------------------------------------- least squares

def test_normal_equations_match_lstsq_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    Xa = np.hstack([X, np.ones((len(y), 1))])                  # (442, 11) with an intercept column
    w = L.normal_equations(Xa, y)
    ref = np.linalg.lstsq(Xa, y, rcond=None)[0]
    assert np.allclose(w, ref, rtol=1e-8, atol=1e-8 * np.abs(ref).max())


def test_normal_equations_match_lstsq_on_random_data(rng):
    X, y = rng.normal(size=(50, 6)), rng.normal(size=50)
    assert np.allclose(L.normal_equations(X, y), np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-8, atol=1e-10)


def test_ridge_matches_sklearn_ridge_with_alpha_n_times_l2(rng):
    X, y = rng.normal(size=(80, 5)), rng.normal(size=80)
    ref = Ridge(alpha=80 * 0.3, fit_intercept=False).fit(X, y).coef_
    assert np.allclose(L.normal_equations(X, y, l2=0.3), ref, rtol=1e-8, atol=1e-12)


def test_normal_equations_reject_a_rank_deficient_design(rng):
    X = rng.normal(size=(20, 2))
    with pytest.raises(ValueError, match="singular"):
        L.normal_equations(np.hstack([X, X[:, :1]]), rng.normal(size=20))
    with pytest.raises(ValueError, match="shape"):
        L.normal_equations(X, rng.normal(size=19))


# ----------------------------------------------------------------------------- logistic regression

def test_sigmoid_matches_scipy_and_never_overflows():
    z = np.array([-800.0, -30.0, -1.0, 0.0, 2.5, 40.0, 800.0])
    with np.errstate(over="raise"):
        assert np.allclose(L.sigmoid(z), expit(z), rtol=1e-15, atol=0)


def test_logistic_loss_and_gradient_match_torch_bce(rng):
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 2, 30)
    w, b, l2 = rng.normal(size=4), 0.3, 0.05
    loss, gw, gb = L.logistic_loss_grad(w, b, X, y, l2)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    z = torch.tensor(X) @ wt + bt
    lt = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(y, dtype=torch.float64))
    lt = lt + 0.5 * l2 * (wt ** 2).sum()
    lt.backward()
    assert abs(loss - lt.item()) < 1e-12
    assert np.allclose(gw, wt.grad.numpy(), atol=1e-12) and abs(gb - bt.grad.item()) < 1e-12


@pytest.mark.parametrize("C", [0.1, 1.0])
def test_logistic_regression_matches_sklearn_on_two_moons(C):
    """sklearn's LogisticRegression(C, penalty l2, lbfgs) minimises C*sum CE + |w|^2/2: our l2 = 1/(C N)."""
    X, y = two_moons(300, np.random.default_rng(1), noise=0.2)
    ours = L.fit_logistic_regression(X, y, l2=1.0 / (C * len(y)), n_iter=3000)
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    assert np.allclose(ours.W, ref.coef_[0], atol=1e-5) and abs(ours.b - ref.intercept_[0]) < 1e-5
    assert np.array_equal(ours.predict(X), ref.predict(X))


def test_logistic_regression_matches_sklearn_on_breast_cancer():
    """30 strongly correlated features: with C = 1 plain gradient descent needs ~10^5 steps, so we use
    C = 0.1 (l2 = 1/(0.1 N)), which conditions the problem well enough for 3000 steps."""
    X, y = load_breast_cancer(return_X_y=True)
    X = _standardise(X)                                       # (569, 30); GD needs comparable scales
    ours = L.fit_logistic_regression(X, y, l2=1.0 / (0.1 * len(y)), n_iter=3000)
    ref = LogisticRegression(C=0.1, tol=1e-12, max_iter=10_000).fit(X, y)
    assert np.allclose(ours.W, ref.coef_[0], atol=1e-5) and abs(ours.b - ref.intercept_[0]) < 1e-5
    assert np.array_equal(ours.predict(X), ref.predict(X))


def test_gradient_descent_never_increases_the_loss_with_the_default_step(rng):
    X, y = two_moons(200, rng, noise=0.3)
    losses = L.fit_logistic_regression(X, y, n_iter=200).losses
    assert np.all(np.diff(losses) <= 1e-12)


def test_mse_gradient_vanishes_for_confident_mistakes_but_ce_does_not():
    z = np.array([-12.0, -6.0, 0.0])                          # logits of three positives (y = 1)
    ce, mse, dce, dmse = L.ce_vs_mse(z, np.ones(3))
    assert np.all(dce[:2] < -0.99)                            # CE pushes hard: p - y -> -1
    assert np.all(np.abs(dmse[:2]) < 0.01)                    # MSE barely moves: 2 (p-y) p (1-p) -> 0
    assert abs(dmse[2]) > abs(dmse[0])                        # ... less than for an unsure prediction


def test_mse_on_a_sigmoid_is_not_convex_but_ce_is():
    z = np.linspace(-8, 8, 401)
    ce, mse, _, _ = L.ce_vs_mse(z, np.ones_like(z))
    assert np.min(np.diff(ce, 2)) > 0                         # second differences > 0: convex
    assert np.min(np.diff(mse, 2)) < 0 and np.max(np.diff(mse, 2)) > 0


def test_ce_vs_mse_gradients_match_autograd(rng):
    z, y = rng.normal(0, 3, 20), rng.integers(0, 2, 20).astype(float)
    zt = torch.tensor(z, requires_grad=True)
    p = torch.sigmoid(zt)
    (((p - torch.tensor(y)) ** 2).sum()).backward()
    assert np.allclose(L.ce_vs_mse(z, y)[3], zt.grad.numpy(), atol=1e-12)


# ----------------------------------------------------------------------------- softmax

def test_softmax_rows_sum_to_one_even_for_huge_logits(rng):
    Z = rng.normal(0, 1, (5, 7)) + 1000.0
    P = L.softmax(Z)
    assert np.all(np.isfinite(P)) and np.allclose(P.sum(1), 1.0, atol=1e-15)
    assert np.allclose(P, L.softmax(Z - 1000.0), atol=1e-15)   # shift invariance


@pytest.mark.parametrize("scale", [1.0, 300.0])
def test_softmax_cross_entropy_and_p_minus_y_match_torch(rng, scale):
    Z, y = scale * rng.normal(size=(16, 5)), rng.integers(0, 5, 16)
    loss, dZ = L.softmax_cross_entropy(Z, y)
    Zt = torch.tensor(Z, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(Zt, torch.tensor(y))
    lt.backward()
    assert abs(loss - lt.item()) < 1e-12 * max(1.0, scale)
    assert np.allclose(dZ, Zt.grad.numpy(), atol=1e-12)


def test_softmax_cross_entropy_rejects_out_of_range_labels(rng):
    with pytest.raises(ValueError, match="only 3 classes"):
        L.softmax_cross_entropy(rng.normal(size=(4, 3)), np.array([0, 1, 2, 3]))


@pytest.mark.parametrize("dataset", ["blobs", "iris"])
def test_softmax_regression_matches_sklearn_multinomial(dataset):
    if dataset == "iris":
        X, y = load_iris(return_X_y=True)
    else:
        X, y = blobs(300, np.random.default_rng(2), n_classes=3, std=1.0)
    X = _standardise(X)
    ours = L.fit_softmax_regression(X, y, l2=1.0 / len(y), n_iter=4000)
    ref = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(X, y)     # multinomial by default
    assert np.allclose(ours.W, ref.coef_.T, atol=1e-5) and np.allclose(ours.b, ref.intercept_, atol=1e-5)


# ----------------------------------------------------------------------------- L1 vs L2

def test_soft_threshold_values():
    got = sparse.soft_threshold(np.array([-2.0, -1.0, -0.3, 0.0, 0.7, 3.0]), 0.5)
    assert np.allclose(got, [-1.5, -0.5, 0.0, 0.0, 0.2, 2.5])
    with pytest.raises(ValueError):
        sparse.soft_threshold(np.ones(2), -1.0)


@pytest.mark.parametrize("l1", [0.05, 0.3])
def test_lasso_ista_matches_sklearn_lasso_and_is_sparse(rng, l1):
    X = rng.normal(size=(100, 8))
    y = X @ np.array([3.0, 0, 0, -2.0, 0, 0, 1.0, 0]) + 0.1 * rng.normal(size=100)
    w, objective = sparse.lasso_ista(X, y, l1, n_iter=800)
    ref = Lasso(alpha=l1, fit_intercept=False, tol=1e-14, max_iter=100_000).fit(X, y).coef_
    assert np.allclose(w, ref, atol=1e-8)
    assert np.all(np.diff(objective) <= 1e-12)
    assert np.array_equal(w == 0, ref == 0) and (w == 0).sum() >= 4
    assert np.all(L.normal_equations(X, y, l2=l1) != 0)       # L2 shrinks but zeroes nothing


# ----------------------------------------------------------------------------- kNN

@pytest.mark.parametrize("k", [1, 4, 15])
def test_knn_matches_sklearn_on_blobs(rng, k):
    X, y = blobs(400, rng, n_classes=4, std=1.0)
    Q = rng.uniform(-4, 4, (500, 2))
    ref = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(X, y).predict(Q)
    assert np.array_equal(N.knn_predict(X, y, Q, k), ref)


def test_knn_matches_sklearn_on_digits(rng):
    X, y = load_digits(return_X_y=True)
    X = X + 1e-6 * rng.normal(size=X.shape)   # integer pixels give exactly tied distances; jitter breaks them
    ref = KNeighborsClassifier(n_neighbors=5, algorithm="brute").fit(X[:1200], y[:1200]).predict(X[1200:])
    ours = N.knn_predict(X[:1200], y[:1200], X[1200:], 5)
    assert np.array_equal(ours, ref) and np.mean(ours == y[1200:]) > 0.9


def test_knn_rejects_bad_k_and_shapes(rng):
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 2, 10)
    with pytest.raises(ValueError, match="larger than"):
        N.knn_predict(X, y, X, 11)
    with pytest.raises(ValueError, match="shape"):
        N.knn_predict(X, y, rng.normal(size=(3, 3)), 1)
    with pytest.raises(ValueError, match="negative"):
        N.knn_predict(X, y - 1, X, 1)
