"""Language-model training helpers: teacher-forcing windows and loss, and the bigram baseline.

Chapter 10 (Attention and transformers), the section on the tiny GPT. A language model is trained with
*teacher forcing*: it reads the true tokens y_1 … y_{t-1} (never its own guesses) and is scored by the
cross-entropy of the true next token y_t, for every t of a window at once. The baseline it must beat is the
bigram model, which predicts y_t from y_{t-1} alone by counting.

References
----------
R. J. Williams and D. Zipser, "A learning algorithm for continually running fully recurrent neural networks",
Neural Computation 1(2), 1989 (teacher forcing).
C. E. Shannon, "Prediction and entropy of printed English", Bell System Technical Journal 30(1), 1951
(n-gram models of text).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from coursekit.core.numerics import log_softmax
from coursekit.core.validation import check_int, check_positive
from coursekit.training.loop import FitConfig, History, evaluate, fit

__all__ = ["lm_windows", "lm_loss", "lm_eval_loss", "train_language_model", "bigram_log_probs", "bigram_nll"]


def lm_windows(ids, block_size: int, stride: int | None = None) -> torch.Tensor:
    """Cut a token stream into windows of ``block_size + 1`` tokens: inputs ``w[:, :-1]``, targets ``w[:, 1:]``.

    Defined in :ref:`sec-attention-gpt` (Eq. :eq:`eq-attention-teacher-forcing`).

    Parameters
    ----------
    ids : sequence of int or (L,) Tensor
        The token stream, L >= block_size + 1.
    block_size : int
        N, the context length of the model.
    stride : int, optional
        Distance between window starts (default N: every target token is predicted once).

    Returns
    -------
    (W, N + 1) LongTensor

    Examples
    --------
    >>> lm_windows(range(7), 3)
    tensor([[0, 1, 2, 3],
            [3, 4, 5, 6]])
    """
    block_size = check_int(block_size, "block_size")
    stride = block_size if stride is None else check_int(stride, "stride")
    ids = torch.as_tensor(ids, dtype=torch.long).flatten()
    if len(ids) < block_size + 1:
        raise ValueError(f"the stream has {len(ids)} tokens; a window needs block_size + 1 = {block_size + 1}.")
    return ids.unfold(0, block_size + 1, stride)                              # (W, N + 1)


def lm_loss(model, batch) -> torch.Tensor:
    """Teacher-forcing loss: mean cross-entropy of every next token of every window in ``batch``.

    Defined in :ref:`sec-attention-gpt` (Eq. :eq:`eq-attention-teacher-forcing`).

    Parameters
    ----------
    model : nn.Module
        Maps (B, N) ids to (B, N, V) logits, causally (position t sees only tokens up to t).
    batch : tuple of Tensor
        ``(windows,)`` with windows (B, N + 1) from :func:`lm_windows`, as ``coursekit.training.fit`` passes it.

    Returns
    -------
    scalar Tensor
        In nats per token.

    Examples
    --------
    >>> uniform = lambda ids, cache=None: torch.zeros(*ids.shape, 5)         # a model that knows nothing
    >>> round(lm_loss(uniform, (torch.zeros(2, 4, dtype=torch.long),)).item(), 4) == round(float(np.log(5)), 4)
    True
    """
    windows = batch[0]
    logits = model(windows[:, :-1])                                           # (B, N, V)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1))


def lm_eval_loss(model, windows: torch.Tensor, batch_size: int = 256) -> float:
    """Mean teacher-forcing loss (nats per token) over all ``windows``, in eval mode without gradients.

    Defined in :ref:`sec-attention-gpt` (Eq. :eq:`eq-attention-teacher-forcing`).

    Parameters
    ----------
    model : nn.Module
    windows : (W, N + 1) LongTensor
    batch_size : int

    Returns
    -------
    float
        Every target token weighs the same.

    Examples
    --------
    >>> from torch import nn
    >>> class Uniform(nn.Module):
    ...     def forward(self, ids, cache=None):
    ...         return torch.zeros(*ids.shape, 7)
    >>> round(lm_eval_loss(Uniform(), torch.zeros(5, 4, dtype=torch.long), batch_size=2), 4) == round(float(np.log(7)), 4)
    True
    """
    def per_window(m, batch):
        w = batch[0]
        logits = m(w[:, :-1])                                                     # (b, N, V)
        nll = F.cross_entropy(logits.transpose(1, 2), w[:, 1:], reduction="none")  # (b, N)
        return nll.mean(dim=1)                                                    # (b,)
    return float(evaluate(model, per_window, (windows,), batch_size=batch_size).mean())


def train_language_model(model, train_windows: torch.Tensor, val_windows: torch.Tensor, config: FitConfig,
                         generator: torch.Generator, progress: bool = True) -> History:
    """Train ``model`` in place with teacher forcing (:func:`lm_loss`) and the shared loop ``training.fit``.

    Defined in :ref:`sec-attention-gpt` (Eq. :eq:`eq-attention-teacher-forcing`).

    Parameters
    ----------
    model : nn.Module
        An initialised causal language model, (B, N) ids → (B, N, V) logits.
    train_windows, val_windows : (W, N + 1) LongTensor
        From :func:`lm_windows`.
    config : FitConfig
        Epochs, batch size, learning rate and schedule (AdamW, warmup + cosine).
    generator : torch.Generator
        The batch order (the only randomness of training).
    progress : bool
        Show a progress bar.

    Returns
    -------
    History
        ``loss``: mean training loss per epoch; ``val``: :func:`lm_eval_loss` on ``val_windows`` after each
        epoch (nats per token).
    """
    return fit(model, lm_loss, (train_windows,), config, generator, val=(val_windows,),
               metric=lambda m, v: lm_eval_loss(m, v[0]), progress=progress, desc="GPT")


def bigram_log_probs(ids, vocab_size: int, alpha: float = 0.1) -> np.ndarray:
    """Bigram log-probabilities log p(next = b | previous = a), counted with add-α smoothing.

    Defined in :ref:`sec-attention-gpt` (Eq. :eq:`eq-attention-bigram`).

    Parameters
    ----------
    ids : sequence of int
        The training token stream.
    vocab_size : int
        V.
    alpha : float
        > 0, added to every count so that unseen pairs keep a small probability.

    Returns
    -------
    (V, V) ndarray of float64
        Row a is the log of p(· | a); each row's exp sums to 1.

    Examples
    --------
    >>> lp = bigram_log_probs([0, 1, 0, 1, 0, 2], 3, alpha=1e-9)
    >>> np.exp(lp[0]).round(3).tolist()                   # after 0 came 1, 1, 2
    [0.0, 0.667, 0.333]
    """
    V = check_int(vocab_size, "vocab_size")
    alpha = check_positive(alpha, "alpha")
    ids = np.asarray(ids, dtype=np.int64).ravel()
    if ids.size < 2 or ids.min() < 0 or ids.max() >= V:
        raise ValueError(f"ids must hold at least 2 tokens in [0, {V}), got {ids.size} in "
                         f"[{ids.min() if ids.size else None}, {ids.max() if ids.size else None}].")
    counts = np.zeros((V, V))
    np.add.at(counts, (ids[:-1], ids[1:]), 1.0)                               # counts[a, b] = #(a followed by b)
    return log_softmax(np.log(counts + alpha), axis=1)                        # normalise each row


def bigram_nll(log_probs: np.ndarray, windows) -> float:
    """Mean negative log-likelihood (nats per token) of the bigram model on the targets of ``windows``.

    Defined in :ref:`sec-attention-gpt` (Eq. :eq:`eq-attention-bigram`).

    Parameters
    ----------
    log_probs : (V, V) ndarray
        From :func:`bigram_log_probs`.
    windows : (W, N + 1) Tensor or ndarray of int
        The same windows a language model is scored on: every target ``w[:, t+1]`` predicted from ``w[:, t]``.

    Returns
    -------
    float

    Examples
    --------
    >>> lp = np.log(np.full((4, 4), 0.25))
    >>> round(bigram_nll(lp, np.array([[0, 1, 2, 3]])), 4) == round(float(np.log(4)), 4)
    True
    """
    w = np.asarray(windows, dtype=np.int64)
    if w.ndim != 2 or w.shape[1] < 2:
        raise ValueError(f"windows must have shape (W, N + 1) with N >= 1, got {w.shape}.")
    return float(-log_probs[w[:, :-1], w[:, 1:]].mean())
