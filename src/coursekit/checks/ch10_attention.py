"""Checks of Chapter 10's exercises.

The exercises: scaled dot-product attention, the sinusoidal encoding, multi-head attention, the nucleus
(top-p) filter, byte-pair merges and beam search.

Every input is plain data (NumPy arrays, ints, floats, strings); the references are the coursekit functions,
wrapped where the library works on torch tensors. Known slips are recognised by comparing the student's
answer with the slip's output on the same case, so a hint names the slip without showing expected values.
"""

from __future__ import annotations

import numpy as np
import torch

from coursekit import grading
from coursekit.data.text import grammar_corpus
from coursekit.grading import Case, Check, review_with
from coursekit.layers.attention import MultiHeadAttention, multi_head_attention, scaled_dot_product_attention
from coursekit.layers.attention_scores import attention_numpy
from coursekit.layers.positional import SinusoidalPositionalEncoding, sinusoidal_positional_encoding
from coursekit.text.bpe import SPLIT_PATTERN, BytePairEncoder, train_bpe
from coursekit.text.decoding import beam_search, next_token_distribution, top_p_filter

__all__ = ["CHECKS", "positional_encoding_reference", "mha_reference", "nucleus_reference", "bpe_merges_reference",
           "beam_search_reference"]


def _softmax(S):
    S = S - S.max(axis=-1, keepdims=True)
    E = np.exp(S)
    return E / E.sum(axis=-1, keepdims=True)


# ----------------------------------------------------------------------------- ch10.attention

def _attention_cases(rng):
    yield Case("hand-made: 2 queries, 3 keys, d_k = 2", (np.array([[1.0, 0], [0, 1]]), np.array([[1.0, 0], [0, 1], [1, 1]]),
                                                         np.array([[1.0, 2], [3, 4], [5, 6]])))
    for n, m, d, dv in [(4, 6, 8, 3), (7, 7, 16, 5)]:
        yield Case(f"random Q ({n}×{d}), K ({m}×{d}), V ({m}×{dv})",
                   (rng.normal(size=(n, d)), rng.normal(size=(m, d)), rng.normal(size=(m, dv))))
    Q, K, V = rng.normal(size=(6, 8)), rng.normal(size=(6, 8)), rng.normal(size=(6, 4))
    yield Case("6 tokens with a causal mask", (Q, K, V), {"mask": np.tril(np.ones((6, 6), bool))})
    mask = rng.random((5, 9)) < 0.5
    mask[:, 0] = True
    yield Case("5 queries, 9 keys, a random mask", (rng.normal(size=(5, 4)) * 3, rng.normal(size=(9, 4)),
                                                    rng.normal(size=(9, 2))), {"mask": mask})


def _att_unscaled(Q, K, V, mask=None):
    S = Q @ K.T
    return _softmax(S if mask is None else np.where(mask, S, -np.inf)) @ V


def _att_zero_mask(Q, K, V, mask=None):
    S = Q @ K.T / np.sqrt(Q.shape[1])
    return _softmax(S if mask is None else np.where(mask, S, 0.0)) @ V


def _att_wrong_axis(Q, K, V, mask=None):
    S = Q @ K.T / np.sqrt(Q.shape[1])
    S = S if mask is None else np.where(mask, S, -np.inf)
    S = S - S.max(axis=0, keepdims=True)
    E = np.exp(S)
    return (E / E.sum(axis=0, keepdims=True)) @ V


# ----------------------------------------------------------------------------- ch10.positional_encoding

def positional_encoding_reference(n_positions, d_model):
    """The (N, D) float64 sinusoidal table as a NumPy array: the exercise's answer."""
    return sinusoidal_positional_encoding(n_positions, d_model, dtype=torch.float64).numpy()


def _pe_cases(rng):
    yield Case("4 positions, d_model = 4", (4, 4))
    yield Case("50 positions, d_model = 16", (50, 16))
    yield Case(f"{int(rng.integers(20, 40))} positions, d_model = 64", (int(rng.integers(20, 40)), 64))
    yield Case("1 position, d_model = 2", (1, 2))


