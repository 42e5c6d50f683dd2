"""Adaptive density control of 3D Gaussian Splatting: clone, split and prune.

Chapter 9. Gaussians whose projected centres receive large gradients sit where the image is not yet
explained: a small one is cloned (a copy that the optimiser pulls apart), a large one is split into two
smaller ones sampled from itself; nearly transparent Gaussians are pruned.

References
----------
B. Kerbl et al., "3D Gaussian Splatting for Real-Time Radiance Field Rendering", SIGGRAPH 2023, sec. 5.2.
"""

from __future__ import annotations

import torch
from torch import nn

from coursekit.core.validation import check_generator, check_shape
from coursekit.rendering.gaussians import quaternion_to_rotation

__all__ = ["SPLIT_FACTOR", "clone_gaussians", "split_gaussians", "prune_gaussians", "densify_and_prune"]

SPLIT_FACTOR = 1.6           # a split Gaussian's children are 1.6 times smaller, as in the paper

_NAMES = ("means", "quats", "log_scales", "opacity_logits", "sh")


def _set(model, tensors: dict) -> None:
    for name in _NAMES:
        setattr(model, name, nn.Parameter(tensors[name].detach().clone()))


def _params(model) -> dict:
    return {name: getattr(model, name).detach() for name in _NAMES}


def clone_gaussians(model, mask: torch.Tensor) -> None:
    """Append an exact copy of every Gaussian selected by ``mask`` (in place).

    Defined in :ref:`sec-gs-densify`.

    Parameters
    ----------
    model : coursekit.rendering.splatting.GaussianModel
    mask : (N,) Tensor of bool

    Examples
    --------
    >>> from coursekit.rendering.splatting import GaussianModel
    >>> m = GaussianModel(torch.zeros(3, 3), torch.zeros(3, 3), torch.ones(3))
    >>> clone_gaussians(m, torch.tensor([True, False, True])); len(m)
    5
    """
    check_shape(mask, "N", "mask", N=len(model))
    p = _params(model)
    _set(model, {k: torch.cat([v, v[mask]]) for k, v in p.items()})


def split_gaussians(model, mask: torch.Tensor, generator: torch.Generator) -> None:
    """Replace every Gaussian selected by ``mask`` by two children drawn from it, scaled by 1/1.6.

    Defined in :ref:`sec-gs-densify`.

    Parameters
    ----------
    model : coursekit.rendering.splatting.GaussianModel
    mask : (N,) Tensor of bool
    generator : torch.Generator
        Draws the children's centres ``μ + R S z``, ``z ~ N(0, I)``.

    Examples
    --------
    >>> from coursekit.rendering.splatting import GaussianModel
    >>> m = GaussianModel(torch.zeros(3, 3), torch.zeros(3, 3), torch.ones(3))
    >>> split_gaussians(m, torch.tensor([True, False, False]), torch.Generator().manual_seed(0)); len(m)
    4
    """
    check_shape(mask, "N", "mask", N=len(model))
    check_generator(generator)
    p = _params(model)
    parent = {k: v[mask] for k, v in p.items()}
    R = quaternion_to_rotation(parent["quats"])                             # (M, 3, 3)
    S = torch.exp(parent["log_scales"])                                     # (M, 3)
    children = []
    for _ in range(2):
        z = torch.randn(S.shape, generator=generator, dtype=S.dtype)        # (M, 3)
        child = dict(parent)
        child["means"] = parent["means"] + (R @ (S * z)[..., None])[..., 0]
        child["log_scales"] = parent["log_scales"] - torch.log(torch.tensor(SPLIT_FACTOR, dtype=S.dtype))
        children.append(child)
    keep = ~mask
    _set(model, {k: torch.cat([v[keep], children[0][k], children[1][k]]) for k, v in p.items()})


def prune_gaussians(model, mask: torch.Tensor) -> None:
    """Delete the Gaussians where ``mask`` is true, keeping the others in order (in place).

    Defined in :ref:`sec-gs-densify`.

    Parameters
    ----------
    model : coursekit.rendering.splatting.GaussianModel
        Its five parameter tensors are replaced by shorter ones.
    mask : (N,) Tensor of bool
        True for each Gaussian to remove (typically ``opacity < min_opacity``).

    Examples
    --------
    >>> from coursekit.rendering.splatting import GaussianModel
    >>> g = GaussianModel(torch.rand(4, 3), torch.rand(4, 3), torch.full((4,), 0.1))
    >>> prune_gaussians(g, g.means[:, 0].detach() > 2.0)     # nothing that far out
    >>> len(g)
    4
    """
    check_shape(mask, "N", "mask", N=len(model))
    _set(model, {k: v[~mask] for k, v in _params(model).items()})


def densify_and_prune(model, grad_norm: torch.Tensor, grad_threshold: float, size_threshold: float,
                      min_opacity: float, max_gaussians: int, generator: torch.Generator) -> dict:
    """One round of adaptive density control: clone small, split large, prune transparent Gaussians.

    Defined in :ref:`sec-gs-densify`.

    Parameters
    ----------
    model : coursekit.rendering.splatting.GaussianModel
    grad_norm : (N,) Tensor of float
        Mean norm of the gradient of each Gaussian's projected centre since the last round.
    grad_threshold : float
        Gaussians above it are densified.
    size_threshold : float
        Largest scale at or below which a Gaussian is cloned rather than split.
    min_opacity : float
        Gaussians below it are pruned.
    max_gaussians : int
        No cloning or splitting if the model already has this many.
    generator : torch.Generator

    Returns
    -------
    dict
        How many were ``cloned``, ``split`` and ``pruned``.

    Examples
    --------
    >>> from coursekit.rendering.splatting import GaussianModel
    >>> m = GaussianModel(torch.zeros(3, 3), torch.zeros(3, 3), torch.tensor([0.01, 1.0, 0.01]), 0.5)
    >>> densify_and_prune(m, torch.tensor([1.0, 1.0, 0.0]), 0.5, 0.1, 0.005, 100, torch.Generator())
    {'cloned': 1, 'split': 1, 'pruned': 0}
    """
    check_shape(grad_norm, "N", "grad_norm", N=len(model))
    big = grad_norm > grad_threshold
    if len(model) >= max_gaussians:
        big = torch.zeros_like(big)
    small = torch.exp(model.log_scales.detach()).max(dim=1).values <= size_threshold
    n_clone, n_split = int((big & small).sum()), int((big & ~small).sum())
    clone_gaussians(model, big & small)
    split_mask = torch.cat([big & ~small, torch.zeros(n_clone, dtype=torch.bool)])
    split_gaussians(model, split_mask, generator)
    low = model.opacity().detach() < min_opacity
    prune_gaussians(model, low)
    return {"cloned": n_clone, "split": n_split, "pruned": int(low.sum())}
