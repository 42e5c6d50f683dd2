"""Model selection: train/validation/test splits, k-fold cross-validation, learning curves.

Chapter 3 (Machine-learning recap), section "Generalisation: splits, cross-validation, learning curves".
A model is chosen on data it was not fitted to (the validation split, or the k folds in turn) and reported
on data nothing was chosen on (the test split); a learning curve plots training and validation error
against the training-set size, which separates under-fitting (both high, close together) from
over-fitting (a wide gap that shrinks as data grows).

Conventions (CONTRIBUTING.md): functions return *indices*, so any array type can be split; randomness
comes only from ``rng``. Without shuffling, :func:`kfold_indices` and :func:`stratified_kfold_indices`
give exactly the folds of scikit-learn's ``KFold`` and ``StratifiedKFold`` (the tests' oracles); with
shuffling they give other (but equally valid) folds, since the random streams differ.

References
----------
- M. Stone, "Cross-validatory choice and assessment of statistical predictions", J. R. Stat. Soc. B 36(2),
  1974.
- T. Hastie, R. Tibshirani and J. Friedman, *The Elements of Statistical Learning*, 2nd ed., Section 7.10.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from coursekit.core.validation import check_fraction, check_int, check_rng

__all__ = ["train_val_test_split", "kfold_indices", "stratified_kfold_indices", "cross_validate",
           "learning_curve"]


def train_val_test_split(n: int, rng: np.random.Generator, val_fraction: float = 0.15,
                         test_fraction: float = 0.15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle ``0..n-1`` and cut it into training, validation and test indices.

    Defined in :ref:`sec-generalisation` (Eq. :eq:`eq-kfold-estimate`).

    Parameters
    ----------
    n : int
        Number of examples, >= 3.
    rng : np.random.Generator
        Draws the shuffle.
    val_fraction, test_fraction : float
        Shares of the validation and test splits, each in (0, 1), summing to less than 1; each split gets
        ``round(fraction * n)`` examples, at least one.

    Returns
    -------
    train, val, test : ndarray of int64
        Disjoint index arrays that together hold every index once.

    Examples
    --------
    >>> tr, va, te = train_val_test_split(20, np.random.default_rng(0), 0.2, 0.1)
    >>> len(tr), len(va), len(te)
    (14, 4, 2)
    """
    n = check_int(n, "n", 3)
    val_fraction = check_fraction(val_fraction, "val_fraction")
    test_fraction = check_fraction(test_fraction, "test_fraction")
    if not (val_fraction > 0 and test_fraction > 0 and val_fraction + test_fraction < 1):
        raise ValueError(f"the fractions must be > 0 and sum to < 1, got {val_fraction} and {test_fraction}.")
    n_val, n_test = max(1, round(val_fraction * n)), max(1, round(test_fraction * n))
    if n_val + n_test >= n:
        raise ValueError(f"{n} examples leave nothing to train on with these fractions.")
    order = check_rng(rng).permutation(n)                              # (n,)
    return order[n_val + n_test:], order[:n_val], order[n_val:n_val + n_test]


