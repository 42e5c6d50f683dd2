"""Decoding from a language model: greedy, temperature, top-k and top-p sampling, beam search, a KV cache.

Chapter 10 (Attention and transformers), the sections on the KV cache and on decoding. A *model* here is any
``nn.Module`` called as ``model(ids, cache)`` with ``ids`` a (B, n) LongTensor of new tokens and ``cache``
either None (recompute from scratch) or the list returned by ``model.new_cache()``, which the call extends in
place; it returns the logits (B, n, V) of the next token after each position. ``coursekit.models.gpt.GPT``
is one. Sampling draws only from the ``torch.Generator`` it is given.

References
----------
A. Fan, M. Lewis and Y. Dauphin, "Hierarchical neural story generation", ACL 2018 (top-k sampling).
A. Holtzman et al., "The curious case of neural text degeneration", ICLR 2020 (nucleus / top-p sampling).
I. Sutskever, O. Vinyals and Q. V. Le, "Sequence to sequence learning with neural networks", NeurIPS 2014
(beam search for neural sequence models).
R. Pope et al., "Efficiently scaling transformer inference", MLSys 2023 (the KV cache and its memory).
"""

from __future__ import annotations

import torch

from coursekit.core.validation import check_fraction, check_generator, check_int, check_positive

__all__ = ["top_k_filter", "top_p_filter", "next_token_distribution", "generate", "beam_search"]


def _check_logits(logits) -> torch.Tensor:
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2 or not logits.dtype.is_floating_point:
        raise ValueError(f"logits must be a float tensor of shape (B, V), got {getattr(logits, 'shape', logits)!r}.")
    return logits


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of each row, set the rest to -∞ (ties with the k-th are kept).

    Defined in :ref:`sec-attention-decoding` (Eq. :eq:`eq-attention-top-p`).

    Parameters
    ----------
    logits : (B, V) Tensor of float
    k : int
        1 <= k; k >= V keeps everything.

    Returns
    -------
    (B, V) Tensor

    Examples
    --------
    >>> top_k_filter(torch.tensor([[1.0, 3.0, 2.0, 0.0]]), 2)
    tensor([[-inf, 3., 2., -inf]])
    """
    logits = _check_logits(logits)
    k = min(check_int(k, "k"), logits.shape[-1])
    kth = torch.topk(logits, k, dim=-1).values[:, -1:]                       # (B, 1) the k-th largest
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter: keep the smallest set of most likely tokens whose probabilities sum to at least p.

    Defined in :ref:`sec-attention-decoding` (Eq. :eq:`eq-attention-top-p`).

    Parameters
    ----------
    logits : (B, V) Tensor of float
    p : float
        In (0, 1]; p = 1 keeps every token with non-zero probability.

    Returns
    -------
    (B, V) Tensor
        The logits of the nucleus, -∞ elsewhere. The most likely token is always kept.

    Notes
    -----
    Sort the probabilities in decreasing order; token r of the sorted list is kept when the mass of the
    tokens before it is still below p. Ties in probability are ordered by token id.

    Examples
    --------
    >>> probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    >>> top_p_filter(probs.log(), 0.75).isfinite().tolist()    # 0.5 + 0.3 passes 0.75
    [[True, True, False, False]]
    """
    logits = _check_logits(logits)
    p = check_fraction(p, "p")
    if p == 0.0:
        raise ValueError("p must be > 0: the nucleus would be empty.")
    probs = torch.softmax(logits, dim=-1)                                    # (B, V)
    sorted_p, order = torch.sort(probs, dim=-1, descending=True, stable=True)
    mass_before = torch.cumsum(sorted_p, dim=-1) - sorted_p                  # (B, V) mass of better tokens
    keep_sorted = mass_before < p                                            # the first is always kept
    keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)     # back to token order
    return logits.masked_fill(~keep, float("-inf"))


def next_token_distribution(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                            top_p: float | None = None) -> torch.Tensor:
    """The sampling distribution softmax(z / T) after the top-k and then the top-p filter.

    Defined in :ref:`sec-attention-decoding` (Eqs. :eq:`eq-attention-temperature` and :eq:`eq-attention-top-p`).

    Parameters
    ----------
    logits : (B, V) Tensor of float
        z, the model's scores of the next token.
    temperature : float
        T > 0: T < 1 sharpens the distribution (T → 0 is greedy), T > 1 flattens it.
    top_k : int, optional
    top_p : float, optional

    Returns
    -------
    (B, V) Tensor
        Probabilities; each row sums to 1.

    Examples
    --------
    >>> z = torch.tensor([[2.0, 1.0, 0.0]])
    >>> next_token_distribution(z, temperature=1e-3).round().tolist()
    [[1.0, 0.0, 0.0]]
    """
    logits = _check_logits(logits) / check_positive(temperature, "temperature")
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    return torch.softmax(logits, dim=-1)


def _as_prompt(prompt) -> torch.Tensor:
    prompt = torch.as_tensor(prompt)
    prompt = prompt[None] if prompt.ndim == 1 else prompt
    if prompt.ndim != 2 or prompt.shape[1] == 0 or prompt.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"prompt must be a non-empty (n,) or (B, n) integer tensor, got {tuple(prompt.shape)}, "
                         f"{prompt.dtype}.")
    return prompt.long()


