"""Explanation by example: prototype parts ("this looks like that") and nearest training examples.

Chapter 18 (Explainability and fairness). A prototype layer scores each learned prototype vector p_j by its
best match among the feature-map positions of an image; the class logits are a linear function of these
scores, so a decision is a sum of "this part looks like that prototype" terms. After training, each prototype
is *pushed* onto its nearest training patch, so that it can be shown as a piece of a real image.

References
----------
C. Chen, O. Li, D. Tao, A. Barnett, C. Rudin and J. K. Su, "This looks like that: deep learning for
interpretable image recognition", NeurIPS 2019 (ProtoPNet).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from coursekit.core.validation import check_generator, check_int

__all__ = ["prototype_similarity", "prototype_logits", "PrototypeHead", "push_prototypes", "nearest_examples"]


def _check_features(z, name="features") -> torch.Tensor:
    if not isinstance(z, torch.Tensor) or z.ndim != 4 or not z.is_floating_point():
        raise ValueError(f"{name} must be a float tensor of shape (B, D, h, w), got {getattr(z, 'shape', type(z))}.")
    return z


def prototype_similarity(features: torch.Tensor, prototypes: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """ProtoPNet's similarity of every feature-map position to every prototype: log((d² + 1) / (d² + ε)).

    Defined in :ref:`sec-xai-prototypes` (Eq. :eq:`eq-xai-proto-sim`).

    Parameters
    ----------
    features : (B, D, h, w) Tensor
        The feature map z of each image.
    prototypes : (P, D) Tensor
    eps : float
        ε > 0: bounds the similarity at log(1/ε) for a perfect match.

    Returns
    -------
    (B, P, h, w) Tensor
        Large where the squared distance d² = ‖z_ij − p_j‖² is small; ≥ 0 and decreasing in d².

    Examples
    --------
    >>> z = torch.zeros(1, 2, 1, 2); z[0, :, 0, 1] = torch.tensor([3.0, 4.0])
    >>> s = prototype_similarity(z, torch.zeros(1, 2), eps=0.25)[0, 0, 0]        # d² = 0 and 25
    >>> [round(float(v), 3) for v in s]
    [1.386, 0.029]
    """
    z = _check_features(features)
    if prototypes.ndim != 2 or prototypes.shape[1] != z.shape[1]:
        raise ValueError(f"prototypes must have shape (P, D) with D = {z.shape[1]}, got {tuple(prototypes.shape)}.")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}.")
    d2 = ((z[:, None] - prototypes[None, :, :, None, None]) ** 2).sum(dim=2)   # (B, P, h, w)
    return torch.log((d2 + 1.0) / (d2 + eps))


def prototype_logits(similarity: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Class logits from the best match of each prototype: y = W · max_ij sim(z_ij, p_j).

    Defined in :ref:`sec-xai-prototypes` (Eq. :eq:`eq-xai-proto-logits`).

    Parameters
    ----------
    similarity : (B, P, h, w) Tensor
    weights : (K, P) Tensor
        The last layer (no bias).

    Returns
    -------
    (B, K) Tensor

    Examples
    --------
    >>> s = torch.tensor([[[[0.0, 2.0]], [[1.0, 0.5]]]])         # (1, 2, 1, 2)
    >>> prototype_logits(s, torch.tensor([[1.0, 0.0], [0.0, 1.0]])).tolist()
    [[2.0, 1.0]]
    """
    if similarity.ndim != 4 or weights.ndim != 2 or weights.shape[1] != similarity.shape[1]:
        raise ValueError(f"need similarity (B, P, h, w) and weights (K, P), got {tuple(similarity.shape)} and "
                         f"{tuple(weights.shape)}.")
    best = similarity.amax(dim=(2, 3))                                # (B, P) best match per prototype
    return best @ weights.T                                          # (B, K)


