"""coursekit.learn.ensembles: stumps against a brute-force search, trees against sklearn's DecisionTreeClassifier,
AdaBoost's identities (alpha, Z_t, the re-weighted error of 1/2, the training-error bound) and agreement with
sklearn's AdaBoostClassifier (SAMME on depth-1 trees) as a loose oracle, and bagging's variance reduction.

Tolerances:
* thresholds vs sklearn: 1e-6 — sklearn casts X to float32 before splitting, so its midpoints carry
  float32 rounding (~1e-8 relative on values of order 1).
* identities: 1e-12 — pure float64 arithmetic on weights that sum to 1.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import AdaBoostClassifier
from sklearn.tree import DecisionTreeClassifier

from coursekit.learn import ensembles as E
from coursekit.data.tabular import two_moons


@pytest.fixture(scope="module")
def moons():
    X, y = two_moons(300, np.random.default_rng(0), noise=0.25)
    return X, 2 * y - 1


def _brute_force_stump_error(X, y, w):
    best = np.inf
    for d in range(X.shape[1]):
        values = np.unique(X[:, d])
        for t, s in itertools.product(np.r_[-np.inf, (values[1:] + values[:-1]) / 2], (1, -1)):
            h = np.where(X[:, d] > t, s, -s)
            best = min(best, w[h != y].sum())
    return best


def test_stump_is_the_weighted_error_minimiser(rng):
    X = np.round(rng.normal(size=(25, 3)), 1)                   # rounding creates ties in the values
    y = rng.choice([-1, 1], 25)
    w = rng.uniform(0.1, 1, 25); w /= w.sum()
    stump, eps = E.fit_stump(X, y, w)
    assert abs(eps - _brute_force_stump_error(X, y, w)) < 1e-12
    assert abs(eps - w[stump.predict(X) != y].sum()) < 1e-12 and eps <= 0.5


def test_depth_one_tree_splits_like_sklearn_and_deep_trees_agree(moons):
    X, y = moons
    Q = np.random.default_rng(1).uniform(-1.5, 2.5, (2000, 2))
    for depth in (1, 3):
        ours, ref = E.fit_tree(X, y, max_depth=depth), DecisionTreeClassifier(max_depth=depth).fit(X, y)
        assert ours.feature[0] == ref.tree_.feature[0] and abs(ours.threshold[0] - ref.tree_.threshold[0]) < 1e-6
        assert np.array_equal(ours.predict(Q), ref.predict(Q))
    full = E.fit_tree(X, y)
    assert np.array_equal(full.predict(X), y)                   # distinct points: pure leaves, 0 train error


def test_bagging_reduces_the_variance_of_deep_trees():
    """Train on 6 independent training sets; bagged ensembles disagree with each other less often than
    single trees do (the variance part of the error), and predict a fresh test set at least as well."""
    grid = np.random.default_rng(9).uniform(-1.5, 2.5, (3000, 2))
    Xt, yt = two_moons(2000, np.random.default_rng(10), noise=0.3)
    singles, bags, acc_single, acc_bag = [], [], [], []
    for seed in range(6):
        X, y = two_moons(200, np.random.default_rng(100 + seed), noise=0.3)
        tree, trees = E.fit_tree(X, 2 * y - 1), E.bagging_fit(X, 2 * y - 1, 25, np.random.default_rng(seed))
        singles.append(tree.predict(grid)); bags.append(E.bagging_predict(trees, grid))
        acc_single.append(np.mean(tree.predict(Xt) == 2 * yt - 1))
        acc_bag.append(np.mean(E.bagging_predict(trees, Xt) == 2 * yt - 1))

    def disagreement(preds):
        return np.mean([np.mean(a != b) for a, b in itertools.combinations(preds, 2)])

    assert disagreement(bags) < 0.8 * disagreement(singles)
    assert np.mean(acc_bag) >= np.mean(acc_single)


def test_adaboost_identities_hold_every_round(moons):
    X, y = moons
    ada = E.adaboost_fit(X, y, n_rounds=30)
    eps = ada.errors
    assert np.allclose(ada.alphas, 0.5 * np.log((1 - eps) / eps), atol=1e-12)
    assert np.allclose(ada.Z, 2 * np.sqrt(eps * (1 - eps)), atol=1e-12)
    F = np.zeros(len(y))
    for t, (stump, alpha) in enumerate(zip(ada.stumps, ada.alphas)):
        w = np.exp(-y * F); w /= w.sum()                         # the weights round t was trained on
        h = stump.predict(X)
        assert abs(w[h != y].sum() - eps[t]) < 1e-12
        F += alpha * h
        w_next = np.exp(-y * F); w_next /= w_next.sum()
        assert abs(w_next[h != y].sum() - 0.5) < 1e-12          # h_t is a coin flip under the new weights


def test_adaboost_training_error_falls_below_its_exponential_bound(moons):
    X, y = moons
    ada = E.adaboost_fit(X, y, n_rounds=60)
    bound = np.cumprod(ada.Z)
    assert np.all(np.diff(bound) < 0)                          # every Z_t < 1 since eps_t < 1/2
    assert np.all(ada.train_error <= bound + 1e-12)
    assert ada.train_error[-1] < 0.5 * ada.train_error[0]
    assert np.all(ada.errors < 0.5)


@pytest.mark.parametrize("dataset", ["moons", "breast_cancer"])
def test_adaboost_tracks_sklearn_samme(moons, dataset):
    """SAMME with 2 classes: alpha = ln((1-eps)/eps) = 2 x ours and the same weight update. sklearn's stumps
    minimise weighted Gini, ours weighted error; they coincide in the first rounds (checked), and the final
    classifiers agree on >= 97 % of the training points (a loose oracle)."""
    if dataset == "moons":
        X, y = moons
    else:
        X, y = load_breast_cancer(return_X_y=True)
        y = 2 * y - 1
    ours = E.adaboost_fit(X, y, n_rounds=40)
    ref = AdaBoostClassifier(DecisionTreeClassifier(max_depth=1), n_estimators=40).fit(X, y)
    assert np.allclose(ours.errors[:2], ref.estimator_errors_[:2], atol=1e-9)
    assert np.allclose(2 * ours.alphas[:2], ref.estimator_weights_[:2], atol=1e-8)
    assert np.mean(E.adaboost_predict(ours, X) == ref.predict(X)) >= 0.97
    assert abs(ours.train_error[-1] - (1 - ref.score(X, y))) <= 0.03


def test_ensembles_reject_zero_one_labels(moons):
    X, y = moons
    with pytest.raises(ValueError, match="2 \\* y - 1"):
        E.adaboost_fit(X, (y + 1) // 2)
    with pytest.raises(ValueError, match="Generator"):
        E.bagging_fit(X, y, 3, rng=1)
    with pytest.raises(ValueError, match="non-negative"):
        E.fit_stump(X, y, -np.ones(len(y)))
