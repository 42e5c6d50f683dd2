"""A multilayer perceptron in NumPy with hand-written backpropagation.

Chapter 3 (Machine learning recap), neural-network sections. Each layer is a pair of functions, a forward
pass that keeps what the backward pass needs and a backward pass that turns the gradient of the loss with
respect to the layer's output into gradients with respect to its input and parameters. :class:`MLP` chains
them under the softmax cross-entropy head of :mod:`coursekit.learn.linear`; :func:`numerical_gradient` checks
them by central differences; :func:`sgd_momentum_step` updates the parameters exactly as
``torch.optim.SGD`` does.

References
----------
D. E. Rumelhart, G. E. Hinton and R. J. Williams, "Learning representations by back-propagating errors",
Nature 323, 1986.
X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward neural networks",
AISTATS 2010.
K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers", ICCV 2015.
N. Srivastava et al., "Dropout: a simple way to prevent neural networks from overfitting", JMLR 15, 2014.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import (
    check_array,
    check_choice,
    check_nonnegative,
    check_positive,
    check_rng,
)
from coursekit.learn.linear import (
    softmax_cross_entropy,  # the softmax head of the logistic-regression section
)

__all__ = [
    "ACTIVATIONS", "INIT_SCHEMES", "init_weight", "linear_forward", "linear_backward", "activation_forward",
    "activation_backward", "dropout_forward", "dropout_backward", "MLP", "numerical_gradient",
    "sgd_momentum_step", "mlp_to_torch",
]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "identity")
INIT_SCHEMES = ("zero", "constant", "xavier", "kaiming")


def init_weight(fan_in: int, fan_out: int, scheme: str, rng: np.random.Generator | None = None,
                value: float = 0.1, gain: float = 1.0) -> np.ndarray:
    """A ``(fan_in, fan_out)`` weight matrix drawn by one of the classic initialisation schemes.

    Defined in :ref:`sec-initialisation` (Eq. :eq:`eq-xavier-kaiming`).

    Parameters
    ----------
    fan_in, fan_out : int
        Inputs and outputs of the layer.
    scheme : {"zero", "constant", "xavier", "kaiming"}
        ``zero`` and ``constant`` (every entry ``value``) show the symmetry problem; ``xavier`` draws
        N(0, 2 / (fan_in + fan_out)); ``kaiming`` draws N(0, 2 / fan_in).
    rng : np.random.Generator
        Needed by the random schemes.
    value : float
        The entry of the ``constant`` scheme.
    gain : float
        Multiplies the standard deviation of the random schemes (torch's ``gain`` of ``xavier_normal_``;
        ``torch.nn.init.calculate_gain("tanh")`` is 5/3, which offsets the slope of tanh below 1).

    Returns
    -------
    (fan_in, fan_out) ndarray of float64

    Notes
    -----
    Xavier keeps the variance of activations and of back-propagated gradients equal across a linear
    (or tanh, near 0) layer by averaging the two constraints ``fan_in Var(W) = 1`` and
    ``fan_out Var(W) = 1``. A ReLU zeroes half of its inputs and halves the second moment, so Kaiming
    doubles the variance to ``2 / fan_in``. These are ``torch.nn.init.xavier_normal_`` and
    ``kaiming_normal_(nonlinearity="relu")`` (torch stores the transpose, ``(fan_out, fan_in)``).

    Examples
    --------
    >>> W = init_weight(400, 300, "kaiming", np.random.default_rng(0))
    >>> W.shape, round(float(W.std() * np.sqrt(400 / 2)), 1)
    ((400, 300), 1.0)
    """
    fan_in, fan_out = int(check_positive(fan_in, "fan_in")), int(check_positive(fan_out, "fan_out"))
    scheme = check_choice(scheme, "scheme", INIT_SCHEMES)
    if scheme == "zero":
        return np.zeros((fan_in, fan_out))
    if scheme == "constant":
        return np.full((fan_in, fan_out), float(value))
    std = np.sqrt(2.0 / (fan_in + fan_out)) if scheme == "xavier" else np.sqrt(2.0 / fan_in)
    return check_positive(gain, "gain") * std * check_rng(rng).standard_normal((fan_in, fan_out))


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
    """``dL/dZ = dL/dA * f'(Z)`` for ``A = f(Z)``: f' is 1[z > 0], 1 - a², a (1 - a) or 1.

    Defined in :ref:`sec-backprop` (Eq. :eq:`eq-linear-backward`).
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
    """The gradient flows only through the kept units, scaled like them: ``dX = dY * mask``."""
    return dY * mask


