"""coursekit.text.lm: teacher-forcing windows and loss against their definitions, the bigram model against plain
counting, and a short training run through the shared loop."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.models.gpt import GPT, GPTConfig
from coursekit.text.lm import bigram_log_probs, bigram_nll, lm_eval_loss, lm_loss, lm_windows, train_language_model
from coursekit.training import FitConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_windows_overlap_by_one_token_so_every_target_is_predicted_once():
    w = lm_windows(list(range(20)), 4)
    assert w.tolist() == [[0, 1, 2, 3, 4], [4, 5, 6, 7, 8], [8, 9, 10, 11, 12], [12, 13, 14, 15, 16]]
    targets = w[:, 1:].flatten().tolist()
    assert len(targets) == len(set(targets))
    assert lm_windows(list(range(10)), 4, stride=2).shape == (3, 5)
    with pytest.raises(ValueError, match="block_size"):
        lm_windows([1, 2, 3], 3)


def _tiny_gpt(seed=0, vocab=7):
    return GPT(GPTConfig(vocab_size=vocab, block_size=8, d_model=8, n_heads=2, n_layers=1, d_ff=16),
               generator=torch.Generator().manual_seed(seed))


def test_lm_loss_is_the_mean_next_token_cross_entropy():
    model = _tiny_gpt()
    w = torch.randint(0, 7, (3, 9), generator=torch.Generator().manual_seed(1))
    logits = model(w[:, :-1])
    by_hand = np.mean([-F.log_softmax(logits[b, t], -1)[w[b, t + 1]].item() for b in range(3) for t in range(8)])
    assert math.isclose(lm_loss(model, (w,)).item(), by_hand, rel_tol=1e-5)       # float32 sums: ~1e-7
    assert math.isclose(lm_eval_loss(model, w, batch_size=2), by_hand, rel_tol=1e-5)


def test_bigram_model_is_normalised_counting():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 5, 400)
    alpha = 0.5
    lp = bigram_log_probs(ids, 5, alpha)
    pairs = Counter(zip(ids[:-1].tolist(), ids[1:].tolist()))
    for a in range(5):
        row = np.array([pairs[(a, b)] + alpha for b in range(5)])
        np.testing.assert_allclose(np.exp(lp[a]), row / row.sum(), atol=1e-12)       # float64 division
    w = rng.integers(0, 5, (6, 9))
    by_hand = -np.mean([lp[w[i, t], w[i, t + 1]] for i in range(6) for t in range(8)])
    assert math.isclose(bigram_nll(lp, w), by_hand, rel_tol=1e-12)


def test_bigram_model_rejects_bad_input():
    with pytest.raises(ValueError, match="alpha"):
        bigram_log_probs([0, 1], 2, alpha=0.0)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        bigram_log_probs([0, 2], 2)
    with pytest.raises(ValueError, match="windows"):
        bigram_nll(np.zeros((2, 2)), np.zeros(5, int))


def test_short_training_run_lowers_the_validation_loss_below_uniform():
    """A periodic stream (0 1 2 3 4 5 0 1 …) is learnable from one token of context."""
    stream = [t % 6 for t in range(600)]
    windows = lm_windows(stream, 8)
    model = _tiny_gpt(vocab=6)
    history = train_language_model(model, windows, windows[:8], FitConfig(epochs=30, batch_size=16, lr=1e-2),
                                   torch.Generator().manual_seed(0), progress=False)
    assert len(history.val) == 30 and history.val[-1] < 0.3 < math.log(6)      # uniform: log 6 = 1.79
