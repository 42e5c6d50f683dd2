"""Checks of Chapter 3's optimisation and model-selection exercises: one Adam update, k-fold indices.

Each check runs the student's function on seeded random inputs and compares with the coursekit reference
(:func:`coursekit.nn.optim.adam_step`, :func:`coursekit.learn.model_selection.kfold_indices`); the hint names
the typical mistake without revealing the expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit.grading import Case, Check, compare
from coursekit.learn.model_selection import kfold_indices
from coursekit.nn.optim import AdamState, adam_step

__all__ = ["CHECKS", "adam_update"]


def adam_update(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The exercise's pure form of one Adam step: returns ``(theta, m, v)`` after step ``t`` (1-based)."""
    params, state = [np.array(theta, dtype=np.float64)], AdamState([np.array(m, dtype=np.float64)],
                                                                    [np.array(v, dtype=np.float64)], int(t) - 1)
    adam_step(params, [np.asarray(g, dtype=np.float64)], state, lr=lr, betas=(beta1, beta2), eps=eps)
    return params[0], state.m[0], state.v[0]


# ----------------------------------------------------------------------------- ch03.adam_update

def _adam_cases(rng: np.random.Generator):
    """``adam_update(theta, g, m, v, t, lr, beta1, beta2, eps) -> (theta, m, v)``, Eq. adam."""
    for t, shape in [(1, (5,)), (2, (3, 4)), (10, (6,)), (1000, (4,))]:
        m = np.zeros(shape) if t == 1 else 0.1 * rng.standard_normal(shape)
        v = np.zeros(shape) if t == 1 else 0.01 * rng.random(shape)
        yield Case(f"step t={t}, shape {shape}", (rng.standard_normal(shape), rng.standard_normal(shape), m, v, t),
                   {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8})
    g = np.array([1e-4, 1.0, -300.0])
    yield Case("gradients of very different scales, t=1", (np.zeros(3), g, np.zeros(3), np.zeros(3), 1),
               {"lr": 0.1, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8})


def _adam_judge(case: Case, got, expected) -> str:
    hint = compare(got, expected, atol=1e-10, rtol=1e-10)
    if not hint or not isinstance(got, (tuple, list)) or len(got) != 3:
        return hint
    theta, g, m, v, t = case.args
    kw = case.kwargs
    try:
        got_theta = np.asarray(got[0], dtype=np.float64)
    except (TypeError, ValueError):
        return hint
    b1, b2 = kw["beta1"], kw["beta2"]
    m1, v1 = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    no_correction = theta - kw["lr"] * m1 / (np.sqrt(v1) + kw["eps"])
    if got_theta.shape == no_correction.shape and np.allclose(got_theta, no_correction, atol=1e-10):
        hint += " Hint: correct both moments for their zero start: divide m by 1 - β₁ᵗ and v by 1 - β₂ᵗ."
    elif np.allclose(got_theta, theta - kw["lr"] * (m1 / (1 - b1 ** t)) / np.sqrt(v1 / (1 - b2 ** t) + kw["eps"]),
                     atol=1e-10):
        hint += " Hint: ε is added to √v̂, outside the square root."
    else:
        hint += " Hint: update m and v first (with g and g²), then step θ by lr · m̂ / (√v̂ + ε)."
    return hint


# ----------------------------------------------------------------------------- ch03.kfold_indices

def _kfold_cases(rng: np.random.Generator):
    """``kfold_indices(n, k) -> [(train, val), ...]`` without shuffling, as sklearn's ``KFold``."""
    for n, k in [(10, 5), (11, 3), (7, 7), (int(rng.integers(20, 60)), 4), (100, 10)]:
        yield Case(f"n={n}, k={k}", (n, k))


def _kfold_reference(n, k):
    return [(tr, va) for tr, va in kfold_indices(n, k)]


def _kfold_judge(case: Case, got, expected) -> str:
    n, k = case.args
    if not isinstance(got, (list, tuple)) or len(got) != k:
        return f"return a list of k = {k} (train, val) pairs; got {type(got).__name__} of length " \
               f"{len(got) if hasattr(got, '__len__') else '?'}."
    try:
        pairs = [(np.sort(np.asarray(tr, dtype=np.int64)), np.asarray(va, dtype=np.int64)) for tr, va in got]
    except (TypeError, ValueError):
        return "each fold must be a pair (train indices, validation indices) of integer arrays."
    hint = compare([va for _, va in pairs], [va for _, va in expected], atol=0)
    if hint:
        sizes = [len(va) for _, va in pairs]
        if sorted(sizes) == sorted(len(va) for _, va in expected) and sizes != [len(va) for _, va in expected]:
            return hint + " Hint: the larger folds (n % k of them, one extra example) come first."
        return hint + " Hint: fold i validates on a contiguous block; sizes n // k, plus one for the first n % k."
    for (tr, va), (etr, _) in zip(pairs, expected):
        if not np.array_equal(tr, etr):
            return "a training part is wrong: it must hold every index not in that fold's validation part."
    return ""


CHECKS = [
    Check("ch03.kfold_indices", cases=_kfold_cases, reference=_kfold_reference, judge=_kfold_judge,
          implements=(kfold_indices,), forbidden=("sklearn.model_selection.KFold",)),
    Check("ch03.adam_update", cases=_adam_cases, reference=adam_update, judge=_adam_judge,
          implements=(adam_step,), forbidden=("torch.optim.Adam",)),
]
