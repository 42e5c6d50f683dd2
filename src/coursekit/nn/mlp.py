"""A multilayer perceptron in NumPy with hand-written backpropagation.

Chapter 3 (Machine learning recap), neural-network sections. Each layer is a pair of functions in
:mod:`coursekit.nn.backprop`, a forward pass that keeps what the backward pass needs and a backward pass that
turns the gradient of the loss with respect to the layer's output into gradients with respect to its input and
parameters. :class:`MLP` chains them under the softmax cross-entropy head of :mod:`coursekit.learn.linear`; :func:`numerical_gradient` checks
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

from typing import NamedTuple

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
from coursekit.nn.backprop import (  # noqa: F401  (the layers, also reachable as coursekit.nn.mlp.<name>)
    ACTIVATIONS,
    activation_backward,
    activation_forward,
    dropout_backward,
    dropout_forward,
    linear_backward,
    linear_forward,
)

__all__ = ["INIT_SCHEMES", "init_weight", "MLPCache", "MLP", "numerical_gradient", "sgd_momentum_step", "mlp_to_torch"]

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


class MLPCache(NamedTuple):
    """What :meth:`MLP.forward` returns for :meth:`MLP.backward`: each layer's input, pre-activation and mask.

    Defined in :ref:`sec-backprop` (Eq. :eq:`eq-linear-backward`).

    Parameters
    ----------
    layers : list of tuple
        Per layer ``(A_in, Z, F, mask)``: its input (B, D_l), pre-activation Z and activation f(Z) (both
        ``None`` for the output layer), and its dropout mask (``None`` without dropout).
    masks : list of ndarray
        The dropout masks used, one per hidden layer (empty in evaluation); pass them back to
        :meth:`MLP.forward` to repeat the same pass, e.g. for a gradient check.

    Examples
    --------
    >>> net = MLP((2, 3, 2), rng=np.random.default_rng(0))
    >>> _, cache = net.forward(np.ones((4, 2)))
    >>> len(cache.layers), cache.masks
    (2, [])
    """

    layers: list
    masks: list


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
        Drop probability after every hidden activation, applied only in ``forward(X, training=True, ...)``.
    init_value : float
        The weight of the ``constant`` scheme.

    Attributes
    ----------
    weights : list of (D_l, D_{l+1}) ndarray
    biases : list of (D_{l+1},) ndarray

    Notes
    -----
    The network keeps no state between passes: :meth:`forward` returns the logits *and* an
    :class:`MLPCache`, which :meth:`backward` takes back. Two forward passes in a row therefore cannot mix
    up their activations, and the training/evaluation switch is an explicit ``training=`` argument.

    Examples
    --------
    >>> net = MLP((2, 8, 3), rng=np.random.default_rng(0))
    >>> logits, cache = net.forward(np.ones((5, 2)))
    >>> grads = net.backward(np.ones((5, 3)) / 5, cache)
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

    def parameters(self) -> list[np.ndarray]:
        """``[W1, b1, W2, b2, …]`` (the arrays themselves, so an update in place changes the network)."""
        return [p for wb in zip(self.weights, self.biases) for p in wb]

    def forward(self, X: np.ndarray, training: bool = False, rng: np.random.Generator | None = None,
                masks=None) -> tuple[np.ndarray, MLPCache]:
        """Logits for a batch ``X`` (B, D) and the cache :meth:`backward` needs.

        With ``training=True`` and ``dropout > 0``, dropout draws new masks from ``rng`` or reuses ``masks``
        (one per hidden layer, e.g. ``cache.masks`` of an earlier pass); in evaluation nothing is dropped.
        """
        X = check_array(X, "X", ndim=2, dtype_kind="fiu")
        if X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have {self.sizes[0]} features per row, got shape {X.shape}.")
        drop = bool(training) and self.dropout > 0
        if not drop and (rng is not None or masks is not None):
            raise ValueError("rng and masks are for dropout: pass training=True to a network with dropout > 0.")
        if drop and rng is None and masks is None:
            raise ValueError("training with dropout needs rng (new masks) or masks (repeat a pass).")
        if masks is not None and len(masks) != len(self.weights) - 1:
            raise ValueError(f"masks must hold one mask per hidden layer ({len(self.weights) - 1}), got {len(masks)}.")
        layers, used = [], []
        A = X.astype(np.float64, copy=False)                   # (B, D_0)
        L = len(self.weights)
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            Z = linear_forward(A, W, b)                        # (B, D_{l+1})
            if l == L - 1:
                layers.append((A, None, None, None))
                A = Z
                break
            F = activation_forward(Z, self.activation)         # (B, D_{l+1}) f(Z), kept for f'
            H, mask = F, None
            if drop:
                H, mask = dropout_forward(F, self.dropout, rng, None if masks is None else masks[l])
                used.append(mask)
            layers.append((A, Z, F, mask))
            A = H
        return A, MLPCache(layers, used)                       # (B, K) logits

    def backward(self, dlogits: np.ndarray, cache: MLPCache) -> list[np.ndarray]:
        """Gradients ``[dW1, db1, dW2, db2, …]`` given ``dL/dlogits`` (B, K) and the cache of that forward pass."""
        if not isinstance(cache, MLPCache) or len(cache.layers) != len(self.weights):
            raise ValueError("cache must be the MLPCache returned by this network's forward pass.")
        dA = check_array(dlogits, "dlogits", ndim=2, dtype_kind="f")
        if dA.shape != (len(cache.layers[0][0]), self.sizes[-1]):
            raise ValueError(f"dlogits must have the shape of the logits, (B, K) = "
                             f"({len(cache.layers[0][0])}, {self.sizes[-1]}), got {dA.shape}.")
        grads = []
        for l in range(len(self.weights) - 1, -1, -1):
            A_in, Z, F, mask = cache.layers[l]
            if Z is not None:                                  # a hidden layer: back through dropout, then f
                if mask is not None:
                    dA = dropout_backward(dA, mask)
                dA = activation_backward(dA, Z, F, self.activation)
            dA, dW, db = linear_backward(dA, A_in, self.weights[l])
            grads = [dW, db] + grads
        return grads

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray, training: bool = False, rng=None, masks=None):
        """Mean softmax cross-entropy on ``(X, y)`` and its gradients, in the order of :meth:`parameters`."""
        logits, cache = self.forward(X, training, rng, masks)
        loss, dlogits = softmax_cross_entropy(logits, y)
        return loss, self.backward(dlogits, cache)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class with the largest logit (evaluation: no dropout)."""
        return self.forward(X)[0].argmax(axis=1)


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

    Notes
    -----
    Two evaluations of ``f`` per entry: use it to check a backward pass on small networks, never to train.
    Compare with a relative error ‖g - g_num‖ / (‖g‖ + ‖g_num‖); ~1e-7 or less means the backward is right.

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

    Parameters
    ----------
    params, grads, velocities : lists of ndarray
        Same shapes; ``params`` and ``velocities`` are updated in place. Start velocities at zeros.
    lr, momentum, weight_decay : float
        η > 0, μ in [0, 1), λ >= 0 (an L2 penalty λ/2 ‖θ‖² added to the loss).

    Returns
    -------
    None
        ``params`` and ``velocities`` change in place.

    Notes
    -----
    ``g ← g + λ θ``;  ``v ← μ v + g``;  ``θ ← θ - η v`` (on the first step torch sets v = g, the same
    thing when v starts at 0).

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
    """The same network as a ``torch.nn.Sequential`` of ``Linear`` and activation modules, weights copied.

    Defined in :ref:`sec-backprop`.

    Parameters
    ----------
    net : MLP
    dtype : torch.dtype, optional
        Of the torch parameters (default float64, to compare gradients with the NumPy network exactly).

    Returns
    -------
    torch.nn.Sequential
        ``Linear, act, [Dropout], …, Linear``, computing the same logits as ``net.forward(X)[0]``.

    Notes
    -----
    torch's ``Linear`` stores ``W`` as ``(out, in)`` and computes ``x Wᵀ + b``, so each weight is transposed.
    The layers are built with ``skip_init`` (no draw from torch's global generator) and then copied. Dropout
    becomes ``torch.nn.Dropout``, whose masks come from torch's generator, not ours.

    Examples
    --------
    >>> import torch
    >>> net = MLP((2, 4, 3), rng=np.random.default_rng(0))
    >>> X = np.ones((5, 2))
    >>> bool(np.allclose(mlp_to_torch(net)(torch.from_numpy(X)).detach().numpy(), net.forward(X)[0]))
    True
    """
    import torch
    from torch import nn

    dtype = dtype or torch.float64
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}[net.activation]
    layers = []
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        lin = nn.utils.skip_init(nn.Linear, *W.shape, dtype=dtype)   # (out, in) storage, not drawn
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))      # (out, in)
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if l < len(net.weights) - 1:
            layers.append(act())
            if net.dropout > 0:
                layers.append(nn.Dropout(net.dropout))
    return nn.Sequential(*layers)
