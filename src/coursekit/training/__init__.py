"""Training: the shared training loop (``fit``, ``FitConfig``, ``History``, ``eval_mode``, ``evaluate``), losses
(weighted cross-entropy, focal, distillation, penalties), learning-rate schedules, and the training runs of the
chapters.
"""

from coursekit.training.digits import DigitsConfig, TrainResult, accuracy, train_digits
from coursekit.training.loop import FitConfig, History, fit, eval_mode, evaluate
from coursekit.training.losses import (
    weighted_cross_entropy,
    focal_loss,
    distillation_loss,
    penalty,
    focal_loss_torch,
    distillation_loss_torch,
    fit_linear_classifier_torch,
)
from coursekit.training.schedules import warmup_cosine_lr

__all__ = [
    "DigitsConfig",
    "TrainResult",
    "accuracy",
    "train_digits",
    "FitConfig",
    "History",
    "fit",
    "eval_mode",
    "evaluate",
    "weighted_cross_entropy",
    "focal_loss",
    "distillation_loss",
    "penalty",
    "focal_loss_torch",
    "distillation_loss_torch",
    "fit_linear_classifier_torch",
    "warmup_cosine_lr",
]