def kfold_indices(n: int, k: int = 5, rng: np.random.Generator | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """K-fold cross-validation: ``k`` (train, validation) index pairs, each example validated exactly once.

    Defined in :ref:`sec-generalisation` (Eq. :eq:`eq-kfold-estimate`).

    Parameters
    ----------
    n : int
        Number of examples, >= k.
    k : int
        Number of folds, >= 2.
    rng : np.random.Generator, optional
        Shuffle the examples first; ``None`` keeps them in order (then the folds equal
        ``sklearn.model_selection.KFold(k)``'s).

    Returns
    -------
    list of (train, val) pairs of int64 ndarrays
        Fold ``i`` validates on a contiguous block of the (shuffled) order; the first ``n % k`` folds hold
        one example more than the others.

    Examples
    --------
    >>> [val.tolist() for _, val in kfold_indices(7, 3)]
    [[0, 1, 2], [3, 4], [5, 6]]
    """
    k = check_int(k, "k", 2)
    n = check_int(n, "n", k)
    order = np.arange(n) if rng is None else check_rng(rng).permutation(n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1                                                 # the first n % k folds are larger
    stops = np.cumsum(sizes)
    folds = []
    for start, stop in zip(stops - sizes, stops):
        val = order[start:stop]
        folds.append((np.concatenate([order[:start], order[stop:]]), val))
    return folds


def stratified_kfold_indices(y, k: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold: every fold keeps the class proportions of ``y`` as closely as counts allow.

    Defined in :ref:`sec-generalisation`.

    Parameters
    ----------
    y : (N,) array of class labels
        Any hashable labels; every class needs at least ``k`` examples.
    k : int
        Number of folds, >= 2.

    Returns
    -------
    list of (train, val) pairs of int64 ndarrays
        Equal to ``sklearn.model_selection.StratifiedKFold(k)`` (no shuffling).

    Notes
    -----
    1. Number the classes in the order they first appear in ``y``, sort those numbers and deal them round-robin into the ``k`` folds: fold ``i`` gets the labels at
       positions ``i, i + k, i + 2k, ...`` of the sorted list, so each class is spread as evenly as possible
       and the fold sizes differ by at most one.
    2. That fixes how many examples of each class every fold holds; give each class's examples, in their
       original order, to fold 0 first, then fold 1, and so on, by those counts.

    Examples
    --------
    >>> [val.tolist() for _, val in stratified_kfold_indices([0, 0, 0, 1, 1, 1], k=3)]
    [[0, 3], [1, 4], [2, 5]]
    """
    k = check_int(k, "k", 2)
    classes, first, inverse = np.unique(np.asarray(y), return_index=True, return_inverse=True)
    codes = np.argsort(np.argsort(first))[inverse.ravel()]            # (N,) classes numbered by first appearance
    counts = np.bincount(codes)
    if codes.size < k or counts.min() < k:
        raise ValueError(f"every class needs at least k = {k} examples; the smallest has {counts.min()}.")
    ordered = np.sort(codes)
    per_fold = np.stack([np.bincount(ordered[i::k], minlength=classes.size) for i in range(k)])   # (k, C)
    fold_of = np.empty(codes.size, dtype=np.int64)
    for c in range(classes.size):
        fold_of[codes == c] = np.repeat(np.arange(k), per_fold[:, c])
    idx = np.arange(codes.size)
    return [(idx[fold_of != i], idx[fold_of == i]) for i in range(k)]


def cross_validate(fit: Callable, score: Callable, X, y, folds) -> np.ndarray:
    """Fit on each fold's training part and score on its validation part.

    Defined in :ref:`sec-generalisation` (Eq. :eq:`eq-kfold-estimate`).

    Parameters
    ----------
    fit : callable
        ``fit(X_train, y_train) -> model``.
    score : callable
        ``score(model, X_val, y_val) -> float``.
    X, y : ndarray
        The data, indexed along the first axis.
    folds : list of (train, val) index pairs
        From :func:`kfold_indices` or :func:`stratified_kfold_indices`.

    Returns
    -------
    (k,) ndarray of float64
        One validation score per fold; their mean is the cross-validation estimate.

    Examples
    --------
    >>> X = np.arange(10.0)[:, None]; y = 2 * X[:, 0]
    >>> fit = lambda X, y: np.linalg.lstsq(X, y, rcond=None)[0]
    >>> mse = lambda w, X, y: float(np.mean((X @ w - y) ** 2))
    >>> cross_validate(fit, mse, X, y, kfold_indices(10, 5)).round(12).tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0]
    """
    return np.array([score(fit(X[tr], y[tr]), X[va], y[va]) for tr, va in folds], dtype=np.float64)


def learning_curve(fit: Callable, score: Callable, X_train, y_train, X_val, y_val,
                   sizes) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation scores of models fitted on the first ``m`` training examples, for each ``m``.

    Defined in :ref:`sec-generalisation`.

    Parameters
    ----------
    fit, score : callable
        As in :func:`cross_validate`.
    X_train, y_train : ndarray
        The training pool, already in random order (its first ``m`` rows are a random subset).
    X_val, y_val : ndarray
        Held-out data, the same for every size.
    sizes : sequence of int
        Training-set sizes, each in ``1..len(X_train)``.

    Returns
    -------
    train_scores, val_scores : (len(sizes),) ndarray of float64
        The score of each model on the data it was fitted to, and on the held-out data.

    Examples
    --------
    >>> X = np.arange(20.0)[:, None]; y = X[:, 0] + np.sin(X[:, 0])
    >>> fit = lambda X, y: np.linalg.lstsq(X, y, rcond=None)[0]
    >>> mse = lambda w, X, y: float(np.mean((X @ w - y) ** 2))
    >>> tr, va = learning_curve(fit, mse, X[:15], y[:15], X[15:], y[15:], [2, 15])
    >>> tr.shape, bool(tr[0] <= tr[1])
    ((2,), True)
    """
    sizes = [check_int(m, "sizes", 1) for m in sizes]
    if max(sizes) > len(X_train):
        raise ValueError(f"a size of {max(sizes)} exceeds the {len(X_train)} training examples.")
    train, val = [], []
    for m in sizes:
        model = fit(X_train[:m], y_train[:m])
        train.append(score(model, X_train[:m], y_train[:m]))
        val.append(score(model, X_val, y_val))
    return np.array(train, dtype=np.float64), np.array(val, dtype=np.float64)
