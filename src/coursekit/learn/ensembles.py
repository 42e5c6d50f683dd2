"""Ensembles of simple learners: decision stumps and trees, bagging, AdaBoost on stumps.

Chapter 3 (Machine learning recap), classical half. Bagging averages many high-variance learners
(deep trees) trained on bootstrap resamples, which lowers the variance; boosting adds low-variance,
high-bias learners (stumps) one after another, each trained on reweighted data that stresses the
previous mistakes, which lowers the bias. Labels are ``-1`` / ``+1`` throughout (convert 0/1 labels
with ``2 * y - 1``).

References
----------
L. Breiman, "Bagging predictors", Machine Learning 24, 1996.
Y. Freund and R. E. Schapire, "A decision-theoretic generalization of on-line learning and an
application to boosting", J. Comput. Syst. Sci. 55, 1997.
R. E. Schapire and Y. Singer, "Improved boosting algorithms using confidence-rated predictions",
Machine Learning 37, 1999 (the bound prod_t Z_t on the training error).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coursekit.core.validation import check_array, check_int

__all__ = [
    "Stump", "fit_stump", "Tree", "fit_tree", "bagging_fit", "bagging_predict", "AdaBoostResult",
    "adaboost_fit", "adaboost_predict",
]


def _check_Xy(X, y):
    X = check_array(X, "X", ndim=2, dtype_kind="fiu").astype(np.float64)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X is empty (shape {X.shape}).")
    y = check_array(y, "y", ndim=1, dtype_kind="iuf", shape=(X.shape[0],))
    if not np.all((y == 1) | (y == -1)):
        raise ValueError(f"y must hold labels -1 and +1, got values {np.unique(y)[:5]}; "
                         "convert 0/1 labels with 2 * y - 1.")
    return X, y.astype(np.float64)


@dataclass
class Stump:
    """A one-split classifier ``h(x) = s`` if ``x[feature] > threshold`` else ``-s``.

    Attributes
    ----------
    feature : int
    threshold : float
        A midpoint between two training values (``-inf`` for a constant classifier).
    polarity : int
        ``s`` in {-1, +1}.

    Examples
    --------
    >>> Stump(feature=0, threshold=1.5, polarity=1).predict(np.array([[1.0], [2.0]]))
    array([-1.,  1.])
    """

    feature: int
    threshold: float
    polarity: int

    def predict(self, X) -> np.ndarray:
        """``(N,)`` array of -1.0 / +1.0."""
        X = np.asarray(X, dtype=np.float64)
        return np.where(X[:, self.feature] > self.threshold, self.polarity, -self.polarity).astype(np.float64)


def fit_stump(X, y, sample_weight=None):
    """The decision stump with the smallest weighted error ``eps = sum_i w_i [h(x_i) != y_i]``.

    Defined in :ref:`sec-bagging-boosting` (Eq. :eq:`eq-decision-stump`).

    Parameters
    ----------
    X : (N, D) ndarray
    y : (N,) ndarray in {-1, +1}
    sample_weight : (N,) ndarray, optional
        Non-negative weights; normalised to sum to 1 (default uniform).

    Returns
    -------
    stump : Stump
    eps : float
        Its weighted error, at most 1/2 (flipping the polarity turns ``eps`` into ``1 - eps``).

    Notes
    -----
    Exhaustive and exact in O(D N log N): per feature, sort the values once; the error of the threshold
    after the j-th sorted point is ``W+(<= j) + W-(> j)`` from two cumulative sums (polarity +1), and
    ``1 -`` that for polarity -1. Only midpoints between distinct values are candidates.

    Examples
    --------
    >>> X = np.array([[0.0, 5.0], [1.0, 4.0], [2.0, 1.0], [3.0, 0.0]]); y = np.array([1, 1, -1, -1])
    >>> s, eps = fit_stump(X, y)
    >>> (s.feature, s.threshold, s.polarity, eps)
    (0, 1.5, -1, 0.0)
    """
    X, y = _check_Xy(X, y)
    N, D = X.shape
    w = np.full(N, 1.0 / N) if sample_weight is None else check_array(
        sample_weight, "sample_weight", ndim=1, dtype_kind="fiu", shape=(N,)).astype(np.float64)
    if np.any(w < 0) or w.sum() <= 0:
        raise ValueError("sample_weight must be non-negative with a positive sum.")
    w = w / w.sum()
    best = (np.inf, 0, -np.inf, 1)
    for d in range(D):
        order = np.argsort(X[:, d], kind="stable")
        x, wy = X[order, d], (w * y)[order]                         # (N,) sorted values, signed weights
        w_pos_left = np.cumsum(np.where(wy > 0, wy, 0.0))           # (N,) W+ of points <= x_j
        w_neg_left = np.cumsum(np.where(wy < 0, -wy, 0.0))          # (N,) W- of points <= x_j
        err = w_pos_left + (w_neg_left[-1] - w_neg_left)            # (N,) polarity +1: ">" means +1
        valid = np.append(x[1:] > x[:-1], False)                    # split only between distinct values
        thr = np.append((x[:-1] + x[1:]) / 2, np.inf)               # (N,)
        err = np.concatenate([[w_neg_left[-1]], err[valid]])        # threshold -inf first: all +1
        thr = np.concatenate([[-np.inf], thr[valid]])
        for pol, e in ((1, err), (-1, 1.0 - err)):
            j = int(np.argmin(e))
            if e[j] < best[0] - 1e-15:
                best = (float(e[j]), d, float(thr[j]), pol)
    eps, d, t, pol = best
    return Stump(d, t, pol), max(eps, 0.0)


@dataclass
class Tree:
    """A binary decision tree stored as flat arrays (node 0 is the root; ``feature = -1`` marks a leaf).

    Attributes
    ----------
    feature : list of int
        The feature each inner node splits on; -1 at a leaf.
    threshold : list of float
        A point goes right when ``x[feature] > threshold``.
    left, right : list of int
        Indices of the children (-1 at a leaf).
    value : list of float
        The majority label (-1.0 or +1.0) of the training points that reached the node.

    Examples
    --------
    >>> tree = Tree(feature=[0, -1, -1], threshold=[1.5, 0.0, 0.0], left=[1, -1, -1], right=[2, -1, -1],
    ...             value=[1.0, -1.0, 1.0])
    >>> tree.predict(np.array([[1.0], [2.0]]))
    array([-1.,  1.])
    """

    feature: list = field(default_factory=list)
    threshold: list = field(default_factory=list)
    left: list = field(default_factory=list)
    right: list = field(default_factory=list)
    value: list = field(default_factory=list)

    def predict(self, X) -> np.ndarray:
        """``(N,)`` array of -1.0 / +1.0: walk every point down the tree, one level per pass."""
        X = np.asarray(X, dtype=np.float64)
        feat, thr = np.array(self.feature), np.array(self.threshold)
        left, right, value = np.array(self.left), np.array(self.right), np.array(self.value)
        node = np.zeros(X.shape[0], dtype=np.int64)                 # (N,) current node of each point
        while True:
            inner = feat[node] >= 0
            if not inner.any():
                return value[node]
            n = node[inner]
            go_right = X[np.flatnonzero(inner), feat[n]] > thr[n]
            node[inner] = np.where(go_right, right[n], left[n])


def _best_gini_split(X, y, min_leaf):
    """(impurity, feature, threshold) of the split with the lowest weighted Gini impurity."""
    N, D = X.shape
    best = (np.inf, -1, 0.0)
    for d in range(D):
        order = np.argsort(X[:, d], kind="stable")
        x, pos = X[order, d], np.cumsum(y[order] > 0)              # (N,) positives among the first j+1
        nl = np.arange(1, N)                                       # sizes of the left part
        pl, pr = pos[:-1] / nl, (pos[-1] - pos[:-1]) / (N - nl)
        imp = nl * 2 * pl * (1 - pl) + (N - nl) * 2 * pr * (1 - pr)   # (N-1,) N x weighted Gini
        ok = (x[1:] > x[:-1]) & (nl >= min_leaf) & (N - nl >= min_leaf)
        if ok.any():
            j = int(np.argmin(np.where(ok, imp, np.inf)))
            if imp[j] < best[0]:
                best = (float(imp[j]), d, float((x[j] + x[j + 1]) / 2))
    return best


def fit_tree(X, y, max_depth: int | None = None, min_samples_leaf: int = 1) -> Tree:
    """A CART-style classification tree grown greedily with the Gini impurity ``2 p (1 - p)``.

    Defined in :ref:`sec-bagging-boosting` (Eq. :eq:`eq-bagging`).

    Parameters
    ----------
    X : (N, D) ndarray
    y : (N,) ndarray in {-1, +1}
    max_depth : int, optional
        None grows until every leaf is pure (a high-variance learner: the one bagging helps).
    min_samples_leaf : int

    Returns
    -------
    Tree
        Leaves predict their majority label (ties: +1).

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([-1, 1, 1, -1])
    >>> fit_tree(X, y).predict(X)
    array([-1.,  1.,  1., -1.])
    """
    X, y = _check_Xy(X, y)
    depth_limit = np.inf if max_depth is None else check_int(max_depth, "max_depth", minimum=0)
    min_leaf = check_int(min_samples_leaf, "min_samples_leaf")
    tree = Tree()

    def grow(idx, depth):
        node = len(tree.feature)
        tree.feature.append(-1); tree.threshold.append(0.0)
        tree.left.append(-1); tree.right.append(-1)
        tree.value.append(1.0 if y[idx].sum() >= 0 else -1.0)
        if depth >= depth_limit or np.all(y[idx] == y[idx[0]]):
            return node
        _, d, t = _best_gini_split(X[idx], y[idx], min_leaf)
        if d < 0:                                                  # no valid split (duplicates)
            return node
        go_right = X[idx, d] > t
        tree.feature[node], tree.threshold[node] = d, t
        tree.left[node] = grow(idx[~go_right], depth + 1)
        tree.right[node] = grow(idx[go_right], depth + 1)
        return node

    grow(np.arange(X.shape[0]), 0)
    return tree


def bagging_fit(X, y, n_estimators: int, rng: np.random.Generator, max_depth: int | None = None) -> list:
    """Bootstrap aggregating: ``n_estimators`` trees, each fitted on N points drawn with replacement.

    Defined in :ref:`sec-bagging-boosting` (Eq. :eq:`eq-bagging`).

    Parameters
    ----------
    X : (N, D) ndarray
        Training points.
    y : (N,) ndarray in {-1, +1}
        Their labels.
    n_estimators : int
        Number of trees B.
    rng : np.random.Generator
        Draws the bootstrap samples (the only randomness).
    max_depth : int, optional
        Depth limit of each tree; None grows them until their leaves are pure.

    Returns
    -------
    list of Tree
        The B fitted trees.

    Notes
    -----
    Each bootstrap sample is ``rng.integers(N, size=N)``; about ``1 - 1/e = 63%`` of the distinct points
    appear in it. Averaging B identically distributed predictors with pairwise correlation ``rho`` and
    variance ``s^2`` leaves variance ``rho s^2 + (1 - rho) s^2 / B``.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([-1, -1, 1, 1])
    >>> trees = bagging_fit(X, y, 5, np.random.default_rng(0))
    >>> len(trees), bagging_predict(trees, np.array([[-5.0], [5.0]]))
    (5, array([-1.,  1.]))
    """
    X, y = _check_Xy(X, y)
    n_estimators = check_int(n_estimators, "n_estimators")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a np.random.Generator, got {type(rng).__name__}.")
    N = X.shape[0]
    trees = []
    for _ in range(n_estimators):
        idx = rng.integers(N, size=N)                              # (N,) bootstrap indices
        trees.append(fit_tree(X[idx], y[idx], max_depth=max_depth))
    return trees


def bagging_predict(trees, X) -> np.ndarray:
    """Majority vote ``sign(sum_b h_b(x))`` of bagged trees (ties: +1).

    Defined in :ref:`sec-bagging-boosting` (Eq. :eq:`eq-bagging`).

    Parameters
    ----------
    trees : list of Tree
        The output of :func:`bagging_fit`.
    X : (N, D) ndarray
        Points to classify.

    Returns
    -------
    (N,) ndarray of float64
        -1.0 or +1.0 for every point.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([-1, -1, 1, 1])
    >>> bagging_predict(bagging_fit(X, y, 3, np.random.default_rng(0)), X)
    array([-1., -1.,  1.,  1.])
    """
    if len(trees) == 0:
        raise ValueError("trees is empty: fit at least one tree with bagging_fit.")
    votes = np.sum([t.predict(X) for t in trees], axis=0)          # (N,)
    return np.where(votes >= 0, 1.0, -1.0)


@dataclass
class AdaBoostResult:
    """AdaBoost's weak learners and bookkeeping, one entry per round t.

    Attributes
    ----------
    stumps : list of Stump
    alphas : (T,) ndarray
        ``alpha_t = 1/2 ln((1 - eps_t) / eps_t)``.
    errors : (T,) ndarray
        Weighted errors ``eps_t`` of each stump under the weights it was trained on.
    Z : (T,) ndarray
        Normalisers ``Z_t = sum_i w_i exp(-alpha_t y_i h_t(x_i)) = 2 sqrt(eps_t (1 - eps_t))``.
    train_error : (T,) ndarray
        Training error of the combined classifier after each round; ``<= prod_{s <= t} Z_s``.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]]); y = np.array([-1, 1, 1, -1, -1])
    >>> result = adaboost_fit(X, y, n_rounds=3)
    >>> len(result.stumps), result.train_error.round(2).tolist()
    (3, [0.2, 0.2, 0.0])
    """

    stumps: list
    alphas: np.ndarray
    errors: np.ndarray
    Z: np.ndarray
    train_error: np.ndarray


def adaboost_fit(X, y, n_rounds: int = 50) -> AdaBoostResult:
    """Discrete AdaBoost with decision stumps.

    Defined in :ref:`sec-bagging-boosting` (Eq. :eq:`eq-adaboost`).

    Parameters
    ----------
    X : (N, D) ndarray
    y : (N,) ndarray in {-1, +1}
    n_rounds : int
        T; stops early if a stump is perfect (``eps_t = 0``).

    Returns
    -------
    AdaBoostResult

    Notes
    -----
    Start with ``w_i = 1/N``. For t = 1..T:

    1. fit the stump ``h_t`` with the smallest weighted error ``eps_t``;
    2. ``alpha_t = 1/2 ln((1 - eps_t) / eps_t)``;
    3. ``w_i <- w_i exp(-alpha_t y_i h_t(x_i)) / Z_t``: mistakes gain weight, and afterwards ``h_t`` has
       weighted error exactly 1/2.

    Predict ``sign(sum_t alpha_t h_t(x))``. scikit-learn's SAMME with two classes uses
    ``ln((1 - eps) / eps)``, twice this alpha, which gives the same weights and the same signs.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]]); y = np.array([1, 1, -1, -1, 1])
    >>> ada = adaboost_fit(X, y, n_rounds=3)
    >>> adaboost_predict(ada, X), float(ada.train_error[-1])
    (array([ 1.,  1., -1., -1.,  1.]), 0.0)
    """
    X, y = _check_Xy(X, y)
    T = check_int(n_rounds, "n_rounds")
    N = X.shape[0]
    w = np.full(N, 1.0 / N)                                        # (N,) sample weights
    F = np.zeros(N)                                                # (N,) sum_t alpha_t h_t(x_i)
    stumps, alphas, errors, Z, train_error = [], [], [], [], []
    for _ in range(T):
        stump, eps = fit_stump(X, y, w)
        h = stump.predict(X)                                       # (N,)
        eps_c = min(max(eps, 1e-12), 1 - 1e-12)                    # a perfect stump would give alpha = inf
        alpha = 0.5 * np.log((1 - eps_c) / eps_c)
        w = w * np.exp(-alpha * y * h)
        stumps.append(stump); alphas.append(alpha); errors.append(eps); Z.append(w.sum())
        w = w / w.sum()
        F += alpha * h
        train_error.append(float(np.mean(np.where(F >= 0, 1.0, -1.0) != y)))
        if eps <= 0:
            break
    return AdaBoostResult(stumps, np.array(alphas), np.array(errors), np.array(Z), np.array(train_error))


def adaboost_predict(result: AdaBoostResult, X, n_rounds: int | None = None) -> np.ndarray:
    """AdaBoost's prediction ``sign(sum_{t <= n_rounds} alpha_t h_t(x))`` (ties: +1).

    Defined in :ref:`sec-bagging-boosting` (Eq. :eq:`eq-adaboost`).

    Parameters
    ----------
    result : AdaBoostResult
        The output of :func:`adaboost_fit`.
    X : (N, D) ndarray
        Points to classify.
    n_rounds : int, optional
        Use only the first ``n_rounds`` stumps (all of them by default), to watch the error fall.

    Returns
    -------
    (N,) ndarray of float64
        -1.0 or +1.0 for every point.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]]); y = np.array([-1, 1, 1, -1, -1])
    >>> result = adaboost_fit(X, y, n_rounds=5)
    >>> adaboost_predict(result, X, n_rounds=1), adaboost_predict(result, X)
    (array([ 1.,  1.,  1., -1., -1.]), array([-1.,  1.,  1., -1., -1.]))
    """
    T = len(result.stumps) if n_rounds is None else min(check_int(n_rounds, "n_rounds"), len(result.stumps))
    X = check_array(X, "X", ndim=2, dtype_kind="fiu").astype(np.float64)
    F = np.zeros(X.shape[0])
    for stump, alpha in zip(result.stumps[:T], result.alphas[:T]):
        F += alpha * stump.predict(X)
    return np.where(F >= 0, 1.0, -1.0)
