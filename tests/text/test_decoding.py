"""coursekit.text.decoding: top-k and top-p against plain-Python definitions, sampling frequencies against the
sampling distribution (chi-square), KV-cache decoding token for token equal to full recomputation, beam search
of width 1 equal to greedy and of full width equal to exhaustive search."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from coursekit.models.gpt import GPT, GPTConfig
from coursekit.text.decoding import beam_search, generate, next_token_distribution, top_k_filter, top_p_filter

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _model(vocab=11, block=40, seed=0, scale=3.0):
    """A random float64 GPT whose next-token distributions are peaked enough to be interesting."""
    model = GPT(GPTConfig(vocab_size=vocab, block_size=block, d_model=16, n_heads=2, n_layers=2, d_ff=32),
                generator=_gen(seed)).double().eval()
    with torch.no_grad():
        model.tok_emb.weight.mul_(scale / 0.02 * 0.1)          # from std 0.02 to a few tenths: sharper logits
    return model


class Fixed(nn.Module):
    """A 'model' whose next-token logits are always ``z``: sampling from it samples from z's distribution."""

    def __init__(self, z):
        super().__init__()
        self.z = z

    def new_cache(self):
        return []

    def forward(self, ids, cache=None):
        return self.z.expand(ids.shape[0], ids.shape[1], -1)


def test_top_k_keeps_exactly_the_k_largest():
    z = torch.randn(6, 20, generator=_gen(1), dtype=torch.float64)
    for k in (1, 3, 20, 50):
        kept = top_k_filter(z, k).isfinite()
        for row, keep in zip(z, kept):
            threshold = sorted(row.tolist(), reverse=True)[min(k, 20) - 1]
            assert keep.tolist() == [v >= threshold for v in row.tolist()]


def _nucleus(probs, p):
    """Holtzman et al.: the smallest prefix of the tokens sorted by probability whose mass reaches p."""
    order = sorted(range(len(probs)), key=lambda i: (-probs[i], i))
    kept, mass = set(), 0.0
    for i in order:
        kept.add(i)
        mass += probs[i]
        if mass >= p:
            break
    return [i in kept for i in range(len(probs))]


def test_top_p_keeps_the_smallest_set_reaching_p():
    z = torch.randn(8, 15, generator=_gen(2), dtype=torch.float64) * 2
    for p in (0.05, 0.3, 0.5, 0.9, 0.999, 1.0):
        kept = top_p_filter(z, p).isfinite()
        for row, keep in zip(torch.softmax(z, -1), kept):
            assert keep.tolist() == _nucleus(row.tolist(), p)


def test_temperature_sharpens_and_flattens():
    z = torch.tensor([[2.0, 1.0, 0.5, -1.0]], dtype=torch.float64)
    torch.testing.assert_close(next_token_distribution(z), torch.softmax(z, -1))
    torch.testing.assert_close(next_token_distribution(z, 0.5), torch.softmax(2 * z, -1))
    assert next_token_distribution(z, 1e-4)[0, 0] > 1 - 1e-12                # T → 0: greedy
    torch.testing.assert_close(next_token_distribution(z, 1e6), torch.full((1, 4), 0.25, dtype=torch.float64),
                               atol=1e-5, rtol=0)                            # T → ∞: uniform


@pytest.mark.parametrize("settings", [dict(), dict(temperature=0.7), dict(top_k=3), dict(top_p=0.8),
                                      dict(temperature=1.5, top_k=4, top_p=0.9)], ids=str)
def test_sampled_frequencies_follow_the_sampling_distribution(settings):
    z = torch.tensor([1.5, 1.0, 0.8, 0.2, -0.5, -1.0], dtype=torch.float64)
    n = 20000
    tokens = generate(Fixed(z), torch.zeros(n, 1, dtype=torch.long), 1, generator=_gen(3), **settings)[:, 1]
    counts = np.bincount(tokens.numpy(), minlength=6)
    p = next_token_distribution(z[None], **settings)[0].numpy()
    assert counts[p == 0].sum() == 0                                         # filtered tokens never appear
    # Pearson's chi-square on the allowed tokens; the seed is fixed, so this is deterministic. p > 0.001 is a
    # loose bar for a correct sampler and a wrong distribution (e.g. a missed temperature) fails it by far.
    allowed = p > 0
    assert stats.chisquare(counts[allowed], n * p[allowed]).pvalue > 1e-3


