"""Helpers shared by the models: parameter and layer counts and seeded initialisation.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from coursekit.layers.blocks import ResidualBlock

__all__ = ["count_parameters", "count_weight_layers", "init_parameters_"]


def count_parameters(model: nn.Module) -> int:
    """Number of learnable scalars, sum(p.numel()) over the model's parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_weight_layers(model: nn.Module) -> int:
    """Depth as papers count it: convolutions and linear layers, not counting projection shortcuts."""
    return sum(isinstance(m, (nn.Conv2d, nn.Linear)) and "shortcut" not in name
               for name, m in model.named_modules())


def init_parameters_(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Re-draw every weight from PyTorch's default initialisation, using only ``generator``; in place.

    Conv and linear weights and biases ~ U(-1/√fan_in, 1/√fan_in) (what ``reset_parameters`` draws);
    BatchNorm back to scale 1, shift 0 and running statistics (0, 1); a :class:`ResidualBlock` built with
    ``zero_init`` gets its last BN scale set to 0 again.
    """
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            bound = 1.0 / math.sqrt(m.weight[0].numel())            # fan_in = C_in · k · k (or D_in)
            with torch.no_grad():
                m.weight.uniform_(-bound, bound, generator=generator)
                if m.bias is not None:
                    m.bias.uniform_(-bound, bound, generator=generator)
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_parameters()                                    # deterministic: no random draw
    for m in model.modules():
        if isinstance(m, ResidualBlock) and m.zero_init:
            nn.init.zeros_(m.conv2[1].weight)
    return model
