"""Recurrent networks in NumPy: the vanilla RNN cell, the LSTM cell, unrolled sequences, gradients through time.

Chapter 3 (Machine learning recap), section on recurrent networks. Weights use torch's layout so they can be
copied from ``torch.nn.RNN`` / ``torch.nn.LSTM`` unchanged: ``W_ih`` is ``(G·H, D)``, ``W_hh`` is ``(G·H, H)``
and there are two biases ``b_ih``, ``b_hh`` of length ``G·H``, with G = 1 for the RNN and G = 4 for the
LSTM, whose gates are stacked in the order **i, f, g, o** (input, forget, cell candidate, output).

References
----------
J. L. Elman, "Finding structure in time", Cognitive Science 14, 1990.
Y. Bengio, P. Simard and P. Frasconi, "Learning long-term dependencies with gradient descent is
difficult", IEEE Trans. Neural Networks 5, 1994.
S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural Computation 9, 1997.
F. A. Gers, J. Schmidhuber and F. Cummins, "Learning to forget: continual prediction with LSTM", 2000.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.numerics import sigmoid
from coursekit.core.validation import check_array

__all__ = [
    "sigmoid", "rnn_cell_forward", "lstm_cell_forward", "rnn_forward", "lstm_forward",
    "rnn_state_jacobian_norms", "params_from_torch", "input_gradient_norms",
]


def _check_cell(x, h, W_ih, W_hh, b_ih, b_hh, gates: int):
    x = check_array(x, "x", ndim=2, dtype_kind="f")
    h = check_array(h, "h", ndim=2, dtype_kind="f")
    B, D = x.shape
    H = h.shape[1]
    if h.shape[0] != B:
        raise ValueError(f"x and h must have the same batch size, got {x.shape} and {h.shape}.")
    check_array(W_ih, "W_ih", shape=(gates * H, D), dtype_kind="f")
    check_array(W_hh, "W_hh", shape=(gates * H, H), dtype_kind="f")
    check_array(b_ih, "b_ih", shape=(gates * H,), dtype_kind="f")
    check_array(b_hh, "b_hh", shape=(gates * H,), dtype_kind="f")
    return H


def rnn_cell_forward(x, h, W_ih, W_hh, b_ih, b_hh) -> np.ndarray:
    """One step of an Elman RNN: ``h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`` (``torch.nn.RNNCell``).

    Defined in :ref:`sec-rnn-lstm` (Eq. :eq:`eq-rnn-cell`).

    Parameters
    ----------
    x : (B, D) ndarray of float
        Inputs at this time step.
    h : (B, H) ndarray of float
        Previous hidden state.
    W_ih : (H, D), W_hh : (H, H), b_ih : (H,), b_hh : (H,) ndarray of float

    Returns
    -------
    (B, H) ndarray
        The new hidden state.

    Examples
    --------
    >>> import torch
    >>> cell = torch.nn.RNNCell(2, 3).double()
    >>> h = rnn_cell_forward(np.ones((1, 2)), np.zeros((1, 3)), *params_from_torch(cell))
    >>> np.allclose(h, cell(torch.ones(1, 2, dtype=torch.float64)).detach().numpy())
    True
    """
    _check_cell(x, h, W_ih, W_hh, b_ih, b_hh, 1)
    return np.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)          # (B, H)


def lstm_cell_forward(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """One step of an LSTM cell with torch's gate order i, f, g, o (``torch.nn.LSTMCell``).

    Defined in :ref:`sec-rnn-lstm` (Eq. :eq:`eq-lstm-cell`).

    Parameters
    ----------
    x : (B, D) ndarray of float
    h, c : (B, H) ndarray of float
        Previous hidden and cell states.
    W_ih : (4H, D), W_hh : (4H, H), b_ih : (4H,), b_hh : (4H,) ndarray of float
        Rows ``[0:H]`` feed the input gate, ``[H:2H]`` the forget gate, ``[2H:3H]`` the candidate g,
        ``[3H:4H]`` the output gate.

    Returns
    -------
    h_new, c_new : (B, H) ndarray

    Notes
    -----
    1. Pre-activations ``a = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh``, split into four blocks of H.
    2. ``i = σ(a_i)``, ``f = σ(a_f)``, ``g = tanh(a_g)``, ``o = σ(a_o)``.
    3. ``c' = f ⊙ c + i ⊙ g`` — an *additive* update, so ``∂c'/∂c = diag(f)`` (no squashing weight matrix).
    4. ``h' = o ⊙ tanh(c')``.

    Examples
    --------
    >>> H, D = 3, 2
    >>> z = lambda *s: np.zeros(s)
    >>> W_ih, W_hh, b = z(4 * H, D), z(4 * H, H), z(4 * H)
    >>> h, c = lstm_cell_forward(np.ones((1, D)), z(1, H), np.ones((1, H)), W_ih, W_hh, b, b)
    >>> c.round(3).tolist()                 # all gates 0.5, g = 0: c' = 0.5 * c
    [[0.5, 0.5, 0.5]]
    """
    c = check_array(c, "c", ndim=2, dtype_kind="f")
    H = _check_cell(x, h, W_ih, W_hh, b_ih, b_hh, 4)
    if c.shape != h.shape:
        raise ValueError(f"c must have the shape of h, {h.shape}, got {c.shape}.")
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh                       # (B, 4H)
    i = sigmoid(a[:, 0 * H:1 * H])                                   # (B, H) input gate
    f = sigmoid(a[:, 1 * H:2 * H])                                   # (B, H) forget gate
    g = np.tanh(a[:, 2 * H:3 * H])                                   # (B, H) candidate
    o = sigmoid(a[:, 3 * H:4 * H])                                   # (B, H) output gate
    c_new = f * c + i * g                                            # (B, H)
    h_new = o * np.tanh(c_new)                                       # (B, H)
    return h_new, c_new


def _check_sequence(X, h0, name="h0"):
    X = check_array(X, "X", ndim=3, dtype_kind="f")
    h0 = check_array(h0, name, ndim=2, dtype_kind="f")
    if h0.shape[0] != X.shape[0]:
        raise ValueError(f"X is (B, T, D) = {X.shape}; {name} must be (B, H) with the same B, got {h0.shape}.")
    return X


def rnn_forward(X, h0, W_ih, W_hh, b_ih, b_hh):
    """Unroll :func:`rnn_cell_forward` over a batch-first sequence ``X`` of shape (B, T, D).

    Defined in :ref:`sec-rnn-lstm` (Eq. :eq:`eq-rnn-cell`).

    Parameters
    ----------
    X : (B, T, D) ndarray of float
        A batch of input sequences, batch first.
    h0 : (B, H) ndarray of float
        The initial hidden state.
    W_ih, W_hh, b_ih, b_hh : ndarray of float
        As in :func:`rnn_cell_forward`, shared by all steps.

    Returns
    -------
    H_all : (B, T, H) ndarray
        The hidden state after each step (``torch.nn.RNN(batch_first=True)``'s output).
    h_T : (B, H) ndarray

    Examples
    --------
    >>> z = lambda *s: np.zeros(s)
    >>> H_all, h_T = rnn_forward(np.ones((2, 5, 1)), z(2, 3), z(3, 1), z(3, 3), z(3), z(3))
    >>> H_all.shape, h_T.shape
    ((2, 5, 3), (2, 3))
    """
    X = _check_sequence(X, h0)
    h, outs = h0, []
    for t in range(X.shape[1]):
        h = rnn_cell_forward(X[:, t], h, W_ih, W_hh, b_ih, b_hh)     # (B, H)
        outs.append(h)
    return np.stack(outs, axis=1), h                                 # (B, T, H), (B, H)


def lstm_forward(X, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """Unroll :func:`lstm_cell_forward` over a batch-first sequence ``X`` of shape (B, T, D).

    Defined in :ref:`sec-rnn-lstm` (Eq. :eq:`eq-lstm-cell`).

    Parameters
    ----------
    X : (B, T, D) ndarray of float
        A batch of input sequences, batch first.
    h0, c0 : (B, H) ndarray of float
        The initial hidden and cell states.
    W_ih, W_hh, b_ih, b_hh : ndarray of float
        As in :func:`lstm_cell_forward`, shared by all steps.

    Returns
    -------
    H_all : (B, T, H) ndarray
    (h_T, c_T) : pair of (B, H) ndarray
        As ``torch.nn.LSTM(batch_first=True)`` returns them (without its leading layer axis).

    Examples
    --------
    >>> z = lambda *s: np.zeros(s)
    >>> H_all, (h_T, c_T) = lstm_forward(np.ones((2, 5, 1)), z(2, 3), z(2, 3), z(12, 1), z(12, 3), z(12), z(12))
    >>> H_all.shape, h_T.shape, c_T.shape
    ((2, 5, 3), (2, 3), (2, 3))
    """
    X = _check_sequence(X, h0)
    h, c, outs = h0, c0, []
    for t in range(X.shape[1]):
        h, c = lstm_cell_forward(X[:, t], h, c, W_ih, W_hh, b_ih, b_hh)   # (B, H) each
        outs.append(h)
    return np.stack(outs, axis=1), (h, c)


def rnn_state_jacobian_norms(X, h0, W_ih, W_hh, b_ih, b_hh) -> np.ndarray:
    """Spectral norms of ``∂h_T / ∂h_t`` for t = 0..T along one sequence of a vanilla RNN.

    Defined in :ref:`sec-rnn-lstm` (Eq. :eq:`eq-rnn-jacobian`).

    Parameters
    ----------
    X : (T, D) ndarray of float
        One input sequence.
    h0 : (H,) ndarray of float
    W_ih, W_hh, b_ih, b_hh
        As in :func:`rnn_cell_forward`.

    Returns
    -------
    (T + 1,) ndarray of float64
        Entry t is ``‖∂h_T/∂h_t‖₂``; entry T is 1 (the identity).

    Notes
    -----
    By the chain rule ``∂h_T/∂h_t = J_T J_{T-1} … J_{t+1}`` with ``J_s = diag(1 - h_s²) W_hh``. Each factor
    has norm at most ``‖W_hh‖₂`` (tanh' <= 1), so when the largest singular value of W_hh is below 1 the
    product shrinks geometrically with T - t (vanishing gradients); when it is well above 1 it can grow
    (exploding gradients) until the tanh saturates.

    Examples
    --------
    >>> W = 0.5 * np.eye(4)
    >>> n = rnn_state_jacobian_norms(np.zeros((3, 1)), np.zeros(4), np.zeros((4, 1)), W, np.zeros(4), np.zeros(4))
    >>> n.tolist()                          # at h = 0, tanh' = 1: the norm halves per step
    [0.125, 0.25, 0.5, 1.0]
    """
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    h0 = check_array(h0, "h0", ndim=1, dtype_kind="f")
    H_all, _ = rnn_forward(X[None], h0[None], W_ih, W_hh, b_ih, b_hh)   # (1, T, H)
    hs = H_all[0]                                                     # (T, H): h_1 .. h_T
    T, H = hs.shape
    J = np.eye(H)                                                     # ∂h_T/∂h_T
    norms = [1.0]
    for s in range(T - 1, -1, -1):                                    # multiply J_{s+1} on the right
        J = J @ ((1.0 - hs[s] ** 2)[:, None] * W_hh)                  # (H, H) ∂h_T/∂h_s
        norms.append(float(np.linalg.norm(J, 2)))
    return np.array(norms[::-1])


def params_from_torch(module) -> tuple[np.ndarray, ...]:
    """``(W_ih, W_hh, b_ih, b_hh)`` of a one-layer ``torch.nn.RNN/LSTM`` or an ``RNNCell/LSTMCell`` as float64.

    Parameters
    ----------
    module : torch.nn.RNN, torch.nn.LSTM, torch.nn.RNNCell or torch.nn.LSTMCell
        One layer (``num_layers=1``), with biases.

    Returns
    -------
    tuple of 4 ndarray of float64
        Copies of ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (``_l0`` for the layer modules),
        ready for :func:`rnn_cell_forward` or :func:`lstm_cell_forward`.

    Examples
    --------
    >>> import torch
    >>> [p.shape for p in params_from_torch(torch.nn.LSTMCell(2, 3))]
    [(12, 2), (12, 3), (12,), (12,)]
    """
    suffix = "_l0" if hasattr(module, "weight_ih_l0") else ""
    return tuple(getattr(module, name + suffix).detach().double().numpy().copy()
                 for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


def input_gradient_norms(module, X) -> np.ndarray:
    """``‖∂h_T / ∂x_t‖_F`` for every step t of one sequence through a torch ``nn.RNN`` or ``nn.LSTM``.

    Parameters
    ----------
    module : torch.nn.RNN or torch.nn.LSTM
        One layer, ``batch_first=True``.
    X : (T, D) torch.Tensor
        One input sequence, in the module's dtype.

    Returns
    -------
    (T,) ndarray of float64
        How strongly the last hidden state depends on each input: the signal that trains long-range
        dependencies. Computed with autograd (one backward pass per hidden unit).

    Examples
    --------
    >>> import torch
    >>> rnn = torch.nn.RNN(1, 4, batch_first=True)
    >>> norms = input_gradient_norms(rnn, torch.randn(6, 1, generator=torch.Generator().manual_seed(0)))
    >>> norms.shape, bool((norms > 0).all())
    ((6,), True)
    """
    import torch

    if X.ndim != 2:
        raise ValueError(f"X must be one sequence of shape (T, D), got {tuple(X.shape)}.")

    def last_state(x):
        out, _ = module(x[None])                                      # (1, T, H)
        return out[0, -1]                                             # (H,)

    J = torch.autograd.functional.jacobian(last_state, X, vectorize=True)   # (H, T, D)
    return J.pow(2).sum(dim=(0, 2)).sqrt().detach().double().numpy()
