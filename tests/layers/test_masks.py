"""coursekit.layers.masks: the causal, padding and prefix-LM masks against their definitions and PyTorch's masks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from coursekit.layers.masks import causal_mask, padding_mask, prefix_lm_mask


def test_causal_mask_is_the_complement_of_torchs_square_subsequent_mask():
    theirs = nn.Transformer.generate_square_subsequent_mask(6)          # -inf above the diagonal, 0 elsewhere
    assert torch.equal(causal_mask(6), theirs == 0)
    assert torch.equal(causal_mask(6), torch.ones(6, 6).tril().bool())


def test_causal_mask_with_a_cache_is_aligned_to_the_last_positions():
    full = causal_mask(7)
    for n in range(1, 8):                                               # the last n queries of a 7-token sequence
        assert torch.equal(causal_mask(n, 7), full[7 - n:])


def test_padding_mask_marks_positions_before_each_length():
    mask = padding_mask(torch.tensor([3, 1, 5]), 5)
    assert mask.shape == (3, 1, 5)
    for b, length in enumerate([3, 1, 5]):
        assert mask[b, 0].tolist() == [j < length for j in range(5)]


def test_prefix_lm_mask_interpolates_between_causal_and_full_attention():
    assert torch.equal(prefix_lm_mask(5, 0), causal_mask(5))
    assert torch.equal(prefix_lm_mask(5, 5), torch.ones(5, 5, dtype=torch.bool))
    m = prefix_lm_mask(6, 3)
    for i in range(6):
        for j in range(6):
            assert bool(m[i, j]) == (j <= i or j < 3)
    batch = prefix_lm_mask(4, torch.tensor([0, 2, 4]))
    assert batch.shape == (3, 4, 4) and all(torch.equal(batch[b], prefix_lm_mask(4, p)) for b, p in enumerate([0, 2, 4]))


@pytest.mark.parametrize("call, words", [
    (lambda: causal_mask(0), "n_queries"),
    (lambda: causal_mask(4, 3), "n_keys"),
    (lambda: padding_mask([0, 2], 3), r"\[1, 3\]"),
    (lambda: padding_mask([4], 3), r"\[1, 3\]"),
    (lambda: padding_mask([1.5], 3), "integers"),
    (lambda: prefix_lm_mask(4, 5), "prefix_length"),
    (lambda: prefix_lm_mask(4, -1), "prefix_length"),
])
def test_masks_reject_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()
