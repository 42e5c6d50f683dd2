"""Batch normalisation in NumPy: training and evaluation modes, running statistics, backward pass.

Chapter 3 (Machine learning recap), section on batch normalisation. The functions follow
``torch.nn.BatchNorm1d`` on ``(B, C)`` inputs exactly: in training the batch is normalised with its own mean
and *biased* variance, while the running variance is updated with the *unbiased* one; in evaluation the
running statistics are used and the batch does not matter.

References
----------
S. Ioffe and C. Szegedy, "Batch normalization: accelerating deep network training by reducing internal
covariate shift", ICML 2015.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coursekit.core.validation import check_array, check_nonnegative, check_positive

__all__ = ["batchnorm_forward", "batchnorm_backward", "BatchNorm1d"]


def _check_bn(X, gamma, beta):
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    C = X.shape[1]
    check_array(gamma, "gamma", shape=(C,), dtype_kind="fiu")
    check_array(beta, "beta", shape=(C,), dtype_kind="fiu")
    return X


def batchnorm_forward(X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, running_mean: np.ndarray,
                      running_var: np.ndarray, train: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """Batch normalisation of a ``(B, C)`` batch, per feature (channel) C.

    Defined in :ref:`sec-batchnorm` (Eq. :eq:`eq-batchnorm`).

    Parameters
    ----------
    X : (B, C) ndarray of float
    gamma, beta : (C,) ndarray
        Learnable scale and shift.
    running_mean, running_var : (C,) ndarray
        The running statistics (not modified; the updated ones are returned).
    train : bool
        Training mode (batch statistics, update the running ones) or evaluation (running statistics).
    momentum : float
        Weight of the new batch in the running averages, in [0, 1] (torch's convention: 0.1).
    eps : float
        Added to the variance before the square root.

    Returns
    -------
    Y : (B, C) ndarray of float64
        ``gamma * (X - mu) / sqrt(var + eps) + beta``.
    running_mean, running_var : (C,) ndarray of float64
        Updated in training mode; copies of the inputs in evaluation mode.
    cache : tuple
        What :func:`batchnorm_backward` needs.

    Notes
    -----
    1. Training: ``mu = mean_b X``, ``var = mean_b (X - mu)²`` (biased, divide by B).
    2. Normalise ``X̂ = (X - mu) / sqrt(var + eps)``; scale and shift ``Y = gamma X̂ + beta``.
    3. Update ``running_mean ← (1 - m) running_mean + m mu`` and
       ``running_var ← (1 - m) running_var + m var · B / (B - 1)`` (the *unbiased* estimate, as torch does).
    4. Evaluation uses ``running_mean`` and ``running_var`` in step 2 instead: a fixed affine map.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(3.0, 2.0, (64, 4))
    >>> Y, rm, rv, _ = batchnorm_forward(X, np.ones(4), np.zeros(4), np.zeros(4), np.ones(4))
    >>> np.allclose(Y.mean(0), 0), np.allclose(Y.var(0), 1, atol=1e-3)
    (True, True)
    """
    X = _check_bn(X, gamma, beta)
    B, C = X.shape
    check_array(running_mean, "running_mean", shape=(C,), dtype_kind="f")
    check_array(running_var, "running_var", shape=(C,), dtype_kind="f")
    momentum = check_nonnegative(momentum, "momentum")
    if momentum > 1:
        raise ValueError(f"momentum must be in [0, 1], got {momentum}.")
    eps = check_positive(eps, "eps")
    if train:
        if B < 2:
            raise ValueError(f"training-mode batch norm needs at least 2 examples per batch to estimate a "
                             f"variance, got B = {B}; use train=False for single examples.")
        mu = X.mean(axis=0)                                        # (C,)
        var = X.var(axis=0)                                        # (C,) biased: divide by B
        new_mean = (1 - momentum) * running_mean + momentum * mu
        new_var = (1 - momentum) * running_var + momentum * var * B / (B - 1)   # unbiased in the average
    else:
        mu, var = running_mean.astype(np.float64), running_var.astype(np.float64)
        new_mean, new_var = mu.copy(), var.copy()
    inv_std = 1.0 / np.sqrt(var + eps)                             # (C,)
    X_hat = (X - mu) * inv_std                                     # (B, C)
    Y = gamma * X_hat + beta                                       # (B, C)
    return Y, new_mean, new_var, (X_hat, inv_std, np.asarray(gamma, np.float64), train)


def batchnorm_backward(dY: np.ndarray, cache):
    """Gradients of :func:`batchnorm_forward` given ``dY = dL/dY``.

    Defined in :ref:`sec-batchnorm` (Eq. :eq:`eq-batchnorm-backward`).

    Parameters
    ----------
    dY : (B, C) ndarray of float
        Gradient of the loss with respect to the layer's output.
    cache : tuple
        The fourth output of :func:`batchnorm_forward` (normalised input, inverse std, gamma, mode).

    Returns
    -------
    dX : (B, C) ndarray
    dgamma, dbeta : (C,) ndarray

    Notes
    -----
    In training mode the mean and variance depend on every example, so the gradient of one input
    involves the whole batch:
    ``dX = (gamma · inv_std / B) · (B dY - Σ_b dY - X̂ Σ_b dY X̂)`` per channel, where the two sums are
    ``dbeta`` and ``dgamma``. In evaluation mode the layer is a fixed affine map, ``dX = gamma · inv_std · dY``.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(8, 3))
    >>> _, _, _, cache = batchnorm_forward(X, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
    >>> dX, dgamma, dbeta = batchnorm_backward(np.ones((8, 3)), cache)
    >>> bool(np.abs(dX).max() < 1e-12), dbeta    # a constant shift of Y is undone by the batch mean
    (True, array([8., 8., 8.]))
    """
    X_hat, inv_std, gamma, train = cache
    dY = check_array(dY, "dY", shape=X_hat.shape, dtype_kind="f")
    B = X_hat.shape[0]
    dbeta = dY.sum(axis=0)                                         # (C,)
    dgamma = (dY * X_hat).sum(axis=0)                              # (C,)
    if not train:
        return gamma * inv_std * dY, dgamma, dbeta
    dX = (gamma * inv_std / B) * (B * dY - dbeta - X_hat * dgamma)  # (B, C)
    return dX, dgamma, dbeta


@dataclass
class BatchNorm1d:
    """A stateful batch-norm layer (``torch.nn.BatchNorm1d`` with ``affine=True``) around the functions.

    Parameters
    ----------
    num_features : int
        C, the number of features (columns) normalised.
    momentum : float
        Weight m of the newest batch in the running averages, in [0, 1].
    eps : float
        Added to the variance before the square root.
    training : bool
        Batch statistics (True) or the running averages (False).

    Attributes
    ----------
    gamma, beta : (C,) ndarray of float64
        The learnable scale and shift (ones and zeros at first).
    running_mean, running_var : (C,) ndarray of float64
        The running averages used in evaluation mode.

    Examples
    --------
    >>> bn = BatchNorm1d(3)
    >>> _ = bn(np.random.default_rng(0).normal(size=(8, 3)))
    >>> bn.running_var.shape, bn.training
    ((3,), True)
    """

    num_features: int
    momentum: float = 0.1
    eps: float = 1e-5
    training: bool = True
    gamma: np.ndarray = field(init=False)
    beta: np.ndarray = field(init=False)
    running_mean: np.ndarray = field(init=False)
    running_var: np.ndarray = field(init=False)

    def __post_init__(self):
        C = int(check_positive(self.num_features, "num_features"))
        self.gamma, self.beta = np.ones(C), np.zeros(C)
        self.running_mean, self.running_var = np.zeros(C), np.ones(C)
        self._cache = None

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """Normalise a ``(B, C)`` batch, updating the running averages in training mode."""
        Y, self.running_mean, self.running_var, self._cache = batchnorm_forward(
            X, self.gamma, self.beta, self.running_mean, self.running_var, self.training, self.momentum, self.eps)
        return Y

    def backward(self, dY: np.ndarray):
        """``(dX, dgamma, dbeta)`` of the last call."""
        if self._cache is None:
            raise ValueError("call the layer on a batch before backward.")
        return batchnorm_backward(dY, self._cache)
