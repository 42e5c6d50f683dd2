"""The one training loop of the book: mini-batches from a seeded permutation, AdamW, a warmup + cosine
learning rate, optional gradient clipping, a per-epoch validation metric, a progress bar and a history.

Chapter 4 (Convolutional neural networks) trains its digits CNN with it; Chapters 5-18 train every model
with it. The loop is short on purpose: read :func:`fit` top to bottom and you have read all of it.

Randomness: :func:`fit` draws only from the ``generator`` it is given (the batch order, and a seed for the
layers that draw inside ``forward`` such as dropout, see Notes of :func:`fit`); torch's global generator
is left exactly as it was. Initialise a model before calling :func:`fit`, with
``coursekit.models.utils.init_parameters_(model, generator)`` or the model's own seeded initialisation.

References
----------
I. Loshchilov and F. Hutter, "Decoupled weight decay regularization", ICLR 2019 (AdamW).
I. Loshchilov and F. Hutter, "SGDR: stochastic gradient descent with warm restarts", ICLR 2017 (cosine).
P. Goyal et al., "Accurate, large minibatch SGD: training ImageNet in 1 hour", 2017 (linear warmup).
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from coursekit.core.validation import (
    check_fraction,
    check_generator,
    check_int,
    check_nonnegative,
    check_positive,
)
from coursekit.training.schedules import warmup_cosine_lr

__all__ = ["FitConfig", "History", "fit", "eval_mode", "evaluate"]


@dataclass
class FitConfig:
    """Settings of :func:`fit`: epochs, batch size and the AdamW + warmup-cosine optimisation.

    Defined in :ref:`sec-small-cnn`.

    Parameters
    ----------
    epochs : int
        Passes over the training data (>= 1).
    batch_size : int
        Examples per optimisation step (>= 1); the last batch of an epoch may be smaller.
    lr : float
        Peak learning rate η of AdamW (> 0).
    weight_decay : float
        AdamW's decoupled weight decay λ (>= 0): each step multiplies the weights by ``1 - η_t λ``.
    warmup_fraction : float
        Fraction of all steps spent warming up linearly from 0 to ``lr``, in [0, 1); then cosine decay.
    min_lr : float
        The rate the cosine decays to, 0 <= ``min_lr`` <= ``lr``.
    grad_clip : float or None
        If set (> 0), rescale the gradient so its global L2 norm is at most this before each step.

    Examples
    --------
    >>> FitConfig(epochs=3, lr=1e-2).batch_size
    64
    """

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3             # peak learning rate (AdamW)
    weight_decay: float = 0.0
    warmup_fraction: float = 0.0  # linear warmup over this fraction of the steps, then cosine decay
    min_lr: float = 0.0
    grad_clip: float | None = None


@dataclass
class History:
    """What :func:`fit` records: the loss and validation metric per epoch, the rate per step, the time.

    Defined in :ref:`sec-small-cnn`.

    Parameters
    ----------
    loss : list of float
        Mean training loss of each epoch (batch losses weighted by batch size, measured while training).
    val : list of float
        ``metric(model, val)`` after each epoch, in eval mode; empty without validation data.
    lr : list of float
        The learning rate of every optimisation step.
    seconds : float
        Wall time of the whole fit.

    Examples
    --------
    >>> History(loss=[0.5], val=[], lr=[1e-3], seconds=0.1).loss
    [0.5]
    """

    loss: list[float]
    val: list[float]
    lr: list[float]
    seconds: float


@contextmanager
def eval_mode(model: nn.Module):
    """Put ``model`` in eval mode inside a ``with`` block and restore every submodule's mode afterwards.

    Defined in :ref:`sec-small-cnn`.

    Parameters
    ----------
    model : nn.Module

    Returns
    -------
    context manager
        Yields ``model``. On exit, each submodule gets back its own ``training`` flag (so a frozen,
        eval-mode BatchNorm inside a training model stays frozen), also when the block raises.

    Notes
    -----
    Eval mode changes what some layers compute: BatchNorm normalises with its running statistics instead
    of the batch's, dropout becomes the identity. Predictions, metrics and explanations are computed in
    eval mode, so that one image's output does not depend on the other images of the batch.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    >>> with eval_mode(net):
    ...     net.training
    False
    >>> net.training
    True
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for m, training in modes:
            m.training = training


