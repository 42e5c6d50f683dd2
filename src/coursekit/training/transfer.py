"""Transfer learning: reuse a trained network's features on a new task, frozen (linear probe) or fine-tuned.

Chapter 4 (CNNs), section "Transfer learning: linear probe vs fine-tuning". A network trained on one task
has learnt features (strokes, corners, blobs) that other tasks share. A **linear probe** freezes them and
fits only a linear classifier on top — cheap, and an honest measure of what the features hold; **fine-tuning**
starts from the trained weights and trains everything on the new task with a small learning rate, usually
better when the new task has enough labels.

Conventions (CONTRIBUTING.md): the models are ``features`` + global average pooling + ``head``, as
:class:`coursekit.models.small_cnn.SmallCNN`; randomness comes from the ``generator`` argument.

References
----------
- J. Yosinski, J. Clune, Y. Bengio and H. Lipson, "How transferable are features in deep neural networks?",
  NeurIPS 2014.
- S. Kornblith, J. Shlens and Q. V. Le, "Do better ImageNet models transfer better?", CVPR 2019 (linear
  probes and fine-tuning compared).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from coursekit.core.validation import check_generator, check_int, check_shape
from coursekit.layers.init import init_parameters_
from coursekit.training.loop import eval_mode

__all__ = ["gap_features", "with_new_head", "freeze_"]


def gap_features(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """The globally average-pooled features ``mean_ij features(x)``, in eval mode and without gradients.

    Defined in :ref:`sec-transfer-learning` (Eq. :eq:`eq-linear-probe`).

    Parameters
    ----------
    model : nn.Module
        With a ``features`` sub-module mapping ``(B, C_in, H, W)`` to ``(B, C, h, w)``.
    x : (N, C_in, H, W) Tensor
        Images.
    batch_size : int
        Images per forward pass, >= 1.

    Returns
    -------
    (N, C) Tensor
        One feature vector per image (BatchNorm uses its running statistics).

    Examples
    --------
    >>> from coursekit.models.small_cnn import SmallCNN, SmallCNNConfig
    >>> gap_features(SmallCNN(SmallCNNConfig(channels=(4, 8))), torch.zeros(3, 1, 16, 16)).shape
    torch.Size([3, 8])
    """
    if not isinstance(getattr(model, "features", None), nn.Module):
        raise ValueError("model needs a `features` sub-module (features + global pooling + head).")
    check_shape(x, "N C H W", "x")
    batch_size = check_int(batch_size, "batch_size", 1)
    with eval_mode(model), torch.no_grad():
        return torch.cat([model.features(x[i:i + batch_size]).mean(dim=(2, 3))
                          for i in range(0, len(x), batch_size)])


def with_new_head(model: nn.Module, num_classes: int, generator: torch.Generator) -> nn.Module:
    """A copy of ``model`` with the same features and a freshly initialised linear ``head`` for a new task.

    Defined in :ref:`sec-transfer-learning`.

    Parameters
    ----------
    model : nn.Module
        With a linear ``head``; left unchanged.
    num_classes : int
        Outputs of the new head, >= 2.
    generator : torch.Generator
        Initialises the new head.

    Returns
    -------
    nn.Module
        The copy, in training mode.

    Examples
    --------
    >>> from coursekit.models.small_cnn import SmallCNN, SmallCNNConfig
    >>> m = with_new_head(SmallCNN(SmallCNNConfig(channels=(4, 8))), 5, torch.Generator().manual_seed(0))
    >>> m.head.out_features
    5
    """
    if not isinstance(getattr(model, "head", None), nn.Linear):
        raise ValueError("model needs a linear `head` to replace.")
    num_classes = check_int(num_classes, "num_classes", 2)
    check_generator(generator)
    new = copy.deepcopy(model)
    new.head = init_parameters_(nn.Linear(model.head.in_features, num_classes), generator)
    return new.train()


def freeze_(module: nn.Module) -> nn.Module:
    """Stop training ``module``'s parameters (``requires_grad = False``) and return it.

    Defined in :ref:`sec-transfer-learning`.

    Parameters
    ----------
    module : nn.Module
        Frozen in place; an optimiser then leaves its parameters unchanged (they get no gradient).

    Returns
    -------
    nn.Module
        ``module`` itself.

    Examples
    --------
    >>> any(p.requires_grad for p in freeze_(nn.Linear(2, 2)).parameters())
    False
    """
    for p in module.parameters():
        p.requires_grad_(False)
    return module
