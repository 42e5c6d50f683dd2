"""The graded checks of Chapter 14: the reference earns full points, a stub is "not done", and typical mistakes
fail with a hint that names them (and never the expected values)."""

from __future__ import annotations

import pytest

from coursekit import grading
from coursekit.checks import ch14_advances as ch14
from coursekit.grading import Status

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _stub(*args, **kwargs):
    raise NotImplementedError


REFERENCES = [
    ("ch14.rms_norm", ch14.rms_norm_reference),
    ("ch14.rope", ch14.rope_reference),
    ("ch14.quantize", ch14.quantize_reference),
    ("ch14.online_softmax", ch14.online_softmax_reference),
    ("ch14.speculative_verify", ch14.speculative_verify_reference),
]


@pytest.mark.parametrize("eid,reference", REFERENCES)
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=3)
    assert result.status is Status.PASSED and result.points == 3 and len(result.cases) >= 4, result.report()
    stub = grading.run_check(eid, _stub, points=3)
    assert stub.status is Status.NOT_DONE and stub.points == 0


def _fails_with(eid, fn, words):
    result = grading.run_check(eid, fn)
    assert result.status is Status.FAILED and result.points == 0, result.report()
    assert words in result.report(), result.report()


def test_rms_norm_mistakes_are_named():
    _fails_with("ch14.rms_norm", ch14._rms_layernorm, "does not subtract the mean")
    _fails_with("ch14.rms_norm", ch14._rms_no_sqrt, "root of the mean square")
    _fails_with("ch14.rms_norm", ch14._rms_eps_outside, "inside the square root")


def test_rope_mistakes_are_named():
    _fails_with("ch14.rope", ch14._rope_halves, "interleaved")
    _fails_with("ch14.rope", ch14._rope_exponent, "index of the pair")
    _fails_with("ch14.rope", ch14._rope_clockwise, "counter-clockwise")


def test_quantize_mistakes_are_named():
    _fails_with("ch14.quantize", ch14._quant_per_tensor, "one scale per row")
    _fails_with("ch14.quantize", ch14._quant_full_range, "q_max = 2^(b−1) − 1")
    _fails_with("ch14.quantize", ch14._quant_floor, "do not truncate")


def test_online_softmax_mistakes_are_named():
    _fails_with("ch14.online_softmax", ch14._flash_no_rescale, "rescale ℓ")
    _fails_with("ch14.online_softmax", ch14._flash_block_average, "averaging each block")
    _fails_with("ch14.online_softmax", ch14._flash_unscaled, "divide the scores by √d")


def test_speculative_mistakes_are_named():
    _fails_with("ch14.speculative_verify", lambda *a: ch14._spec_slip(*a, inverted=True), "target over draft")
    _fails_with("ch14.speculative_verify", lambda *a: ch14._spec_slip(*a, from_p=True), "not from p")
    _fails_with("ch14.speculative_verify", lambda *a: ch14._spec_slip(*a, bonus=False), "bonus")


def test_reports_never_show_expected_values():
    result = grading.run_check("ch14.rms_norm", ch14._rms_no_sqrt)
    expected = ch14.rms_norm_reference([[3.0, 4.0]], [1.0, 1.0], eps=0.0)
    assert f"{expected[0, 0]:.4f}" not in result.report()
