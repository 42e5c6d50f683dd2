"""The graded checks of Chapter 11: the reference earns full points, a stub is "not done", and typical
mistakes fail with a hint that names them."""

from __future__ import annotations

import pytest

from coursekit import grading
from coursekit.checks import ch11_vit as ch11
from coursekit.grading import Status

REFERENCES = [
    ("ch11.patchify", ch11.patchify_reference),
    ("ch11.window_partition", ch11.window_partition_reference),
    ("ch11.shift_mask", ch11.shift_mask_reference),
    ("ch11.vit_params", ch11.vit_params_reference),
    ("ch11.rollout", ch11._rollout_reference),
    ("ch11.deit_loss", ch11.deit_loss_reference),
]


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", REFERENCES)
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=3)
    assert result.status is Status.PASSED and result.points == 3 and len(result.cases) >= 4, result.report()
    stub = grading.run_check(eid, _stub, points=3)
    assert stub.status is Status.NOT_DONE and stub.points == 0


@pytest.mark.parametrize("eid, wrong, words", [
    ("ch11.patchify", ch11._patchify_channels_last, "(C, P, P) order"),
    ("ch11.patchify", ch11._patchify_no_transpose, "plain reshape"),
    ("ch11.window_partition", ch11._window_plain_reshape, "window axes together"),
    ("ch11.shift_mask", ch11._mask_all_true, "wrapped around"),
    ("ch11.vit_params", ch11._params_no_positions, "position table"),
    ("ch11.vit_params", ch11._params_no_biases, "has a bias"),
    ("ch11.rollout", ch11._rollout_no_identity, "identity"),
    ("ch11.rollout", ch11._rollout_wrong_order, "on the left"),
    ("ch11.deit_loss", ch11._deit_soft_teacher, "teacher's decision"),
    ("ch11.deit_loss", ch11._deit_no_half, "weight each by ½"),
    ("ch11.deit_loss", ch11._deit_swapped_heads, "[CLS] head learns the labels"),
])
def test_mistakes_fail_with_their_hint(eid, wrong, words):
    result = grading.run_check(eid, wrong)
    assert result.status is Status.FAILED and result.points == 0, result.report()
    assert words in result.report(), result.report()
