"""The graded checks of Chapter 13: the reference earns full points, a stub is "not done", and typical
mistakes fail with a hint that names them (and no expected values)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.checks import ch13_ssl as ch13
from coursekit.grading import Status


def _stub(*args, **kwargs):
    raise NotImplementedError


def _restore_loop(ids_shuffle):                       # an independent answer: invert by a loop
    ids = np.asarray(ids_shuffle)
    out = np.empty_like(ids)
    for b in range(ids.shape[0]):
        for i, j in enumerate(ids[b]):
            out[b, j] = i
    return out


def _mae_loop(pred, patches, mask):
    total, count = 0.0, 0
    for b in range(mask.shape[0]):
        for n in range(mask.shape[1]):
            if mask[b, n]:
                total += ((pred[b, n] - patches[b, n]) ** 2).mean()
                count += 1
    return total / count


def _dino_numpy(s, t, c, tau_s, tau_t):
    def softmax(z):
        e = np.exp(z - z.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    terms = [-(softmax((t[i] - c) / tau_t) * np.log(softmax(s[j] / tau_s))).sum(-1).mean()
             for i in range(t.shape[0]) for j in range(s.shape[0]) if i != j]
    return float(np.mean(terms))


@pytest.mark.parametrize("eid,reference", [
    ("ch13.restore_ids", ch13.restore_ids_reference),
    ("ch13.restore_ids", _restore_loop),
    ("ch13.mae_loss", ch13.mae_loss_reference),
    ("ch13.mae_loss", _mae_loop),
    ("ch13.teacher_probs", ch13.teacher_probs_reference),
    ("ch13.update_center", ch13.update_center_reference),
    ("ch13.update_center", lambda c, t, m: m * c + (1 - m) * t.mean(0)),
    ("ch13.dino_loss", ch13.dino_loss_reference),
    ("ch13.dino_loss", _dino_numpy),
    ("ch13.rotation_batch", ch13.rotation_batch_reference),
    ("ch13.rotation_batch", lambda x: (np.concatenate([np.rot90(x, k, axes=(1, 2)) for k in range(4)]),
                                       np.repeat(np.arange(4), len(x)))),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=3)
    assert result.status is Status.PASSED and result.points == 3 and len(result.cases) >= 3, result.report()
    assert grading.run_check(eid, _stub).status is Status.NOT_DONE


def _fails_with(eid, fn, words):
    result = grading.run_check(eid, fn)
    assert result.status is Status.FAILED, result.report()
    assert words in result.report(), result.report()
    return result


def test_mistakes_are_named():
    _fails_with("ch13.restore_ids", ch13._restore_same, "inverse permutation")
    _fails_with("ch13.mae_loss", ch13._mae_all, "only over the hidden")
    _fails_with("ch13.mae_loss", ch13._mae_visible, "mask = 1 marks the hidden")
    _fails_with("ch13.mae_loss", ch13._mae_sum, "divide by the number")
    _fails_with("ch13.teacher_probs", ch13._probs_no_center, "subtract the centre")
    _fails_with("ch13.teacher_probs", ch13._probs_no_tau, "temperature")
    _fails_with("ch13.update_center", ch13._center_swapped, "weight m")
    _fails_with("ch13.update_center", ch13._center_sum, "batch *mean*")
    _fails_with("ch13.dino_loss", ch13._dino_with_same_view, "same view")
    _fails_with("ch13.dino_loss", ch13._dino_no_center, "centre the teacher")
    clockwise = lambda x: (np.concatenate([np.rot90(x, -k, axes=(1, 2)) for k in range(4)]),  # noqa: E731
                           np.repeat(np.arange(4), len(x)))
    _fails_with("ch13.rotation_batch", clockwise, "counter-clockwise")
    _fails_with("ch13.rotation_batch", lambda x: ch13.rotation_batch_reference(x)[0], "pair")

