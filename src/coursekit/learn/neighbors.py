"""k-nearest neighbours: the non-parametric baseline of Chapter 3 (Machine learning recap).

References
----------
T. Cover and P. Hart, "Nearest neighbor pattern classification", IEEE Trans. Inf. Theory 13, 1967.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int
from coursekit.learn.linear import _check_labels, _check_X

__all__ = ["knn_predict"]


def knn_predict(X_train, y_train, X_query, k: int = 5) -> np.ndarray:
    """k-nearest-neighbour classification by majority vote (Euclidean distance).

    Defined in :ref:`sec-knn` (Eq. :eq:`eq-knn`).

    Parameters
    ----------
    X_train : (N, D) ndarray
    y_train : (N,) ndarray of int
    X_query : (Q, D) ndarray
    k : int
        Neighbours that vote, ``1 <= k <= N``.

    Returns
    -------
    (Q,) ndarray of int64
        The most frequent label among the k nearest training points; a tie goes to the smallest label
        (as in ``sklearn.neighbors.KNeighborsClassifier``).

    Notes
    -----
    1. Squared distances ``||q||^2 - 2 q.x + ||x||^2`` for all pairs, a (Q, N) matrix.
    2. ``np.argpartition`` finds the k smallest per row without a full sort.
    3. Count the votes per class and take the argmax.

    Memory is O(Q N): query in chunks for large sets.

    Examples
    --------
    >>> Xt = np.array([[0.0], [1.0], [10.0], [11.0]]); yt = np.array([0, 0, 1, 1])
    >>> knn_predict(Xt, yt, np.array([[0.4], [10.6]]), k=3)
    array([0, 1])
    """
    X_train = _check_X(X_train, "X_train")
    N, D = X_train.shape
    y_train = _check_labels(y_train, N, "y_train")
    X_query = check_array(X_query, "X_query", ndim=2, dtype_kind="fiu", shape=(None, D)).astype(np.float64)
    k = check_int(k, "k")
    if k > N:
        raise ValueError(f"k = {k} is larger than the number of training points N = {N}.")
    d2 = ((X_query ** 2).sum(1)[:, None] - 2.0 * X_query @ X_train.T
          + (X_train ** 2).sum(1)[None, :])                              # (Q, N)
    nn = np.argpartition(d2, k - 1, axis=1)[:, :k]                       # (Q, k) indices of the k nearest
    K = int(y_train.max()) + 1
    votes = np.zeros((X_query.shape[0], K), dtype=np.int64)              # (Q, K)
    np.add.at(votes, (np.repeat(np.arange(X_query.shape[0]), k), y_train[nn].ravel()), 1)
    return np.argmax(votes, axis=1)                                      # first max = smallest label
