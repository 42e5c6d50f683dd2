"""Pretext tasks that made labels from the image itself: predicting a rotation and the relative position of a patch.

Chapter 13 (Self-supervised learning: DINO, MAE, JEPA), the prologue before DINO and MAE.

References
----------
S. Gidaris, P. Singh and N. Komodakis, "Unsupervised representation learning by predicting image rotations",
ICLR 2018 (RotNet).
C. Doersch, A. Gupta and A. A. Efros, "Unsupervised visual representation learning by context prediction",
ICCV 2015.
"""

from __future__ import annotations

import torch

from coursekit.core.validation import check_generator, check_int, check_shape

__all__ = ["rotation_batch", "NEIGHBOUR_OFFSETS", "context_pairs"]

# The eight neighbours of the centre patch, label k ↔ (row step, column step), raster order around the centre.
NEIGHBOUR_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def rotation_batch(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """All four rotations of every image and their labels: (B, C, H, H) → (4B, C, H, H), labels k = 0..3.

    Defined in :ref:`sec-pretext`.

    Parameters
    ----------
    x : (B, C, H, H) Tensor
        Square images.

    Returns
    -------
    rotated : (4B, C, H, H) Tensor
    labels : (4B,) int64 Tensor

    Image ``k·B + b`` is image b rotated by k·90° counter-clockwise (``torch.rot90`` on the (H, W) axes); its
    label is k.

    Examples
    --------
    >>> xr, y = rotation_batch(torch.arange(4.0).reshape(1, 1, 2, 2))
    >>> y.tolist(), xr[1, 0].tolist()
    ([0, 1, 2, 3], [[1.0, 3.0], [0.0, 2.0]])
    """
    sizes = check_shape(x, "B C H H", "x")
    rotated = torch.cat([torch.rot90(x, k, dims=(2, 3)) for k in range(4)])   # (4B, C, H, H)
    labels = torch.arange(4).repeat_interleave(sizes["B"])                      # (4B,)
    return rotated, labels


def context_pairs(x: torch.Tensor, patch: int, gap: int, generator: torch.Generator):
    """Context prediction: a centre patch, one of its 8 neighbours (with a gap), and the neighbour's label.

    Defined in :ref:`sec-pretext`.

    Parameters
    ----------
    x : (B, C, H, W) Tensor
        H, W >= 3·patch + 2·gap.
    patch, gap : int
        Patch side and the gap between neighbouring patches (it stops the network from matching edges).
    generator : torch.Generator
        Draws each image's grid origin and the neighbour's label.

    Returns
    -------
    centre, neighbour : (B, C, patch, patch) Tensor
    labels : (B,) int64 Tensor
        k in 0..7, the index of the neighbour's offset in :data:`NEIGHBOUR_OFFSETS`.

    Examples
    --------
    >>> c, n, y = context_pairs(torch.zeros(2, 1, 12, 12), 3, 1, torch.Generator().manual_seed(0))
    >>> c.shape, n.shape, y.shape
    (torch.Size([2, 1, 3, 3]), torch.Size([2, 1, 3, 3]), torch.Size([2]))
    """
    sizes = check_shape(x, "B C H W", "x")
    P, G = check_int(patch, "patch"), check_int(gap, "gap", minimum=0)
    span = 3 * P + 2 * G
    if sizes["H"] < span or sizes["W"] < span:
        raise ValueError(f"images must be at least {span}×{span} for patch = {P}, gap = {G}; got "
                         f"{sizes['H']}×{sizes['W']}.")
    g = check_generator(generator)
    B = sizes["B"]
    top = torch.randint(0, sizes["H"] - span + 1, (B,), generator=g)
    left = torch.randint(0, sizes["W"] - span + 1, (B,), generator=g)
    labels = torch.randint(0, 8, (B,), generator=g)
    step = P + G
    offsets = torch.tensor(NEIGHBOUR_OFFSETS)[labels]                           # (B, 2)
    centres, neighbours = [], []
    for b in range(B):
        r0, c0 = int(top[b]) + step, int(left[b]) + step                        # centre patch's corner
        r1, c1 = r0 + int(offsets[b, 0]) * step, c0 + int(offsets[b, 1]) * step
        centres.append(x[b, :, r0:r0 + P, c0:c0 + P])
        neighbours.append(x[b, :, r1:r1 + P, c1:c1 + P])
    return torch.stack(centres), torch.stack(neighbours), labels
