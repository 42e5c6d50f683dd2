"""Training recipes: warmup + cosine learning rate, losses for imbalanced classes, distillation, L1/L2 penalties.

Chapter 3 (Machine learning recap), section on training recipes. NumPy references come first; the
``*_torch`` twins compute the same numbers with autograd so the chapter can train with them (tests prove
the two agree).

References
----------
I. Loshchilov and F. Hutter, "SGDR: stochastic gradient descent with warm restarts", ICLR 2017.
P. Goyal et al., "Accurate, large minibatch SGD: training ImageNet in 1 hour", 2017 (linear warmup).
T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal loss for dense object detection", ICCV 2017.
G. Hinton, O. Vinyals and J. Dean, "Distilling the knowledge in a neural network", 2015.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.numerics import log_softmax
from coursekit.core.validation import (
    check_array,
    check_choice,
    check_nonnegative,
    check_positive,
)

__all__ = [
    "weighted_cross_entropy", "focal_loss", "distillation_loss", "penalty", "focal_loss_torch",
    "distillation_loss_torch", "fit_linear_classifier_torch",
]

_REDUCTIONS = ("mean", "sum", "none")


def _check_labels(y, shape) -> np.ndarray:
    y = check_array(y, "y", ndim=1, dtype_kind="iu")
    if y.shape[0] != shape[0]:
        raise ValueError(f"y must have one label per row of logits ({shape[0]}), got {y.shape[0]}.")
    if y.size and (y.min() < 0 or y.max() >= shape[1]):
        raise ValueError(f"labels must lie in 0..{shape[1] - 1} for {shape[1]} classes, "
                         f"got range [{y.min()}, {y.max()}].")
    return y


def _class_weights(weights, K: int, name: str) -> np.ndarray:
    if weights is None:
        return np.ones(K)
    w = check_array(np.asarray(weights, dtype=np.float64), name, shape=(K,))
    if np.any(w < 0):
        raise ValueError(f"{name} must be non-negative, got {w}.")
    return w


def weighted_cross_entropy(logits: np.ndarray, y: np.ndarray, weights=None, reduction: str = "mean"):
    """Class-weighted cross-entropy ``-w_{y_i} log p_{i, y_i}``, normalised as ``torch.nn.functional.cross_entropy``.

    Defined in :ref:`sec-class-imbalance` (Eq. :eq:`eq-weighted-cross-entropy`).

    Parameters
    ----------
    logits : (B, K) ndarray of float
    y : (B,) ndarray of int
    weights : (K,) array_like, optional
        Per-class weights w_k, e.g. inverse class frequencies; default all 1.
    reduction : {"mean", "sum", "none"}
        ``mean`` divides the weighted sum by ``Σ_i w_{y_i}`` (torch's rule), not by B.

    Returns
    -------
    float, or (B,) ndarray for ``reduction="none"``

    Notes
    -----
    Weighting the rare class up makes each of its mistakes cost more, which moves the decision boundary
    towards the common class; ``mean`` divides by the total weight so the loss stays on the scale of CE.

    Examples
    --------
    >>> logits, y = np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([0, 0])
    >>> round(weighted_cross_entropy(logits, y, [3.0, 1.0]), 4) == round(weighted_cross_entropy(logits, y), 4)
    True
    """
    logits = check_array(logits, "logits", ndim=2, dtype_kind="f")
    y = _check_labels(y, logits.shape)
    reduction = check_choice(reduction, "reduction", _REDUCTIONS)
    w = _class_weights(weights, logits.shape[1], "weights")[y]        # (B,) w_{y_i}
    per = -w * log_softmax(logits)[np.arange(len(y)), y]             # (B,)
    if reduction == "none":
        return per
    return float(per.sum() / (w.sum() if reduction == "mean" else 1.0))


def focal_loss(logits: np.ndarray, y: np.ndarray, gamma: float = 2.0, alpha=None, reduction: str = "mean"):
    """Softmax focal loss ``-α_{y_i} (1 - p_t)^γ log p_t`` with ``p_t = p_{i, y_i}``.

    Defined in :ref:`sec-class-imbalance` (Eq. :eq:`eq-focal-loss`).

    Parameters
    ----------
    logits : (B, K) ndarray of float
    y : (B,) ndarray of int
    gamma : float
        Focusing parameter γ >= 0; γ = 0 gives the α-weighted cross-entropy. Lin et al. use γ = 2.
    alpha : (K,) array_like, optional
        Per-class weights α_k (default all 1). For two classes Lin et al.'s α = 0.25 is ``[0.75, 0.25]``.
    reduction : {"mean", "sum", "none"}
        ``mean`` divides by B (Lin et al. divide by the number of positive anchors instead).

    Returns
    -------
    float, or (B,) ndarray for ``reduction="none"``

    Notes
    -----
    The factor ``(1 - p_t)^γ`` is near 0 for well-classified examples (p_t → 1), so the many easy
    negatives of an imbalanced set stop dominating the sum; a hard example (p_t small) keeps almost its
    full cross-entropy. The paper uses one sigmoid per class; this is the softmax form of the same idea.

    Examples
    --------
    >>> easy = focal_loss(np.array([[4.0, 0.0]]), np.array([0]), gamma=2.0)
    >>> hard = focal_loss(np.array([[0.0, 4.0]]), np.array([0]), gamma=2.0)
    >>> easy < 1e-4 < 3.5 < hard
    True
    """
    logits = check_array(logits, "logits", ndim=2, dtype_kind="f")
    y = _check_labels(y, logits.shape)
    gamma = check_nonnegative(gamma, "gamma")
    reduction = check_choice(reduction, "reduction", _REDUCTIONS)
    a = _class_weights(alpha, logits.shape[1], "alpha")[y]            # (B,) α_t
    log_pt = log_softmax(logits)[np.arange(len(y)), y]               # (B,)
    per = -a * (1.0 - np.exp(log_pt)) ** gamma * log_pt               # (B,)
    if reduction == "none":
        return per
    return float(per.sum() / (len(y) if reduction == "mean" else 1.0))


def distillation_loss(student_logits: np.ndarray, teacher_logits: np.ndarray, y: np.ndarray | None = None,
                      T: float = 4.0, alpha: float = 0.9) -> float:
    """Knowledge distillation: ``α T² KL(q_T ‖ p_T) + (1 - α) CE(p, y)``, averaged over the batch.

    Defined in :ref:`sec-distillation` (Eq. :eq:`eq-distillation-loss`).

    Parameters
    ----------
    student_logits, teacher_logits : (B, K) ndarray of float
    y : (B,) ndarray of int, optional
        Hard labels; without them only the soft term is returned (α is then ignored).
    T : float
        Temperature > 0: ``p_T = softmax(z / T)`` (student), ``q_T = softmax(v / T)`` (teacher).
    alpha : float
        Weight of the soft term, in [0, 1].

    Returns
    -------
    float

    Notes
    -----
    The gradient of ``KL(q_T ‖ p_T)`` with respect to a student logit is ``(p_T - q_T) / T``, and for large T
    ``p_T - q_T ≈ (z - v) / (K T)`` (zero-mean logits), so the soft gradients shrink like 1/T². The factor
    T² keeps their size independent of T, so changing T does not silently re-weight soft against hard
    targets. Equals ``T**2 * F.kl_div(F.log_softmax(z/T), F.softmax(v/T), reduction="batchmean")``.

    Examples
    --------
    >>> z = np.array([[1.0, 2.0, 0.5]])
    >>> distillation_loss(z, z, T=3.0) == 0.0
    True
    """
    z = check_array(student_logits, "student_logits", ndim=2, dtype_kind="f")
    v = check_array(teacher_logits, "teacher_logits", shape=z.shape, dtype_kind="f")
    T = check_positive(T, "T")
    alpha = check_nonnegative(alpha, "alpha")
    if alpha > 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}.")
    log_p, log_q = log_softmax(z / T), log_softmax(v / T)          # (B, K) each
    kl = float((np.exp(log_q) * (log_q - log_p)).sum(axis=1).mean())  # batch mean of KL(q ‖ p)
    soft = T ** 2 * kl
    if y is None:
        return soft
    return alpha * soft + (1.0 - alpha) * weighted_cross_entropy(z, y)


def penalty(weights, lam: float, kind: str = "l2"):
    """An L2 (``λ/2 Σ w²``) or L1 (``λ Σ |w|``) penalty on a list of weight arrays, and its gradients.

    Defined in :ref:`sec-weight-penalties` (Eq. :eq:`eq-weight-penalty-gradients`).

    Parameters
    ----------
    weights : list of ndarray
    lam : float
        Strength λ >= 0.
    kind : {"l2", "l1"}

    Returns
    -------
    value : float
    grads : list of ndarray
        ``λ w`` (L2: shrink in proportion, "weight decay") or ``λ sign(w)`` (L1: a constant pull towards
        0, with the subgradient 0 at w = 0). Plain (sub)gradient steps on L1 hover around 0 instead of
        landing on it; the proximal step ``coursekit.learn.sparse.soft_threshold`` gives exact zeros.

    Notes
    -----
    L2 is differentiable everywhere and shrinks large weights most; L1's constant pull drives small
    weights to exactly zero under a proximal step (sparsity).

    Examples
    --------
    >>> value, grads = penalty([np.array([-2.0, 0.0, 1.0])], 0.1, "l1")
    >>> round(value, 6), grads[0]
    (0.3, array([-0.1,  0. ,  0.1]))
    """
    lam = check_nonnegative(lam, "lam")
    kind = check_choice(kind, "kind", ("l1", "l2"))
    if kind == "l2":
        return float(0.5 * lam * sum((w ** 2).sum() for w in weights)), [lam * w for w in weights]
    return float(lam * sum(np.abs(w).sum() for w in weights)), [lam * np.sign(w) for w in weights]


# ----------------------------------------------------------------------------- torch twins


def _check_torch_logits(logits, y, name: str = "logits"):
    """``logits`` a float (B, K) tensor and ``y`` (B,) int64 labels in 0..K-1 (or None)."""
    import torch

    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point() or logits.ndim != 2:
        raise ValueError(f"{name} must be a float tensor of shape (B, K), got {getattr(logits, 'shape', type(logits))}.")
    if y is None:
        return
    if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or y.shape != logits.shape[:1]:
        raise ValueError(f"y must be an int64 tensor with one label per row of {name}, shape ({logits.shape[0]},), "
                         f"got {getattr(y, 'dtype', type(y))} {tuple(getattr(y, 'shape', ()))}.")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= logits.shape[1]):
        raise ValueError(f"labels must lie in 0..{logits.shape[1] - 1}, got range [{int(y.min())}, {int(y.max())}].")


def focal_loss_torch(logits, y, gamma: float = 2.0, alpha=None, reduction: str = "mean"):
    """Softmax focal loss in torch (differentiable): the autograd twin of :func:`focal_loss`.

    Defined in :ref:`sec-class-imbalance` (Eq. :eq:`eq-focal-loss`).

    Parameters
    ----------
    logits : (B, K) Tensor of float
    y : (B,) Tensor of int64
    gamma : float
        Focusing parameter γ >= 0.
    alpha : (K,) Tensor of float, optional
        Per-class weights α_k (default all 1).
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    Tensor
        A scalar, or (B,) for ``reduction="none"``.

    Notes
    -----
    ``log p_t`` comes from ``log_softmax`` (stable for large logits); with γ = 0 and no α this is
    ``F.cross_entropy``. The tests hold it equal to the NumPy :func:`focal_loss` and check its gradient.

    Examples
    --------
    >>> import torch
    >>> logits, y = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 1])
    >>> bool(torch.isclose(focal_loss_torch(logits, y, gamma=0.0), torch.nn.functional.cross_entropy(logits, y)))
    True
    """
    import torch.nn.functional as F

    _check_torch_logits(logits, y)
    gamma = check_nonnegative(gamma, "gamma")
    check_choice(reduction, "reduction", _REDUCTIONS)
    if alpha is not None and tuple(getattr(alpha, "shape", ())) != (logits.shape[1],):
        raise ValueError(f"alpha must be a tensor of one weight per class, shape ({logits.shape[1]},).")
    log_pt = F.log_softmax(logits, dim=1).gather(1, y[:, None])[:, 0]   # (B,) log p_t
    per = -(1.0 - log_pt.exp()) ** gamma * log_pt                       # (B,)
    if alpha is not None:
        per = per * alpha[y]
    return per if reduction == "none" else per.sum() if reduction == "sum" else per.mean()


def distillation_loss_torch(student_logits, teacher_logits, y=None, T: float = 4.0, alpha: float = 0.9):
    """Knowledge distillation in torch: the autograd twin of :func:`distillation_loss`; the teacher is detached.

    Defined in :ref:`sec-distillation` (Eq. :eq:`eq-distillation-loss`).

    Parameters
    ----------
    student_logits, teacher_logits : (B, K) Tensor of float
    y : (B,) Tensor of int64, optional
        Hard labels; without them only the soft term is returned.
    T : float
        Temperature > 0.
    alpha : float
        Weight of the soft term, in [0, 1].

    Returns
    -------
    Tensor
        A scalar: ``α T² KL(q_T ‖ p_T) + (1 - α) CE(z, y)``, batch means.

    Notes
    -----
    The teacher's logits are detached, so no gradient reaches the teacher.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[1.0, 2.0, 0.5]], dtype=torch.float64)
    >>> abs(float(distillation_loss_torch(z, z, T=3.0))) < 1e-12     # a student equal to its teacher
    True
    """
    import torch.nn.functional as F

    _check_torch_logits(student_logits, y, "student_logits")
    _check_torch_logits(teacher_logits, None, "teacher_logits")
    if teacher_logits.shape != student_logits.shape:
        raise ValueError(f"teacher_logits must have the shape of student_logits, {tuple(student_logits.shape)}, "
                         f"got {tuple(teacher_logits.shape)}.")
    T = check_positive(T, "T")
    alpha = check_nonnegative(alpha, "alpha")
    if alpha > 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}.")
    soft = F.kl_div(F.log_softmax(student_logits / T, dim=1), F.softmax(teacher_logits.detach() / T, dim=1),
                    reduction="batchmean") * T ** 2
    if y is None:
        return soft
    return alpha * soft + (1.0 - alpha) * F.cross_entropy(student_logits, y)


def fit_linear_classifier_torch(X: np.ndarray, y: np.ndarray, loss_fn, steps: int = 300, lr: float = 0.1,
                                generator=None):
    """Train a linear softmax classifier ``X W + b`` with full-batch Adam on any loss ``loss_fn(logits, y)``.

    Defined in :ref:`sec-class-imbalance`.

    Parameters
    ----------
    X : (B, D) ndarray of float
    y : (B,) ndarray of int
        Labels 0..K-1 (K = max(y) + 1).
    loss_fn : callable
        ``loss_fn(logits, y) -> scalar tensor``, e.g. ``F.cross_entropy`` or :func:`focal_loss_torch`.
    steps : int
        Full-batch optimisation steps (>= 1).
    lr : float
        Adam's constant learning rate.
    generator : torch.Generator, optional
        Draws the initial weights ~ N(0, 0.01²); without it they start at 0 (the problem is convex).

    Returns
    -------
    torch.nn.Linear
        The trained classifier, float64.

    Notes
    -----
    One :func:`coursekit.training.loop.fit` run with one batch of all B examples per epoch and a constant
    rate (``min_lr = lr``); AdamW without weight decay is Adam. Nothing is drawn from the global RNG.

    Examples
    --------
    >>> import torch
    >>> import torch.nn.functional as F
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]]); y = np.array([0, 0, 1, 1])
    >>> model = fit_linear_classifier_torch(X, y, F.cross_entropy, steps=50)
    >>> model(torch.from_numpy(X)).argmax(1).tolist()
    [0, 0, 1, 1]
    """
    import torch

    from coursekit.training.loop import FitConfig, fit

    X = check_array(X, "X", ndim=2, dtype_kind="f")
    y = check_array(y, "y", ndim=1, dtype_kind="iu")
    K = int(y.max()) + 1 if y.size else 0
    y = _check_labels(y, (X.shape[0], K))
    model = torch.nn.utils.skip_init(torch.nn.Linear, X.shape[1], K, dtype=torch.float64)   # no global draw
    with torch.no_grad():
        model.bias.zero_()
        model.weight.zero_()
        if generator is not None:
            model.weight.normal_(0.0, 0.01, generator=generator)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    config = FitConfig(epochs=int(steps), batch_size=len(yt), lr=lr, min_lr=lr)
    fit(model, lambda m, batch: loss_fn(m(batch[0]), batch[1]), (Xt, yt), config,
        torch.Generator().manual_seed(0) if generator is None else generator, progress=False)
    return model
