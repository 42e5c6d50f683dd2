"""Checks of Chapter 14's exercises.

The exercises: RMSNorm, rotary position embedding, symmetric per-channel quantisation, tiled attention with the
online softmax, and the accept/reject step of speculative decoding.

Every input is plain data (NumPy arrays, ints, floats); the references are the coursekit functions, wrapped where the
library works on torch tensors. Known slips are recognised by comparing the student's answer with the slip's output
on the same case, so a hint names the slip without showing expected values.
"""

from __future__ import annotations

import numpy as np
import torch

from coursekit import grading
from coursekit.compress.quantize import quantize
from coursekit.grading import Case, Check, review_with
from coursekit.layers.flash import tiled_attention, tiled_attention_numpy
from coursekit.layers.norms import RMSNorm, rms_norm
from coursekit.layers.rope import apply_rope
from coursekit.text.speculative import residual_distribution, verify_draft

__all__ = ["CHECKS", "rms_norm_reference", "rope_reference", "quantize_reference", "online_softmax_reference",
           "speculative_verify_reference"]


# ----------------------------------------------------------------------------- ch14.rms_norm

def rms_norm_reference(x, weight, eps=1e-6):
    """RMSNorm over the last axis as a NumPy array: the exercise's answer."""
    return rms_norm(torch.from_numpy(np.asarray(x, dtype=np.float64)),
                    torch.from_numpy(np.asarray(weight, dtype=np.float64)), float(eps)).numpy()


def _rms_cases(rng):
    yield Case("hand-made: x = [[3, 4]], gain 1, eps = 0", (np.array([[3.0, 4.0]]), np.ones(2)), {"eps": 0.0})
    yield Case("(5, 8) random rows, random gain", (rng.normal(size=(5, 8)) * 3 + 1, rng.normal(size=8)))
    yield Case("(2, 3, 16) batch of sequences", (rng.normal(size=(2, 3, 16)), rng.uniform(0.5, 2, size=16)))
    yield Case("small values with eps = 0.5", (rng.normal(size=(4, 6)) * 0.3, np.ones(6)), {"eps": 0.5})


def _rms_layernorm(x, weight, eps=1e-6):
    x = np.asarray(x, float)
    c = x - x.mean(-1, keepdims=True)
    return c / np.sqrt((c ** 2).mean(-1, keepdims=True) + eps) * weight


def _rms_no_sqrt(x, weight, eps=1e-6):
    x = np.asarray(x, float)
    return x / ((x ** 2).mean(-1, keepdims=True) + eps) * weight


def _rms_eps_outside(x, weight, eps=1e-6):
    x = np.asarray(x, float)
    return x / (np.sqrt((x ** 2).mean(-1, keepdims=True)) + eps) * weight


# ----------------------------------------------------------------------------- ch14.rope

def rope_reference(x, positions, base=10000.0):
    """RoPE of the (N, d) rows of ``x`` at ``positions`` (pairs (2i, 2i+1)), as a NumPy array: the answer."""
    return apply_rope(torch.from_numpy(np.asarray(x, dtype=np.float64)), torch.as_tensor(np.asarray(positions)),
                      float(base)).numpy()


def _rope_cases(rng):
    yield Case("hand-made: e₀ at positions 0 and 1, d = 2", (np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([0, 1])))
    yield Case("8 tokens, d = 8, positions 0 … 7", (rng.normal(size=(8, 8)), np.arange(8)))
    yield Case("5 tokens at positions 100 … 104, d = 16", (rng.normal(size=(5, 16)), np.arange(100, 105)))
    yield Case("4 tokens, d = 6, base 100", (rng.normal(size=(4, 6)), np.array([3, 0, 7, 2])), {"base": 100.0})


def _rope_halves(x, positions, base=10000.0):
    x = np.asarray(x, float)
    d = x.shape[1]
    perm = np.r_[0:d:2, 1:d:2]                                   # pair i with i + d/2 instead of 2i with 2i + 1
    inv = np.argsort(perm)
    return rope_reference(x[:, inv], positions, base)[:, perm]


