"""scikit-learn's 8×8 digits, upsampled and split for the CNN chapters (train / validation / test).

Used by Chapter 4 (a small CNN on digits) and by every later chapter that trains on digits.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["DigitsSplit", "load_digits_split"]


class DigitsSplit(NamedTuple):
    X_train: torch.Tensor   # (B, 1, S, S) float32 in [0, 1]
    y_train: torch.Tensor   # (B,) int64
    X_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split(size: int = 16, test_size: float = 0.25, seed: int = 0) -> DigitsSplit:
    """scikit-learn's 1,797 8×8 digits, scaled to [0, 1], bilinearly resized to ``size``×``size`` and split
    into a stratified train/test pair fixed by ``seed``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if int(size) != size or size < 4:
        raise ValueError(f"size must be an integer >= 4, got {size!r}.")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}.")
    d = load_digits()
    X = torch.tensor(d.images / 16.0, dtype=torch.float32)[:, None]   # (1797, 1, 8, 8)
    if size != 8:
        X = F.interpolate(X, size=(int(size), int(size)), mode="bilinear", align_corners=False)
    y = torch.tensor(d.target, dtype=torch.int64)
    i_tr, i_te = train_test_split(np.arange(len(y)), test_size=test_size, random_state=seed, stratify=d.target)
    return DigitsSplit(X[i_tr], y[i_tr], X[i_te], y[i_te])