@pytest.mark.parametrize("greedy", [True, False], ids=["greedy", "sampled"])
def test_kv_cache_decoding_equals_full_recomputation_token_for_token(greedy):
    model = _model()
    prompt = torch.tensor([[1, 2, 3], [4, 4, 4], [0, 9, 5]])
    kwargs = dict(greedy=True) if greedy else dict(temperature=0.9, top_k=6)
    cached = generate(model, prompt, 25, use_cache=True, generator=_gen(4), **kwargs)
    full = generate(model, prompt, 25, use_cache=False, generator=_gen(4), **kwargs)
    assert torch.equal(cached, full) and cached.shape == (3, 28)
    assert len(set(map(tuple, cached[:, 3:].tolist()))) > 1                  # the continuations are not trivial


def test_cached_logits_equal_full_logits():
    model = _model(seed=1)
    ids = torch.randint(0, 11, (2, 12), generator=_gen(5))
    full = model(ids)
    cache = model.new_cache()
    step = torch.cat([model(ids[:, t:t + 1], cache) for t in range(12)], 1)
    torch.testing.assert_close(step, full, atol=1e-12, rtol=0)               # float64: ~1e-15 apart


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_search_of_width_one_is_greedy_decoding(seed):
    model = _model(seed=seed)
    prompt = torch.tensor([seed + 1, 2])
    tokens, logp = beam_search(model, prompt, 1, 15)
    assert torch.equal(tokens, generate(model, prompt, 15, greedy=True)[0])
    with torch.no_grad():
        full = torch.log_softmax(model(tokens[None, :-1]), -1)[0]            # recompute the score
    assert math.isclose(logp, float(full[torch.arange(1, 16), tokens[2:]].sum()), abs_tol=1e-9)


def test_beam_search_of_full_width_finds_the_exhaustive_optimum():
    V, L = 5, 3
    model = _model(vocab=V, seed=3)
    prompt = torch.tensor([1])
    seqs = torch.tensor([[1, *c] for c in itertools.product(range(V), repeat=L)])   # all V^L continuations
    with torch.no_grad():
        logp = torch.log_softmax(model(seqs[:, :-1]), -1)                    # (V^L, L, V)
    scores = torch.gather(logp, 2, seqs[:, 1:, None])[..., 0].sum(1)       # (V^L,) log p of each sequence
    best = int(scores.argmax())
    tokens, score = beam_search(model, prompt, V ** (L - 1), L)              # wide enough to keep every prefix
    assert torch.equal(tokens, seqs[best]) and math.isclose(score, float(scores[best]), abs_tol=1e-9)
    _, narrow = beam_search(model, prompt, 2, L)
    _, greedy = beam_search(model, prompt, 1, L)
    assert greedy <= narrow + 1e-12 <= score + 2e-12                         # a wider beam never scores lower here


class Markov(nn.Module):
    """A first-order Markov 'language model': the next-token logits depend on the last token only."""

    def __init__(self, P):
        super().__init__()
        self.logp = torch.log(torch.as_tensor(P, dtype=torch.float64))

    def new_cache(self):
        return []

    def forward(self, ids, cache=None):
        return self.logp[ids]                                                # (B, n, V)


def test_beam_search_lets_a_finished_hypothesis_win_and_pads_it_with_eos():
    # token 3 is eos; from 0, eos has p = 0.6, the alternative path 0 → 1 → 2 → 2 … has p = 0.4 · 0.99^k
    P = [[0.0, 0.4, 0.0, 0.6], [0.0, 0.0, 0.99, 0.01], [0.0, 0.0, 0.99, 0.01], [0.25, 0.25, 0.25, 0.25]]
    tokens, score = beam_search(Markov(P), torch.tensor([0]), 2, 5, eos_id=3)
    assert tokens.tolist() == [0, 3, 3, 3, 3, 3] and math.isclose(score, math.log(0.6))
    # without the eos rule, the path through eos pays log 0.25 per step after it and loses
    tokens, score = beam_search(Markov(P), torch.tensor([0]), 2, 5)
    assert tokens.tolist() == [0, 1, 2, 2, 2, 2] and math.isclose(score, math.log(0.4) + 4 * math.log(0.99))


@pytest.mark.parametrize("call, words", [
    (lambda: generate(_model(), torch.tensor([1]), 3), "generator"),
    (lambda: generate(_model(), torch.tensor([1.0]), 3, greedy=True), "integer"),
    (lambda: top_p_filter(torch.zeros(1, 3), 0.0), "p must be > 0"),
    (lambda: top_k_filter(torch.zeros(3), 1), r"\(B, V\)"),
    (lambda: next_token_distribution(torch.zeros(1, 3), temperature=0.0), "temperature"),
    (lambda: beam_search(_model(), torch.zeros(2, 3, dtype=torch.long), 2, 3), "one prompt"),
    (lambda: generate(_model(block=8), torch.tensor([1, 2]), 10, greedy=True), "block_size"),
])
def test_decoding_rejects_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()