def _pe_column_exponent(n, d):
    c = np.arange(d)
    angle = np.arange(n)[:, None] / 10000 ** (c / d)                # the seeds' slip: exponent c/d per column
    return np.where(c % 2 == 0, np.sin(angle), np.cos(angle))


def _pe_swapped(n, d):
    return positional_encoding_reference(n, d).reshape(n, d // 2, 2)[..., ::-1].reshape(n, d)


def _pe_halves(n, d):
    pe = positional_encoding_reference(n, d)
    return np.concatenate([pe[:, 0::2], pe[:, 1::2]], axis=1)


# ----------------------------------------------------------------------------- ch10.multi_head_attention

def mha_reference(X, W_q, W_k, W_v, W_o, n_heads, mask=None):
    """Multi-head self-attention of one (N, D) sequence without biases, as a NumPy array: the answer."""
    x = torch.from_numpy(X)[None]                                                        # (1, N, D)
    W_in = torch.from_numpy(np.concatenate([W_q, W_k, W_v]))                            # (3D, D), rows = outputs
    m = None if mask is None else torch.from_numpy(mask)
    out = multi_head_attention(x, x, W_in, None, torch.from_numpy(W_o), None, int(n_heads), m).out
    return out[0].numpy()


def _mha_cases(rng):
    for N, D, h in [(4, 8, 2), (6, 12, 3), (5, 16, 4)]:
        W = [rng.normal(size=(D, D)) / np.sqrt(D) for _ in range(4)]
        yield Case(f"N = {N}, D = {D}, {h} heads", (rng.normal(size=(N, D)), *W, h))
    N, D = 7, 8
    W = [rng.normal(size=(D, D)) / np.sqrt(D) * 2 for _ in range(4)]
    yield Case("N = 7, D = 8, 2 heads, causal mask", (rng.normal(size=(N, D)), *W, 2),
               {"mask": np.tril(np.ones((N, N), bool))})


def _mha_numpy(X, W_q, W_k, W_v, W_o, n_heads, mask=None, scale_by_D=False):
    """A plain NumPy multi-head attention, for the slips below."""
    N, D = X.shape
    d = D // n_heads
    heads = []
    for i in range(n_heads):
        cols = slice(i * d, (i + 1) * d)
        q, k, v = X @ W_q[cols].T, X @ W_k[cols].T, X @ W_v[cols].T          # (N, d) each
        S = q @ k.T / np.sqrt(D if scale_by_D else d)
        heads.append(_softmax(S if mask is None else np.where(mask, S, -np.inf)) @ v)
    return np.concatenate(heads, axis=1) @ W_o.T


def _mha_one_head(X, W_q, W_k, W_v, W_o, n_heads, mask=None):
    return _mha_numpy(X, W_q, W_k, W_v, W_o, 1, mask)


def _mha_scale_D(X, W_q, W_k, W_v, W_o, n_heads, mask=None):
    return _mha_numpy(X, W_q, W_k, W_v, W_o, n_heads, mask, scale_by_D=True)


def _mha_transposed(X, W_q, W_k, W_v, W_o, n_heads, mask=None):
    return _mha_numpy(X, W_q.T, W_k.T, W_v.T, W_o.T, n_heads, mask)


# ----------------------------------------------------------------------------- ch10.top_p

def nucleus_reference(logits, p):
    """The boolean (V,) mask of the top-p nucleus of one row of logits: the exercise's answer."""
    return top_p_filter(torch.from_numpy(np.asarray(logits, dtype=np.float64))[None], float(p))[0].isfinite().numpy()


def _top_p_cases(rng):
    yield Case("hand-made: probabilities 0.5, 0.3, 0.15, 0.05 and p = 0.75", (np.log([0.5, 0.3, 0.15, 0.05]), 0.75))
    yield Case("hand-made: the same, shuffled, p = 0.85", (np.log([0.15, 0.5, 0.05, 0.3]), 0.85))
    for V, p in [(10, 0.5), (50, 0.9), (50, 0.2)]:
        yield Case(f"random logits over {V} tokens, p = {p}", (rng.normal(size=V) * 2, p))
    yield Case("p = 1: every token", (rng.normal(size=8), 1.0))


def _top_p_exclusive(logits, p):
    probs = _softmax(np.asarray(logits, float))
    order = np.argsort(-probs, kind="stable")
    keep = np.zeros(len(probs), bool)
    keep[order[np.cumsum(probs[order]) <= p]] = True                 # drops the token that crosses p
    keep[order[0]] = True
    return keep


def _top_p_ascending(logits, p):
    probs = _softmax(np.asarray(logits, float))
    order = np.argsort(probs, kind="stable")
    keep = np.zeros(len(probs), bool)
    keep[order[np.cumsum(probs[order]) - probs[order] < p]] = True
    return keep


# ----------------------------------------------------------------------------- ch10.bpe_merges

def bpe_merges_reference(text, n_merges):
    """The learned merges as a list of [left id, right id] (new ids are 256, 257, …): the exercise's answer."""
    return [[a, b] for (a, b), _ in train_bpe(text, int(n_merges)).merges]


def _bpe_cases(rng):
    yield Case("hand-made: 'aaabdaaabac' then 'ab ab ab' — 3 merges", ("aaabdaaabac\nab ab ab", 3))
    yield Case("20 sentences of the grammar corpus, 25 merges", (grammar_corpus(20, rng), 25))
    yield Case("200 sentences of the grammar corpus, 60 merges", (grammar_corpus(200, rng), 60))
    yield Case("many ties: 'ab cd ef' repeated, 5 merges", ("ab cd ef " * 4, 5))


def _bpe_ties_largest(text, n):
    """Break ties towards the *largest* pair."""
    from collections import Counter
    import re

    words = Counter(tuple(w.encode()) for w in re.findall(SPLIT_PATTERN, text))
    merges, next_id = [], 256
    for _ in range(n):
        counts = Counter()
        for w, c in words.items():
            for pair in zip(w, w[1:]):
                counts[pair] += c
        if not counts:
            break
        best = max(counts, key=lambda q: (counts[q], q))
        merges.append(list(best))
        new = Counter()
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(next_id)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new[tuple(out)] += c
        words, next_id = new, next_id + 1
    return merges


def _bpe_no_pretokenize(text, n):
    return [[a, b] for (a, b), _ in train_bpe(text, int(n), pattern=r"(?s).+").merges]


def _bpe_judge(case, got, expected):
    try:
        got = [[int(a), int(b)] for a, b in got]
    except (TypeError, ValueError):
        return "return a list of [left_id, right_id] pairs of ints, one per merge, in the order you learned them."
    if len(got) != len(expected):
        return f"you returned {len(got)} merges; the case asks for {case.args[1]} (fewer only if no pair is left)."
    wrong = next((r for r, (g, e) in enumerate(zip(got, expected)) if g != e), None)
    if wrong is None:
        return ""
    return f"merges 1 … {wrong} are right, merge {wrong + 1} is not."


# ----------------------------------------------------------------------------- ch10.beam_search

def _markov(log_P):
    class Markov(torch.nn.Module):
        def new_cache(self):
            return []

        def forward(self, ids, cache=None):
            return torch.from_numpy(log_P)[ids]                     # (B, n, V): the row of the last token
    return Markov()


def beam_search_reference(log_P, start, beam_width, n_steps):
    """Beam search on a Markov chain with log-transition matrix ``log_P`` (V, V): (tokens after ``start``, log p)."""
    tokens, score = beam_search(_markov(np.asarray(log_P, float)), torch.tensor([int(start)]), int(beam_width),
                                int(n_steps))
    return tokens[1:].numpy(), float(score)


def _beam_cases(rng):
    # A chain where greedy is not optimal: from 0, token 1 is likelier (0.55) but leads to a flat row.
    P = np.array([[0.0, 0.55, 0.45, 0.0], [0.25, 0.25, 0.25, 0.25], [0.0, 0.0, 0.05, 0.95],
                  [0.0, 0.0, 0.05, 0.95]])
    with np.errstate(divide="ignore"):
        log_P = np.log(P)
    yield Case("a 4-token chain where greedy is not optimal, width 2, 3 steps", (log_P, 0, 2, 3))
    yield Case("the same chain, width 1 (greedy)", (log_P, 0, 1, 3))
    for V, K, T in [(6, 3, 5), (8, 4, 6)]:
        logits = rng.normal(size=(V, V)) * 2
        lp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        yield Case(f"a random {V}-token chain, width {K}, {T} steps", (lp, int(rng.integers(V)), K, T))


def _beam_judge(case, got, expected):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "return a pair (tokens, log_prob)."
    tokens, score = got
    hint = grading.compare(np.asarray(tokens), expected[0], atol=0, what="tokens")
    if not hint:
        hint = grading.compare(float(score), expected[1], atol=1e-9, what="log_prob")
    log_P, start, K, T = case.args
    try:
        seq = [int(start)] + [int(t) for t in np.asarray(tokens).ravel()]
        own = float(sum(log_P[a, b] for a, b in zip(seq, seq[1:])))
    except (TypeError, ValueError, IndexError):
        return hint
    if hint and len(seq) == T + 1 and own < expected[1] - 1e-9:
        hint += " Hint: your sequence is less likely than the one a beam of this width finds; keep the K best of all K·V extensions, scored by their total log-probability."
    return hint


CHECKS = [
    Check("ch10.attention", cases=_attention_cases, reference=attention_numpy, atol=1e-9,
          review=review_with([(_att_unscaled, "divide the scores by √d_k."),
                               (_att_zero_mask, "blocked scores must become -∞ (weight 0), not 0."),
                               (_att_wrong_axis, "normalise each query's row: softmax over the keys (axis 1).")]),
          implements=(attention_numpy, scaled_dot_product_attention),
          forbidden=("torch.nn.functional.scaled_dot_product_attention", "scipy.special.softmax")),
    Check("ch10.positional_encoding", cases=_pe_cases, reference=positional_encoding_reference, atol=1e-9,
          review=review_with([(_pe_column_exponent, "columns 2i and 2i+1 share the exponent 2i/d: use the pair "
                                                     "index i, not the column index."),
                               (_pe_swapped, "sine in the even columns, cosine in the odd ones."),
                               (_pe_halves, "interleave: column 2i is a sine and column 2i+1 its cosine, not all "
                                            "sines then all cosines.")]),
          implements=(sinusoidal_positional_encoding, SinusoidalPositionalEncoding)),
    Check("ch10.multi_head_attention", cases=_mha_cases, reference=mha_reference, atol=1e-9,
          review=review_with([(_mha_one_head, "split the projections into n_heads heads of size D / n_heads and "
                                               "attend in each head separately."),
                               (_mha_scale_D, "scale each head's scores by √d with d = D / n_heads, the size "
                                              "of a head's queries and keys, not by √D."),
                               (_mha_transposed, "a projection is X @ W.T (the weight rows are the outputs, as in "
                                                 "torch.nn.Linear).")]),
          implements=(multi_head_attention, MultiHeadAttention),
          forbidden=("torch.nn.MultiheadAttention", "torch.nn.functional.multi_head_attention_forward",
                     "torch.nn.functional.scaled_dot_product_attention")),
    Check("ch10.top_p", cases=_top_p_cases, reference=nucleus_reference,
          review=review_with([(_top_p_exclusive, "keep the token that makes the mass reach p (the nucleus is the "
                                                   "smallest set whose mass is at least p)."),
                               (_top_p_ascending, "sort the tokens by decreasing probability.")], atol=0),
          implements=(top_p_filter, next_token_distribution)),
    Check("ch10.bpe_merges", cases=_bpe_cases, reference=bpe_merges_reference, judge=_bpe_judge,
          review=review_with([(_bpe_ties_largest, "on a tie, take the pair with the smallest (left id, right id)."),
                               (_bpe_no_pretokenize, "pre-tokenise with SPLIT_PATTERN first: merges never cross "
                                                     "chunks such as ' cat' and '.'.")], atol=0),
          implements=(train_bpe, BytePairEncoder), forbidden=("tokenizers.Tokenizer", "tokenizers.trainers.BpeTrainer", "sentencepiece.SentencePieceTrainer.train")),
    Check("ch10.beam_search", cases=_beam_cases, reference=beam_search_reference, judge=_beam_judge,
          implements=(beam_search,)),
]
