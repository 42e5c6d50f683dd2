"""The graded checks of Chapter 12: the reference earns full points, a stub is "not done", and typical
mistakes fail with a hint that names them (and no expected values)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.checks import ch12_contrastive as ch12
from coursekit.grading import Status


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch12.info_nce", ch12.info_nce_reference),
    ("ch12.nt_xent", ch12.nt_xent_reference),
    ("ch12.clip_loss", ch12.clip_loss_reference),
    ("ch12.ema_update", ch12.ema_update_reference),
    ("ch12.enqueue", ch12.enqueue_reference),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=2)
    assert result.status is Status.PASSED and result.points == 2 and len(result.cases) >= 4, result.report()
    assert grading.run_check(eid, _stub).status is Status.NOT_DONE


def _fails_with(eid, fn, words):
    result = grading.run_check(eid, fn)
    assert result.status is Status.FAILED, result.report()
    assert words in result.report(), result.report()


def test_info_nce_mistakes_are_named():
    _fails_with("ch12.info_nce", ch12._info_nce_unnormalised, "L2-normalise")
    _fails_with("ch12.info_nce", ch12._info_nce_times_tau, "divide the similarities")
    _fails_with("ch12.info_nce", ch12._info_nce_negatives_only, "positive one included")


def test_nt_xent_mistakes_are_named():
    _fails_with("ch12.nt_xent", ch12._nt_xent_self_negative, "not its own negative")
    _fails_with("ch12.nt_xent", ch12._nt_xent_cross_only, "2N - 1")


def test_clip_mistakes_are_named():
    _fails_with("ch12.clip_loss", ch12._clip_one_direction, "symmetric")
    _fails_with("ch12.clip_loss", ch12._clip_sum, "average the two directions")


def test_ema_and_queue_mistakes_are_named():
    _fails_with("ch12.ema_update", ch12._ema_swapped, "keeps the fraction m")
    _fails_with("ch12.enqueue", ch12._queue_no_wrap, "ring")
    _fails_with("ch12.enqueue", ch12._queue_not_normalised, "unit vectors")
    _fails_with("ch12.enqueue", ch12._queue_from_start, "at the pointer")


def test_a_pure_numpy_solution_passes():
    # Independent NumPy implementations (what a student would write) earn full marks.
    def unit(a):
        return a / np.linalg.norm(a, axis=1, keepdims=True)

    def info_nce(q, k, tau):
        L = unit(q) @ unit(k).T / tau
        return float(np.mean(np.log(np.exp(L).sum(1)) - np.diag(L)))

    def clip(i, t, tau):
        return (info_nce(i, t, tau) + info_nce(t, i, tau)) / 2

    assert grading.run_check("ch12.info_nce", info_nce).passed
    assert grading.run_check("ch12.clip_loss", clip).passed
    assert grading.run_check("ch12.ema_update", lambda t, o, m: m * t + (1 - m) * o).passed
