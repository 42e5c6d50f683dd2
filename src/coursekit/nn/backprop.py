"""The layers of a multilayer perceptron as forward/backward function pairs in NumPy.

Affine, activation and inverted dropout.

Chapter 3 (Machine learning recap), section on backpropagation. Each forward pass returns what its backward
pass needs; each backward pass turns the gradient of the loss with respect to the layer's output into the
gradients with respect to its input (and parameters). :class:`coursekit.nn.mlp.MLP` chains them.

References
----------
D. E. Rumelhart, G. E. Hinton and R. J. Williams, "Learning representations by back-propagating errors",
Nature 323, 1986.
N. Srivastava et al., "Dropout: a simple way to prevent neural networks from overfitting", JMLR 15, 2014.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_choice, check_nonnegative, check_rng

__all__ = [
    "ACTIVATIONS", "linear_forward", "linear_backward", "activation_forward", "activation_backward",
    "dropout_forward", "dropout_backward",
]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "identity")


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """An affine layer ``Y = X W + b``.

    Defined in :ref:`sec-backprop` (Eq. :eq:`eq-linear-layer`).

    Parameters
    ----------
    X : (B, D) ndarray
        A batch of B inputs with D features.
    W : (D, C) ndarray
    b : (C,) ndarray

    Returns
    -------
    (B, C) ndarray

    Notes
    -----
    Rows are examples: one matrix product maps the whole batch (torch's ``Linear`` stores ``Wᵀ``).

    Examples
    --------
    >>> linear_forward(np.ones((2, 3)), np.ones((3, 4)), np.arange(4.0))
    array([[3., 4., 5., 6.],
           [3., 4., 5., 6.]])
    """
    return X @ W + b                                       # (B, C)


def linear_backward(dY: np.ndarray, X: np.ndarray, W: np.ndarray):
    """Gradients of an affine layer given the upstream gradient ``dY = dL/dY``.

    Defined in :ref:`sec-backprop` (Eq. :eq:`eq-linear-backward`).

    Parameters
    ----------
    dY : (B, C) ndarray
        Gradient of the loss with respect to the layer's output.
    X : (B, D) ndarray
        The layer's input (kept from the forward pass).
    W : (D, C) ndarray

    Returns
    -------
    dX : (B, D) ndarray
        ``dY Wᵀ``, sent on to the layer below.
    dW : (D, C) ndarray
        ``Xᵀ dY``: each example's outer product ``x dyᵀ``, summed over the batch.
    db : (C,) ndarray
        ``dY`` summed over the batch (the bias is added to every row).

    Notes
    -----
    From ``Y = X W + b`` and the chain rule entry by entry; the shapes check the algebra: each gradient has
    the shape of the thing it differentiates.

    Examples
    --------
    >>> X, W, dY = np.ones((4, 3)), np.ones((3, 2)), np.ones((4, 2))
    >>> [g.shape for g in linear_backward(dY, X, W)]
    [(4, 3), (3, 2), (2,)]
    """
    return dY @ W.T, X.T @ dY, dY.sum(axis=0)              # (B, D), (D, C), (C,)


def activation_forward(Z: np.ndarray, kind: str) -> np.ndarray:
    """An element-wise non-linearity: ``relu`` max(0, z), ``tanh``, ``sigmoid`` 1/(1+e^-z) or ``identity``.

    Defined in :ref:`sec-backprop` (Eq. :eq:`eq-activation`).

    Parameters
    ----------
    Z : ndarray
        Pre-activations.
    kind : {"relu", "tanh", "sigmoid", "identity"}

    Returns
    -------
    ndarray, the shape of ``Z``

    Notes
    -----
    The sigmoid is computed as ``(1 + tanh(z/2)) / 2``, which never overflows.

    Examples
    --------
    >>> activation_forward(np.array([-1.0, 0.0, 2.0]), "relu")
    array([0., 0., 2.])
    """
    kind = check_choice(kind, "activation", ACTIVATIONS)
    if kind == "relu":
        return np.maximum(Z, 0.0)
    if kind == "tanh":
        return np.tanh(Z)
    if kind == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * Z))              # = 1 / (1 + e^-z), without overflow
    return Z


def activation_backward(dA: np.ndarray, Z: np.ndarray, A: np.ndarray, kind: str) -> np.ndarray:
    """The gradient through an activation, ``dL/dZ = dL/dA * f'(Z)`` for ``A = f(Z)``.

    Defined in :ref:`sec-backprop` (Eq. :eq:`eq-linear-backward`).

    Parameters
    ----------
    dA : ndarray
        ``dL/dA``, the upstream gradient.
    Z, A : ndarray
        The pre-activation and the activation kept from the forward pass (shape of ``dA``).
    kind : {"relu", "tanh", "sigmoid", "identity"}

    Returns
    -------
    ndarray, the shape of ``dA``

    Notes
    -----
    f' is 1[z > 0] (ReLU; 0 at z = 0, as torch), 1 - a² (tanh), a (1 - a) (sigmoid) or 1: written with the
    forward output ``A`` where that is cheaper than recomputing from ``Z``.

    Examples
    --------
    >>> Z = np.array([-1.0, 2.0])
    >>> activation_backward(np.ones(2), Z, activation_forward(Z, "relu"), "relu")
    array([0., 1.])
    """
    kind = check_choice(kind, "activation", ACTIVATIONS)
    if kind == "relu":
        return dA * (Z > 0)
    if kind == "tanh":
        return dA * (1.0 - A ** 2)
    if kind == "sigmoid":
        return dA * A * (1.0 - A)
    return dA


def dropout_forward(X: np.ndarray, p: float, rng: np.random.Generator | None = None,
                    mask: np.ndarray | None = None):
    """Inverted dropout: zero each unit with probability ``p`` and scale the survivors by 1/(1 - p).

    Defined in :ref:`sec-dropout` (Eq. :eq:`eq-dropout`).

    Parameters
    ----------
    X : ndarray
        Activations.
    p : float
        Drop probability in [0, 1).
    rng : np.random.Generator, optional
        Draws a new mask (training).
    mask : ndarray, optional
        A mask of 0 and 1/(1 - p) of the shape of ``X`` to reuse (e.g. for a gradient check).

    Returns
    -------
    Y : ndarray
        ``X * mask``.
    mask : ndarray of float64
        The scaled mask; ``E[mask] = 1`` so ``E[Y] = X`` and evaluation needs no rescaling.

    Notes
    -----
    "Inverted" dropout rescales during training, so evaluation uses the network as it is.

    Examples
    --------
    >>> Y, m = dropout_forward(np.ones((1000, 100)), 0.5, np.random.default_rng(0))
    >>> sorted(set(m.ravel().tolist())), round(float(Y.mean()), 1)
    ([0.0, 2.0], 1.0)
    """
    p = check_nonnegative(p, "p")
    if p >= 1.0:
        raise ValueError(f"the drop probability p must be < 1 (p = 1 drops everything), got {p}.")
    if mask is None:
        keep = check_rng(rng).random(X.shape) >= p        # keep with probability 1 - p
        mask = keep / (1.0 - p)
    elif mask.shape != X.shape:
        raise ValueError(f"mask must have the shape of X, {X.shape}, got {mask.shape}.")
    return X * mask, mask


def dropout_backward(dY: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The gradient through inverted dropout, ``dX = dY * mask``: only kept units pass it on, scaled like them.

    Defined in :ref:`sec-dropout` (Eq. :eq:`eq-dropout`).

    Parameters
    ----------
    dY : ndarray
        The upstream gradient.
    mask : ndarray of float64
        The mask :func:`dropout_forward` returned (0 or 1/(1 - p)), shape of ``dY``.

    Returns
    -------
    ndarray, the shape of ``dY``

    Notes
    -----
    The mask is a constant of the forward pass: Y = X · mask, so dY/dX = mask.

    Examples
    --------
    >>> dropout_backward(np.ones(3), np.array([0.0, 2.0, 2.0]))
    array([0., 2., 2.])
    """
    return dY * mask
