"""Knowledge distillation: train a small student on a teacher's temperature-softened outputs and the labels.

Chapter 14 (Transformer advances), with the loss of Chapter 3
(:func:`coursekit.training.losses.distillation_loss_torch`: α T² KL(p_T^teacher ‖ p_T^student) + (1 − α) CE).
The teacher's logits are computed once, so training the student costs what training it on labels costs.

References
----------
G. Hinton, O. Vinyals and J. Dean, "Distilling the knowledge in a neural network", NeurIPS Deep Learning
Workshop 2014.
"""

from __future__ import annotations

import torch
from torch import nn

from coursekit.core.validation import check_generator, check_positive
from coursekit.training.loop import FitConfig, History, evaluate, fit
from coursekit.training.losses import distillation_loss_torch

__all__ = ["distill"]


def distill(student: nn.Module, teacher: nn.Module, X: torch.Tensor, y: torch.Tensor, config: FitConfig,
            generator: torch.Generator, T: float = 4.0, alpha: float = 0.9, val: tuple | None = None,
            metric=None, progress: bool = False) -> History:
    """Train ``student`` in place on α T² KL(teacher_T ‖ student_T) + (1 − α) CE(student, y) with ``training.fit``.

    Defined in :ref:`sec-advances-distillation` (Eq. :eq:`eq-advances-distill`).

    Parameters
    ----------
    student : nn.Module
        Initialised; (B, ...) → (B, K) logits. Trained in place.
    teacher : nn.Module
        Trained; evaluated once on ``X`` in eval mode, never updated.
    X : (B, ...) Tensor
    y : (B,) Tensor of int64
    config : FitConfig
    generator : torch.Generator
        Batch order.
    T : float
        Temperature > 0 of both softmaxes.
    alpha : float
        Weight of the soft term in [0, 1] (0 = plain cross-entropy training).
    val, metric :
        As :func:`coursekit.training.loop.fit`.
    progress : bool

    Returns
    -------
    History

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X, y = torch.randn(32, 4, generator=g), torch.randint(0, 3, (32,), generator=g)
    >>> teacher, student = nn.Linear(4, 3), nn.Linear(4, 3)
    >>> len(distill(student, teacher, X, y, FitConfig(epochs=2, batch_size=16), g).loss)
    2
    """
    check_generator(generator)
    T = check_positive(T, "T")
    if len(X) != len(y):
        raise ValueError(f"X and y must have one row per example, got {len(X)} and {len(y)}.")
    teacher_logits = evaluate(teacher, lambda m, b: m(b[0]), X)              # (B, K), eval mode, no grad

    def loss_fn(model, batch):
        xb, yb, tb = batch
        return distillation_loss_torch(model(xb), tb, yb, T=T, alpha=alpha)

    return fit(student, loss_fn, (X, y, teacher_logits), config, generator, val=val, metric=metric,
               progress=progress, desc="distill")
