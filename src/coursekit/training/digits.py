"""Training the small CNN on digits (Chapter 4): configuration, accuracy and the training run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_positive
from coursekit.models.small_cnn import SmallCNN
from coursekit.models.utils import init_parameters_

__all__ = ["DigitsConfig", "TrainResult", "accuracy", "train_digits"]


@dataclass
class DigitsConfig:
    """Settings of :func:`train_digits`; the defaults train in a few seconds on 2 cores."""

    channels: tuple[int, int] = (16, 32)
    epochs: int = 8
    batch_size: int = 64
    lr: float = 1e-2           # the peak of the one-cycle schedule
    weight_decay: float = 1e-4


class TrainResult(NamedTuple):
    model: SmallCNN
    accuracy: float          # test accuracy after the last epoch
    history: dict            # lists per epoch: "loss", "train_accuracy", "test_accuracy"


@torch.no_grad()
def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Fraction of ``X`` (B, C, H, W) that ``model`` (in eval mode) labels as ``y`` (B,)."""
    was_training = model.training
    model.eval()
    correct = sum(int((model(X[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
                  for i in range(0, len(y), batch_size))
    model.train(was_training)
    return correct / len(y)


def train_digits(config: DigitsConfig, data, generator: torch.Generator, progress: bool = True) -> TrainResult:
    """Train :class:`SmallCNN` on the digits with Adam, cross-entropy and a one-cycle learning rate (warm up
    to ``config.lr``, then anneal to ~0, which also lets the BatchNorm running statistics settle).

    Defined in :ref:`sec-small-cnn` (Eq. :eq:`eq-gap-classifier`).

    ``data`` is a :class:`coursekit.data.DigitsSplit` (``coursekit.data.load_digits_split()``). Every random
    draw (initial weights, batch order) comes from ``generator``. Returns the model (in eval mode), its test
    accuracy and the per-epoch history.
    """
    from tqdm.auto import tqdm

    check_positive(config.epochs, "epochs")
    check_positive(config.batch_size, "batch_size")
    model = init_parameters_(SmallCNN(config.channels), generator)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    n_batches = math.ceil(len(data.y_train) / config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.epochs * n_batches)
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    n = len(data.y_train)
    bar = tqdm(range(config.epochs), desc="digits CNN", disable=not progress)
    for _ in bar:
        model.train()
        perm = torch.randperm(n, generator=generator)              # (n,) a new batch order each epoch
        total = 0.0
        for i in range(0, n, config.batch_size):
            idx = perm[i:i + config.batch_size]
            loss = F.cross_entropy(model(data.X_train[idx]), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            total += loss.item() * len(idx)
        history["loss"].append(total / n)
        history["train_accuracy"].append(accuracy(model, data.X_train, data.y_train))
        history["test_accuracy"].append(accuracy(model, data.X_test, data.y_test))
        bar.set_postfix(loss=f"{total / n:.3f}", test_acc=f"{history['test_accuracy'][-1]:.3f}")
    model.eval()
    return TrainResult(model, history["test_accuracy"][-1], history)
