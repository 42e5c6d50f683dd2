"""The shared numerics of the book: sigmoid, softmax, log-softmax, logsumexp and one-hot encoding.

Every chapter that needs one of these imports it from here, so there is exactly one numerically stable
version of each. NumPy only; the PyTorch chapters use ``torch.sigmoid`` / ``torch.softmax``, against which
these are tested.

Dtype rule: float32 and float64 inputs keep their dtype; integer and bool inputs are computed in float64.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["sigmoid", "softmax", "log_softmax", "logsumexp", "one_hot"]


def _as_float(x) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind == "c" or x.dtype.kind not in "biuf":
        raise ValueError(f"expected real numbers, got an array of dtype {x.dtype}.")
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)


def sigmoid(z) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, without overflow for large ``|z|``.

    Defined in :ref:`sec-logistic-regression` (Eq. :eq:`eq-sigmoid`).

    Parameters
    ----------
    z : array_like of real
        Any shape.

    Returns
    -------
    ndarray
        Same shape; float32 for float32 input, else float64. Values in ``[0, 1]``.

    Examples
    --------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    z = _as_float(z)
    e = np.exp(-np.abs(z))                                # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def logsumexp(Z, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """``log sum_k exp(z_k)``, computed as ``m + log sum_k exp(z_k - m)`` with ``m = max_k z_k``.

    Parameters
    ----------
    Z : array_like of real
        Any shape.
    axis : int
        The axis to reduce.
    keepdims : bool
        Keep the reduced axis with length 1.

    Returns
    -------
    ndarray
        ``Z``'s shape without ``axis`` (or with length 1 there, if ``keepdims``).

    Examples
    --------
    >>> round(float(logsumexp(np.array([1000.0, 1000.0])) - 1000.0), 6)  # log 2, no overflow
    0.693147
    """
    Z = _as_float(Z)
    m = Z.max(axis=axis, keepdims=True)                   # the largest term of each row
    out = m + np.log(np.exp(Z - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(Z, axis: int = -1) -> np.ndarray:
    """``softmax(z)_k = e^{z_k - max z} / sum_j e^{z_j - max z}``: the max is subtracted so nothing overflows.

    Defined in :ref:`sec-softmax-regression` (Eq. :eq:`eq-softmax`).

    Parameters
    ----------
    Z : array_like of real
        Logits, any shape.
    axis : int
        The axis over which the probabilities sum to 1.

    Returns
    -------
    ndarray
        Same shape as ``Z``.

    Examples
    --------
    >>> softmax(np.array([[1000.0, 1000.0]]))
    array([[0.5, 0.5]])
    """
    Z = _as_float(Z)
    E = np.exp(Z - Z.max(axis=axis, keepdims=True))        # same shape, every entry in (0, 1]
    return E / E.sum(axis=axis, keepdims=True)


def log_softmax(Z, axis: int = -1) -> np.ndarray:
    """``log softmax(z)_k = z_k - logsumexp(z)``, finite even where ``softmax`` underflows to 0.

    Parameters
    ----------
    Z : array_like of real
        Logits, any shape.
    axis : int
        The class axis.

    Returns
    -------
    ndarray
        Same shape as ``Z``; every entry ``<= 0``.

    Examples
    --------
    >>> log_softmax(np.array([0.0, -1000.0])).round(3).tolist()
    [0.0, -1000.0]
    """
    Z = _as_float(Z)
    return Z - logsumexp(Z, axis=axis, keepdims=True)


def one_hot(y, K: int) -> np.ndarray:
    """Rows of the ``K × K`` identity picked by the labels: ``Y[i, y_i] = 1``.

    Parameters
    ----------
    y : (N,) array_like of int
        Class indices in ``0 .. K-1``.
    K : int
        Number of classes.

    Returns
    -------
    (N, K) ndarray of float64

    Examples
    --------
    >>> one_hot(np.array([2, 0]), 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    if isinstance(K, bool) or not isinstance(K, numbers.Integral) or K < 1:
        raise ValueError(f"K must be an integer >= 1, got {K!r}.")
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise ValueError(f"y must be a 1-D array of integer labels, got shape {y.shape} and dtype {y.dtype}.")
    if y.size and (y.min() < 0 or y.max() >= K):
        raise ValueError(f"labels must lie in 0..{K - 1}, got values in [{y.min()}, {y.max()}].")
    Y = np.zeros((y.size, int(K)))
    Y[np.arange(y.size), y] = 1.0
    return Y
