"""Training the small CNN on digits (Chapter 4): configuration, accuracy and the training run, on top of the
shared loop :func:`coursekit.training.loop.fit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_fraction, check_generator
from coursekit.layers.init import init_parameters_
from coursekit.training.loop import FitConfig, evaluate, fit

if TYPE_CHECKING:                                  # models import lazily: model packages may train with
    from coursekit.models.small_cnn import SmallCNN, SmallCNNConfig   # coursekit.training themselves

__all__ = ["DigitsConfig", "TrainResult", "accuracy", "train_digits"]


@dataclass
class DigitsConfig:
    """Settings of :func:`train_digits`; the defaults reach ~99% test accuracy in a few seconds on 2 cores.

    Defined in :ref:`sec-small-cnn`.

    Parameters
    ----------
    channels : (int, int)
        Widths (C1, C2) of the :class:`SmallCNN`.
    epochs, batch_size, lr, weight_decay, warmup_fraction :
        The optimisation, as in :class:`coursekit.training.loop.FitConfig` (AdamW, linear warmup over
        ``warmup_fraction`` of the steps, then cosine decay to 0).
    val_fraction : float
        Fraction of the training split held out (its last rows) to validate after every epoch, in (0, 1).

    Examples
    --------
    >>> DigitsConfig(epochs=4).fit_config().epochs
    4
    """

    channels: tuple[int, int] = (16, 32)
    epochs: int = 8
    batch_size: int = 64
    lr: float = 1e-2            # the peak of the warmup-cosine schedule
    weight_decay: float = 0.05  # AdamW's decoupled decay: w ← (1 - η_t λ) w every step
    warmup_fraction: float = 0.3
    val_fraction: float = 0.1

    def model_config(self) -> SmallCNNConfig:
        """The :class:`SmallCNNConfig` of this run (10 classes, one input channel).

        Returns
        -------
        SmallCNNConfig
        """
        from coursekit.models.small_cnn import SmallCNNConfig

        return SmallCNNConfig(channels=tuple(self.channels))

    def fit_config(self) -> FitConfig:
        """The :class:`FitConfig` of this run.

        Returns
        -------
        FitConfig
        """
        return FitConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                         weight_decay=self.weight_decay, warmup_fraction=self.warmup_fraction)


class TrainResult(NamedTuple):
    """What :func:`train_digits` returns: the model, its test accuracy and the per-epoch history.

    Defined in :ref:`sec-small-cnn`.

    Parameters
    ----------
    model : SmallCNN
        The trained model, in eval mode.
    accuracy : float
        Test accuracy after the last epoch.
    history : dict
        ``"loss"``, ``"train_accuracy"``, ``"val_accuracy"``, ``"test_accuracy"``: lists with one value per epoch; ``"lr"``: the rate of every step; ``"seconds"``: the training time.

    Examples
    --------
    >>> TrainResult(None, 0.99, {}).accuracy
    0.99
    """

    model: SmallCNN
    accuracy: float
    history: dict


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Fraction of the images ``X`` that ``model``, in eval mode, labels as ``y``.

    Defined in :ref:`sec-small-cnn`.

    Parameters
    ----------
    model : nn.Module
        A classifier returning (B, K) logits.
    X : (B, C, H, W) Tensor of float32
    y : (B,) Tensor of int64
    batch_size : int
        Images per forward pass.

    Returns
    -------
    float
        In [0, 1]. The model's modes are restored afterwards.

    Notes
    -----
    The predictions come from :func:`coursekit.training.loop.evaluate` (batches, eval mode, no gradients).

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    >>> with torch.no_grad():
    ...     _ = model[1].weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]))
    ...     _ = model[1].bias.zero_()
    >>> X = torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [2.0, 0, 0, 0]]).reshape(3, 1, 2, 2)
    >>> accuracy(model, X, torch.tensor([0, 1, 1]))
    0.6666666666666666
    """
    pred = evaluate(model, lambda m, batch: m(batch[0]).argmax(1), X, batch_size)   # (B,)
    if pred.shape != y.shape:
        raise ValueError(f"y must hold one label per image, shape {tuple(pred.shape)}, got {tuple(y.shape)}.")
    return float((pred == y).double().mean())


