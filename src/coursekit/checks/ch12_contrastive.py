"""Checks of Chapter 12's exercises: InfoNCE, NT-Xent, CLIP's symmetric loss, the EMA update and MoCo's queue.

The student's functions take and return NumPy arrays and floats; the references wrap coursekit's torch
losses in float64. Typical slips (no L2 normalisation, τ multiplied, the anchor counted as its own
negative, one direction of CLIP only, m and 1 - m swapped, a queue that does not wrap) are recognised by
comparing the answer with what the slip computes, and named without revealing expected values.
"""

from __future__ import annotations

import numpy as np
import torch

from coursekit.grading import Case, Check, matches, review_with
from coursekit.ssl.losses import clip_loss, info_nce, nt_xent
from coursekit.ssl.momentum import FeatureQueue, ema_update_

__all__ = ["CHECKS"]


def _t(a) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def _logsumexp(a: np.ndarray) -> np.ndarray:
    m = a.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=1, keepdims=True)))[:, 0]


def _pair_cases(rng):
    yield Case("hand-made: 3 orthogonal unit vectors, τ = 1", (np.eye(3), np.eye(3), 1.0))
    for n, d, tau in [(6, 4, 0.5), (10, 8, 0.1), (16, 5, 0.2)]:
        q = rng.normal(size=(n, d))
        yield Case(f"{n} random pairs in {d}-D (not unit length), τ = {tau}", (q, q + 0.5 * rng.normal(size=(n, d)), tau))


# ----------------------------------------------------------------------------- ch12.info_nce

def info_nce_reference(q, k, temperature):
    """InfoNCE of the pairs (q[i], k[i]) as a float (the exercise's answer)."""
    return float(info_nce(_t(q), _t(k), float(temperature)))


def _info_nce_unnormalised(q, k, tau):
    L = q @ k.T / tau
    return float(np.mean(_logsumexp(L) - np.diag(L)))


def _info_nce_times_tau(q, k, tau):
    L = _unit(q) @ _unit(k).T * tau
    return float(np.mean(_logsumexp(L) - np.diag(L)))


def _info_nce_negatives_only(q, k, tau):
    L = _unit(q) @ _unit(k).T / tau
    neg = np.where(np.eye(len(q), dtype=bool), -np.inf, L)
    return float(np.mean(_logsumexp(neg) - np.diag(L)))


# ----------------------------------------------------------------------------- ch12.nt_xent

def nt_xent_reference(z1, z2, temperature):
    """NT-Xent of two batches of views as a float (the exercise's answer)."""
    return float(nt_xent(_t(z1), _t(z2), float(temperature)))


def _nt_xent_self_negative(z1, z2, tau):
    z = _unit(np.concatenate([z1, z2])); n = len(z1)
    L = z @ z.T / tau
    pos = np.r_[np.arange(n, 2 * n), np.arange(n)]
    return float(np.mean(_logsumexp(L) - L[np.arange(2 * n), pos]))


def _nt_xent_cross_only(z1, z2, tau):
    return info_nce_reference(z1, z2, tau)


# ----------------------------------------------------------------------------- ch12.clip_loss

def clip_loss_reference(image_emb, text_emb, temperature):
    """CLIP's symmetric loss as a float (the exercise's answer)."""
    return float(clip_loss(_t(image_emb), _t(text_emb), float(temperature)))


def _clip_one_direction(i, t, tau):
    return info_nce_reference(i, t, tau)


def _clip_sum(i, t, tau):
    return info_nce_reference(i, t, tau) + info_nce_reference(t, i, tau)


def _clip_cases(rng):
    yield Case("hand-made: 2 matching pairs, τ = 1", (np.array([[1.0, 0.0], [0.6, 0.8]]), np.array([[0.8, 0.6], [0.0, 1.0]]), 1.0))
    for n, d, tau in [(5, 4, 0.5), (12, 8, 0.07)]:
        i = rng.normal(size=(n, d))
        yield Case(f"{n} random image–text pairs in {d}-D, τ = {tau}", (i, i + rng.normal(size=(n, d)), tau))
    i = rng.normal(size=(6, 3))
    yield Case("6 pairs whose similarity matrix is far from symmetric, τ = 0.3", (i, rng.normal(size=(6, 3)), 0.3))


# ----------------------------------------------------------------------------- ch12.ema_update

def ema_update_reference(target, online, momentum):
    """One EMA step on a parameter vector (the exercise's answer)."""
    t = torch.nn.Linear(len(target), 1, bias=False, dtype=torch.float64)
    o = torch.nn.Linear(len(target), 1, bias=False, dtype=torch.float64)
    with torch.no_grad():
        t.weight.copy_(_t(target)[None]); o.weight.copy_(_t(online)[None])
    return ema_update_(t, o, float(momentum)).weight.detach()[0].numpy()


