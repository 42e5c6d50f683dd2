"""Momentum (EMA) encoders and MoCo's FIFO queue of keys.

Chapter 12, sections "MoCo" and "BYOL". A slowly moving copy of the network — each weight an exponential
moving average of the trained weights — gives targets that change little from step to step. MoCo keeps the
keys of the last K images in a first-in-first-out queue, so the negatives need not fit in one batch.
Chapter 13 (DINO) reuses the EMA teacher.

References
----------
- K. He, H. Fan, Y. Wu, S. Xie and R. Girshick, "Momentum contrast for unsupervised visual representation
  learning", CVPR 2020.
- J.-B. Grill et al., "Bootstrap your own latent", NeurIPS 2020.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from coursekit.core.validation import check_fraction, check_generator, check_int, check_shape
from coursekit.training.transfer import freeze_

__all__ = ["momentum_copy", "ema_update_", "FeatureQueue"]


def momentum_copy(model: nn.Module) -> nn.Module:
    """A frozen deep copy of ``model`` to serve as its momentum (target) encoder.

    Defined in :ref:`sec-ssl-moco`.

    Parameters
    ----------
    model : nn.Module
        The online network; left unchanged.

    Returns
    -------
    nn.Module
        The copy, with ``requires_grad = False`` everywhere (it changes only through :func:`ema_update_`).

    Examples
    --------
    >>> t = momentum_copy(nn.Linear(2, 2))
    >>> any(p.requires_grad for p in t.parameters())
    False
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}.")
    return freeze_(copy.deepcopy(model))


@torch.no_grad()
def ema_update_(target: nn.Module, online: nn.Module, momentum: float) -> nn.Module:
    """Move every target weight towards the online one: ``θ_t ← m θ_t + (1 - m) θ_o``; copy the buffers.

    Defined in :ref:`sec-ssl-moco` (Eq. :eq:`eq-ssl-ema`).

    Parameters
    ----------
    target : nn.Module
        Updated in place; same architecture as ``online``.
    online : nn.Module
        The network being trained.
    momentum : float
        m in [0, 1]: 1 freezes the target, 0 copies the online network.

    Returns
    -------
    nn.Module
        ``target``. Buffers (BatchNorm's running statistics) are copied from ``online``.

    Examples
    --------
    >>> t, o = nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False)
    >>> _ = t.weight.data.fill_(0.0), o.weight.data.fill_(1.0)
    >>> float(ema_update_(t, o, 0.9).weight.detach())
    0.10000000149011612
    """
    m = check_fraction(momentum, "momentum")
    tp, op = list(target.parameters()), list(online.parameters())
    if len(tp) != len(op) or any(a.shape != b.shape for a, b in zip(tp, op)):
        raise ValueError("target and online must have the same parameters (same architecture).")
    for a, b in zip(tp, op):
        a.mul_(m).add_(b.detach(), alpha=1 - m)
    for a, b in zip(target.buffers(), online.buffers()):
        a.copy_(b)
    return target


class FeatureQueue:
    """A first-in-first-out queue of the last ``size`` keys (unit vectors), MoCo's dictionary of negatives.

    Defined in :ref:`sec-ssl-moco`.

    Parameters
    ----------
    dim : int
        Key dimension D.
    size : int
        Number of keys K kept.
    generator : torch.Generator
        Fills the queue with random unit vectors before the first batch arrives.

    Attributes
    ----------
    buffer : (K, D) Tensor
        Storage as a ring; ``ptr`` is the slot the next key overwrites (the oldest key).

    Examples
    --------
    >>> q = FeatureQueue(dim=2, size=3, generator=torch.Generator().manual_seed(0))
    >>> q.enqueue(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
    >>> q.enqueue(torch.tensor([[3.0, 0.0], [0.0, 1.0]]))
    >>> q.keys().tolist()                                  # oldest first; the first key has left
    [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    """

    def __init__(self, dim: int, size: int, generator: torch.Generator):
        dim, size = check_int(dim, "dim"), check_int(size, "size")
        check_generator(generator)
        self.buffer = nn.functional.normalize(torch.randn(size, dim, generator=generator), dim=1)   # (K, D)
        self.ptr = 0

    def __len__(self) -> int:
        return self.buffer.shape[0]

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Push a batch of keys (N, D), N <= K, normalised and detached; the N oldest keys leave."""
        K, D = self.buffer.shape
        N = check_shape(keys, "N D", "keys", D=D)["N"]
        if N > K:
            raise ValueError(f"a batch of {N} keys does not fit in a queue of {K}.")
        slots = (self.ptr + torch.arange(N)) % K                           # (N,) the oldest N slots, in order
        self.buffer[slots] = nn.functional.normalize(keys.detach().to(self.buffer.dtype), dim=1)
        self.ptr = (self.ptr + N) % K

    def keys(self) -> torch.Tensor:
        """All K keys, oldest first (a copy)."""
        return torch.roll(self.buffer, -self.ptr, dims=0).clone()