def train_digits(config: DigitsConfig, data, generator: torch.Generator, progress: bool = True) -> TrainResult:
    """Train :class:`SmallCNN` on the digits with cross-entropy and the shared loop :func:`fit`.

    Defined in :ref:`sec-small-cnn`.

    Parameters
    ----------
    config : DigitsConfig
    data : coursekit.data.DigitsSplit
        ``coursekit.data.load_digits_split()``: ``X_train`` (B, 1, S, S), ``y_train`` (B,), ``X_test``, ``y_test``.
    generator : torch.Generator
        Every random draw (initial weights, batch order) comes from it.
    progress : bool
        Show a progress bar with the loss and the validation accuracy.

    Returns
    -------
    TrainResult
        The model (in eval mode), its test accuracy and the history.

    Notes
    -----
    1. Hold out the last ``val_fraction`` of the training split (already shuffled and stratified) for
       validation.
    2. Initialise the weights from ``generator`` (:func:`init_parameters_`).
    3. :func:`fit` with AdamW and a warmup-cosine rate; annealing to 0 also lets the BatchNorm running
       statistics settle. After each epoch the metric records train, validation and test accuracy (the
       test accuracy only for the chapter's curve: no choice is made on it).

    Examples
    --------
    >>> from coursekit.data import DigitsSplit, load_digits_split
    >>> d = load_digits_split(8)
    >>> small = DigitsSplit(d.X_train[:200], d.y_train[:200], d.X_test[:100], d.y_test[:100])  # a quick look
    >>> result = train_digits(DigitsConfig(channels=(4, 8), epochs=2), small, torch.Generator().manual_seed(0),
    ...                       progress=False)
    >>> len(result.history["val_accuracy"]), len(result.history["lr"]), result.model.training
    (2, 6, False)
    """
    if not isinstance(config, DigitsConfig):
        raise ValueError(f"config must be a DigitsConfig, got {type(config).__name__}.")
    if not all(isinstance(getattr(data, k, None), torch.Tensor) for k in ("X_train", "y_train", "X_test", "y_test")):
        raise ValueError(f"data must be a coursekit.data.DigitsSplit (from load_digits_split()), "
                         f"got {type(data).__name__}.")
    check_generator(generator)
    fit_config = config.fit_config()
    n = len(data.y_train)
    n_val = round(check_fraction(config.val_fraction, "val_fraction") * n)
    if not 0 < n_val < n:
        raise ValueError(f"val_fraction must leave at least one image for validation and one for training, "
                         f"got {config.val_fraction} of {n} images.")
    X_tr, y_tr = data.X_train[:n - n_val], data.y_train[:n - n_val]          # (B_tr, 1, S, S), (B_tr,)
    X_val, y_val = data.X_train[n - n_val:], data.y_train[n - n_val:]        # (B_val, 1, S, S), (B_val,)

    curves = {"train_accuracy": [], "test_accuracy": []}

    def metric(model, val):                                          # after each epoch, in eval mode
        curves["train_accuracy"].append(accuracy(model, X_tr, y_tr))
        curves["test_accuracy"].append(accuracy(model, data.X_test, data.y_test))
        return accuracy(model, *val)

    from coursekit.models.small_cnn import SmallCNN

    model = init_parameters_(SmallCNN(config.model_config()), generator)
    history = fit(model, lambda m, batch: F.cross_entropy(m(batch[0]), batch[1]), (X_tr, y_tr), fit_config,
                  generator, val=(X_val, y_val), metric=metric, progress=progress, desc="digits CNN")
    return TrainResult(model, curves["test_accuracy"][-1], {
        "loss": history.loss, "train_accuracy": curves["train_accuracy"],
        "val_accuracy": history.val, "test_accuracy": curves["test_accuracy"],
        "lr": history.lr, "seconds": history.seconds})
