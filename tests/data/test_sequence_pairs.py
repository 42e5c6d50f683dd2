"""coursekit.data.sequence_pairs: the reversal task's targets are the reversed sources, framed and padded."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.data.sequence_pairs import BOS, EOS, PAD, reversal_pairs


def test_targets_are_begin_reversed_source_end_then_padding():
    d = reversal_pairs(50, np.random.default_rng(0), length=(2, 7), n_symbols=5)
    assert d.src.shape == (50, 7) and d.tgt.shape == (50, 9) and d.vocab_size == 8
    assert d.src_lengths.min() >= 2 and d.src_lengths.max() <= 7
    for s, L, t in zip(d.src, d.src_lengths, d.tgt):
        assert t[0] == BOS and t[L + 1] == EOS and np.all(t[L + 2:] == PAD)
        assert np.array_equal(t[1:L + 1], s[:L][::-1]) and np.all(s[L:] == PAD)
        assert np.all((s[:L] >= 3) & (s[:L] < 8))


def test_pairs_are_seeded():
    a, b = reversal_pairs(5, np.random.default_rng(3)), reversal_pairs(5, np.random.default_rng(3))
    assert np.array_equal(a.src, b.src) and np.array_equal(a.tgt, b.tgt)


@pytest.mark.parametrize("call, words", [
    (lambda: reversal_pairs(0, np.random.default_rng(0)), "n"),
    (lambda: reversal_pairs(3, 0), "np.random.Generator"),
    (lambda: reversal_pairs(3, np.random.default_rng(0), length=(4, 2)), "length"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
