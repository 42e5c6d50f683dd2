"""The graded checks of Chapter 10: the reference earns full points, a stub is "not done", and typical mistakes
fail with a hint that names them (and never the expected values)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.checks import ch10_attention as ch10
from coursekit.grading import Status
from coursekit.layers.attention_scores import attention_numpy


def _stub(*args, **kwargs):
    raise NotImplementedError


REFERENCES = [
    ("ch10.attention", attention_numpy),
    ("ch10.positional_encoding", ch10.positional_encoding_reference),
    ("ch10.multi_head_attention", ch10.mha_reference),
    ("ch10.top_p", ch10.nucleus_reference),
    ("ch10.bpe_merges", ch10.bpe_merges_reference),
    ("ch10.beam_search", ch10.beam_search_reference),
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


def test_attention_mistakes_are_named():
    _fails_with("ch10.attention", ch10._att_unscaled, "divide the scores by √d_k")
    _fails_with("ch10.attention", ch10._att_zero_mask, "must become -∞")
    _fails_with("ch10.attention", ch10._att_wrong_axis, "softmax over the keys")


def test_positional_encoding_mistakes_are_named():
    _fails_with("ch10.positional_encoding", ch10._pe_column_exponent, "share the exponent 2i/d")
    _fails_with("ch10.positional_encoding", ch10._pe_swapped, "sine in the even columns")
    _fails_with("ch10.positional_encoding", ch10._pe_halves, "interleave")


def test_multi_head_attention_mistakes_are_named():
    _fails_with("ch10.multi_head_attention", ch10._mha_one_head, "split the projections")
    _fails_with("ch10.multi_head_attention", ch10._mha_scale_D, "not by √D")
    _fails_with("ch10.multi_head_attention", ch10._mha_transposed, "X @ W.T")


def test_numpy_multi_head_attention_of_the_check_agrees_with_the_reference():
    """The slips are built on a NumPy MHA; unslipped, it must be the reference (or the hints would lie)."""
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(5, 8)), [rng.normal(size=(8, 8)) for _ in range(4)]
    mask = np.tril(np.ones((5, 5), bool))
    np.testing.assert_allclose(ch10._mha_numpy(X, *W, 2, mask), ch10.mha_reference(X, *W, 2, mask), atol=1e-12)


def test_top_p_mistakes_are_named():
    _fails_with("ch10.top_p", ch10._top_p_exclusive, "reach p")
    _fails_with("ch10.top_p", ch10._top_p_ascending, "decreasing probability")


def test_bpe_mistakes_are_named():
    _fails_with("ch10.bpe_merges", ch10._bpe_ties_largest, "smallest (left id, right id)")
    _fails_with("ch10.bpe_merges", ch10._bpe_no_pretokenize, "pre-tokenise")
    _fails_with("ch10.bpe_merges", lambda text, n: [(a, b) for a, b in ch10.bpe_merges_reference(text, n)][:-1],
                "you returned")


def test_plain_python_bpe_of_the_ties_slip_matches_the_library_when_ties_go_the_other_way():
    """Guard for the slip's own code: on a corpus without ties it must learn the library's merges."""
    text = "aaaaaaa bbbb cc"                   # pair counts 6, 3, 1, 1, 1: the first two merges are unambiguous
    assert ch10._bpe_ties_largest(text, 2) == ch10.bpe_merges_reference(text, 2) == [[97, 97], [98, 98]]


def test_beam_search_mistakes_are_named():
    greedy = lambda log_P, start, K, T: ch10.beam_search_reference(log_P, start, 1, T)
    _fails_with("ch10.beam_search", greedy, "K best of all K·V extensions")


def test_hints_never_print_reference_values():
    result = grading.run_check("ch10.positional_encoding", ch10._pe_swapped)
    report = result.report()
    pe = ch10.positional_encoding_reference(4, 4)
    assert not result.passed
    assert all(f"{v:.4f}" not in report for v in pe.ravel() if abs(v) not in (0.0, 1.0))
