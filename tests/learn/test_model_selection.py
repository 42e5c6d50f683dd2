"""Splits, k-fold and stratified k-fold against scikit-learn's splitters; cross-validation and learning curves."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.model_selection import learning_curve as sk_learning_curve

from coursekit.learn.model_selection import (
    cross_validate,
    kfold_indices,
    learning_curve,
    stratified_kfold_indices,
    train_val_test_split,
)


def _same_folds(ours, theirs):
    theirs = list(theirs)
    assert len(ours) == len(theirs)
    for (tr, va), (tr2, va2) in zip(ours, theirs):
        np.testing.assert_array_equal(np.sort(tr), tr2)
        np.testing.assert_array_equal(np.sort(va), va2)


@pytest.mark.parametrize("n, k", [(10, 2), (10, 3), (23, 5), (7, 7), (100, 10)])
def test_kfold_equals_sklearn_kfold(n, k):
    _same_folds(kfold_indices(n, k), KFold(k).split(np.zeros(n)))


@pytest.mark.parametrize("seed, k", [(0, 3), (1, 5), (2, 4)])
def test_stratified_kfold_equals_sklearn(seed, k):
    rng = np.random.default_rng(seed)
    y = rng.choice(["cat", "dog", "emu"], size=60, p=[0.5, 0.3, 0.2])
    _same_folds(stratified_kfold_indices(y, k), StratifiedKFold(k).split(np.zeros(len(y)), y))


def test_shuffled_kfold_validates_every_example_exactly_once():
    folds = kfold_indices(23, 4, np.random.default_rng(3))
    val = np.concatenate([va for _, va in folds])
    assert sorted(val.tolist()) == list(range(23))
    for tr, va in folds:
        assert not set(tr) & set(va) and len(tr) + len(va) == 23
    assert not np.array_equal(val, np.arange(23))                     # shuffled


def test_split_is_disjoint_and_complete():
    tr, va, te = train_val_test_split(101, np.random.default_rng(0), 0.2, 0.1)
    assert (len(tr), len(va), len(te)) == (71, 20, 10)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(101))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        train_val_test_split(10, np.random.default_rng(0), 0.6, 0.5)
    with pytest.raises(ValueError):
        kfold_indices(3, 5)
    with pytest.raises(ValueError, match="at least k"):
        stratified_kfold_indices([0, 0, 1], 2)


def _ridge_fit(X, y):
    return Ridge(alpha=1.0).fit(X, y)


def _neg_mse(model, X, y):
    return -float(np.mean((model.predict(X) - y) ** 2))


def test_cross_validate_equals_sklearn_cross_val_score():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 3)); y = X @ [1.0, -2.0, 0.5] + rng.normal(0, 0.3, 50)
    ours = cross_validate(_ridge_fit, _neg_mse, X, y, kfold_indices(50, 5))
    theirs = cross_val_score(Ridge(alpha=1.0), X, y, cv=KFold(5), scoring="neg_mean_squared_error")
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_learning_curve_equals_sklearn_on_one_validation_split():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 4)); y = X @ [1.0, 0.0, -1.0, 2.0] + rng.normal(0, 0.5, 60)
    sizes = [5, 10, 20, 40]
    tr, va = learning_curve(_ridge_fit, _neg_mse, X[:40], y[:40], X[40:], y[40:], sizes)
    cv = [(np.arange(40), np.arange(40, 60))]
    _, sk_tr, sk_va = sk_learning_curve(Ridge(alpha=1.0), X, y, train_sizes=sizes, cv=cv,
                                        scoring="neg_mean_squared_error", shuffle=False)
    np.testing.assert_allclose(tr, sk_tr[:, 0], rtol=1e-12)
    np.testing.assert_allclose(va, sk_va[:, 0], rtol=1e-12)
