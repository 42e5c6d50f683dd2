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
    """A fixed train/test split of scikit-learn's digits as torch tensors (see :func:`load_digits_split`).

    Attributes
    ----------
    X_train, X_test : (B, 1, S, S) Tensor of float32
        Images in [0, 1].
    y_train, y_test : (B,) Tensor of int64
        Digit labels 0..9.

    Examples
    --------
    >>> split = load_digits_split(size=8)
    >>> tuple(split.X_train.shape), tuple(split.X_test.shape), split.y_train.dtype
    ((1347, 1, 8, 8), (450, 1, 8, 8), torch.int64)
    """

    X_train: torch.Tensor   # (B, 1, S, S) float32 in [0, 1]
    y_train: torch.Tensor   # (B,) int64
    X_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split(size: int = 16, test_size: float = 0.25, seed: int = 0) -> DigitsSplit:
    """scikit-learn's 1,797 8×8 digits in [0, 1], resized and split into a fixed stratified train/test pair.

    Parameters
    ----------
    size : int
        Side S of the resized images (bilinear, >= 4; 8 keeps the originals).
    test_size : float
        Fraction of the images in the test set, in (0, 1).
    seed : int
        Fixes the stratified split (scikit-learn's ``random_state``).

    Returns
    -------
    DigitsSplit
        ``(X_train, y_train, X_test, y_test)``.

    Examples
    --------
    >>> split = load_digits_split(size=16)
    >>> tuple(split.X_train.shape), float(split.X_train.max()) <= 1.0
    ((1347, 1, 16, 16), True)
    """
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
