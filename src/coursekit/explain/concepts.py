"""Concept bottlenecks: the joint training loss, concept accuracy, and test-time intervention.

Chapter 18 (Explainability and fairness). The model is :class:`coursekit.models.concept_bottleneck.
ConceptBottleneck`; these functions train it (label loss plus λ times the concept loss) and let a person
correct its concepts at test time — the point of a bottleneck: the decision changes through named causes.

References
----------
P. W. Koh et al., "Concept bottleneck models", ICML 2020.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_nonnegative
from coursekit.training.loop import eval_mode

__all__ = ["concept_bottleneck_loss", "concept_accuracy", "intervene"]


def concept_bottleneck_loss(c_logits: torch.Tensor, y_logits: torch.Tensor, c: torch.Tensor, y: torch.Tensor,
                            lam: float = 1.0) -> torch.Tensor:
    """The joint bottleneck's loss: CE(ŷ, y) + λ · (1/M) Σ_j BCE(ĉ_j, c_j).

    Defined in :ref:`sec-xai-concepts` (Eq. :eq:`eq-xai-cbm-loss`).

    Parameters
    ----------
    c_logits : (B, M) Tensor
    y_logits : (B, K) Tensor
    c : (B, M) Tensor of float in {0, 1}
        The true concepts.
    y : (B,) Tensor of int64
    lam : float
        λ ≥ 0: 0 trains an ordinary classifier whose "concepts" mean nothing; a large λ makes the
        bottleneck faithful to the concepts (Koh et al.'s joint model).

    Returns
    -------
    Tensor
        A scalar, the mean over the batch.

    Examples
    --------
    >>> float(concept_bottleneck_loss(torch.zeros(1, 2), torch.zeros(1, 2), torch.ones(1, 2), torch.tensor([0]),
    ...                               lam=1.0))   # log 2 + log 2
    1.3862943649291992
    """
    if c_logits.ndim != 2 or c.shape != c_logits.shape or y_logits.ndim != 2 or y.shape != y_logits.shape[:1] \
            or y.shape[0] != c.shape[0]:
        raise ValueError(f"need c_logits and c (B, M), y_logits (B, K), y (B,), got {tuple(c_logits.shape)}, "
                         f"{tuple(c.shape)}, {tuple(y_logits.shape)}, {tuple(y.shape)}.")
    lam = check_nonnegative(lam, "lam")
    return F.cross_entropy(y_logits, y) + lam * F.binary_cross_entropy_with_logits(c_logits, c.float())


def concept_accuracy(c_logits: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Per concept, the fraction of images where the thresholded prediction σ(ĉ_j) > ½ equals c_j.

    Defined in :ref:`sec-xai-concepts`.

    Parameters
    ----------
    c_logits, c : (B, M) Tensor

    Returns
    -------
    (M,) Tensor of float

    Examples
    --------
    >>> concept_accuracy(torch.tensor([[2.0, -1.0], [-3.0, -1.0]]), torch.tensor([[1.0, 1.0], [0.0, 0.0]])).tolist()
    [1.0, 0.5]
    """
    if c_logits.ndim != 2 or c.shape != c_logits.shape:
        raise ValueError(f"need c_logits and c of one shape (B, M), got {tuple(c_logits.shape)}, {tuple(c.shape)}.")
    return ((c_logits > 0).float() == c.float()).float().mean(dim=0)


def intervene(model: nn.Module, x: torch.Tensor, c_true: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Test-time intervention: replace the predicted concept probabilities by the true concepts where ``mask``.

    Defined in :ref:`sec-xai-concepts` (Eq. :eq:`eq-xai-intervene`).

    Parameters
    ----------
    model : ConceptBottleneck
        Anything with ``encoder`` (x → concept logits) and ``label_head`` (probabilities → label logits).
    x : (B, C, H, W) Tensor
    c_true : (B, M) Tensor in {0, 1}
        What an expert says the concepts are.
    mask : (B, M) or (M,) Tensor of bool
        Which concepts the expert sets.

    Returns
    -------
    (B, K) Tensor
        Label logits after the intervention (no gradients, eval mode).

    Examples
    --------
    >>> from coursekit.models.concept_bottleneck import ConceptBottleneck
    >>> m = ConceptBottleneck()
    >>> x, c = torch.zeros(2, 1, 16, 16), torch.ones(2, 6)
    >>> torch.equal(intervene(m, x, c, torch.zeros(6, dtype=torch.bool)), m.eval()(x))
    True
    """
    with eval_mode(model), torch.no_grad():
        p = torch.sigmoid(model.encoder(x))                            # (B, M) predicted concepts
        if c_true.shape != p.shape:
            raise ValueError(f"c_true must have shape {tuple(p.shape)}, got {tuple(c_true.shape)}.")
        m = torch.as_tensor(mask, dtype=torch.bool).expand_as(p)
        return model.label_head(torch.where(m, c_true.to(p.dtype), p))   # (B, K)
