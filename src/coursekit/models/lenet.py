"""A LeNet-5 sketch for 32×32 inputs (dense C3, max pooling and a linear output; not the paper's exact model).

Chapter 4 (architectures).

References
----------
Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied to document recognition",
Proc. IEEE 86(11), 1998.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["LeNet5"]


class LeNet5(nn.Module):
    """LeNet-5 on a 32×32 grey image: C1 6@5×5, S2 avg-pool, C3 16@5×5, S4, C5 120@5×5, F6 84, 10 outputs.

    Defined in :ref:`sec-lenet-vgg-resnet`.

    A sketch: tanh and plain average pooling, C3 fully connected to S2 (LeCun et al. used a sparse
    connection table, 1,516 weights instead of 2,416) and a linear output instead of RBF units.
    """

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5),
                                      nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(16, 120, 5), nn.Tanh())
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))                    # (B, 1, 32, 32) -> (B, K)
