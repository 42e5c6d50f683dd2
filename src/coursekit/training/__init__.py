"""Training: the shared training loop (``fit``, ``FitConfig``, ``History``, ``eval_mode``, ``evaluate``), losses
(weighted cross-entropy, focal, distillation, penalties), learning-rate schedules, and the training runs of the
chapters.
"""

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
from coursekit._lazy import attach

# names of the modules that need torch: they load on first use (coursekit._lazy)
_LAZY = {
    "shift_images": "augment",
    "rotate_images": "augment",
    "random_shift_rotate": "augment",
    "DigitsConfig": "digits",
    "TrainResult": "digits",
    "accuracy": "digits",
    "train_digits": "digits",
    "FitConfig": "loop",
    "History": "loop",
    "fit": "loop",
    "eval_mode": "loop",
    "evaluate": "loop",
    "gap_features": "transfer",
    "with_new_head": "transfer",
    "freeze_": "transfer",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

__all__ = [
    "weighted_cross_entropy",
    "focal_loss",
    "distillation_loss",
    "penalty",
    "focal_loss_torch",
    "distillation_loss_torch",
    "fit_linear_classifier_torch",
    "warmup_cosine_lr",
    "shift_images",
    "rotate_images",
    "random_shift_rotate",
    "DigitsConfig",
    "TrainResult",
    "accuracy",
    "train_digits",
    "FitConfig",
    "History",
    "fit",
    "eval_mode",
    "evaluate",
    "gap_features",
    "with_new_head",
    "freeze_",
]
