"""A LeNet-5 sketch for 32×32 inputs (dense C3, average pooling and a linear output; not the paper's exact model).

Chapter 4 (architectures).

References
----------
Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied to document recognition",
Proc. IEEE 86(11), 1998.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape

__all__ = ["LeNet5Config", "LeNet5"]


@dataclass
class LeNet5Config:
    """Settings of :class:`LeNet5`: the number of classes (the layer sizes are the paper's).

    Defined in :ref:`sec-lenet-vgg-resnet`.

    Parameters
    ----------
    num_classes : int
        K, the number of outputs.

    Examples
    --------
    >>> LeNet5Config().num_classes
    10
    """

    num_classes: int = 10

    def __post_init__(self):
        check_int(self.num_classes, "num_classes", minimum=2)


class LeNet5(nn.Module):
    """LeNet-5 on a 32×32 grey image: C1 6@5×5, S2 avg-pool, C3 16@5×5, S4, C5 120@5×5, F6 84, K outputs.

    Defined in :ref:`sec-lenet-vgg-resnet`.

    Parameters
    ----------
    config : LeNet5Config, optional

    Notes
    -----
    A sketch: tanh and plain average pooling, C3 fully connected to S2 (LeCun et al. used a sparse
    connection table, 1,516 weights instead of 2,416) and a linear output instead of RBF units.

    References
    ----------
    Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied to document
    recognition", Proc. IEEE 86(11), 1998.

    Examples
    --------
    >>> LeNet5()(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, config: LeNet5Config | None = None):
        super().__init__()
        config = LeNet5Config() if config is None else config
        if not isinstance(config, LeNet5Config):
            raise ValueError(f"config must be a LeNet5Config, got {type(config).__name__}.")
        self.config = config
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5),
                                      nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(16, 120, 5), nn.Tanh())
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(120, 84), nn.Tanh(),
                                        nn.Linear(84, config.num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) of grey 32×32 images ``x`` (B, 1, 32, 32)."""
        check_shape(x, "B 1 32 32", "x")
        return self.classifier(self.features(x))                    # (B, 1, 32, 32) -> (B, 120, 1, 1) -> (B, K)
