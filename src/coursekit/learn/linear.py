"""Linear models: least squares, logistic and softmax regression, L1 vs L2 regularisation.

Chapter 3 (Machine learning recap), classical half. Every model is fitted from scratch with NumPy:
least squares by its closed form (the normal equations), logistic and softmax regression by full-batch
gradient descent on the cross-entropy, the lasso by proximal gradient steps (soft thresholding).

References
----------
D. R. Cox, "The regression analysis of binary sequences", J. R. Stat. Soc. B 20, 1958.
R. Tibshirani, "Regression shrinkage and selection via the lasso", J. R. Stat. Soc. B 58, 1996.
I. Daubechies, M. Defrise and C. De Mol, "An iterative thresholding algorithm for linear inverse
problems with a sparsity constraint", Comm. Pure Appl. Math. 57, 2004 (ISTA).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coursekit.core.numerics import sigmoid, softmax
from coursekit.core.validation import check_array, check_int, check_nonnegative

__all__ = [
    "normal_equations", "sigmoid", "logistic_loss_grad", "ce_vs_mse", "LinearClassifier",
    "fit_logistic_regression", "softmax", "softmax_cross_entropy", "fit_softmax_regression",
]


def _check_X(X, name: str = "X") -> np.ndarray:
    X = check_array(X, name, ndim=2, dtype_kind="fiu")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape}); expected (N, D) with N, D >= 1.")
    return X.astype(np.float64, copy=False)


def _check_labels(y, N: int, name: str = "y", n_classes: int | None = None) -> np.ndarray:
    y = check_array(y, name, ndim=1, dtype_kind="iub", shape=(N,))
    if y.size and y.min() < 0:
        raise ValueError(f"{name} must hold class indices 0..K-1, got a negative label {y.min()}.")
    if n_classes is not None and y.size and y.max() >= n_classes:
        raise ValueError(f"{name} has label {y.max()}, but there are only {n_classes} classes (0..{n_classes - 1}).")
    return y.astype(np.int64)


def normal_equations(X, y, l2: float = 0.0) -> np.ndarray:
    """Least squares (optionally ridge) by its closed form, the normal equations.

    Defined in :ref:`sec-least-squares` (Eq. :eq:`eq-ridge-normal-equations`).

    Minimises ``1/(2N) ||y - X w||^2 + (l2 / 2) ||w||^2``, whose gradient vanishes where
    ``(X^T X + N l2 I) w = X^T y``.

    Parameters
    ----------
    X : (N, D) ndarray
        Design matrix; add a column of ones yourself for an intercept.
    y : (N,) ndarray
        Targets.
    l2 : float
        Ridge strength (>= 0). ``l2 = 0`` needs ``X`` of full column rank.

    Returns
    -------
    w : (D,) ndarray of float64

    Notes
    -----
    Solves the D×D system with ``np.linalg.solve`` (never an explicit inverse). Forming ``X^T X`` squares
    the condition number of ``X``; ``np.linalg.lstsq`` (an SVD) is the stable choice for ill-conditioned
    designs. The same ``w`` is ``sklearn.linear_model.Ridge(alpha=N * l2, fit_intercept=False)``.

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> normal_equations(X, np.array([1.0, 3.0, 5.0])).round(6)
    array([1., 2.])
    """
    X = _check_X(X)
    N, D = X.shape
    y = check_array(y, "y", ndim=1, dtype_kind="fiu", shape=(N,)).astype(np.float64)
    l2 = check_nonnegative(l2, "l2")
    A = X.T @ X + N * l2 * np.eye(D)                      # (D, D)
    if l2 == 0 and np.linalg.matrix_rank(A) < D:
        raise ValueError(f"X^T X is singular (X has rank {np.linalg.matrix_rank(X)} < D = {D}); "
                         "remove duplicate columns, use l2 > 0, or use np.linalg.lstsq.")
    return np.linalg.solve(A, X.T @ y)                    # (D,)


def logistic_loss_grad(w, b: float, X, y, l2: float = 0.0):
    """Mean binary cross-entropy of logistic regression and its gradient.

    Defined in :ref:`sec-logistic-regression` (Eq. :eq:`eq-logistic-loss`).

    ``L = 1/N sum_i [log(1 + e^{z_i}) - y_i z_i] + (l2/2) ||w||^2`` with ``z = X w + b``;
    ``dL/dw = X^T (sigmoid(z) - y) / N + l2 w`` and ``dL/db = mean(sigmoid(z) - y)``.

    Parameters
    ----------
    w : (D,) ndarray
    b : float
        Intercept (not penalised).
    X : (N, D) ndarray
    y : (N,) ndarray of int in {0, 1}
    l2 : float

    Returns
    -------
    loss : float
    grad_w : (D,) ndarray of float64
    grad_b : float

    Notes
    -----
    ``log(1 + e^z) - y z`` equals ``-y log p - (1 - y) log(1 - p)`` with ``p = sigmoid(z)`` and is computed
    with ``np.logaddexp`` so that confident mistakes give a large finite loss, not ``inf``.

    Examples
    --------
    >>> loss, gw, gb = logistic_loss_grad(np.zeros(2), 0.0, np.eye(2), np.array([1, 0]))
    >>> round(loss, 6), gw, gb
    (0.693147, array([-0.25,  0.25]), 0.0)
    """
    X = _check_X(X)
    N, D = X.shape
    w = check_array(w, "w", ndim=1, dtype_kind="fiu", shape=(D,)).astype(np.float64)
    y = _check_labels(y, N, n_classes=2).astype(np.float64)
    l2 = check_nonnegative(l2, "l2")
    z = X @ w + b                                          # (N,) logits
    loss = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * l2 * (w @ w)
    r = sigmoid(z) - y                                     # (N,) p - y
    return float(loss), X.T @ r / N + l2 * w, float(r.mean())


def ce_vs_mse(z, y):
    """Loss and gradient w.r.t. the logit of cross-entropy and of squared error on ``sigmoid(z)``.

    Defined in :ref:`sec-logistic-regression` (Eq. :eq:`eq-ce-vs-mse-gradient`).

    Parameters
    ----------
    z : (N,) ndarray
        Logits.
    y : (N,) ndarray in {0, 1}
        Targets.

    Returns
    -------
    ce, mse, dce, dmse : (N,) ndarrays of float64
        ``ce = log(1 + e^z) - y z``, ``mse = (p - y)^2``, ``dce = p - y``, ``dmse = 2 (p - y) p (1 - p)``.

    Notes
    -----
    The factor ``p (1 - p)`` of the squared-error gradient is at most 1/4 and vanishes when the model is
    confidently *wrong* (``z -> -inf`` for ``y = 1``), so gradient descent stalls exactly where it should move
    fastest; ``mse`` as a function of ``z`` is also non-convex (it flattens into a plateau). Cross-entropy
    cancels the factor: its gradient ``p - y`` tends to -1 for a confident mistake.

    Examples
    --------
    >>> ce, mse, dce, dmse = ce_vs_mse(np.array([-10.0]), np.array([1.0]))
    >>> round(float(dce[0]), 4), round(float(dmse[0]), 6)
    (-1.0, -9.1e-05)
    """
    z = check_array(np.asarray(z, dtype=np.float64), "z", ndim=1)
    y = check_array(np.asarray(y, dtype=np.float64), "y", ndim=1, shape=z.shape)
    p = sigmoid(z)                                         # (N,)
    return np.logaddexp(0.0, z) - y * z, (p - y) ** 2, p - y, 2.0 * (p - y) * p * (1.0 - p)


@dataclass
class LinearClassifier:
    """A fitted linear classifier: logits ``X @ W + b``.

    Attributes
    ----------
    W : (D,) or (D, K) ndarray of float64
        Weights (a vector for logistic regression, one column per class for softmax regression).
    b : float or (K,) ndarray
        Intercept(s).
    losses : list of float
        The training loss before every gradient step.

    Examples
    --------
    >>> model = LinearClassifier(W=np.array([1.0, -1.0]), b=0.0)
    >>> model.decision_function(np.array([[2.0, 1.0], [0.0, 3.0]])), model.predict(np.array([[2.0, 1.0]]))
    (array([ 1., -3.]), array([1]))
    """

    W: np.ndarray
    b: np.ndarray | float
    losses: list = field(default_factory=list)

    def decision_function(self, X) -> np.ndarray:
        """Logits: ``(N,)`` for a binary model, ``(N, K)`` for a softmax model."""
        return _check_X(X) @ self.W + self.b

    def predict(self, X) -> np.ndarray:
        """Predicted class indices, ``(N,)`` int64."""
        z = self.decision_function(X)
        return (z > 0).astype(np.int64) if z.ndim == 1 else np.argmax(z, axis=1)


def fit_logistic_regression(X, y, l2: float = 0.0, n_iter: int = 2000, lr: float | None = None,
                            fit_intercept: bool = True) -> LinearClassifier:
    """Binary logistic regression by full-batch gradient descent on the mean cross-entropy.

    Defined in :ref:`sec-logistic-regression` (Eq. :eq:`eq-logistic-loss`).

    Parameters
    ----------
    X : (N, D) ndarray
    y : (N,) ndarray of int in {0, 1}
    l2 : float
        Penalty ``(l2/2) ||w||^2`` (the intercept is not penalised). scikit-learn's
        ``LogisticRegression(C=C)`` minimises the same objective with ``l2 = 1 / (C N)``.
    n_iter : int
        Gradient steps.
    lr : float, optional
        Step size; by default ``1 / L`` with ``L = ||[X, 1]||_2^2 / (4 N) + l2``, the Lipschitz constant
        of the gradient, for which gradient descent never increases the loss.
    fit_intercept : bool

    Returns
    -------
    LinearClassifier
        ``W`` of shape (D,), scalar ``b``, and the loss history.

    Notes
    -----
    1. ``z = X w + b``, ``p = sigmoid(z)``.
    2. ``w <- w - lr (X^T (p - y) / N + l2 w)``, ``b <- b - lr mean(p - y)``.

    Examples
    --------
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]]); y = np.array([0, 0, 1, 1])
    >>> fit_logistic_regression(X, y, l2=0.1).predict(X)
    array([0, 0, 1, 1])
    """
    X = _check_X(X)
    N, D = X.shape
    y = _check_labels(y, N, n_classes=2)
    l2 = check_nonnegative(l2, "l2")
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    Xa = np.hstack([X, np.ones((N, 1))]) if fit_intercept else X       # (N, D+1) or (N, D)
    if lr is None:
        lr = 1.0 / (np.linalg.norm(Xa, 2) ** 2 / (4 * N) + l2)
    lr = float(lr)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}.")
    w, b, losses = np.zeros(D), 0.0, []
    for _ in range(n_iter):
        loss, gw, gb = logistic_loss_grad(w, b, X, y, l2)
        losses.append(loss)
        w = w - lr * gw
        if fit_intercept:
            b = b - lr * gb
    return LinearClassifier(W=w, b=b, losses=losses)


def softmax_cross_entropy(Z, y):
    """Mean cross-entropy of softmax probabilities and its gradient ``(P - Y) / B`` w.r.t. the logits.

    Defined in :ref:`sec-softmax-regression` (Eq. :eq:`eq-softmax-cross-entropy`).

    Parameters
    ----------
    Z : (B, K) ndarray
        Logits.
    y : (B,) ndarray of int
        Class indices in ``0..K-1``.

    Returns
    -------
    loss : float
        ``-1/B sum_i log softmax(Z_i)_{y_i}``.
    dZ : (B, K) ndarray of float64
        Gradient of ``loss`` with respect to ``Z``: ``(softmax(Z) - onehot(y)) / B``.

    Notes
    -----
    ``log softmax(z)_k = z_k - logsumexp(z)`` is computed with the max subtracted, so logits of size 1000
    give finite answers. The same values as ``torch.nn.functional.cross_entropy`` (reduction="mean").

    Examples
    --------
    >>> loss, dZ = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    >>> round(loss, 6), dZ[0]
    (1.386294, array([-0.375,  0.125,  0.125,  0.125]))
    """
    Z = check_array(Z, "Z", ndim=2, dtype_kind="fiu").astype(np.float64)
    B, K = Z.shape
    y = _check_labels(y, B, n_classes=K)
    m = Z.max(axis=1, keepdims=True)                                     # (B, 1)
    log_P = Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True))     # (B, K) log-softmax
    loss = -log_P[np.arange(B), y].mean()
    dZ = np.exp(log_P)                                                   # (B, K) P
    dZ[np.arange(B), y] -= 1.0                                           # P - Y
    return float(loss), dZ / B


def fit_softmax_regression(X, y, n_classes: int | None = None, l2: float = 0.0, n_iter: int = 1000,
                           lr: float | None = None) -> LinearClassifier:
    """Multinomial (softmax) logistic regression by full-batch gradient descent.

    Defined in :ref:`sec-softmax-regression` (Eq. :eq:`eq-softmax-cross-entropy`).

    Parameters
    ----------
    X : (N, D) ndarray
    y : (N,) ndarray of int in ``0..K-1``
    n_classes : int, optional
        K; default ``y.max() + 1``.
    l2 : float
        Penalty ``(l2/2) ||W||_F^2`` (intercepts not penalised); sklearn's multinomial
        ``LogisticRegression(C=C)`` has ``l2 = 1 / (C N)``.
    n_iter : int
    lr : float, optional
        Default ``1 / L``, ``L = ||[X, 1]||_2^2 / (2 N) + l2`` (the softmax Hessian has eigenvalues <= 1/2).

    Returns
    -------
    LinearClassifier
        ``W`` of shape (D, K), ``b`` of shape (K,).

    Notes
    -----
    The gradient is the chain rule through Eq. :eq:`eq-softmax-cross-entropy`: ``dW = X^T (P - Y) / N + l2 W``, ``db = mean(P - Y)``.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]]); y = np.array([0, 1, 2])
    >>> fit_softmax_regression(X, y, l2=0.01).predict(X)
    array([0, 1, 2])
    """
    X = _check_X(X)
    N, D = X.shape
    y = _check_labels(y, N)
    K = int(y.max()) + 1 if n_classes is None else check_int(n_classes, "n_classes", minimum=2)
    y = _check_labels(y, N, n_classes=K)
    l2 = check_nonnegative(l2, "l2")
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    if lr is None:
        lr = 1.0 / (np.linalg.norm(np.hstack([X, np.ones((N, 1))]), 2) ** 2 / (2 * N) + l2)
    W, b, losses = np.zeros((D, K)), np.zeros(K), []
    for _ in range(n_iter):
        loss, dZ = softmax_cross_entropy(X @ W + b, y)                   # dZ (N, K) already / N
        losses.append(loss + 0.5 * l2 * np.sum(W * W))
        W = W - lr * (X.T @ dZ + l2 * W)                                 # (D, K)
        b = b - lr * dZ.sum(axis=0)                                      # (K,)
    return LinearClassifier(W=W, b=b, losses=losses)


