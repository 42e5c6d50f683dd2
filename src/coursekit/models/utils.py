"""Helpers shared by the models: parameter and layer counts, and seeded initialisation.

``init_parameters_`` lives in :mod:`coursekit.layers.init` (layers use it too) and is re-exported here, where
model code looks for it.
"""

from __future__ import annotations

from torch import nn

from coursekit.layers.init import init_parameters_

__all__ = ["count_parameters", "count_weight_layers", "init_parameters_"]


def _check_module(model) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    return model


def count_parameters(model: nn.Module) -> int:
    """Number of learnable scalars: the sum of ``p.numel()`` over the parameters that require a gradient.

    Defined in :ref:`sec-lenet-vgg-resnet`.

    Parameters
    ----------
    model : nn.Module

    Returns
    -------
    int

    Notes
    -----
    A ``Conv2d(C_in, C_out, k)`` has C_out · C_in · k² weights plus C_out biases; a ``Linear(D_in, D_out)``
    D_out · D_in + D_out; a BatchNorm 2C (scale and shift; its running statistics are buffers, not parameters).

    Examples
    --------
    >>> count_parameters(nn.Sequential(nn.Conv2d(1, 6, 5), nn.Linear(10, 2)))     # 6·25 + 6 and 2·10 + 2
    178
    """
    return sum(p.numel() for p in _check_module(model).parameters() if p.requires_grad)


def count_weight_layers(model: nn.Module) -> int:
    """Depth as papers count it: convolutions and linear layers, not counting projection shortcuts.

    Defined in :ref:`sec-lenet-vgg-resnet`.

    Parameters
    ----------
    model : nn.Module

    Returns
    -------
    int

    Notes
    -----
    "ResNet-20" has 19 convolutions on its main path and one linear layer; its 1×1 projection shortcuts
    (modules whose name contains ``shortcut``) are not counted, as He et al. do.

    Examples
    --------
    >>> count_weight_layers(nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4, 2)))
    2
    """
    return sum(isinstance(m, (nn.Conv2d, nn.Linear)) and "shortcut" not in name
               for name, m in _check_module(model).named_modules())
