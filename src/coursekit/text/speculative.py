"""Speculative decoding: a cheap draft model proposes k tokens, the target model checks them all in one pass.

Chapter 14 (Transformer advances). The draft samples x ~ q; the target keeps it with probability min(1, p(x)/q(x))
and, at the first rejection, samples from the residual max(0, p − q) / Σ max(0, p − q). Whatever q is, every
emitted token is distributed exactly as p: the output is a sample of the *target* model, produced with fewer
target passes when the draft agrees often. With greedy decoding (one-hot p and q) the output equals the target's
greedy output token for token. A *model* is called as in :mod:`coursekit.text.decoding`: ``model(ids)`` on
(1, n) ids gives (1, n, V) logits; here the whole sequence is recomputed at every call.

References
----------
Y. Leviathan, M. Kalman and Y. Matias, "Fast inference from transformers via speculative decoding", ICML 2023.
C. Chen et al., "Accelerating large language model decoding with speculative sampling", arXiv 2023.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from coursekit.core.validation import check_array, check_generator, check_int, check_nonnegative

__all__ = ["residual_distribution", "verify_draft", "speculative_sample", "SpeculativeResult", "speculative_decode",
           "BigramLM"]


def residual_distribution(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """max(0, p − q), normalised: where to sample after a rejection (p itself if p = q).

    Defined in :ref:`sec-advances-speculative` (Eq. :eq:`eq-advances-speculative`).

    Parameters
    ----------
    p, q : (V,) ndarray of float
        Target and draft distributions.

    Returns
    -------
    (V,) ndarray of float64
        Sums to 1.

    Examples
    --------
    >>> residual_distribution(np.array([0.5, 0.5, 0.0]), np.array([0.8, 0.1, 0.1])).tolist()
    [0.0, 1.0, 0.0]
    """
    r = np.maximum(np.asarray(p, dtype=np.float64) - q, 0.0)               # (V,)
    total = r.sum()
    return r / total if total > 0 else np.asarray(p, dtype=np.float64)


def _inverse_cdf(dist: np.ndarray, r: float) -> int:
    """The token whose cumulative-probability interval contains r ∈ [0, 1)."""
    return int(min(np.searchsorted(np.cumsum(dist), r * dist.sum(), side="right"), len(dist) - 1))


def verify_draft(p: np.ndarray, q: np.ndarray, draft: np.ndarray, u: np.ndarray, r: float) -> list[int]:
    """The target's verdict on k draft tokens: the accepted prefix, then one token from the residual or from p.

    Defined in :ref:`sec-advances-speculative` (Eq. :eq:`eq-advances-speculative`).

    Parameters
    ----------
    p : (k + 1, V) ndarray of float
        Target probabilities: row i is p(· | prefix, draft[:i]); the last row follows all k drafts.
    q : (k, V) ndarray of float
        Draft probabilities the drafts were sampled from.
    draft : (k,) ndarray of int
    u : (k,) ndarray of float in [0, 1)
        Uniform draws: draft i is accepted if u_i < p_i(x_i) / q_i(x_i).
    r : float in [0, 1)
        One uniform draw for the final token, by inverse CDF.

    Returns
    -------
    list of int
        Between 1 and k + 1 tokens: draft[:a] and one more.

    Notes
    -----
    1. For i = 0 … k−1: accept x_i if u_i < min(1, p_i(x_i) / q_i(x_i)); otherwise stop at i.
    2. Stopped at i: sample the last token from :func:`residual_distribution` (p_i, q_i).
    3. All accepted: sample a bonus token from p_k — it costs nothing, the target already computed p_k.

    Examples
    --------
    >>> p = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> q = np.array([[0.25, 0.75]])
    >>> verify_draft(p, q, np.array([1]), np.array([0.9]), 0.3)     # 0.9 ≥ 0.5/0.75: rejected; residual = token 0
    [0]
    """
    p, q, u = (np.asarray(a, dtype=np.float64) for a in (p, q, u))
    draft = np.asarray(draft)
    check_array(q, "q", ndim=2)
    k, V = q.shape
    check_array(p, "p", ndim=2, shape=(k + 1, V))
    check_array(u, "u", ndim=1, shape=(k,))
    if draft.shape != (k,) or (k and (draft.min() < 0 or draft.max() >= V)):
        raise ValueError(f"draft must hold k = {k} token ids in [0, {V}), got {draft!r}.")
    out = []
    for i in range(k):
        x = int(draft[i])
        if q[i, x] > 0 and u[i] < min(1.0, p[i, x] / q[i, x]):           # accept with prob. min(1, p/q)
            out.append(x)
        else:
            return out + [_inverse_cdf(residual_distribution(p[i], q[i]), r)]
    return out + [_inverse_cdf(p[k], r)]                                  # every draft accepted: a bonus token


def speculative_sample(p: torch.Tensor, q: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """n independent one-token rounds of draft-then-verify, vectorised: every result is distributed as p.

    Defined in :ref:`sec-advances-speculative` (Eq. :eq:`eq-advances-speculative`).

    Parameters
    ----------
    p, q : (V,) Tensor of float
        Target and draft distributions.
    n : int
        Number of samples.
    generator : torch.Generator

    Returns
    -------
    (n,) LongTensor

    Examples
    --------
    >>> p, q = torch.tensor([0.0, 1.0]), torch.tensor([0.9, 0.1])
    >>> speculative_sample(p, q, 5, torch.Generator().manual_seed(0)).tolist()   # always token 1, as p says
    [1, 1, 1, 1, 1]
    """
    check_generator(generator)
    n = check_int(n, "n")
    if p.ndim != 1 or q.shape != p.shape:
        raise ValueError(f"p and q must be (V,) distributions of the same size, got {tuple(p.shape)}, {tuple(q.shape)}.")
    p, q = p.double(), q.double()
    x = torch.multinomial(q, n, replacement=True, generator=generator)     # (n,) drafts x ~ q
    u = torch.rand(n, generator=generator, dtype=torch.float64)            # (n,)
    accept = u * q[x] < p[x]                                               # u < p(x)/q(x), no division
    residual = torch.clamp(p - q, min=0.0)
    residual = residual if residual.sum() > 0 else p
    fallback = torch.multinomial(residual, n, replacement=True, generator=generator)   # (n,) from the residual
    return torch.where(accept, x, fallback)


class SpeculativeResult(NamedTuple):
    """What :func:`speculative_decode` returns.

    Attributes
    ----------
    tokens : (n_new,) LongTensor
        The generated tokens (without the prompt).
    target_calls, draft_calls : int
        Forward passes of each model.
    accepted : list of int
        Draft tokens accepted in each round (0 … k).

    Examples
    --------
    >>> SpeculativeResult(torch.tensor([4, 2]), 1, 3, [1]).target_calls
    1
    """

    tokens: torch.Tensor
    target_calls: int
    draft_calls: int
    accepted: list


def _probs(logits: torch.Tensor, temperature: float) -> np.ndarray:
    logits = logits.double()
    if temperature == 0:                                                   # greedy: a one-hot distribution
        return torch.nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).double().numpy()
    return torch.softmax(logits / temperature, dim=-1).numpy()


@torch.no_grad()
def speculative_decode(target, draft, prompt, n_new: int, k: int = 4, temperature: float = 1.0,
                       generator: torch.Generator | None = None) -> SpeculativeResult:
    """Generate ``n_new`` tokens from ``target`` with drafts of ``k`` tokens from ``draft``.

    Defined in :ref:`sec-advances-speculative` (Eq. :eq:`eq-advances-speculative`).

    Parameters
    ----------
    target, draft : nn.Module
        Language models over the same vocabulary, (1, n) ids → (1, n, V) logits; in eval mode.
    prompt : (n,) LongTensor
    n_new : int
    k : int
        Draft tokens per round.
    temperature : float
        Of both models' softmax; 0 means greedy (the output is then the target's greedy output).
    generator : torch.Generator
        Required when temperature > 0.

    Returns
    -------
    SpeculativeResult

    Notes
    -----
    One round: the draft samples x_1 … x_k one by one (k draft calls); the target scores prefix + x_1 … x_k in
    one call, giving p_0 … p_k; :func:`verify_draft` keeps the accepted prefix and adds one token. A round
    therefore emits between 1 and k + 1 tokens for a single target call.

    Examples
    --------
    >>> V = 5
    >>> target = BigramLM(torch.log_softmax(torch.randn(V, V, generator=torch.Generator().manual_seed(0)), 1))
    >>> res = speculative_decode(target, target, torch.tensor([0]), 8, k=3, temperature=0)
    >>> res.accepted[:2], res.target_calls                        # a draft equal to the target: all accepted
    ([3, 3], 2)
    """
    n_new, k = check_int(n_new, "n_new"), check_int(k, "k")
    temperature = check_nonnegative(temperature, "temperature")
    if temperature > 0:
        check_generator(generator)
    ids = torch.as_tensor(prompt).long().flatten()
    if ids.numel() == 0:
        raise ValueError("prompt must hold at least one token.")
    n0, target_calls, draft_calls, accepted = ids.numel(), 0, 0, []
    while ids.numel() - n0 < n_new:
        seq, q_rows, drafted = ids, [], []
        for _ in range(k):                                                 # draft k tokens one by one
            q_i = _probs(draft(seq[None])[0, -1], temperature)             # (V,)
            draft_calls += 1
            x = int(q_i.argmax()) if temperature == 0 else int(torch.multinomial(torch.from_numpy(q_i), 1,
                                                                                 generator=generator))
            q_rows.append(q_i)
            drafted.append(x)
            seq = torch.cat([seq, torch.tensor([x])])
        p = _probs(target(seq[None])[0, -k - 1:], temperature)             # (k + 1, V) in one target call
        target_calls += 1
        if temperature == 0:
            u, r = np.zeros(k), 0.5                                        # one-hot p, q: no randomness needed
        else:
            u = torch.rand(k, generator=generator, dtype=torch.float64).numpy()
            r = float(torch.rand(1, generator=generator, dtype=torch.float64))
        new = verify_draft(p, np.stack(q_rows), np.array(drafted), u, r)
        accepted.append(len(new) - 1)                                      # drafts kept this round
        ids = torch.cat([ids, torch.tensor(new)])
    return SpeculativeResult(ids[n0:n0 + n_new], target_calls, draft_calls, accepted)


class BigramLM(nn.Module):
    """A bigram language model as a module: logits of token t+1 = log p(· | token t), from a (V, V) table.

    Defined in :ref:`sec-advances-speculative`.

    Parameters
    ----------
    log_probs : (V, V) Tensor or ndarray
        Row a = log p(· | a), e.g. :func:`coursekit.text.lm.bigram_log_probs` — a draft model that costs a lookup.

    Examples
    --------
    >>> BigramLM(torch.zeros(3, 3))(torch.tensor([[0, 2]])).shape
    torch.Size([1, 2, 3])
    """

    def __init__(self, log_probs):
        super().__init__()
        table = torch.as_tensor(log_probs, dtype=torch.float64)
        if table.ndim != 2 or table.shape[0] != table.shape[1]:
            raise ValueError(f"log_probs must be a (V, V) table, got shape {tuple(table.shape)}.")
        self.register_buffer("log_probs", table)

    def forward(self, ids: torch.Tensor, cache=None) -> torch.Tensor:
        """(B, n) ids → (B, n, V) logits; ``cache`` is accepted and ignored (a bigram needs no past)."""
        return self.log_probs[ids]
