"""Learning-rate schedules: linear warmup followed by cosine decay.

Chapter 3 (optimisation).

References
----------
I. Loshchilov and F. Hutter, "SGDR: stochastic gradient descent with warm restarts", ICLR 2017.
P. Goyal et al., "Accurate, large minibatch SGD: training ImageNet in 1 hour", 2017 (warmup).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_nonnegative, check_positive

__all__ = ["warmup_cosine_lr"]


def warmup_cosine_lr(step, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0):
    """Learning rate at ``step``: linear warmup from 0 to ``base_lr``, then cosine decay to ``min_lr``.

    Defined in :ref:`sec-warmup-cosine` (Eq. :eq:`eq-warmup-cosine`).

    Parameters
    ----------
    step : int or ndarray of int
        Optimisation step(s), from 0.
    base_lr : float
        The peak rate η, reached at ``step = warmup_steps``.
    warmup_steps : int
        W >= 0 (0: no warmup).
    total_steps : int
        T > W; the rate is ``min_lr`` from T on.
    min_lr : float
        The floor η_min, 0 <= η_min <= η.

    Returns
    -------
    float or ndarray of float64

    Notes
    -----
    ``η_t = η t / W`` for ``t < W``; ``η_t = η_min + ½ (η - η_min)(1 + cos(π (t - W) / (T - W)))`` for
    ``W <= t <= T``; ``η_min`` after. The same shape as Hugging Face's ``get_cosine_schedule_with_warmup``
    (with ``min_lr = 0``); in torch, drive ``LambdaLR`` with ``lambda t: warmup_cosine_lr(t, 1, W, T, η_min/η)``.

    Examples
    --------
    >>> [round(float(warmup_cosine_lr(t, 1.0, 10, 110)), 3) for t in (0, 5, 10, 60, 110, 200)]
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """
    base_lr = check_positive(base_lr, "base_lr")
    min_lr = check_nonnegative(min_lr, "min_lr")
    if min_lr > base_lr:
        raise ValueError(f"min_lr ({min_lr}) must not exceed base_lr ({base_lr}).")
    W, T = int(warmup_steps), int(total_steps)
    if W < 0 or T <= W:
        raise ValueError(f"need 0 <= warmup_steps < total_steps, got {warmup_steps} and {total_steps}.")
    t = np.asarray(step, dtype=np.float64)
    if np.any(t < 0):
        raise ValueError("step must be >= 0.")
    warm = base_lr * t / max(W, 1)
    progress = np.clip((t - W) / (T - W), 0.0, 1.0)
    cosine = min_lr + 0.5 * (base_lr - min_lr) * (1.0 + np.cos(np.pi * progress))
    lr = np.where(t < W, warm, cosine)
    return float(lr) if lr.ndim == 0 else lr
