"""Check of Chapter 4's augmentation exercise: shifting a batch of images by whole pixels with zero fill.

The student's NumPy function runs on seeded batches of digits and random arrays; the reference is
:func:`coursekit.training.augment.shift_images` (torch), and the hint names the usual slips (``np.roll``'s
wrap-around, the shift's direction) without revealing the expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit.grading import Case, Check, compare

__all__ = ["CHECKS", "shift_images_numpy"]


def shift_images_numpy(x, dy, dx):
    """The reference in the exercise's NumPy form: ``(B, C, H, W)`` images, ``(B,)`` integer shifts."""
    import torch

    from coursekit.training.augment import shift_images

    return shift_images(torch.from_numpy(np.asarray(x, dtype=np.float64)), torch.from_numpy(np.asarray(dy)),
                        torch.from_numpy(np.asarray(dx))).numpy()


def _digits(rng: np.random.Generator, n: int) -> np.ndarray:
    from sklearn.datasets import load_digits

    X = load_digits().images / 16.0                                       # (1797, 8, 8) in [0, 1]
    return X[rng.choice(len(X), n, replace=False)][:, None]              # (n, 1, 8, 8)


def _shift_cases(rng: np.random.Generator):
    """``shift_images(x, dy, dx)`` with per-image shifts, zeros where nothing comes in."""
    x = _digits(rng, 6)
    yield Case("6 digits, shifts in [-2, 2]", (x, rng.integers(-2, 3, 6), rng.integers(-2, 3, 6)))
    x = rng.random((4, 3, 5, 7))
    yield Case("random (4, 3, 5, 7), shifts in [-4, 4]", (x, rng.integers(-4, 5, 4), rng.integers(-4, 5, 4)))
    x = rng.random((3, 1, 6, 6))
    yield Case("zero shifts", (x, np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64)))
    yield Case("one image, down 1 and left 3", (rng.random((1, 2, 4, 5)), np.array([1]), np.array([-3])))


def _shift_judge(case: Case, got, expected) -> str:
    hint = compare(got, expected, atol=1e-12)
    if not hint:
        return ""
    x, dy, dx = case.args
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return hint
    if g.shape != x.shape:
        return hint
    rolled = np.stack([np.roll(x[b], (int(dy[b]), int(dx[b])), axis=(1, 2)) for b in range(len(x))])
    if np.allclose(g, rolled):
        return hint + " Hint: np.roll wraps what leaves one side back in at the other; fill with zeros instead."
    if np.allclose(g, shift_images_numpy(x, -dy, -dx)):
        return hint + " Hint: the shift goes the other way: out[i, j] = x[i - dy, j - dx] moves the picture down/right."
    return hint + " Hint: out[b, :, i, j] = x[b, :, i - dy[b], j - dx[b]] where that pixel exists, 0 elsewhere."


CHECKS = [
    Check("ch04.shift_images", cases=_shift_cases, reference=shift_images_numpy, judge=_shift_judge,
          forbidden=("scipy.ndimage.shift",)),
]
