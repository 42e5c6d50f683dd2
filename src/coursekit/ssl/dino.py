"""DINO: self-distillation with no labels — a student matches a momentum teacher whose outputs are centred and sharpened.

Chapter 13 (Self-supervised learning: DINO, MAE, JEPA). The teacher sees only the global crops, the student every
crop; the loss is the cross-entropy H(P_t, P_s) between the teacher's and the student's softmax outputs, summed over
every pair of *different* views. Nothing in that loss forbids a constant output, and two opposite collapses threaten:
one dimension dominating (prevented by subtracting a running centre c) and a uniform output (prevented by a low
teacher temperature, τ_t < τ_s). The chapter removes each in turn and watches the entropy diagnostics.

References
----------
M. Caron et al., "Emerging properties in self-supervised vision transformers", ICCV 2021 (DINO).
M. Oquab et al., "DINOv2: Learning robust visual features without supervision", TMLR 2024.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_fraction, check_positive, check_shape

__all__ = ["teacher_probs", "update_center", "dino_loss", "mean_entropy", "batch_entropy", "feature_std",
           "ema_teacher_", "DINOObjective"]


def teacher_probs(teacher_logits: torch.Tensor, center: torch.Tensor, tau_t: float = 0.04) -> torch.Tensor:
    """Centre then sharpen the teacher's outputs: P_t = softmax((g_t(x) - c) / τ_t).

    Defined in :ref:`sec-dino-centering`.

    Parameters
    ----------
    teacher_logits : (..., K) Tensor
        The teacher head's outputs g_t(x).
    center : (K,) Tensor
        The running centre c (zeros switch centering off).
    tau_t : float
        Teacher temperature; lower than the student's sharpens.

    Returns
    -------
    (..., K) Tensor
        Probabilities, no gradient (the teacher is a target).

    Examples
    --------
    >>> teacher_probs(torch.tensor([[1.0, 1.0]]), torch.zeros(2)).tolist()
    [[0.5, 0.5]]
    """
    tau = check_positive(tau_t, "tau_t")
    K = teacher_logits.shape[-1] if teacher_logits.ndim else 0
    check_shape(center, "K", "center", K=K)
    return F.softmax((teacher_logits.detach() - center) / tau, dim=-1)          # (..., K)


@torch.no_grad()
def update_center(center: torch.Tensor, teacher_logits: torch.Tensor, momentum: float = 0.9) -> torch.Tensor:
    """The centre's EMA: c ← m c + (1 - m) · mean over the batch (and views) of g_t(x).

    Defined in :ref:`sec-dino-centering`.

    Parameters
    ----------
    center : (K,) Tensor
    teacher_logits : (..., K) Tensor
        The teacher's outputs on every global crop of the batch.
    momentum : float
        m in [0, 1].

    Returns
    -------
    (K,) Tensor
        The new centre (a new tensor; ``center`` is not modified).

    Examples
    --------
    >>> update_center(torch.zeros(2), torch.tensor([[1.0, 3.0], [3.0, 5.0]]), 0.5).tolist()
    [1.0, 2.0]
    """
    m = check_fraction(momentum, "momentum")
    K = check_shape(center, "K", "center")["K"]
    if teacher_logits.ndim < 1 or teacher_logits.shape[-1] != K:
        raise ValueError(f"teacher_logits must end with an axis of length K = {K}, got {tuple(teacher_logits.shape)}.")
    batch_mean = teacher_logits.detach().reshape(-1, K).mean(dim=0)              # (K,)
    return m * center + (1 - m) * batch_mean


def dino_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, center: torch.Tensor,
              tau_s: float = 0.1, tau_t: float = 0.04) -> torch.Tensor:
    """DINO's loss: Σ over pairs of different views of H(P_t(view i), P_s(view j)), averaged over pairs and batch.

    Defined in :ref:`sec-dino-loss`.

    Parameters
    ----------
    student_logits : (V, B, K) Tensor
        The student's outputs on all V crops; the first G are the global crops, in the teacher's order.
    teacher_logits : (G, B, K) Tensor
        The teacher's outputs on the G global crops only.
    center : (K,) Tensor
    tau_s, tau_t : float
        Student and teacher temperatures.

    Returns
    -------
    () Tensor
        (1 / (B · #pairs)) Σ_b Σ_{i < G, j ≠ i} -Σ_k P_t[i, b, k] log P_s[j, b, k], with
        #pairs = G (V - 1) (the reference implementation's normalisation of the paper's sum).

    Examples
    --------
    >>> s, t = torch.zeros(4, 3, 5), torch.zeros(2, 3, 5)
    >>> round(float(dino_loss(s, t, torch.zeros(5))), 4)          # uniform vs uniform: log 5
    1.6094
    """
    V, B, K = check_shape(student_logits, "V B K", "student_logits").values()
    G = check_shape(teacher_logits, "G B K", "teacher_logits", B=B, K=K)["G"]
    if G > V:
        raise ValueError(f"the teacher sees the G = {G} global crops, which must be among the V = {V} student views.")
    p_t = teacher_probs(teacher_logits, center, tau_t)                           # (G, B, K)
    log_p_s = F.log_softmax(student_logits / check_positive(tau_s, "tau_s"), dim=-1)   # (V, B, K)
    cross = -torch.einsum("gbk,vbk->gv", p_t, log_p_s) / B                       # (G, V): batch-mean H per pair
    different = ~torch.eye(G, V, dtype=torch.bool, device=cross.device)          # drop a view against itself
    return cross[different].mean()


def mean_entropy(probs: torch.Tensor) -> torch.Tensor:
    """Average per-sample entropy, mean_b H(p_b) in nats: log K for a uniform collapse, 0 for confident outputs.

    Defined in :ref:`sec-dino-collapse`.

    Parameters
    ----------
    probs : (..., K) Tensor
        Probabilities over the last axis.

    Returns
    -------
    () Tensor

    Examples
    --------
    >>> round(float(mean_entropy(torch.full((3, 4), 0.25))), 4)
    1.3863
    """
    if probs.ndim < 1:
        raise ValueError("probs must have a last axis of classes.")
    return -(probs * probs.clamp_min(1e-12).log()).sum(-1).mean()


def batch_entropy(probs: torch.Tensor) -> torch.Tensor:
    """Entropy of the batch-mean distribution, H(mean_b p_b): 0 when every sample picks the same dimension.

    Defined in :ref:`sec-dino-collapse`.

    Parameters
    ----------
    probs : (..., B, K) Tensor
        Probabilities over the last axis; every leading axis is pooled.

    Returns
    -------
    () Tensor

    Examples
    --------
    >>> abs(float(batch_entropy(torch.tensor([[1.0, 0.0], [1.0, 0.0]]))))
    0.0
    """
    if probs.ndim < 2:
        raise ValueError("probs must have shape (..., B, K).")
    p = probs.reshape(-1, probs.shape[-1]).mean(0)                               # (K,)
    return -(p * p.clamp_min(1e-12).log()).sum()


def feature_std(z: torch.Tensor) -> torch.Tensor:
    """Mean over dimensions of the across-batch standard deviation of L2-normalised features (0 = collapsed).

    Defined in :ref:`sec-dino-collapse`.

    Parameters
    ----------
    z : (B, D) Tensor
        Features of B >= 2 samples.

    Returns
    -------
    () Tensor

    Examples
    --------
    >>> float(feature_std(torch.ones(5, 3)))
    0.0
    """
    check_shape(z, "B D", "z")
    if z.shape[0] < 2:
        raise ValueError("feature_std needs at least two samples.")
    return F.normalize(z, dim=1).std(dim=0).mean()


@torch.no_grad()
def ema_teacher_(teacher: nn.Module, student: nn.Module, momentum: float) -> nn.Module:
    """θ_t ← λ θ_t + (1 - λ) θ_s for every parameter (``lerp``), in place; returns ``teacher``.

    Defined in :ref:`sec-dino-teacher`.

    Parameters
    ----------
    teacher : nn.Module
        Updated in place; no gradient flows into it.
    student : nn.Module
        Same architecture.
    momentum : float
        λ in [0, 1] (DINO raises it from 0.996 to 1 with a cosine schedule).

    Returns
    -------
    nn.Module
        ``teacher``.

    Examples
    --------
    >>> t, s = nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False)
    >>> _ = t.weight.data.fill_(0.0), s.weight.data.fill_(1.0)
    >>> round(float(ema_teacher_(t, s, 0.75).weight.detach()), 4)
    0.25
    """
    lam = check_fraction(momentum, "momentum")
    pairs = list(zip(teacher.parameters(), student.parameters(), strict=False))
    if len(pairs) != len(list(student.parameters())) or any(a.shape != b.shape for a, b in pairs):
        raise ValueError("teacher and student must have the same architecture.")
    for t, s in pairs:
        t.lerp_(s.detach(), 1 - lam)
    return teacher


class DINOObjective(nn.Module):
    """Student, EMA teacher and centre: ``forward(views)`` gives the loss, :meth:`step_teacher` the updates.

    Defined in :ref:`sec-dino-loss`.

    Parameters
    ----------
    student : nn.Module
        Backbone + head, (B, ...) → (B, K). The teacher is a frozen deep copy.
    n_global : int
        G: the first G views of every batch are global crops (the teacher's inputs).
    tau_s, tau_t : float
        Temperatures; ``tau_t = tau_s`` removes sharpening.
    center_momentum : float
        m of the centre; ``centering=False`` keeps c = 0.
    centering : bool

    Examples
    --------
    >>> obj = DINOObjective(nn.Linear(3, 4), n_global=2)
    >>> views = [torch.zeros(5, 3)] * 3
    >>> obj(views).shape
    torch.Size([])
    """

    def __init__(self, student: nn.Module, n_global: int = 2, tau_s: float = 0.1, tau_t: float = 0.04,
                 center_momentum: float = 0.9, centering: bool = True):
        super().__init__()
        self.student = student
        self.teacher = copy.deepcopy(student).requires_grad_(False)
        self.n_global = int(n_global)
        self.tau_s, self.tau_t = check_positive(tau_s, "tau_s"), check_positive(tau_t, "tau_t")
        self.center_momentum = check_fraction(center_momentum, "center_momentum")
        self.centering = bool(centering)
        self.last_teacher_logits: torch.Tensor | None = None
        self.center: torch.Tensor
        self.register_buffer("center", torch.zeros(0))

    def forward(self, views) -> torch.Tensor:
        """``views``: a list of V ≥ G tensors (B, ...), global crops first; returns the scalar loss."""
        if len(views) < self.n_global:
            raise ValueError(f"expected at least {self.n_global} views (the global crops first), got {len(views)}.")
        s = torch.stack([self.student(v) for v in views])                        # (V, B, K)
        with torch.no_grad():
            t = torch.stack([self.teacher(v) for v in views[:self.n_global]])    # (G, B, K)
        if self.center.numel() != s.shape[-1]:
            self.center = torch.zeros(s.shape[-1], dtype=s.dtype)
        self.last_teacher_logits = t
        return dino_loss(s, t, self.center, self.tau_s, self.tau_t)

    @torch.no_grad()
    def step_teacher(self, momentum: float = 0.99) -> None:
        """After the optimiser step: EMA of the teacher's weights, then of the centre (if centering is on)."""
        ema_teacher_(self.teacher, self.student, momentum)
        if self.centering and self.last_teacher_logits is not None:
            self.center = update_center(self.center, self.last_teacher_logits, self.center_momentum)
