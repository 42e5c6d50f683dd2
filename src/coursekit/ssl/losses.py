"""Contrastive and non-contrastive losses: InfoNCE, NT-Xent (SimCLR), MoCo, BYOL, CLIP, zero-shot logits.

Chapter 12, sections "InfoNCE" to "CLIP". Each loss is a cross-entropy over similarities: the positive
pair is the right answer, every other candidate in the batch (or the queue) a wrong one, and the
temperature τ sets how sharply the softmax picks. Embeddings are L2-normalised inside, so similarities are
cosines in [-1, 1] and ``1/τ`` is the largest logit.

References
----------
- A. van den Oord, Y. Li and O. Vinyals, "Representation learning with contrastive predictive coding",
  arXiv:1807.03748, 2018 (InfoNCE).
- T. Chen, S. Kornblith, M. Norouzi and G. Hinton, "A simple framework for contrastive learning of visual
  representations", ICML 2020 (SimCLR, NT-Xent).
- K. He, H. Fan, Y. Wu, S. Xie and R. Girshick, "Momentum contrast for unsupervised visual representation
  learning", CVPR 2020 (MoCo).
- J.-B. Grill et al., "Bootstrap your own latent", NeurIPS 2020 (BYOL).
- A. Radford et al., "Learning transferable visual models from natural language supervision", ICML 2021 (CLIP).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from coursekit.core.validation import check_positive, check_shape

__all__ = ["info_nce", "nt_xent", "moco_loss", "byol_loss", "clip_loss", "zero_shot_logits"]


def _pair(a: torch.Tensor, b: torch.Tensor, names: tuple[str, str]) -> int:
    """Check two (N, D) embedding batches of the same shape and floating dtype; return N."""
    s = check_shape(a, "N D", names[0])
    check_shape(b, "N D", names[1], N=s["N"], D=s["D"])
    if not (a.is_floating_point() and b.is_floating_point()):
        raise TypeError(f"{names[0]} and {names[1]} must be floating-point tensors, got {a.dtype} and {b.dtype}.")
    return s["N"]


def info_nce(q: torch.Tensor, k: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """InfoNCE: each query must pick its own key among all N keys of the batch.

    Defined in :ref:`sec-ssl-infonce` (Eq. :eq:`eq-ssl-infonce`).

    Parameters
    ----------
    q, k : (N, D) Tensor of float
        Queries and keys; ``k[i]`` is the positive of ``q[i]``, the other keys its negatives.
    temperature : float
        τ > 0.

    Returns
    -------
    Tensor (scalar)
        ``-(1/N) Σ_i log( exp(q̂_i·k̂_i/τ) / Σ_j exp(q̂_i·k̂_j/τ) )`` with unit vectors q̂, k̂.

    Examples
    --------
    >>> e = torch.eye(3)
    >>> round(float(info_nce(e, e, temperature=1.0)), 4)        # log(1 + 2 e^-1) for orthogonal negatives
    0.5514
    """
    N = _pair(q, k, ("q", "k"))
    tau = check_positive(temperature, "temperature")
    logits = F.normalize(q, dim=1) @ F.normalize(k, dim=1).T / tau       # (N, N) cosines / τ
    return F.cross_entropy(logits, torch.arange(N))


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """SimCLR's normalised-temperature cross-entropy over the 2N views of N images.

    Defined in :ref:`sec-ssl-simclr` (Eq. :eq:`eq-ssl-ntxent`).

    Parameters
    ----------
    z1, z2 : (N, D) Tensor of float
        Projections of two views; ``z1[i]`` and ``z2[i]`` come from the same image.
    temperature : float
        τ > 0.

    Returns
    -------
    Tensor (scalar)
        The mean over all 2N anchors a of ``-log( exp(s_ap/τ) / Σ_{j≠a} exp(s_aj/τ) )``, s the cosine and
        p the other view of a's image: every other view in the batch is a negative, the anchor itself is not.

    Examples
    --------
    >>> z = torch.eye(4)[:2]
    >>> round(float(nt_xent(z, z, temperature=1.0)), 4)        # -log(e / (e + 2))
    0.5514
    """
    N = _pair(z1, z2, ("z1", "z2"))
    tau = check_positive(temperature, "temperature")
    z = F.normalize(torch.cat([z1, z2]), dim=1)                          # (2N, D)
    sim = z @ z.T / tau                                                  # (2N, 2N)
    sim = sim.masked_fill(torch.eye(2 * N, dtype=torch.bool), float("-inf"))   # an anchor is not its own negative
    target = torch.cat([torch.arange(N, 2 * N), torch.arange(N)])        # (2N,) index of the other view
    return F.cross_entropy(sim, target)


def moco_loss(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """MoCo's InfoNCE: the positive is the query's own key, the negatives are the queue of past keys.

    Defined in :ref:`sec-ssl-moco` (Eq. :eq:`eq-ssl-moco`).

    Parameters
    ----------
    q : (N, D) Tensor of float
        Queries from the encoder being trained.
    k : (N, D) Tensor of float
        Keys from the momentum encoder (no gradient flows into them: they are detached here).
    queue : (K, D) Tensor of float
        Keys of earlier batches, the negatives.
    temperature : float
        τ > 0.

    Returns
    -------
    Tensor (scalar)
        ``-(1/N) Σ_i log( exp(q̂_i·k̂_i/τ) / (exp(q̂_i·k̂_i/τ) + Σ_m exp(q̂_i·ĉ_m/τ)) )``.

    Examples
    --------
    >>> e = torch.eye(3)
    >>> round(float(moco_loss(e[:1], e[:1], e[1:], temperature=1.0)), 4)
    0.5514
    """
    _pair(q, k, ("q", "k"))
    check_shape(queue, "K D", "queue", D=q.shape[1])
    tau = check_positive(temperature, "temperature")
    qn, kn, cn = F.normalize(q, dim=1), F.normalize(k.detach(), dim=1), F.normalize(queue.detach(), dim=1)
    pos = (qn * kn).sum(dim=1, keepdim=True)                             # (N, 1)
    neg = qn @ cn.T                                                      # (N, K)
    logits = torch.cat([pos, neg], dim=1) / tau                          # (N, 1 + K), the positive is class 0
    return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long))


def byol_loss(p: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """BYOL's regression loss ``2 - 2 cos(p, sg(z))``: the online prediction chases the target projection.

    Defined in :ref:`sec-ssl-byol` (Eq. :eq:`eq-ssl-byol`).

    Parameters
    ----------
    p : (N, D) Tensor of float
        Predictions of the online network (predictor after projector).
    z : (N, D) Tensor of float
        Projections of the other view by the target network; the stop-gradient ``sg`` is applied here
        (``z.detach()``), so no gradient ever reaches the target.

    Returns
    -------
    Tensor (scalar)
        ``mean_i || p̂_i - ẑ_i ||² = mean_i (2 - 2 p̂_i·ẑ_i)``, in [0, 4].

    Examples
    --------
    >>> p = torch.tensor([[1.0, 0.0]]); z = torch.tensor([[0.0, 3.0]])
    >>> float(byol_loss(p, z)), float(byol_loss(p, 2 * p))
    (2.0, 0.0)
    """
    _pair(p, z, ("p", "z"))
    return (2 - 2 * (F.normalize(p, dim=1) * F.normalize(z.detach(), dim=1)).sum(dim=1)).mean()


def clip_loss(image_emb: torch.Tensor, text_emb: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    """CLIP's symmetric cross-entropy: images pick their caption, captions pick their image.

    Defined in :ref:`sec-ssl-clip` (Eq. :eq:`eq-ssl-clip`).

    Parameters
    ----------
    image_emb, text_emb : (N, D) Tensor of float
        Embeddings of N matching image–text pairs (row i with row i).
    temperature : float
        τ > 0 (CLIP learns ``1/τ``, initialised at 1/0.07).

    Returns
    -------
    Tensor (scalar)
        ``(CE(L, arange) + CE(Lᵀ, arange)) / 2`` with ``L = Î T̂ᵀ / τ``: the mean of the image→text and
        text→image InfoNCE losses.

    Examples
    --------
    >>> e = torch.eye(3)
    >>> round(float(clip_loss(e, e, temperature=1.0)), 4)
    0.5514
    """
    N = _pair(image_emb, text_emb, ("image_emb", "text_emb"))
    tau = check_positive(temperature, "temperature")
    logits = F.normalize(image_emb, dim=1) @ F.normalize(text_emb, dim=1).T / tau   # (N, N) image i, text j
    target = torch.arange(N)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def zero_shot_logits(image_emb: torch.Tensor, prompt_emb: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    """Zero-shot classification: cosine of each image with each class's averaged prompt embedding, / τ.

    Defined in :ref:`sec-ssl-clip` (Eq. :eq:`eq-ssl-zeroshot`).

    Parameters
    ----------
    image_emb : (N, D) Tensor of float
        Image embeddings.
    prompt_emb : (K, P, D) Tensor of float
        Text embeddings of P prompts ("a photo of a {class}", "a drawing of a {class}", ...) for each of K
        classes; the P unit vectors of a class are averaged and re-normalised (prompt ensembling).
    temperature : float
        τ > 0.

    Returns
    -------
    (N, K) Tensor
        Logits; ``argmax`` over K is the predicted class, ``softmax`` its probabilities.

    Examples
    --------
    >>> prompts = torch.eye(2).reshape(2, 1, 2)
    >>> zero_shot_logits(torch.tensor([[0.1, 2.0]]), prompts).argmax(1).tolist()
    [1]
    """
    s = check_shape(prompt_emb, "K P D", "prompt_emb")
    check_shape(image_emb, "N D", "image_emb", D=s["D"])
    tau = check_positive(temperature, "temperature")
    classes = F.normalize(F.normalize(prompt_emb, dim=2).mean(dim=1), dim=1)   # (K, D) one vector per class
    return F.normalize(image_emb, dim=1) @ classes.T / tau