class PrototypeHead(nn.Module):
    """A prototype layer and ProtoPNet's fixed last layer: +1 from a class's own prototypes, −0.5 from others.

    Defined in :ref:`sec-xai-prototypes`.

    Parameters
    ----------
    dim : int
        D, the width of the features.
    num_classes : int
        K.
    per_class : int
        Prototypes per class (P = K · per_class; prototype j belongs to class j // per_class).

    Examples
    --------
    >>> head = PrototypeHead(8, 3, per_class=2)
    >>> head(torch.zeros(4, 8, 5, 5)).shape, head.prototype_class.tolist()
    (torch.Size([4, 3]), [0, 0, 1, 1, 2, 2])
    """

    def __init__(self, dim: int, num_classes: int, per_class: int = 2):
        super().__init__()
        D, K, m = check_int(dim, "dim"), check_int(num_classes, "num_classes", minimum=2), check_int(per_class,
                                                                                                 "per_class")
        self.prototypes = nn.Parameter(torch.empty(K * m, D))          # (P, D)
        self.register_buffer("prototype_class", torch.arange(K).repeat_interleave(m))   # (P,)
        own = (self.prototype_class[None, :] == torch.arange(K)[:, None]).float()      # (K, P)
        self.register_buffer("weights", own - 0.5 * (1 - own))        # (K, P), fixed
        self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw the prototypes from U(0, 1), as ProtoPNet does (its features follow a sigmoid)."""
        if generator is not None:
            check_generator(generator)
        with torch.no_grad():
            self.prototypes.uniform_(0.0, 1.0, generator=generator)

    def similarity(self, features: torch.Tensor) -> torch.Tensor:
        """(B, P, h, w) similarity of each position of ``features`` (B, D, h, w) to each prototype."""
        return prototype_similarity(features, self.prototypes)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) of the feature maps (B, D, h, w)."""
        return prototype_logits(self.similarity(features), self.weights)


def push_prototypes(prototypes: torch.Tensor, prototype_class: torch.Tensor, features: torch.Tensor,
                    labels: torch.Tensor):
    """Replace each prototype by its nearest feature vector among the training images of its own class.

    Defined in :ref:`sec-xai-prototypes` (Eq. :eq:`eq-xai-push`).

    Parameters
    ----------
    prototypes : (P, D) Tensor
    prototype_class : (P,) Tensor of int64
    features : (N, D, h, w) Tensor
        The training images' feature maps.
    labels : (N,) Tensor of int64

    Returns
    -------
    pushed : (P, D) Tensor
        Each row is exactly some z_ij of an image of the prototype's class.
    where : (P, 3) ndarray of int64
        ``[image, row, col]`` of that patch (indices into ``features``), for showing it.

    Examples
    --------
    >>> z = torch.arange(8.0).reshape(2, 1, 2, 2)                       # two images, D = 1
    >>> p, where = push_prototypes(torch.tensor([[2.6], [2.6]]), torch.tensor([0, 1]), z, torch.tensor([0, 1]))
    >>> p[:, 0].tolist(), where.tolist()
    ([3.0, 4.0], [[0, 1, 1], [1, 0, 0]])
    """
    z = _check_features(features)
    N, D, h, w = z.shape
    if prototypes.ndim != 2 or prototypes.shape[1] != D or prototype_class.shape != prototypes.shape[:1] \
            or labels.shape != (N,):
        raise ValueError(f"need prototypes (P, {D}), prototype_class (P,) and labels ({N},), got "
                         f"{tuple(prototypes.shape)}, {tuple(prototype_class.shape)} and {tuple(labels.shape)}.")
    flat = z.permute(0, 2, 3, 1).reshape(-1, D)                        # (N h w, D) every patch
    owner = labels.repeat_interleave(h * w)                            # (N h w,) class of each patch
    d2 = torch.cdist(prototypes.detach().double(), flat.detach().double()) ** 2   # (P, N h w)
    d2 = d2.masked_fill(owner[None, :] != prototype_class[:, None], float("inf"))
    if torch.isinf(d2.amin(dim=1)).any():
        raise ValueError("some prototype's class has no training image in labels.")
    best = d2.argmin(dim=1)                                            # (P,)
    img, rest = np.divmod(best.numpy(), h * w)
    row, col = np.divmod(rest, w)
    return flat[best].detach().clone(), np.stack([img, row, col], axis=1).astype(np.int64)


def nearest_examples(query: torch.Tensor, bank: torch.Tensor, k: int = 3):
    """Explanation by retrieval: the k training examples closest to each query in embedding space.

    Defined in :ref:`sec-xai-prototypes`.

    Parameters
    ----------
    query : (B, D) Tensor
    bank : (N, D) Tensor
        Embeddings of the training examples.
    k : int
        1 ≤ k ≤ N.

    Returns
    -------
    distances : (B, k) Tensor
        Euclidean, ascending.
    indices : (B, k) Tensor of int64
        Rows of ``bank``.

    Examples
    --------
    >>> d, i = nearest_examples(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0], [1.0, 0.0], [0.0, 2.0]]), k=2)
    >>> d.tolist(), i.tolist()
    ([[1.0, 2.0]], [[1, 2]])
    """
    if query.ndim != 2 or bank.ndim != 2 or query.shape[1] != bank.shape[1]:
        raise ValueError(f"need query (B, D) and bank (N, D) with one D, got {tuple(query.shape)} and "
                         f"{tuple(bank.shape)}.")
    k = check_int(k, "k", maximum=bank.shape[0])
    d = torch.cdist(query, bank)                                       # (B, N)
    dist, idx = torch.topk(d, k, dim=1, largest=False)
    return dist, idx