@torch.no_grad()
def generate(model, prompt, max_new_tokens: int, *, greedy: bool = False, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None, generator: torch.Generator | None = None,
             use_cache: bool = True) -> torch.Tensor:
    """Extend ``prompt`` by ``max_new_tokens`` tokens, one at a time, greedily or by sampling.

    Defined in :ref:`sec-attention-kv-cache` (Eq. :eq:`eq-attention-kv-cache`).

    Parameters
    ----------
    model : nn.Module
        Called as ``model(ids, cache)`` (see the module docstring); put in eval mode by the caller.
    prompt : (n,) or (B, n) LongTensor
    max_new_tokens : int
    greedy : bool
        Take the most likely token (the first on a tie, as ``argmax``); otherwise sample.
    temperature, top_k, top_p
        The sampling distribution (:func:`next_token_distribution`).
    generator : torch.Generator
        Required when sampling: the only source of randomness.
    use_cache : bool
        True: feed only the newest token and reuse the cached keys and values of the earlier ones.
        False: run the model on the whole sequence at every step. Both give the same tokens.

    Returns
    -------
    (B, n + max_new_tokens) LongTensor
        The prompt followed by the generated tokens.

    Notes
    -----
    Without a cache, step t costs a forward pass over all n + t tokens; with it, a pass over one token that
    attends to the t cached keys. The logits agree up to floating-point rounding, so the tokens agree.
    """
    ids = _as_prompt(prompt)
    max_new_tokens = check_int(max_new_tokens, "max_new_tokens", minimum=0)
    if not greedy:
        check_generator(generator)
    cache = model.new_cache() if use_cache else None
    new = ids                                                                # the tokens the model has not seen
    for _ in range(max_new_tokens):
        logits = model(new if use_cache else ids, cache)[:, -1]             # (B, V) next-token scores
        if greedy:
            token = logits.argmax(dim=-1, keepdim=True)                     # (B, 1)
        else:
            probs = next_token_distribution(logits, temperature, top_k, top_p)
            token = torch.multinomial(probs, 1, generator=generator)        # (B, 1)
        ids = torch.cat([ids, token], dim=1)
        new = token
    return ids


@torch.no_grad()
def beam_search(model, prompt, beam_width: int, max_new_tokens: int, eos_id: int | None = None
                ) -> tuple[torch.Tensor, float]:
    """The most likely continuation that a beam of ``beam_width`` hypotheses finds.

    Defined in :ref:`sec-attention-decoding` (Eq. :eq:`eq-attention-beam`).

    Parameters
    ----------
    model : nn.Module
        As for :func:`generate` (the KV cache is used and reordered with the beams).
    prompt : (n,) LongTensor
        One prompt.
    beam_width : int
        K hypotheses kept after each step; K = 1 is greedy decoding, token for token.
    max_new_tokens : int
    eos_id : int, optional
        A hypothesis that emits it is finished: it is kept with its score and extended only by ``eos_id``
        at no cost, so it competes with longer ones on equal terms.

    Returns
    -------
    tokens : (n + max_new_tokens,) LongTensor
        The prompt and the best continuation.
    log_prob : float
        Its log-probability, the sum of log p of the new tokens.

    Notes
    -----
    1. Score every extension of every hypothesis: s(y_1..t) = s(y_1..t-1) + log p(y_t | y_<t), a (K, V) table.
    2. Keep the K best of the K·V extensions (a stable sort: ties go to the lower hypothesis, then the lower
       token id, so that K = 1 reproduces ``argmax`` exactly).
    3. Reorder the cache to follow the surviving hypotheses and feed their new tokens.
    """
    ids = _as_prompt(prompt)
    if ids.shape[0] != 1:
        raise ValueError(f"beam_search decodes one prompt at a time, got a batch of {ids.shape[0]}.")
    K = check_int(beam_width, "beam_width")
    max_new_tokens = check_int(max_new_tokens, "max_new_tokens", minimum=0)
    cache = model.new_cache()
    scores = torch.zeros(1, dtype=torch.float64)                            # (K,) log-probs of the hypotheses
    new = ids
    for _ in range(max_new_tokens):
        logp = torch.log_softmax(model(new, cache)[:, -1].double(), dim=-1)  # (K, V)
        if eos_id is not None:
            done = ids[:, -1] == eos_id                                     # finished hypotheses ...
            logp[done] = float("-inf")
            logp[done, eos_id] = 0.0                                        # ... may only repeat eos for free
        V = logp.shape[-1]
        total = (scores[:, None] + logp).flatten()                          # (K·V,) hypothesis-major order
        best = torch.sort(total, descending=True, stable=True).indices[:K]  # (K,)
        beam, token = best // V, best % V
        for c in cache:
            c.reorder(beam)
        ids = torch.cat([ids[beam], token[:, None]], dim=1)                 # (K, n + t)
        scores = total[best]
        new = token[:, None]
    return ids[0], float(scores[0])
