"""Checks of Chapter 3's neural-network exercises: a linear layer's backward pass, batch-norm training forward,
the LSTM cell.

Each ``check_<name>(student, rng)`` compares the student's function with the coursekit reference on seeded
random inputs from ``rng`` (and on rows of the digits data set for the linear layer), and names the typical
mistake in its hint without revealing the expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit import grading
from coursekit.nn.mlp import linear_backward
from coursekit.nn.normalization import batchnorm_forward
from coursekit.nn.recurrent import lstm_cell_forward

__all__ = ["check_linear_backward", "check_batchnorm_train_forward", "check_lstm_cell_forward"]


def _try(student, *args):
    """The student's output, or None when it raises anything but NotImplementedError."""
    return grading.call_student(student, *args)[0]


def _digits_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    from sklearn.datasets import load_digits

    X = load_digits().data / 16.0                                        # (1797, 64) in [0, 1]
    return X[rng.choice(len(X), n, replace=False)]                       # (n, 64)


def check_linear_backward(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``linear_backward(dY, X, W) -> (dX, dW, db)`` for ``Y = X W + b``, Eq. (3.9)."""
    cases = []
    for B, D, C in [(4, 3, 2), (7, 5, 5), (1, 6, 3)]:
        cases.append((f"random B={B}, D={D}, C={C}",
                      (rng.standard_normal((B, C)), rng.standard_normal((B, D)), rng.standard_normal((D, C))), {}))
    cases.append(("16 digit images (64 pixels) into 10 classes",
                  (rng.standard_normal((16, 10)), _digits_rows(rng, 16), 0.1 * rng.standard_normal((64, 10))), {}))
    results = grading.compare_cases(student, linear_backward, cases, atol=1e-10)
    for (label, (dY, X, W), _), res in zip(cases, results):
        if res.passed or res.hint == grading._NOT_DONE:
            continue
        got = _try(student, dY, X, W)
        if not isinstance(got, tuple) or len(got) != 3:
            continue
        dX, dW, db = (np.asarray(g, dtype=np.float64) for g in got)
        if dW.shape == W.T.shape and dW.shape != W.shape:
            res.hint += " Hint: dW must have the shape of W, (D, C): multiply Xᵀ by dY."
        elif db.shape == (dY.shape[1],) and np.allclose(db * dY.shape[0], dY.sum(0)) and dY.shape[0] > 1:
            res.hint += " Hint: db is averaged; the bias is added to every row, so its gradients add up."
        elif dX.shape == X.shape and np.allclose(dW, X.T @ dY) and np.allclose(db, dY.sum(0)):
            res.hint += " Hint: dW and db are right; dX sends dY back through W (which way round?)."
    return results


def _bn_train(X, gamma, beta, eps=1e-5):
    C = X.shape[1]
    return batchnorm_forward(X, gamma, beta, np.zeros(C), np.ones(C), train=True, eps=eps)[0]


def check_batchnorm_train_forward(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``batchnorm_train_forward(X, gamma, beta, eps) -> Y`` with batch statistics, Eq. (3.15)."""
    cases = []
    for B, C in [(8, 3), (32, 5), (2, 4)]:
        cases.append((f"random batch B={B}, C={C}, shifted and scaled",
                      (rng.normal(rng.uniform(-5, 5, C), rng.uniform(0.5, 4, C), (B, C)),
                       rng.uniform(0.5, 2, C), rng.standard_normal(C), 1e-5), {}))
    X = rng.standard_normal((16, 3))
    X[:, 1] = 0.5 + 1e-4 * rng.standard_normal(16)                      # a nearly constant feature: eps matters
    cases.append(("B=16 with a nearly constant feature, eps=1e-3", (X, np.ones(3), np.zeros(3), 1e-3), {}))
    results = grading.compare_cases(student, _bn_train, cases, atol=1e-8)
    for (label, (X, g, b, eps), _), res in zip(cases, results):
        if res.passed or res.hint == grading._NOT_DONE:
            continue
        got = _try(student, X, g, b, eps)
        try:
            got = np.asarray(got, dtype=np.float64)
        except Exception:
            continue
        if got.shape != X.shape:
            continue
        unbiased = g * (X - X.mean(0)) / np.sqrt(X.var(0, ddof=1) + eps) + b
        no_eps = g * (X - X.mean(0)) / np.sqrt(X.var(0)) + b
        if np.allclose(got, unbiased, atol=1e-8):
            res.hint += " Hint: normalise with the biased variance (divide by B, not B - 1)."
        elif np.allclose(got, no_eps, atol=1e-6, rtol=1e-6) or not np.all(np.isfinite(got)):
            res.hint += " Hint: add eps to the variance inside the square root."
        elif np.allclose(got, g * (X - X.mean(1, keepdims=True)) / np.sqrt(X.var(1, keepdims=True) + eps) + b,
                         atol=1e-8):
            res.hint += " Hint: the statistics are per feature, over the batch axis (axis 0), not per example."
        elif np.allclose(got, _bn_train(X, np.ones_like(g), np.zeros_like(b), eps), atol=1e-8):
            res.hint += " Hint: normalising is right; then scale by gamma and shift by beta."
    return results


def _gate_permuted_reference(x, h, c, W_ih, W_hh, b_ih, b_hh, order):
    H = h.shape[1]
    idx = np.concatenate([np.arange(k * H, (k + 1) * H) for k in order])   # (4H,) rows in another order
    return lstm_cell_forward(x, h, c, W_ih[idx], W_hh[idx], b_ih[idx], b_hh[idx])


def check_lstm_cell_forward(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``lstm_cell_forward(x, h, c, W_ih, W_hh, b_ih, b_hh) -> (h_new, c_new)``, gates i, f, g, o, Eq. (3.36)."""
    cases = []
    for B, D, H in [(1, 2, 3), (4, 5, 6), (8, 3, 2)]:
        args = (rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H)),
                rng.standard_normal((4 * H, D)) / np.sqrt(D), rng.standard_normal((4 * H, H)) / np.sqrt(H),
                0.5 * rng.standard_normal(4 * H), 0.5 * rng.standard_normal(4 * H))
        cases.append((f"random B={B}, D={D}, H={H}", args, {}))
    results = grading.compare_cases(student, lstm_cell_forward, cases, atol=1e-10)
    for (label, args, _), res in zip(cases, results):
        if res.passed or res.hint == grading._NOT_DONE:
            continue
        got = _try(student, *args)
        if not isinstance(got, tuple) or len(got) != 2:
            continue
        got = tuple(np.asarray(g, dtype=np.float64) for g in got)
        if got[0].shape != args[1].shape:
            continue
        for order, name in [((0, 1, 3, 2), "i, f, o, g"), ((0, 2, 1, 3), "i, g, f, o"), ((1, 0, 2, 3), "f, i, g, o")]:
            ref = _gate_permuted_reference(*args, order=order)
            if all(np.allclose(a, b, atol=1e-10) for a, b in zip(got, ref)):
                res.hint += (f" Hint: your gates come out in the order {name}; torch stacks the rows of the"
                             " weights as i, f, g, o.")
                break
        else:
            ref_h, ref_c = lstm_cell_forward(*args)
            if np.allclose(got[1], ref_c, atol=1e-10):
                res.hint += " Hint: the cell state is right; check h' = o * tanh(c')."
            elif np.allclose(got[0], ref_h, atol=1e-10):
                res.hint += " Hint: h' is right but the returned c' is not (return the new cell state)."
    return results


# The coursekit function each exercise re-implements: the grader gives 0 to a student's function that
# calls it ("used the reference implementation"). Exercise id -> dotted name (or a tuple of names).
REFERENCES = {
    "ch03.linear_backward": "coursekit.nn.mlp.linear_backward",
    "ch03.batchnorm_train_forward": ("coursekit.nn.normalization.batchnorm_forward",
                                     "coursekit.nn.normalization.BatchNorm1d"),
    "ch03.lstm_cell_forward": ("coursekit.nn.recurrent.lstm_cell_forward", "coursekit.nn.recurrent.lstm_forward"),
}
