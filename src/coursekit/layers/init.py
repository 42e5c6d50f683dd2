"""Seeded initialisation: redraw every weight of a model from one ``torch.Generator``, never from torch's
global generator.

Every chapter that trains a model starts here (CONTRIBUTING.md, "PyTorch: the training loop, models and
randomness"). A module of coursekit (or of a chapter) that owns parameters of its own takes part by defining
``reset_parameters(self, generator)``.

References
----------
K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers", ICCV 2015 (PyTorch's default
``kaiming_uniform_(a=√5)`` for linear and convolution layers is U(-1/√fan_in, 1/√fan_in)).
X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward neural networks",
AISTATS 2010 (Xavier, for attention's input projection).
"""

from __future__ import annotations

import inspect
import math

import torch
from torch import nn

from coursekit.core.validation import check_generator

__all__ = ["init_parameters_"]

_FAN_IN_UNIFORM = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
                   nn.ConvTranspose3d, nn.Bilinear)
_DETERMINISTIC = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm1d,
                  nn.InstanceNorm2d, nn.InstanceNorm3d)


def _takes_generator(module: nn.Module) -> bool:
    reset = getattr(module, "reset_parameters", None)
    return callable(reset) and "generator" in inspect.signature(reset).parameters


def _uniform_(t: torch.Tensor | None, bound: float, generator: torch.Generator) -> None:
    if t is not None:
        t.uniform_(-bound, bound, generator=generator)


@torch.no_grad()
def init_parameters_(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Redraw every parameter of ``model`` from its usual initial distribution, using only ``generator``; in place.

    Defined in :ref:`sec-initialisation`.

    Parameters
    ----------
    model : nn.Module
        Any model built from the layers below and from modules with a ``reset_parameters(generator)``.
    generator : torch.Generator
        The only source of the random draws.

    Returns
    -------
    nn.Module
        ``model`` itself (so ``model = init_parameters_(Model(config), g)`` reads as one step).

    Notes
    -----
    Modules are visited parent first; each gets PyTorch's own default distribution:

    1. A module whose ``reset_parameters`` accepts ``generator`` initialises itself and everything inside
       it (coursekit's :class:`~coursekit.layers.blocks.ResidualBlock`, attention layers, ...).
    2. Linear, bilinear and (transposed) convolution layers: weights and biases ~ U(-1/√fan_in, 1/√fan_in)
       with fan_in = C_in/groups · k^d (what ``reset_parameters`` draws).
    3. ``nn.MultiheadAttention``: Xavier-uniform input projection, U(-1/√D, 1/√D) output projection, zero biases.
    4. ``nn.Embedding`` ~ N(0, 1) (the padding row 0); RNN, GRU, LSTM ~ U(-1/√H, 1/√H).
    5. Normalisation layers: scale 1, shift 0, running statistics (0, 1); no random draw.

    Any other module that owns parameters raises ``ValueError``: give it a ``reset_parameters(self,
    generator)`` method. Constructing torch layers already drew from the global generator; this redraws them
    so that the weights depend on ``generator`` alone.

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2))
    >>> a = init_parameters_(net, torch.Generator().manual_seed(0))[0].weight.clone()
    >>> b = init_parameters_(net, torch.Generator().manual_seed(0))[0].weight
    >>> bool(torch.equal(a, b)), bool(a.abs().max() <= 1 / 3)          # fan_in = 1·3·3
    (True, True)
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    check_generator(generator)
    done: set[int] = set()                                          # modules already initialised by a parent
    for m in model.modules():
        if id(m) in done:
            continue
        if _takes_generator(m):
            m.reset_parameters(generator=generator)
            done.update(id(c) for c in m.modules())
        elif isinstance(m, _FAN_IN_UNIFORM):
            bound = 1.0 / math.sqrt(m.weight[0].numel())            # fan_in = C_in/groups · k^d (or D_in)
            if isinstance(m, nn.Bilinear):
                bound = 1.0 / math.sqrt(m.weight.shape[1])
            _uniform_(m.weight, bound, generator)
            _uniform_(m.bias, bound, generator)
        elif isinstance(m, nn.MultiheadAttention):
            D = m.embed_dim
            if m.in_proj_weight is not None:
                _uniform_(m.in_proj_weight, math.sqrt(6.0 / sum(m.in_proj_weight.shape)), generator)  # (3D, D)
            for w in (m.q_proj_weight, m.k_proj_weight, m.v_proj_weight):
                if w is not None:
                    _uniform_(w, math.sqrt(6.0 / sum(w.shape)), generator)
            _uniform_(m.out_proj.weight, 1.0 / math.sqrt(D), generator)
            for b in (m.in_proj_bias, m.out_proj.bias, m.bias_k, m.bias_v):
                if b is not None:
                    b.zero_()
            done.update(id(c) for c in m.modules())
        elif isinstance(m, nn.Embedding):
            m.weight.normal_(0.0, 1.0, generator=generator)
            if m.padding_idx is not None:
                m.weight[m.padding_idx].zero_()
        elif isinstance(m, (nn.RNN, nn.GRU, nn.LSTM)):
            for p in m.parameters(recurse=False):
                _uniform_(p, 1.0 / math.sqrt(m.hidden_size), generator)
        elif isinstance(m, _DETERMINISTIC):
            m.reset_parameters()
        elif any(True for _ in m.parameters(recurse=False)):
            raise ValueError(f"init_parameters_ does not know how to initialise {type(m).__name__}: give it a "
                             "reset_parameters(self, generator) method that draws only from generator.")
    return model