def _ema_cases(rng):
    yield Case("hand-made: target 0, online 1, m = 0.9", (np.zeros(3), np.ones(3), 0.9))
    for m in (0.99, 0.5, 0.0):
        yield Case(f"random parameters (10), m = {m}", (rng.normal(size=10), rng.normal(size=10), m))


def _ema_swapped(t, o, m):
    return (1 - m) * np.asarray(t) + m * np.asarray(o)


# ----------------------------------------------------------------------------- ch12.enqueue

def enqueue_reference(queue, ptr, keys):
    """MoCo's FIFO enqueue on a ring buffer: returns (new queue, new pointer) (the exercise's answer)."""
    q = FeatureQueue(queue.shape[1], queue.shape[0], torch.Generator().manual_seed(0))
    q.buffer, q.ptr = _t(queue).clone(), int(ptr)
    q.enqueue(_t(keys))
    return q.buffer.numpy(), q.ptr


def _queue_cases(rng):
    yield Case("hand-made: K = 4, ptr 0, two keys", (_unit(rng.normal(size=(4, 2))), 0, np.array([[3.0, 4.0], [0.0, 2.0]])))
    yield Case("K = 6, ptr 2, three keys", (_unit(rng.normal(size=(6, 3))), 2, rng.normal(size=(3, 3))))
    yield Case("K = 5, ptr 4, three keys (wraps around)", (_unit(rng.normal(size=(5, 3))), 4, rng.normal(size=(3, 3))))
    yield Case("K = 8, ptr 5, eight keys (replaces everything)", (_unit(rng.normal(size=(8, 4))), 5, rng.normal(size=(8, 4))))


def _same_queue(got, wrong) -> bool:
    """Whether an answer (queue, ptr) equals a mistake's (queue, ptr)."""
    try:
        return matches(got[0], wrong[0]) and int(got[1]) == int(wrong[1])
    except (TypeError, ValueError, IndexError):
        return False


def _queue_no_wrap(queue, ptr, keys):
    out = np.array(queue, dtype=float)
    n = min(len(keys), len(out) - ptr)
    out[ptr:ptr + n] = _unit(np.asarray(keys, float))[:n]
    return out, (ptr + len(keys)) % len(out)


def _queue_not_normalised(queue, ptr, keys):
    out = np.array(queue, dtype=float)
    idx = (ptr + np.arange(len(keys))) % len(out)
    out[idx] = keys
    return out, (ptr + len(keys)) % len(out)


def _queue_from_start(queue, ptr, keys):
    out = np.array(queue, dtype=float)
    out[:len(keys)] = _unit(np.asarray(keys, float))
    return out, (ptr + len(keys)) % len(out)


def _loss_check(exercise_id, cases, reference, mistakes, implemented) -> Check:
    """A check of a scalar loss against its reference (1e-6), naming the listed ``(wrong, advice)`` slips."""
    return Check(exercise_id, cases=cases, reference=reference, atol=1e-6, review=review_with(mistakes, atol=1e-6),
                 implements=(implemented,))


CHECKS = [
    _loss_check("ch12.info_nce", _pair_cases, info_nce_reference, [
        (_info_nce_unnormalised, "L2-normalise q and k first: the similarities are cosines."),
        (_info_nce_times_tau, "divide the similarities by the temperature τ."),
        (_info_nce_negatives_only, "the denominator sums over all keys, the positive one included.")], info_nce),
    _loss_check("ch12.nt_xent", _pair_cases, nt_xent_reference, [
        (_nt_xent_self_negative, "an anchor is not its own negative: remove the diagonal (self-similarity) from "
                                 "the softmax."),
        (_nt_xent_cross_only, "all 2N views are anchors and each is compared with the other 2N - 1 views, from "
                              "both batches.")], nt_xent),
    _loss_check("ch12.clip_loss", _clip_cases, clip_loss_reference, [
        (_clip_one_direction, "CLIP is symmetric: add the text→image direction (the transposed logits)."),
        (_clip_sum, "average the two directions rather than adding them.")], clip_loss),
    Check("ch12.ema_update", cases=_ema_cases, reference=ema_update_reference, atol=1e-12,
          review=review_with([(_ema_swapped, "the target keeps the fraction m of itself: m θ_target + (1 - m) θ_online.")]),
          implements=(ema_update_,)),
    Check("ch12.enqueue", cases=_queue_cases, reference=enqueue_reference, atol=1e-9,
          review=review_with([(_queue_no_wrap, "the queue is a ring: indices past the end wrap to 0 (modulo K)."),
                               (_queue_not_normalised, "store unit vectors: L2-normalise each key."),
                               (_queue_from_start, "write at the pointer (the oldest keys), not at row 0.")],
                              same=_same_queue),
          implements=(FeatureQueue,)),
]
