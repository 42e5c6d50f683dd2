"""Checks of Chapter 3's neural-network exercises.

A linear layer's backward pass, batch-norm training forward, the LSTM cell.

Each check runs the student's function on seeded random inputs (and on rows of the digits data set for the
linear layer); the judgement compares with the coursekit reference and names the typical mistake in its
hint without revealing the expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit.grading import Case, Check, compare
from coursekit.nn.mlp import linear_backward
from coursekit.nn.normalization import BatchNorm1d, batchnorm_forward
from coursekit.nn.recurrent import lstm_cell_forward, lstm_forward

__all__ = ["CHECKS"]


def _floats(a):
    """``a`` as a float64 array, or ``None`` when it is not numbers."""
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _digits_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    from sklearn.datasets import load_digits

    X = load_digits().data / 16.0                                        # (1797, 64) in [0, 1]
    return X[rng.choice(len(X), n, replace=False)]                       # (n, 64)


# ----------------------------------------------------------------------------- ch03.linear_backward

def _linear_cases(rng: np.random.Generator):
    """``linear_backward(dY, X, W) -> (dX, dW, db)`` for ``Y = X W + b``, Eq. (3.9)."""
    for B, D, C in [(4, 3, 2), (7, 5, 5), (1, 6, 3)]:
        yield Case(f"random B={B}, D={D}, C={C}",
                   (rng.standard_normal((B, C)), rng.standard_normal((B, D)), rng.standard_normal((D, C))))
    yield Case("16 digit images (64 pixels) into 10 classes",
               (rng.standard_normal((16, 10)), _digits_rows(rng, 16), 0.1 * rng.standard_normal((64, 10))))


def _linear_judge(case: Case, got, expected) -> str:
    hint = compare(got, expected, atol=1e-10)
    if not hint or not isinstance(got, (tuple, list)) or len(got) != 3:
        return hint
    dY, X, W = case.args
    dX, dW, db = (_floats(g) for g in got)
    if dX is None or dW is None or db is None:
        return hint
    if dW.shape == W.T.shape and dW.shape != W.shape:
        hint += " Hint: dW must have the shape of W, (D, C): multiply Xᵀ by dY."
    elif db.shape == (dY.shape[1],) and np.allclose(db * dY.shape[0], dY.sum(0)) and dY.shape[0] > 1:
        hint += " Hint: db is averaged; the bias is added to every row, so its gradients add up."
    elif dX.shape == X.shape and dW.shape == W.shape and db.shape == (dY.shape[1],) \
            and np.allclose(dW, X.T @ dY) and np.allclose(db, dY.sum(0)):
        hint += " Hint: dW and db are right; dX sends dY back through W (which way round?)."
    return hint


# ----------------------------------------------------------------------------- ch03.batchnorm_train_forward

def _bn_train(X, gamma, beta, eps=1e-5):
    C = X.shape[1]
    return batchnorm_forward(X, gamma, beta, np.zeros(C), np.ones(C), train=True, eps=eps)[0]


def _bn_cases(rng: np.random.Generator):
    """``batchnorm_train_forward(X, gamma, beta, eps) -> Y`` with batch statistics, Eq. (3.15)."""
    for B, C in [(8, 3), (32, 5), (2, 4)]:
        yield Case(f"random batch B={B}, C={C}, shifted and scaled",
                   (rng.normal(rng.uniform(-5, 5, C), rng.uniform(0.5, 4, C), (B, C)),
                    rng.uniform(0.5, 2, C), rng.standard_normal(C), 1e-5))
    X = rng.standard_normal((16, 3))
    X[:, 1] = 0.5 + 1e-4 * rng.standard_normal(16)                      # a nearly constant feature: eps matters
    yield Case("B=16 with a nearly constant feature, eps=1e-3", (X, np.ones(3), np.zeros(3), 1e-3))


def _bn_judge(case: Case, got, expected) -> str:
    hint = compare(got, expected, atol=1e-8)
    X, g, b, eps = case.args
    got = _floats(got) if isinstance(got, np.ndarray) else None
    if not hint or got is None or got.shape != X.shape:
        return hint
    unbiased = g * (X - X.mean(0)) / np.sqrt(X.var(0, ddof=1) + eps) + b
    with np.errstate(divide="ignore", invalid="ignore"):
        no_eps = g * (X - X.mean(0)) / np.sqrt(X.var(0)) + b
    if np.allclose(got, unbiased, atol=1e-8):
        hint += " Hint: normalise with the biased variance (divide by B, not B - 1)."
    elif np.allclose(got, no_eps, atol=1e-6, rtol=1e-6) or not np.all(np.isfinite(got)):
        hint += " Hint: add eps to the variance inside the square root."
    elif np.allclose(got, g * (X - X.mean(1, keepdims=True)) / np.sqrt(X.var(1, keepdims=True) + eps) + b, atol=1e-8):
        hint += " Hint: the statistics are per feature, over the batch axis (axis 0), not per example."
    elif np.allclose(got, _bn_train(X, np.ones_like(g), np.zeros_like(b), eps), atol=1e-8):
        hint += " Hint: normalising is right; then scale by gamma and shift by beta."
    return hint


# ----------------------------------------------------------------------------- ch03.lstm_cell_forward

def _gate_permuted_reference(x, h, c, W_ih, W_hh, b_ih, b_hh, order):
    H = h.shape[1]
    idx = np.concatenate([np.arange(k * H, (k + 1) * H) for k in order])   # (4H,) rows in another order
    return lstm_cell_forward(x, h, c, W_ih[idx], W_hh[idx], b_ih[idx], b_hh[idx])


def _lstm_cases(rng: np.random.Generator):
    """``lstm_cell_forward(x, h, c, W_ih, W_hh, b_ih, b_hh) -> (h_new, c_new)``, gates i, f, g, o, Eq. (3.36)."""
    for B, D, H in [(1, 2, 3), (4, 5, 6), (8, 3, 2)]:
        yield Case(f"random B={B}, D={D}, H={H}",
                   (rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H)),
                    rng.standard_normal((4 * H, D)) / np.sqrt(D), rng.standard_normal((4 * H, H)) / np.sqrt(H),
                    0.5 * rng.standard_normal(4 * H), 0.5 * rng.standard_normal(4 * H)))


def _lstm_judge(case: Case, got, expected) -> str:
    hint = compare(got, expected, atol=1e-10)
    if not hint or not isinstance(got, (tuple, list)) or len(got) != 2:
        return hint
    got = tuple(_floats(g) for g in got)
    args = case.args
    if any(g is None for g in got) or got[0].shape != args[1].shape or got[1].shape != args[1].shape:
        return hint
    for order, name in [((0, 1, 3, 2), "i, f, o, g"), ((0, 2, 1, 3), "i, g, f, o"), ((1, 0, 2, 3), "f, i, g, o")]:
        ref = _gate_permuted_reference(*args, order=order)
        if all(np.allclose(a, b, atol=1e-10) for a, b in zip(got, ref)):
            return hint + (f" Hint: your gates come out in the order {name}; torch stacks the rows of the"
                           " weights as i, f, g, o.")
    ref_h, ref_c = expected
    if np.allclose(got[1], ref_c, atol=1e-10):
        hint += " Hint: the cell state is right; check h' = o * tanh(c')."
    elif np.allclose(got[0], ref_h, atol=1e-10):
        hint += " Hint: h' is right but the returned c' is not (return the new cell state)."
    return hint


CHECKS = [
    Check("ch03.linear_backward", cases=_linear_cases, reference=linear_backward, judge=_linear_judge,
          forbidden=("torch.autograd.grad",)),
    Check("ch03.batchnorm_train_forward", cases=_bn_cases, reference=_bn_train, judge=_bn_judge,
          implements=(batchnorm_forward, BatchNorm1d),
          forbidden=("torch.nn.functional.batch_norm", "torch.nn.BatchNorm1d")),
    Check("ch03.lstm_cell_forward", cases=_lstm_cases, reference=lstm_cell_forward, judge=_lstm_judge,
          implements=(lstm_cell_forward, lstm_forward),
          forbidden=("torch.nn.LSTMCell", "torch.nn.LSTM", "torch.lstm_cell")),
]
