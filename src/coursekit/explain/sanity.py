"""Sanity checks for saliency maps (Adebayo et al., NeurIPS 2018): randomise the model's layers and
measure how much an explanation changes, with Spearman rank correlation and SSIM.

Chapter 4 (the explainability section) and Chapter 18.

References
----------
J. Adebayo et al., "Sanity checks for saliency maps", NeurIPS 2018.
"""

from __future__ import annotations

import copy
from typing import Callable, NamedTuple

import numpy as np
import torch
from torch import nn

from coursekit.metrics.image import ssim
from coursekit.models.utils import init_parameters_

__all__ = [
    "spearman_rank_correlation", "parameter_layers", "randomize_layers", "SanityResult",
    "randomization_sanity_check",
]


def _average_ranks(a: np.ndarray) -> np.ndarray:
    """Ranks 1..N, ties sharing the mean of the ranks they span."""
    _, inverse, counts = np.unique(a, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)                                       # last rank of each distinct value
    return (upper - (counts - 1) / 2.0)[inverse]


def spearman_rank_correlation(a, b) -> float:
    """Spearman's ρ: the Pearson correlation of the ranks of two maps' pixels (ties get average ranks).

    Defined in :ref:`sec-sanity-check` (Eq. :eq:`eq-spearman-rank-correlation`).

    Parameters
    ----------
    a, b : array_like
        Two maps of the same shape, at least 2 pixels.

    Returns
    -------
    float
        In [-1, 1]; NaN when either map is constant (its ranks have no spread).

    Notes
    -----
    Ranks make ρ insensitive to any increasing rescaling of a map, which is what comparing explanations
    needs: two methods may agree on the order of the pixels but not on their scale.

    Examples
    --------
    >>> spearman_rank_correlation(np.array([1.0, 2, 3, 4]), np.array([10.0, 20, 30, 1000]))
    1.0
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.size < 2:
        raise ValueError(f"need two maps of the same shape with >= 2 pixels, got {a.shape} and {b.shape}.")
    ra, rb = _average_ranks(a.ravel()), _average_ranks(b.ravel())   # (N,) each
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = np.sqrt((ra ** 2).sum() * (rb ** 2).sum())
    return float((ra * rb).sum() / denom) if denom > 0 else float("nan")


def parameter_layers(model: nn.Module) -> list[str]:
    """Names of the modules that own weights (conv, linear, BatchNorm), from the output back to the input.

    Defined in :ref:`sec-sanity-check`.

    Parameters
    ----------
    model : nn.Module

    Returns
    -------
    list of str
        Names as in ``model.named_modules()``, in reverse order of definition: the order in which the
        cascading randomisation destroys them.

    Notes
    -----
    Definition order is taken as forward order, true of the book's sequential models.

    Examples
    --------
    >>> parameter_layers(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2, 3)))
    ['3', '0']
    """
    names = [name for name, m in model.named_modules()
             if isinstance(m, (nn.Conv2d, nn.Linear, nn.BatchNorm2d))]
    return names[::-1]


def randomize_layers(model: nn.Module, names, generator: torch.Generator) -> nn.Module:
    """A deep copy of ``model`` whose listed submodules are re-drawn from their initial distribution.

    Defined in :ref:`sec-sanity-check`.

    Parameters
    ----------
    model : nn.Module
        Left unchanged.
    names : sequence of str
        Submodules to re-initialise (see :func:`parameter_layers`).
    generator : torch.Generator
        The source of the new weights (:func:`coursekit.layers.init.init_parameters_`).

    Returns
    -------
    nn.Module
        The copy.

    Notes
    -----
    BatchNorm layers go back to scale 1, shift 0 and running statistics (0, 1).

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    >>> copy_ = randomize_layers(net, ["1"], torch.Generator().manual_seed(0))
    >>> bool(torch.equal(copy_[0].weight, net[0].weight)), bool(torch.equal(copy_[1].weight, net[1].weight))
    (True, False)
    """
    clone = copy.deepcopy(model)
    modules = dict(clone.named_modules())
    for name in names:
        if name not in modules:
            raise ValueError(f"model has no submodule {name!r}; see parameter_layers(model).")
        init_parameters_(modules[name], generator)
    return clone


class SanityResult(NamedTuple):
    """What :func:`randomization_sanity_check` returns: the steps, the similarity scores and the maps.

    Defined in :ref:`sec-sanity-check`.

    Parameters
    ----------
    steps : list of list of str
        The layers randomised at each step S (cumulative in the cascade).
    spearman : (S, B) ndarray
        Rank correlation of each step's map with the trained model's map, per image.
    ssim : (S, B) ndarray
        SSIM of the [0, 1]-rescaled maps.
    maps : (S + 1, B, H, W) ndarray
        The trained model's maps, then one set per step.

    Examples
    --------
    >>> SanityResult([["head"]], np.ones((1, 2)), np.ones((1, 2)), np.zeros((2, 2, 4, 4))).spearman.shape
    (1, 2)
    """

    steps: list           # the layers randomised at each step (cumulative in the cascade)
    spearman: np.ndarray  # (S, B) rank correlation of each step's map with the trained model's map
    ssim: np.ndarray      # (S, B) SSIM of the [0, 1]-rescaled maps
    maps: np.ndarray      # (S + 1, B, H, W) the trained model's maps, then one set per step


def _unit_range(m: np.ndarray) -> np.ndarray:
    lo, hi = m.min(), m.max()
    return (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)


def randomization_sanity_check(model: nn.Module, explainer: Callable, x: torch.Tensor,
                               generator: torch.Generator, mode: str = "cascade") -> SanityResult:
    """Adebayo et al.'s model-randomisation test: do the maps change when the weights are destroyed?

    Defined in :ref:`sec-sanity-check` (Eq. :eq:`eq-spearman-rank-correlation`).

    Parameters
    ----------
    model : nn.Module
        The trained classifier (left unchanged).
    explainer : callable
        ``explainer(model, x) -> (B, H, W) ndarray``; bind the target class and layer in a closure
        (fix the class to the trained model's prediction, so both models explain the same class).
    x : (B, C, H, W) tensor
    generator : torch.Generator
        The source of the random weights.
    mode : {"cascade", "all"}
        ``cascade``: randomise layer by layer from the output to the input, keeping earlier
        randomisations (one step per weight layer); ``all``: one step, every layer at once.

    Returns
    -------
    SanityResult

    Notes
    -----
    An explanation that is faithful to the model must change materially once the weights it depends on
    are random: a rank correlation near 1 at the last step means the map shows the input, not the model.

    References
    ----------
    J. Adebayo, J. Gilmer, M. Muelly, I. Goodfellow, M. Hardt and B. Kim, "Sanity checks for saliency
    maps", NeurIPS 2018.

    Examples
    --------
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    >>> edges = lambda m, x: np.abs(np.diff(x[:, 0].numpy(), axis=1, prepend=0))   # ignores the model
    >>> x = torch.rand(2, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    >>> r = randomization_sanity_check(net, edges, x, torch.Generator().manual_seed(1))
    >>> r.steps, bool(np.allclose(r.spearman, 1.0))                   # unchanged: it fails the test
    ([['1']], True)
    """
    if mode not in ("cascade", "all"):
        raise ValueError(f"mode must be 'cascade' or 'all', got {mode!r}.")
    layers = parameter_layers(model)
    if not layers:
        raise ValueError("model has no conv, linear or BatchNorm layers to randomise.")
    steps = [layers[:i + 1] for i in range(len(layers))] if mode == "cascade" else [layers]
    base = np.asarray(explainer(model, x), dtype=np.float64)       # (B, H, W)
    maps, rho, sim = [base], [], []
    clone, done = copy.deepcopy(model), 0
    modules = dict(clone.named_modules())
    for names in steps:
        for name in names[done:]:                                   # cumulative: only the new layers
            init_parameters_(modules[name], generator)
        done = len(names)
        m = np.asarray(explainer(clone, x), dtype=np.float64)
        maps.append(m)
        rho.append([spearman_rank_correlation(u, v) for u, v in zip(base, m)])
        sim.append([ssim(_unit_range(u), _unit_range(v), win_size=min(7, min(u.shape) // 2 * 2 - 1))
                    for u, v in zip(base, m)])
    return SanityResult(steps, np.array(rho), np.array(sim), np.stack(maps))