class MLP:
    """A fully connected network ``Linear → act → [dropout] → … → Linear`` with a softmax head.

    Defined in :ref:`sec-backprop` (Eq. :eq:`eq-activation`).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first and classes last, e.g. ``(2, 32, 32, 2)``.
    activation : {"relu", "tanh", "sigmoid", "identity"}
        The hidden non-linearity.
    init : {"zero", "constant", "xavier", "kaiming"}
        How to draw the weights (:func:`init_weight`); biases start at 0.
    rng : np.random.Generator
        For the initial weights.
    dropout : float
        Drop probability after every hidden activation (used only when ``forward`` gets a ``rng`` or masks).

    Attributes
    ----------
    weights : list of (D_l, D_{l+1}) ndarray
    biases : list of (D_{l+1},) ndarray

    Examples
    --------
    >>> net = MLP((2, 8, 3), rng=np.random.default_rng(0))
    >>> loss, grads = net.loss_and_grads(np.ones((5, 2)), np.array([0, 1, 2, 0, 1]))
    >>> [g.shape for g in grads]
    [(2, 8), (8,), (8, 3), (3,)]
    """

    def __init__(self, sizes, activation: str = "relu", init: str = "kaiming",
                 rng: np.random.Generator | None = None, dropout: float = 0.0, init_value: float = 0.1):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least an input and an output width, all >= 1, got {sizes}.")
        self.activation = check_choice(activation, "activation", ACTIVATIONS)
        self.dropout = check_nonnegative(dropout, "dropout")
        if self.dropout >= 1.0:
            raise ValueError(f"dropout must be < 1, got {dropout}.")
        self.sizes = sizes
        self.weights = [init_weight(a, b, init, rng, init_value) for a, b in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.zeros(b) for b in sizes[1:]]
        self._cache = None

    def parameters(self) -> list[np.ndarray]:
        """``[W1, b1, W2, b2, …]`` (the arrays themselves, so an update in place changes the network)."""
        return [p for wb in zip(self.weights, self.biases) for p in wb]

    def forward(self, X: np.ndarray, rng: np.random.Generator | None = None, masks=None) -> np.ndarray:
        """Logits for a batch ``X`` of shape (B, D); dropout is on when ``rng`` or ``masks`` is given.

        The masks actually used are kept in ``self.masks`` (pass them back to repeat the same pass).
        """
        X = check_array(X, "X", ndim=2, dtype_kind="fiu")
        if X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have {self.sizes[0]} features per row, got shape {X.shape}.")
        train = self.dropout > 0 and (rng is not None or masks is not None)
        cache, self.masks = [], []
        A = X.astype(np.float64, copy=False)                   # (B, D_0)
        L = len(self.weights)
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            Z = linear_forward(A, W, b)                        # (B, D_{l+1})
            if l == L - 1:
                cache.append((A, None, None, None))
                A = Z
                break
            F = activation_forward(Z, self.activation)         # (B, D_{l+1}) f(Z), kept for f'
            H, mask = F, None
            if train:
                H, mask = dropout_forward(F, self.dropout, rng, None if masks is None else masks[l])
                self.masks.append(mask)
            cache.append((A, Z, F, mask))
            A = H
        self._cache = cache
        return A                                               # (B, K) logits

    def backward(self, dlogits: np.ndarray) -> list[np.ndarray]:
        """Gradients ``[dW1, db1, dW2, db2, …]`` of the last ``forward`` given ``dL/dlogits``."""
        if self._cache is None:
            raise ValueError("call forward before backward: the backward pass needs the cached activations.")
        grads = []
        dA = dlogits
        for l in range(len(self.weights) - 1, -1, -1):
            A_in, Z, F, mask = self._cache[l]
            if Z is not None:                                  # a hidden layer: back through dropout, then f
                if mask is not None:
                    dA = dropout_backward(dA, mask)
                dA = activation_backward(dA, Z, F, self.activation)
            dA, dW, db = linear_backward(dA, A_in, self.weights[l])
            grads = [dW, db] + grads
        return grads

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray, rng=None, masks=None):
        """Mean softmax cross-entropy on ``(X, y)`` and its gradients, in the order of :meth:`parameters`."""
        loss, dlogits = softmax_cross_entropy(self.forward(X, rng, masks), y)
        return loss, self.backward(dlogits)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class with the largest logit (evaluation: no dropout)."""
        return self.forward(X).argmax(axis=1)


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient ``(f(x + εe_i) - f(x - εe_i)) / 2ε`` of a scalar function, entry by entry.

    Defined in :ref:`sec-gradient-check` (Eq. :eq:`eq-central-difference`).

    Parameters
    ----------
    f : callable
        ``f()`` returns a float and reads ``x`` (which is perturbed in place and restored).
    x : ndarray of float64
        The array to differentiate with respect to.
    eps : float
        The step; the error is O(ε²) from truncation plus O(δ/ε) from round-off δ of ``f``.

    Returns
    -------
    ndarray of float64, shaped like ``x``

    Examples
    --------
    >>> x = np.array([1.0, 2.0])
    >>> np.round(numerical_gradient(lambda: float((x ** 3).sum()), x), 6)
    array([ 3., 12.])
    """
    x = check_array(x, "x", dtype_kind="f")
    eps = check_positive(eps, "eps")
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)              # views: perturb x in place
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so it can be perturbed in place.")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def sgd_momentum_step(params, grads, velocities, lr: float, momentum: float = 0.9,
                      weight_decay: float = 0.0) -> None:
    """One step of SGD with (heavy-ball) momentum, in place, the rule of ``torch.optim.SGD``.

    Defined in :ref:`sec-sgd-momentum` (Eq. :eq:`eq-sgd-momentum`).

    ``g ← g + λ θ``;  ``v ← μ v + g``;  ``θ ← θ - η v`` (on the first step torch sets v = g, the same
    thing when v starts at 0).

    Parameters
    ----------
    params, grads, velocities : lists of ndarray
        Same shapes; ``params`` and ``velocities`` are updated in place. Start velocities at zeros.
    lr, momentum, weight_decay : float
        η > 0, μ in [0, 1), λ >= 0 (an L2 penalty λ/2 ‖θ‖² added to the loss).

    Examples
    --------
    >>> p, v = [np.array([1.0])], [np.zeros(1)]
    >>> sgd_momentum_step(p, [np.array([1.0])], v, lr=0.1); sgd_momentum_step(p, [np.array([1.0])], v, lr=0.1)
    >>> round(float(p[0][0]), 6)
    0.71
    """
    lr = check_positive(lr, "lr")
    momentum = check_nonnegative(momentum, "momentum")
    weight_decay = check_nonnegative(weight_decay, "weight_decay")
    if momentum >= 1.0:
        raise ValueError(f"momentum must be < 1, got {momentum}.")
    if not len(params) == len(grads) == len(velocities):
        raise ValueError(f"params, grads and velocities must be lists of the same length, got "
                         f"{len(params)}, {len(grads)}, {len(velocities)}.")
    for p, g, v in zip(params, grads, velocities):
        if not p.shape == g.shape == v.shape:
            raise ValueError(f"a parameter, its gradient and velocity differ in shape: "
                             f"{p.shape}, {g.shape}, {v.shape}.")
        g = g + weight_decay * p
        v *= momentum
        v += g
        p -= lr * v


def mlp_to_torch(net: MLP, dtype=None):
    """The same network as ``torch.nn.Sequential`` of ``Linear`` and activation modules, weights copied.

    torch's ``Linear`` stores ``W`` as ``(out, in)`` and computes ``x Wᵀ + b``, so each weight is transposed.
    Dropout becomes ``torch.nn.Dropout`` (its masks come from torch's generator, not ours).
    """
    import torch
    from torch import nn

    dtype = dtype or torch.float64
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}[net.activation]
    layers = []
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        lin = nn.Linear(*W.shape, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))      # (out, in)
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if l < len(net.weights) - 1:
            layers.append(act())
            if net.dropout > 0:
                layers.append(nn.Dropout(net.dropout))
    return nn.Sequential(*layers)