def _rope_exponent(x, positions, base=10000.0):
    x = np.asarray(x, float)
    d = x.shape[1]
    theta = base ** (-np.arange(d // 2) / d)                      # i/d instead of 2i/d
    ang = np.asarray(positions, float)[:, None] * theta
    x1, x2 = x[:, 0::2], x[:, 1::2]
    return np.stack([x1 * np.cos(ang) - x2 * np.sin(ang), x1 * np.sin(ang) + x2 * np.cos(ang)], -1).reshape(x.shape)


def _rope_clockwise(x, positions, base=10000.0):
    return rope_reference(x, -np.asarray(positions), base)


# ----------------------------------------------------------------------------- ch14.quantize

def quantize_reference(W, bits=8):
    """Symmetric per-row quantisation of a (C, K) matrix: (integers (C, K) int64, scales (C,)): the answer."""
    qt = quantize(torch.from_numpy(np.asarray(W, dtype=np.float64)), int(bits), symmetric=True, axis=0)
    return qt.q.numpy(), qt.scale[:, 0].numpy()


def _quant_cases(rng):
    yield Case("hand-made: [[-1, 0, 0.5, 1]], 8 bits", (np.array([[-1.0, 0.0, 0.5, 1.0]]),))
    yield Case("(4, 10) rows of very different scales, 8 bits",
               (rng.normal(size=(4, 10)) * np.array([[0.01], [0.1], [1.0], [10.0]]),))
    yield Case("(6, 20) random weights, 4 bits", (rng.normal(size=(6, 20)),), {"bits": 4})
    yield Case("(3, 7) weights, 2 bits", (rng.normal(size=(3, 7)),), {"bits": 2})


def _quant_judge(case, got, expected):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "return a pair (q, scale)."
    hint = grading.compare(np.asarray(got[1], dtype=np.float64), expected[1], atol=1e-12, rtol=1e-9, what="scale")
    if not hint:
        hint = grading.compare(np.asarray(got[0]), expected[0], atol=0, what="q")
    return hint


def _quant_per_tensor(W, bits=8):
    W = np.asarray(W, float)
    s = np.abs(W).max() / (2 ** (bits - 1) - 1)
    return np.clip(np.round(W / s), -(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1).astype(np.int64), np.full(len(W), s)


def _quant_full_range(W, bits=8):
    W = np.asarray(W, float)
    s = np.abs(W).max(1) / 2 ** (bits - 1)
    return np.clip(np.round(W / s[:, None]), -2 ** (bits - 1), 2 ** (bits - 1) - 1).astype(np.int64), s


def _quant_floor(W, bits=8):
    W = np.asarray(W, float)
    s = np.abs(W).max(1) / (2 ** (bits - 1) - 1)
    return np.floor(W / s[:, None]).astype(np.int64), s


def _same_pair(got, wrong):
    try:
        return (np.array_equal(np.asarray(got[0]), wrong[0])
                and np.allclose(np.asarray(got[1], dtype=np.float64), wrong[1], rtol=1e-9))
    except (TypeError, ValueError, IndexError):
        return False


# ----------------------------------------------------------------------------- ch14.online_softmax

def online_softmax_reference(Q, K, V, block_size):
    """Attention of (N, d) queries to (M, d) keys and (M, d_v) values, tiled: the exercise's answer."""
    return tiled_attention_numpy(Q, K, V, int(block_size), int(block_size))


def _flash_cases(rng):
    yield Case("hand-made: 2 queries, 3 keys, blocks of 2", (np.array([[1.0, 0], [0, 1]]),
                                                            np.array([[1.0, 0], [0, 1], [1, 1]]),
                                                            np.array([[1.0, 2], [3, 4], [5, 6]]), 2))
    for N, M, d, dv, b in [(7, 13, 4, 3, 4), (16, 16, 8, 8, 16), (10, 33, 8, 2, 5)]:
        yield Case(f"Q ({N}×{d}), K ({M}×{d}), V ({M}×{dv}), blocks of {b}",
                   (rng.normal(size=(N, d)), rng.normal(size=(M, d)), rng.normal(size=(M, dv)), b))
    yield Case("scores near 1,000 (a plain exp overflows), blocks of 3",
               (rng.normal(size=(4, 2)) * 30, rng.normal(size=(9, 2)) * 30, rng.normal(size=(9, 3)), 3))


def _flash_no_rescale(Q, K, V, block_size):
    Q, K, V = (np.asarray(a, float) for a in (Q, K, V))
    S_all = Q @ K.T / np.sqrt(Q.shape[1])
    m = S_all.max(1, keepdims=True)
    ell, O = np.zeros((len(Q), 1)), np.zeros((len(Q), V.shape[1]))
    for j in range(0, len(K), block_size):
        S = S_all[:, j:j + block_size]
        mb = S.max(1, keepdims=True)                              # each block's own max, never reconciled
        P = np.exp(S - mb)
        ell, O = ell + P.sum(1, keepdims=True), O + P @ V[j:j + block_size]
    del m
    return O / ell


def _flash_block_average(Q, K, V, block_size):
    Q, K, V = (np.asarray(a, float) for a in (Q, K, V))
    outs = []
    for j in range(0, len(K), block_size):
        S = Q @ K[j:j + block_size].T / np.sqrt(Q.shape[1])
        P = np.exp(S - S.max(1, keepdims=True))
        outs.append((P / P.sum(1, keepdims=True)) @ V[j:j + block_size])
    return np.mean(outs, axis=0)


def _flash_unscaled(Q, K, V, block_size):
    Q = np.asarray(Q, float)
    return tiled_attention_numpy(Q * np.sqrt(Q.shape[1]), K, V, int(block_size), int(block_size))


# ----------------------------------------------------------------------------- ch14.speculative_verify

def speculative_verify_reference(p, q, draft, u, r):
    """The tokens one round of speculative decoding emits (a list of int): the exercise's answer."""
    return verify_draft(p, q, draft, u, r)


def _spec_cases(rng):
    p = np.array([[0.2, 0.8], [0.6, 0.4], [0.0, 1.0]])
    q = np.array([[0.5, 0.5], [0.9, 0.1]])
    yield Case("hand-made: both drafts accepted, bonus token", (p, q, np.array([1, 0]), np.array([0.99, 0.5]), 0.3))
    yield Case("hand-made: second draft rejected", (p, q, np.array([1, 0]), np.array([0.99, 0.7]), 0.0))
    for k, V in [(4, 5), (3, 8), (6, 4)]:
        P = rng.dirichlet(np.ones(V), size=k + 1)
        Qd = rng.dirichlet(np.ones(V), size=k)
        draft = np.array([rng.choice(V, p=row) for row in Qd])
        yield Case(f"random p, q over {V} tokens, k = {k} drafts", (P, Qd, draft, rng.random(k), float(rng.random())))
    P = rng.dirichlet(np.ones(6) * 0.5, size=4)
    Qd = P[:3].copy()
    yield Case("a draft equal to the target (everything accepted)",
               (P, Qd, np.array([int(np.argmax(row)) for row in Qd]), rng.random(3), float(rng.random())))


def _spec_judge(case, got, expected):
    try:
        tokens = [int(t) for t in got]
    except (TypeError, ValueError):
        return "return a list of token ids (int)."
    return grading.compare(np.asarray(tokens), np.asarray(expected), atol=0, what="tokens")


def _spec_slip(p, q, draft, u, r, inverted=False, from_p=False, bonus=True):
    out = []
    for i, x in enumerate(draft):
        ratio = q[i, x] / p[i, x] if inverted and p[i, x] > 0 else p[i, x] / q[i, x]
        if u[i] < min(1.0, ratio):
            out.append(int(x))
        else:
            dist = p[i] if from_p else residual_distribution(p[i], q[i])
            return out + [int(min(np.searchsorted(np.cumsum(dist), r * dist.sum(), side="right"), len(dist) - 1))]
    if bonus:
        out.append(int(min(np.searchsorted(np.cumsum(p[-1]), r * p[-1].sum(), side="right"), p.shape[1] - 1)))
    return out


def _same_tokens(got, wrong):
    try:
        return [int(t) for t in got] == list(wrong)
    except (TypeError, ValueError):
        return False


CHECKS = [
    Check("ch14.rms_norm", cases=_rms_cases, reference=rms_norm_reference, atol=1e-9,
          review=review_with([(_rms_layernorm, "RMSNorm does not subtract the mean (that is LayerNorm)."),
                               (_rms_no_sqrt, "divide by the root of the mean square, √(mean(x²) + ε)."),
                               (_rms_eps_outside, "ε goes inside the square root: √(mean(x²) + ε).")]),
          implements=(rms_norm, RMSNorm), forbidden=("torch.nn.RMSNorm", "torch.nn.functional.rms_norm")),
    Check("ch14.rope", cases=_rope_cases, reference=rope_reference, atol=1e-9,
          review=review_with([(_rope_halves, "pair feature 2i with 2i + 1 (interleaved), not i with i + d/2."),
                               (_rope_exponent, "θ_i = base^(−2i/d), with i the index of the pair."),
                               (_rope_clockwise, "rotate counter-clockwise: (x cos − y sin, x sin + y cos).")]),
          implements=(apply_rope,)),
    Check("ch14.quantize", cases=_quant_cases, reference=quantize_reference, judge=_quant_judge,
          review=review_with([(_quant_per_tensor, "one scale per row (per-channel), from that row's largest |w|."),
                               (_quant_full_range, "symmetric: q_max = 2^(b−1) − 1 (127 for 8 bits) and the range "
                                                   "is ±q_max, so that −x maps to −q."),
                               (_quant_floor, "round to the nearest integer (np.round), do not truncate.")],
                              same=_same_pair),
          implements=(quantize,)),
    Check("ch14.online_softmax", cases=_flash_cases, reference=online_softmax_reference, atol=1e-9,
          review=review_with([(_flash_no_rescale, "when the running maximum grows, rescale ℓ and the running sum "
                                                   "by exp(m_old − m_new)."),
                               (_flash_block_average, "keep running sums over all blocks; averaging each block's "
                                                      "softmax output is not the softmax over all keys."),
                               (_flash_unscaled, "divide the scores by √d.")]),
          implements=(tiled_attention_numpy, tiled_attention),
          forbidden=("torch.nn.functional.scaled_dot_product_attention", "scipy.special.softmax")),
    Check("ch14.speculative_verify", cases=_spec_cases, reference=speculative_verify_reference, judge=_spec_judge,
          review=review_with([(lambda *a: _spec_slip(*a, inverted=True), "accept with probability min(1, p(x)/q(x)), "
                                                                         "target over draft."),
                               (lambda *a: _spec_slip(*a, from_p=True), "after a rejection sample from the residual "
                                                                       "max(0, p − q), normalised, not from p."),
                               (lambda *a: _spec_slip(*a, bonus=False), "when every draft is accepted, add one bonus "
                                                                       "token from the last row of p.")],
                              same=_same_tokens),
          implements=(verify_draft,)),
]