def _check_tensors(data, name: str) -> tuple[torch.Tensor, ...]:
    """``data`` as a non-empty tuple of tensors of one common length (a single tensor is wrapped)."""
    if isinstance(data, torch.Tensor):
        data = (data,)
    if not isinstance(data, (tuple, list)) or not data or not all(isinstance(t, torch.Tensor) for t in data):
        raise ValueError(f"{name} must be a tuple of tensors with one row per example, e.g. (X, y); "
                         f"got {type(data).__name__}.")
    if any(t.ndim == 0 for t in data):
        raise ValueError(f"every tensor of {name} needs a first (example) axis; got a 0-d tensor.")
    lengths = [len(t) for t in data]
    if len(set(lengths)) != 1 or lengths[0] == 0:
        raise ValueError(f"the tensors of {name} must have the same, non-zero number of rows; got {lengths}.")
    return tuple(data)


def _check_config(config: FitConfig) -> None:
    if not isinstance(config, FitConfig):
        raise ValueError(f"config must be a FitConfig, got {type(config).__name__}.")
    check_int(config.epochs, "config.epochs", minimum=1)
    check_int(config.batch_size, "config.batch_size", minimum=1)
    check_positive(config.lr, "config.lr")
    check_nonnegative(config.weight_decay, "config.weight_decay")
    check_nonnegative(config.min_lr, "config.min_lr")
    if config.min_lr > config.lr:
        raise ValueError(f"config.min_lr ({config.min_lr}) must not exceed config.lr ({config.lr}).")
    if not 0.0 <= check_fraction(config.warmup_fraction, "config.warmup_fraction") < 1.0:
        raise ValueError(f"config.warmup_fraction must be in [0, 1), got {config.warmup_fraction}: "
                         "some steps must be left for the decay.")
    if config.grad_clip is not None:
        check_positive(config.grad_clip, "config.grad_clip")


def fit(model: nn.Module, loss_fn: Callable, data: tuple[torch.Tensor, ...], config: FitConfig,
        generator: torch.Generator, *, val: tuple | None = None, metric: Callable | None = None,
        progress: bool = True, desc: str = "training") -> History:
    """Train ``model`` in place by minimising ``loss_fn`` over mini-batches of ``data`` with AdamW.

    Defined in :ref:`sec-small-cnn` (Eq. :eq:`eq-warmup-cosine`).

    Parameters
    ----------
    model : nn.Module
        Already initialised (e.g. ``init_parameters_(model, generator)``); trained in place.
    loss_fn : callable
        ``loss_fn(model, batch) -> scalar tensor``, where ``batch`` is ``data`` indexed by one mini-batch:
        a tuple of tensors, e.g. ``lambda m, b: F.cross_entropy(m(b[0]), b[1])``.
    data : tuple of Tensor
        Aligned tensors with one row per example, e.g. ``(X, y)`` or ``(images, targets, masks)``.
    config : FitConfig
        Epochs, batch size, learning rate and schedule, weight decay, clipping.
    generator : torch.Generator
        The only source of randomness: one seed for the layers that draw inside ``forward``, then one
        permutation of the examples per epoch.
    val : tuple of Tensor, optional
        Validation data, passed as-is to ``metric`` after every epoch.
    metric : callable, optional
        ``metric(model, val) -> float``, called in eval mode under ``torch.no_grad()``; required with ``val``.
    progress : bool
        Show a tqdm progress bar over the epochs with the last loss (and metric).
    desc : str
        The progress bar's label.

    Returns
    -------
    History
        Per-epoch loss and metric, per-step learning rate, wall time. The model is left in eval mode.

    Notes
    -----
    1. ``T = epochs · ⌈n / batch_size⌉`` steps, ``W = round(warmup_fraction · T)`` of them warmup.
    2. Each epoch: draw a permutation of the n examples from ``generator``; for each slice of it, set the
       rate to ``warmup_cosine_lr(t, lr, W, T, min_lr)`` (step t from 0, so with warmup the first step has
       rate 0, as in Hugging Face's schedule), compute the loss in train mode, back-propagate, clip the
       gradient norm if asked, take an AdamW step.
    3. After each epoch: ``metric(model, val)`` in eval mode.

    Layers that draw random numbers inside ``forward`` (dropout) use torch's global generator. :func:`fit`
    runs inside ``torch.random.fork_rng``, seeded from ``generator``: those draws are reproducible and the
    caller's global RNG state is restored afterwards, untouched.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(64, 1, generator=g)
    >>> model = nn.Linear(1, 1)
    >>> with torch.no_grad():
    ...     _ = model.weight.zero_(), model.bias.zero_()
    >>> mse = lambda m, b: ((m(b[0]) - b[1]) ** 2).mean()
    >>> h = fit(model, mse, (X, 3 * X + 1), FitConfig(epochs=60, batch_size=16, lr=0.1), g, progress=False)
    >>> round(model.weight.item(), 2), round(model.bias.item(), 2), len(h.loss), len(h.lr)
    (3.0, 1.0, 60, 240)
    """
    from tqdm.auto import tqdm

    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters (requires_grad=True): nothing to fit.")
    if not callable(loss_fn):
        raise ValueError(f"loss_fn must be callable as loss_fn(model, batch), got {type(loss_fn).__name__}.")
    data = _check_tensors(data, "data")
    _check_config(config)
    check_generator(generator)
    if (val is None) != (metric is None):
        raise ValueError("pass val and metric together: metric(model, val) is evaluated after every epoch.")
    if metric is not None and not callable(metric):
        raise ValueError(f"metric must be callable as metric(model, val), got {type(metric).__name__}.")

    n, bs = len(data[0]), config.batch_size
    steps_per_epoch = math.ceil(n / bs)
    T = config.epochs * steps_per_epoch
    W = min(round(config.warmup_fraction * T), T - 1)
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    history = History(loss=[], val=[], lr=[], seconds=0.0)
    start = time.perf_counter()
    seed = int(torch.randint(0, 2 ** 62, (1,), generator=generator))
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)            # dropout & co. draw from here
        bar = tqdm(range(config.epochs), desc=desc, disable=not progress)
        for epoch in bar:
            model.train()
            perm = torch.randperm(n, generator=generator)           # (n,) a new batch order each epoch
            total = 0.0
            for i in range(0, n, bs):
                t = len(history.lr)
                lr = warmup_cosine_lr(t, config.lr, W, T, config.min_lr)
                for group in opt.param_groups:
                    group["lr"] = lr
                idx = perm[i:i + bs]
                loss = loss_fn(model, tuple(x[idx] for x in data))
                if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
                    raise ValueError(f"loss_fn must return a scalar tensor (reduce the batch with .mean()), "
                                     f"got {getattr(loss, 'shape', type(loss).__name__)}.")
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"the loss is {loss.item()} at epoch {epoch}, step {t}: lower "
                                             "config.lr, set config.grad_clip, or check the data.")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip is not None:
                    nn.utils.clip_grad_norm_(params, config.grad_clip)
                opt.step()
                history.lr.append(lr)
                total += loss.item() * len(idx)
            history.loss.append(total / n)
            shown = {"loss": f"{history.loss[-1]:.4f}"}
            if metric is not None:
                with torch.no_grad(), eval_mode(model):
                    history.val.append(float(metric(model, val)))
                shown["val"] = f"{history.val[-1]:.4f}"
            bar.set_postfix(shown)
        bar.close()
    model.eval()
    history.seconds = time.perf_counter() - start
    return history


