"""The graded checks of Chapter 3's optimisation exercises: the reference passes, a stub is "not done", the
usual mistakes fail with a hint that names them (and no expected values)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.checks.ch03_optim import adam_update


def _stub(*args, **kwargs):
    raise NotImplementedError


def _kfold(n, k):
    sizes = [n // k + (i < n % k) for i in range(k)]
    out, start = [], 0
    for s in sizes:
        val = np.arange(start, start + s)
        out.append((np.setdiff1d(np.arange(n), val), val))
        start += s
    return out


@pytest.mark.parametrize("eid, solution", [("ch03.adam_update", adam_update), ("ch03.kfold_indices", _kfold)])
def test_a_correct_solution_passes_and_a_stub_is_not_done(eid, solution):
    result = grading.run_check(eid, solution, points=3)
    assert result.passed and result.points == 3 and len(result.cases) >= 4
    stub = grading.run_check(eid, _stub, points=3)
    assert stub.status == "not-done" and stub.points == 0


def test_adam_without_bias_correction_is_named():
    def no_correction(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return theta - lr * m / (np.sqrt(v) + eps), m, v

    result = grading.run_check("ch03.adam_update", no_correction)
    assert not result.passed and any("1 - β₁ᵗ" in c.hint for c in result.cases)


def test_adam_with_eps_inside_the_root_is_named():
    def eps_inside(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return theta - lr * (m / (1 - beta1 ** t)) / np.sqrt(v / (1 - beta2 ** t) + eps), m, v

    result = grading.run_check("ch03.adam_update", eps_inside)
    assert not result.passed and any("outside the square root" in c.hint for c in result.cases)


def test_kfold_with_the_larger_folds_last_is_named():
    def larger_last(n, k):
        sizes = [n // k + (i >= k - n % k) for i in range(k)]
        out, start = [], 0
        for s in sizes:
            val = np.arange(start, start + s)
            out.append((np.setdiff1d(np.arange(n), val), val))
            start += s
        return out

    result = grading.run_check("ch03.kfold_indices", larger_last)
    assert not result.passed and any("come first" in c.hint for c in result.cases)
    assert all("[" not in c.hint for c in result.cases)            # no expected indices in the hints
