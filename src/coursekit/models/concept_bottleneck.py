"""A concept bottleneck model: image → named concepts → label, so that a person can read and correct the middle.

Chapter 18 (Explainability and fairness). The encoder predicts M concept logits; the label is a linear
function of the concept *probabilities* only, so every decision is explained by, and can be changed through,
the concepts. The training losses and test-time intervention are in :mod:`coursekit.explain.concepts`.

References
----------
P. W. Koh, T. Nguyen, Y. S. Tang, S. Mussmann, E. Pierson, B. Kim and P. Liang, "Concept bottleneck models",
ICML 2020.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape
from coursekit.layers.blocks import conv_bn

__all__ = ["ConceptBottleneckConfig", "ConceptBottleneck"]


@dataclass
class ConceptBottleneckConfig:
    """Settings of :class:`ConceptBottleneck`; the defaults fit 16×16 stroke images with 6 concepts, 3 classes.

    Defined in :ref:`sec-xai-concepts`.

    Parameters
    ----------
    image_size : int
        H = W, a multiple of 4 (two 2×2 max-pools).
    in_channels : int
    n_concepts : int
        M.
    num_classes : int
        K.
    channels : (int, int)
        Widths of the two conv layers.

    Examples
    --------
    >>> ConceptBottleneckConfig().n_concepts
    6
    """

    image_size: int = 16
    in_channels: int = 1
    n_concepts: int = 6
    num_classes: int = 3
    channels: tuple[int, int] = (8, 16)

    def __post_init__(self):
        for name in ("image_size", "in_channels", "n_concepts"):
            check_int(getattr(self, name), name)
        check_int(self.num_classes, "num_classes", minimum=2)
        if self.image_size % 4:
            raise ValueError(f"image_size must be a multiple of 4 (two 2×2 pools), got {self.image_size}.")
        if not (isinstance(self.channels, (tuple, list)) and len(self.channels) == 2):
            raise ValueError(f"channels must be a pair (C1, C2), got {self.channels!r}.")
        for i, c in enumerate(self.channels):
            check_int(c, f"channels[{i}]")


class ConceptBottleneck(nn.Module):
    """x → concept logits ĉ (B, M) → label logits ŷ = W σ(ĉ) + b (B, K).

    Defined in :ref:`sec-xai-concepts` (Eq. :eq:`eq-xai-cbm`).

    Parameters
    ----------
    config : ConceptBottleneckConfig, optional

    Notes
    -----
    The concept head flattens the feature map instead of pooling it: concepts such as "a bar at the top"
    are about *where* something is. Initialise with ``init_parameters_(model, generator)``.

    Examples
    --------
    >>> model = ConceptBottleneck()
    >>> c_logits, y_logits = model.concepts_and_logits(torch.zeros(2, 1, 16, 16))
    >>> tuple(c_logits.shape), tuple(y_logits.shape), tuple(model(torch.zeros(2, 1, 16, 16)).shape)
    ((2, 6), (2, 3), (2, 3))
    """

    def __init__(self, config: ConceptBottleneckConfig | None = None):
        super().__init__()
        config = ConceptBottleneckConfig() if config is None else config
        if not isinstance(config, ConceptBottleneckConfig):
            raise ValueError(f"config must be a ConceptBottleneckConfig, got {type(config).__name__}.")
        self.config = config
        c1, c2, S = config.channels[0], config.channels[1], config.image_size
        self.encoder = nn.Sequential(conv_bn(config.in_channels, c1, 3), nn.ReLU(), nn.MaxPool2d(2),
                                     conv_bn(c1, c2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                     nn.Linear(c2 * (S // 4) ** 2, config.n_concepts))
        self.label_head = nn.Linear(config.n_concepts, config.num_classes)

    def concepts_and_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(concept logits (B, M), label logits (B, K)) of images ``x`` (B, C, S, S)."""
        check_shape(x, "B C H W", "x", C=self.config.in_channels, H=self.config.image_size,
                    W=self.config.image_size)
        c_logits = self.encoder(x)                                   # (B, M)
        return c_logits, self.label_head(torch.sigmoid(c_logits))    # (B, M), (B, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Label logits (B, K)."""
        return self.concepts_and_logits(x)[1]