@torch.no_grad()
def evaluate(model: nn.Module, fn: Callable, data, batch_size: int = 512):
    """Run ``fn(model, batch)`` over ``data`` in batches, in eval mode without gradients, and concatenate.

    Defined in :ref:`sec-small-cnn`.

    Parameters
    ----------
    model : nn.Module
    fn : callable
        ``fn(model, batch) -> Tensor`` (or a tuple of tensors) with one row per example of ``batch``, a tuple
        of tensors; e.g. ``lambda m, b: m(b[0]).argmax(1)`` for predicted classes.
    data : Tensor or tuple of Tensor
        Aligned tensors with one row per example (a single tensor is treated as ``(data,)``).
    batch_size : int
        Examples per call of ``fn`` (>= 1); bounds the memory.

    Returns
    -------
    Tensor, or tuple of Tensor when ``fn`` returns tuples
        The outputs concatenated along the first axis, so row i belongs to example i. The model's modes
        are restored afterwards.

    Notes
    -----
    Batches bound the memory; eval mode makes each row independent of the others in its batch (BatchNorm
    uses its running statistics), so the result does not depend on ``batch_size``.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.9))
    >>> X = torch.ones(5, 3)
    >>> out = evaluate(net, lambda m, b: m(b[0]), X, batch_size=2)
    >>> out.shape, bool((out == net[0](X)).all()), net.training      # no dropout inside, mode restored
    (torch.Size([5, 2]), True, True)
    """
    if not callable(fn):
        raise ValueError(f"fn must be callable as fn(model, batch), got {type(fn).__name__}.")
    data = _check_tensors(data, "data")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    outputs = []
    with eval_mode(model):
        for i in range(0, len(data[0]), batch_size):
            out = fn(model, tuple(x[i:i + batch_size] for x in data))
            parts = out if isinstance(out, tuple) else (out,)
            if not all(isinstance(o, torch.Tensor) and o.ndim >= 1 for o in parts):
                raise ValueError("fn must return a tensor (or a tuple of tensors) with one row per example; "
                                 f"got {type(out).__name__}.")
            outputs.append(out)
    if isinstance(outputs[0], tuple):
        return tuple(torch.cat(column) for column in zip(*outputs))
    return torch.cat(outputs)
