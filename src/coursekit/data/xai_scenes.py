"""Generated images whose ground truth an explanation can be checked against (Chapter 18).

``digit_scenes`` pastes scikit-learn's 8×8 digits at random places on a larger noisy canvas with bright
distractor strokes, and returns the digit's mask: the object an explanation should point at (the pointing
game). ``stroke_concepts`` draws images made of named strokes, so each image comes with its concept vector
(which strokes are present): the supervision a concept bottleneck needs.

References
----------
J. Zhang et al., "Top-down neural attention by excitation backprop", ECCV 2016 (the pointing game).
P. W. Koh et al., "Concept bottleneck models", ICML 2020.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from coursekit.core.validation import check_count_range, check_int, check_rng

__all__ = ["DigitScenes", "digit_scenes", "STROKE_CONCEPTS", "stroke_concepts"]


class DigitScenes(NamedTuple):
    """What :func:`digit_scenes` returns.

    Attributes
    ----------
    X : (N, 1, S, S) Tensor of float32
        Scenes in [0, 1].
    y : (N,) Tensor of int64
        The digit's label.
    masks : (N, S, S) ndarray of bool
        The digit's 8×8 box in each scene (where the evidence is).
    boxes : (N, 4) ndarray of int64
        ``(x0, y0, x1, y1)`` of the box, end exclusive, (x, y) = (column, row).

    Examples
    --------
    >>> DigitScenes(None, None, np.zeros((1, 2, 2), bool), np.zeros((1, 4), np.int64)).boxes.shape
    (1, 4)
    """

    X: torch.Tensor
    y: torch.Tensor
    masks: np.ndarray
    boxes: np.ndarray


def digit_scenes(images, labels, rng: np.random.Generator, size: int = 24, n_distractors=(1, 3),
                 noise: float = 0.05) -> DigitScenes:
    """Paste each 8×8 digit at a random place of an S×S canvas with distractor strokes and noise.

    Parameters
    ----------
    images : (N, 1, 8, 8) Tensor or ndarray
        Digits in [0, 1] (``load_digits_split(size=8)``).
    labels : (N,) Tensor or ndarray of int
    rng : np.random.Generator
    size : int
        S ≥ 12: the canvas side.
    n_distractors : int or (int, int)
        Number of straight strokes (length 3–6, as bright as a digit's ink), drawn uniformly in the range;
        they may overlap the digit.
    noise : float
        Standard deviation of the Gaussian pixel noise (the result is clipped to [0, 1]).

    Returns
    -------
    DigitScenes
        ``(X, y, masks, boxes)``.

    Examples
    --------
    >>> s = digit_scenes(np.ones((3, 1, 8, 8)), np.arange(3), np.random.default_rng(0))
    >>> tuple(s.X.shape), int(s.masks[0].sum())
    ((3, 1, 24, 24), 64)
    """
    check_rng(rng)
    S = check_int(size, "size", minimum=12)
    lo, hi = check_count_range(n_distractors, "n_distractors")
    imgs = np.asarray(images, dtype=np.float64)
    if imgs.ndim != 4 or imgs.shape[1:] != (1, 8, 8):
        raise ValueError(f"images must have shape (N, 1, 8, 8) (load_digits_split(size=8)), got {imgs.shape}.")
    y = np.asarray(labels).astype(np.int64)
    if y.shape != (len(imgs),):
        raise ValueError(f"labels must have shape ({len(imgs)},), got {y.shape}.")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}.")
    N = len(imgs)
    X = np.zeros((N, S, S))                                          # (N, S, S)
    masks = np.zeros((N, S, S), dtype=bool)
    x0 = rng.integers(0, S - 8 + 1, N)
    y0 = rng.integers(0, S - 8 + 1, N)
    for i in range(N):
        for _ in range(int(rng.integers(lo, hi + 1))):               # a stroke: a short line of unit ink
            length, angle = rng.integers(3, 7), rng.uniform(0, np.pi)
            cx, cy = rng.uniform(0, S - 1, 2)
            t = np.linspace(-(length - 1) / 2, (length - 1) / 2, 2 * length)
            cols = np.clip(np.round(cx + t * np.cos(angle)), 0, S - 1).astype(int)
            rows = np.clip(np.round(cy + t * np.sin(angle)), 0, S - 1).astype(int)
            X[i, rows, cols] = 1.0
        patch = X[i, y0[i]:y0[i] + 8, x0[i]:x0[i] + 8]
        X[i, y0[i]:y0[i] + 8, x0[i]:x0[i] + 8] = np.maximum(patch, imgs[i, 0])
        masks[i, y0[i]:y0[i] + 8, x0[i]:x0[i] + 8] = True
    X = np.clip(X + noise * rng.standard_normal(X.shape), 0.0, 1.0)
    boxes = np.stack([x0, y0, x0 + 8, y0 + 8], axis=1).astype(np.int64)   # (N, 4) (x0, y0, x1, y1)
    return DigitScenes(torch.tensor(X[:, None], dtype=torch.float32), torch.tensor(y), masks, boxes)


STROKE_CONCEPTS = ("top bar", "bottom bar", "left bar", "right bar", "diagonal", "centre dot")


def _stroke(name: str, S: int, rng: np.random.Generator) -> np.ndarray:
    """One concept drawn on an S×S canvas, its position jittered by up to one pixel."""
    m = np.zeros((S, S))
    j = int(rng.integers(-1, 2))
    a, b = 2 + j, S - 3 + j                                          # the bars' span
    if name == "top bar":
        m[2 + j, a:b] = 1
    elif name == "bottom bar":
        m[S - 3 + j, a:b] = 1
    elif name == "left bar":
        m[a:b, 2 + j] = 1
    elif name == "right bar":
        m[a:b, S - 3 + j] = 1
    elif name == "diagonal":
        k = np.arange(3, S - 3)
        m[k, np.clip(k + j, 0, S - 1)] = 1
    else:                                                            # centre dot, 2×2
        c = S // 2 - 1 + j
        m[c:c + 2, c:c + 2] = 1
    return m


def stroke_concepts(n: int, rng: np.random.Generator, size: int = 16, noise: float = 0.1):
    """Images made of named strokes, with their concept vectors and a label that depends on the concepts only.

    Parameters
    ----------
    n : int
        Number of images.
    rng : np.random.Generator
    size : int
        S ≥ 10.
    noise : float
        Standard deviation of the pixel noise.

    Returns
    -------
    X : (n, 1, S, S) Tensor of float32
    c : (n, M) Tensor of float32 in {0, 1}
        Concept j of :data:`STROKE_CONCEPTS` present or not, each with probability 1/2.
    y : (n,) Tensor of int64
        Which orientation wins among the four bars: 0 if more horizontal bars (top, bottom) than vertical
        ones (left, right), 1 if as many, 2 if fewer. The diagonal and the dot are distractor concepts.

    Examples
    --------
    >>> X, c, y = stroke_concepts(5, np.random.default_rng(0))
    >>> tuple(X.shape), tuple(c.shape), y.tolist()
    ((5, 1, 16, 16), (5, 6), [2, 1, 1, 1, 0])
    """
    n = check_int(n, "n")
    check_rng(rng)
    S = check_int(size, "size", minimum=10)
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}.")
    M = len(STROKE_CONCEPTS)
    c = (rng.random((n, M)) < 0.5).astype(np.float64)                # (n, M)
    X = np.zeros((n, S, S))
    for i in range(n):
        for j, name in enumerate(STROKE_CONCEPTS):
            if c[i, j]:
                X[i] = np.maximum(X[i], _stroke(name, S, rng))
    X = X + noise * rng.standard_normal(X.shape)
    h_minus_v = c[:, 0] + c[:, 1] - c[:, 2] - c[:, 3]                # (n,) horizontal minus vertical bars
    y = (1 - np.sign(h_minus_v)).astype(np.int64)                    # (n,) 0: h > v, 1: h = v, 2: h < v
    return (torch.tensor(X[:, None], dtype=torch.float32), torch.tensor(c, dtype=torch.float32),
            torch.tensor(y))
