"""coursekit.text.speculative: the output distribution is the target's (exact enumeration + chi-square tests),
greedy speculative decoding equals greedy decoding of the target token for token."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from scipy import stats

from coursekit.models.gpt import GPT, GPTConfig
from coursekit.text.decoding import generate
from coursekit.text.speculative import (
    BigramLM,
    residual_distribution,
    speculative_decode,
    speculative_sample,
    verify_draft,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_one_round_emits_exactly_p_by_enumeration():
    # Exact, no sampling: P(token) = Σ_x q(x) [min(1, p/q)(x) 1{x = token} + (1 − min(1, p/q)(x)) r(token)].
    rng = np.random.default_rng(0)
    for _ in range(20):
        V = int(rng.integers(2, 7))
        p, q = rng.dirichlet(np.ones(V)), rng.dirichlet(np.ones(V))
        accept = np.minimum(1.0, p / q)
        out = q * accept + (q * (1 - accept)).sum() * residual_distribution(p, q)
        np.testing.assert_allclose(out, p, atol=1e-12)


def test_verify_draft_by_hand():
    p = np.array([[0.2, 0.8], [0.6, 0.4], [0.0, 1.0]])
    q = np.array([[0.5, 0.5], [0.9, 0.1]])
    # draft 1: p/q = 1.6 → always accepted; draft 0: p/q = 0.667 → accepted iff u < 0.667; bonus from p[2]
    assert verify_draft(p, q, np.array([1, 0]), np.array([0.99, 0.5]), 0.3) == [1, 0, 1]
    # rejected at step 2: residual of (0.6, 0.4) − (0.9, 0.1) = (0, 0.3) → token 1
    assert verify_draft(p, q, np.array([1, 0]), np.array([0.99, 0.7]), 0.0) == [1, 1]
    with pytest.raises(ValueError, match="draft"):
        verify_draft(p, q, np.array([1, 5]), np.array([0.1, 0.1]), 0.1)
    with pytest.raises(ValueError, match="p"):
        verify_draft(p[:2], q, np.array([1, 0]), np.array([0.1, 0.1]), 0.1)


def test_vectorised_round_samples_from_p_chi_square():
    p = torch.tensor([0.5, 0.3, 0.15, 0.05], dtype=torch.float64)
    q = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)               # a poor draft
    x = speculative_sample(p, q, 200_000, torch.Generator().manual_seed(0))
    counts = np.bincount(x.numpy(), minlength=4)
    # Fixed seed; under H0 (samples ~ p) the p-value is uniform, so 1e-3 fails a correct sampler 0.1% of seeds.
    assert stats.chisquare(counts, 200_000 * p.numpy()).pvalue > 1e-3
    q_counts = np.bincount(torch.multinomial(q, 200_000, True, generator=torch.Generator().manual_seed(0)).numpy())
    assert stats.chisquare(q_counts, 200_000 * p.numpy()).pvalue < 1e-9      # the test has power


def test_whole_sequences_follow_the_target_chi_square():
    V, n_new, runs = 3, 3, 3000
    g = torch.Generator().manual_seed(1)
    target = BigramLM(torch.log_softmax(torch.randn(V, V, generator=g) * 1.5, 1))
    draft = BigramLM(torch.log_softmax(torch.randn(V, V, generator=g) * 1.5, 1))
    P = target.log_probs.exp().numpy()
    seqs = list(itertools.product(range(V), repeat=n_new))
    exact = np.array([P[0, s[0]] * P[s[0], s[1]] * P[s[1], s[2]] for s in seqs])   # p(s | prompt 0)
    exact = exact / exact.sum()                                             # float32 table: renormalise
    index = {s: i for i, s in enumerate(seqs)}
    counts = np.zeros(len(seqs))
    sampler = torch.Generator().manual_seed(2)
    for _ in range(runs):
        res = speculative_decode(target, draft, torch.tensor([0]), n_new, k=2, generator=sampler)
        counts[index[tuple(res.tokens.tolist())]] += 1
    assert stats.chisquare(counts, runs * exact).pvalue > 1e-3               # as above: α = 0.1% under H0


def test_greedy_speculative_equals_greedy_target_on_gpts():
    cfg = GPTConfig(vocab_size=20, block_size=40, d_model=32, n_heads=4, n_layers=2, d_ff=64)
    target = GPT(cfg, generator=torch.Generator().manual_seed(0)).eval()
    draft = GPT(GPTConfig(vocab_size=20, block_size=40, d_model=16, n_heads=2, n_layers=1, d_ff=32),
                generator=torch.Generator().manual_seed(1)).eval()
    prompt = torch.tensor([3, 7, 1])
    res = speculative_decode(target, draft, prompt, 20, k=4, temperature=0)
    expected = generate(target, prompt, 20, greedy=True)[0, 3:]
    assert torch.equal(res.tokens, expected)
    assert res.target_calls <= 20 and sum(res.accepted) + res.target_calls >= 20


def test_draft_equal_to_target_accepts_everything():
    g = torch.Generator().manual_seed(3)
    lm = BigramLM(torch.log_softmax(torch.randn(5, 5, generator=g), 1))
    res = speculative_decode(lm, lm, torch.tensor([1]), 15, k=4, generator=g)
    assert res.accepted[:-1] == [4] * (len(res.accepted) - 1) and res.target_calls == 3


def test_bad_input():
    lm = BigramLM(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="generator"):
        speculative_decode(lm, lm, torch.tensor([0]), 3)
    with pytest.raises(ValueError, match="prompt"):
        speculative_decode(lm, lm, torch.tensor([], dtype=torch.long), 3, temperature=0)
    with pytest.raises(ValueError, match="log_probs"):
        BigramLM(torch.zeros(3, 4))
