"""Magnitude pruning: zero the weights of smallest absolute value, layer by layer or globally.

Chapter 14 (Transformer advances). The simplest pruning criterion says a weight matters as much as its magnitude.
Pruning to sparsity s keeps the (1 − s) fraction of largest ``|w|``; *global* pruning ranks all weights of the model
together (layers with many small weights lose more), *layer-wise* pruning takes s of every layer.

References
----------
S. Han, J. Pool, J. Tran and W. Dally, "Learning both weights and connections for efficient neural networks",
NeurIPS 2015.
J. Frankle and M. Carbin, "The lottery ticket hypothesis: finding sparse, trainable neural networks", ICLR 2019.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from coursekit.core.validation import check_choice, check_fraction

__all__ = ["magnitude_mask", "prune_model", "sparsity"]


def magnitude_mask(weight: torch.Tensor, sparsity: float) -> torch.Tensor:
    """The boolean mask that keeps the ⌈(1 − s) n⌉ weights of largest ``|w|`` (ties broken by position).

    Defined in :ref:`sec-advances-pruning` (Eq. :eq:`eq-advances-prune`).

    Parameters
    ----------
    weight : Tensor of float
        Any shape, n values.
    sparsity : float
        s in [0, 1]: the fraction of weights to remove, round(s · n) of them.

    Returns
    -------
    Tensor of bool, the shape of ``weight``
        True where the weight is kept.

    Examples
    --------
    >>> magnitude_mask(torch.tensor([0.1, -3.0, 0.5, 2.0]), 0.5).tolist()
    [False, True, False, True]
    """
    if not isinstance(weight, torch.Tensor) or not weight.dtype.is_floating_point:
        raise ValueError(f"weight must be a float tensor, got {type(weight).__name__}.")
    s = check_fraction(sparsity, "sparsity")
    n_prune = round(s * weight.numel())
    mask = torch.ones(weight.numel(), dtype=torch.bool)
    if n_prune:
        order = torch.argsort(weight.detach().abs().flatten(), stable=True)   # (n,) smallest |w| first
        mask[order[:n_prune]] = False
    return mask.reshape(weight.shape)


def _weights(model: nn.Module) -> list[torch.Tensor]:
    return [m.weight for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]


def prune_model(model: nn.Module, sparsity: float, scope: str = "global") -> nn.Module:
    """A deep copy of ``model`` with a fraction ``sparsity`` of its ``nn.Linear``/``nn.Conv2d`` weights set to 0.

    Defined in :ref:`sec-advances-pruning` (Eq. :eq:`eq-advances-prune`).

    Parameters
    ----------
    model : nn.Module
    sparsity : float
        s in [0, 1].
    scope : {"global", "layer"}
        Rank all weights together, or prune s of each layer.

    Returns
    -------
    nn.Module
        Biases are kept (they are few).

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(10, 10), nn.Linear(10, 2))
    >>> round(sparsity(prune_model(net, 0.75)), 2)
    0.75
    """
    scope = check_choice(scope, "scope", ("global", "layer"))
    s = check_fraction(sparsity, "sparsity")
    out = copy.deepcopy(model)
    weights = _weights(out)
    with torch.no_grad():
        if scope == "layer":
            for w in weights:
                w.mul_(magnitude_mask(w, s))
        else:
            flat = torch.cat([w.flatten() for w in weights])                 # (n,) every weight of the model
            keep = magnitude_mask(flat, s)
            for w, k in zip(weights, torch.split(keep, [w.numel() for w in weights])):
                w.mul_(k.reshape(w.shape))
    return out


def sparsity(model: nn.Module) -> float:
    """The fraction of ``nn.Linear``/``nn.Conv2d`` weights that are exactly zero.

    Defined in :ref:`sec-advances-pruning`.

    Parameters
    ----------
    model : nn.Module

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> layer = nn.Linear(4, 2, bias=False)
    >>> with torch.no_grad():
    ...     _ = layer.weight[0].zero_()
    >>> sparsity(layer)
    0.5
    """
    weights = _weights(model)
    if not weights:
        raise ValueError("the model has no nn.Linear or nn.Conv2d weights.")
    return sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)
