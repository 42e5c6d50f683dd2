"""The check of Chapter 4's augmentation exercise: the reference passes, a stub is "not done", np.roll and a
reversed shift are named."""

from __future__ import annotations

import numpy as np

from coursekit import grading


def _solution(x, dy, dx):
    out = np.zeros_like(x, dtype=np.float64)
    H, W = x.shape[2:]
    for b in range(len(x)):
        a, c = int(dy[b]), int(dx[b])
        out[b, :, max(a, 0):H + min(a, 0), max(c, 0):W + min(c, 0)] = x[b, :, max(-a, 0):H - max(a, 0), max(-c, 0):W - max(c, 0)]
    return out


def _stub(*args):
    raise NotImplementedError


def test_a_correct_solution_passes_and_a_stub_is_not_done():
    assert grading.run_check("ch04.shift_images", _solution, points=2).points == 2
    assert grading.run_check("ch04.shift_images", _stub, points=2).status == "not-done"


def test_np_roll_and_a_reversed_shift_are_named():
    rolled = lambda x, dy, dx: np.stack([np.roll(x[b], (int(dy[b]), int(dx[b])), axis=(1, 2)) for b in range(len(x))])
    result = grading.run_check("ch04.shift_images", rolled)
    assert not result.passed and any("wraps" in c.hint for c in result.cases)
    reverse = lambda x, dy, dx: _solution(x, -np.asarray(dy), -np.asarray(dx))
    result = grading.run_check("ch04.shift_images", reverse)
    assert not result.passed and any("other way" in c.hint for c in result.cases)
