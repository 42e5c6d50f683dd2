"""L1-regularised regression (the lasso) by iterative soft thresholding (ISTA).

Chapter 3 (regularisation).

References
----------
R. Tibshirani, "Regression shrinkage and selection via the lasso", JRSS-B 58(1), 1996.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int, check_nonnegative
from coursekit.learn.linear import _check_X

__all__ = ["soft_threshold", "lasso_ista"]


def soft_threshold(v, t: float) -> np.ndarray:
    """The proximal operator of ``t ||.||_1``: ``sign(v) max(|v| - t, 0)``.

    Defined in :ref:`sec-l1-l2-regularisation` (Eq. :eq:`eq-ista`).

    Parameters
    ----------
    v : array_like
        Values to shrink.
    t : float
        The threshold, >= 0: values within ``[-t, t]`` become 0, the others move ``t`` towards 0.

    Returns
    -------
    ndarray of float64, shaped like ``v``

    Examples
    --------
    >>> soft_threshold(np.array([-3.0, -0.5, 0.2, 2.0]), 1.0)
    array([-2., -0.,  0.,  1.])
    """
    t = check_nonnegative(t, "t")
    v = np.asarray(v, dtype=np.float64)
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


def lasso_ista(X, y, l1: float, n_iter: int = 1000, lr: float | None = None):
    """The lasso ``1/(2N) ||y - X w||^2 + l1 ||w||_1`` by ISTA (proximal gradient descent).

    Defined in :ref:`sec-l1-l2-regularisation` (Eqs. :eq:`eq-ridge-lasso` and :eq:`eq-ista`).

    Parameters
    ----------
    X : (N, D) ndarray
    y : (N,) ndarray
    l1 : float
        Penalty strength (>= 0); the same as ``sklearn.linear_model.Lasso(alpha=l1, fit_intercept=False)``.
    n_iter : int
    lr : float, optional
        Default ``1 / L`` with ``L = ||X||_2^2 / N``.

    Returns
    -------
    w : (D,) ndarray of float64
        Exact zeros where the penalty wins.
    objective : list of float
        The objective before every step (non-increasing for ``lr <= 1/L``).

    Notes
    -----
    Each step is a gradient step on the smooth part followed by soft thresholding:
    ``w <- S_{lr l1}(w - lr X^T (X w - y) / N)``. Soft thresholding sets small weights to exactly 0, which
    is why L1 selects features; the L2 penalty only shrinks them (:func:`normal_equations` with ``l2``).

    Examples
    --------
    >>> X = np.eye(3) * np.sqrt(3); y = np.array([3.0, 0.3, -2.0]) * np.sqrt(3)
    >>> lasso_ista(X, y, l1=0.5, n_iter=50)[0].round(6)
    array([ 2.5,  0. , -1.5])
    """
    X = _check_X(X)
    N, D = X.shape
    y = check_array(y, "y", ndim=1, dtype_kind="fiu", shape=(N,)).astype(np.float64)
    l1 = check_nonnegative(l1, "l1")
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    lr = 1.0 / (np.linalg.norm(X, 2) ** 2 / N) if lr is None else float(lr)
    w, objective = np.zeros(D), []
    for _ in range(n_iter):
        r = X @ w - y                                                    # (N,) residual
        objective.append(0.5 * (r @ r) / N + l1 * np.abs(w).sum())
        w = soft_threshold(w - lr * (X.T @ r) / N, lr * l1)              # (D,)
    return w, objective
