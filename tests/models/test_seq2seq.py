"""coursekit.models.seq2seq: shapes, the padding and causal masks at work, the teacher-forcing loss, and a
short run that learns to reverse strings."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.data.sequence_pairs import reversal_pairs
from coursekit.models.seq2seq import Seq2SeqConfig, Seq2SeqTransformer, greedy_translate, seq2seq_loss
from coursekit.training import FitConfig, fit

pytestmark = pytest.mark.usefixtures("one_torch_thread")

CFG = Seq2SeqConfig(vocab_size=9, d_model=16, n_heads=2, d_ff=32)


def _model(seed=0):
    return Seq2SeqTransformer(CFG, generator=torch.Generator().manual_seed(seed))


def test_padding_after_the_length_and_future_targets_change_nothing():
    model = _model()
    src = torch.tensor([[3, 4, 5, 6, 0, 0]])
    tgt = torch.tensor([[1, 6, 5, 4]])
    with torch.no_grad():
        base = model(src, torch.tensor([4]), tgt)
        other_pad = model(torch.tensor([[3, 4, 5, 6, 7, 8]]), torch.tensor([4]), tgt)   # junk after length 4
        other_future = model(src, torch.tensor([4]), torch.tensor([[1, 6, 8, 8]]))      # later targets differ
    torch.testing.assert_close(other_pad, base, atol=1e-6, rtol=0)      # float32: only reordered sums differ
    torch.testing.assert_close(other_future[:, :2], base[:, :2], atol=1e-6, rtol=0)


def test_loss_ignores_padding_and_equals_the_mean_cross_entropy():
    model = _model(1)
    src, lengths = torch.tensor([[3, 4, 0], [5, 6, 7]]), torch.tensor([2, 3])
    tgt = torch.tensor([[1, 4, 3, 2, 0], [1, 7, 6, 5, 2]])
    logits = model(src, lengths, tgt[:, :-1])
    keep = tgt[:, 1:] != 0
    by_hand = F.cross_entropy(logits[keep], tgt[:, 1:][keep])
    torch.testing.assert_close(seq2seq_loss(model, (src, lengths, tgt)), by_hand)


def test_a_short_run_learns_to_reverse_strings():
    train, test = reversal_pairs(1000, np.random.default_rng(0), (3, 4), 6), reversal_pairs(200, np.random.default_rng(1), (3, 4), 6)
    as_t = lambda d: (torch.from_numpy(d.src), torch.from_numpy(d.src_lengths), torch.from_numpy(d.tgt))
    g = torch.Generator().manual_seed(0)
    model = Seq2SeqTransformer(Seq2SeqConfig(vocab_size=train.vocab_size, d_model=32, n_heads=4, d_ff=64), generator=g)
    fit(model, seq2seq_loss, as_t(train), FitConfig(epochs=10, batch_size=32, lr=1e-2, warmup_fraction=0.05, min_lr=2e-3), g,
        progress=False)
    src, L, tgt = as_t(test)
    out = greedy_translate(model, src, L, tgt.shape[1] - 1)
    out = F.pad(out, (0, tgt.shape[1] - out.shape[1]), value=2)
    exact = np.mean([bool((out[b, : int(L[b]) + 2] == tgt[b, : int(L[b]) + 2]).all()) for b in range(len(L))])
    assert exact > 0.8, exact                 # measured 1.0; chance is (1/6)^3 or less per string


def test_encoding_once_then_decoding_equals_the_full_forward_pass():
    model = _model(2)
    src, lengths, tgt = torch.tensor([[3, 4, 5], [6, 7, 0]]), torch.tensor([3, 2]), torch.tensor([[1, 5, 4], [1, 7, 6]])
    with torch.no_grad():
        memory, src_mask = model.encode(src, lengths)
        torch.testing.assert_close(model.decode(memory, src_mask, tgt), model(src, lengths, tgt), atol=0, rtol=0)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="Seq2SeqConfig"):
        Seq2SeqTransformer({"vocab_size": 5})
    with pytest.raises(ValueError, match="src"):
        _model()(torch.zeros(2, 3, dtype=torch.long), torch.tensor([3, 3]), torch.zeros(3, 2, dtype=torch.long))
