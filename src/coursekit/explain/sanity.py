"""Sanity checks for saliency maps (Adebayo et al., NeurIPS 2018): randomise the model's layers (cascading
or one at a time) or train it on random labels, and measure how much an explanation changes, with Spearman
rank correlation and SSIM.

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
    "randomization_sanity_check", "compare_maps", "data_randomization_test",
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
    mode : {"cascade", "independent", "all"}
        ``cascade``: randomise layer by layer from the output to the input, keeping earlier
        randomisations (one step per weight layer); ``independent``: one step per weight layer, each
        randomising that layer alone in a fresh copy of the trained model; ``all``: one step, every layer at
        once.

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
    if mode not in ("cascade", "independent", "all"):
        raise ValueError(f"mode must be 'cascade', 'independent' or 'all', got {mode!r}.")
    layers = parameter_layers(model)
    if not layers:
        raise ValueError("model has no conv, linear or BatchNorm layers to randomise.")
    steps = {"cascade": [layers[:i + 1] for i in range(len(layers))], "independent": [[n] for n in layers],
             "all": [layers]}[mode]
    base = np.asarray(explainer(model, x), dtype=np.float64)       # (B, H, W)
    maps, rho, sim = [base], [], []
    clone, done = copy.deepcopy(model), 0
    modules = dict(clone.named_modules())
    for names in steps:
        if mode == "independent":                                   # a fresh copy: only this layer is random
            clone = randomize_layers(model, names, generator)
        else:
            for name in names[done:]:                               # cumulative: only the new layers
                init_parameters_(modules[name], generator)
            done = len(names)
        m = np.asarray(explainer(clone, x), dtype=np.float64)
        maps.append(m)
        r, q = compare_maps(base, m)
        rho.append(r)
        sim.append(q)
    return SanityResult(steps, np.array(rho), np.array(sim), np.stack(maps))


def compare_maps(maps_a, maps_b) -> tuple[np.ndarray, np.ndarray]:
    """Per-image similarity of two sets of maps: Spearman's ρ and the SSIM of the [0, 1]-rescaled maps.

    Defined in :ref:`sec-xai-sanity`.

    Parameters
    ----------
    maps_a, maps_b : (B, H, W) array_like
        Same shape, H and W >= 3.

    Returns
    -------
    spearman : (B,) ndarray of float64
    ssim : (B,) ndarray of float64
        SSIM with a 7×7 window (smaller on small maps), on each map rescaled to [0, 1], since the two maps
        need not share a scale.

    Examples
    --------
    >>> m = np.random.default_rng(0).random((2, 8, 8))
    >>> [v.round(6).tolist() for v in compare_maps(m, 3 * m + 1)]
    [[1.0, 1.0], [1.0, 1.0]]
    """
    a, b = np.asarray(maps_a, dtype=np.float64), np.asarray(maps_b, dtype=np.float64)
    if a.ndim != 3 or a.shape != b.shape or min(a.shape[1:]) < 3:
        raise ValueError(f"maps must be two (B, H, W) arrays of one shape with H, W >= 3, got {a.shape} and "
                         f"{b.shape}.")
    win = min(7, min(a.shape[1:]) // 2 * 2 - 1)                     # odd, fits the map
    rho = [spearman_rank_correlation(u, v) for u, v in zip(a, b)]
    sim = [ssim(_unit_range(u), _unit_range(v), win_size=win) for u, v in zip(a, b)]
    return np.array(rho), np.array(sim)


def data_randomization_test(model: nn.Module, random_label_model: nn.Module, explainer: Callable,
                            x: torch.Tensor) -> SanityResult:
    """Adebayo et al.'s data-randomisation test: the maps of a model vs a twin trained on permuted labels.

    Defined in :ref:`sec-xai-sanity`.

    Parameters
    ----------
    model : nn.Module
        Trained on the true labels.
    random_label_model : nn.Module
        Same architecture and recipe, trained on a random permutation of the labels (it can only memorise).
    explainer : callable
        ``explainer(model, x) -> (B, H, W) ndarray``; explain each model's own predicted class.
    x : (B, C, H, W) tensor

    Returns
    -------
    SanityResult
        One step, named ``["random labels"]``.

    Notes
    -----
    The random-label model has learnt nothing about the relation between image and label, so an
    explanation that still looks the same shows the image, not what the model learnt.

    Examples
    --------
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    >>> other = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    >>> bright = lambda m, x: x[:, 0].numpy()                           # ignores the model
    >>> x = torch.rand(2, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    >>> bool(np.allclose(data_randomization_test(net, other, bright, x).spearman, 1.0))
    True
    """
    base = np.asarray(explainer(model, x), dtype=np.float64)       # (B, H, W)
    m = np.asarray(explainer(random_label_model, x), dtype=np.float64)
    rho, sim = compare_maps(base, m)
    return SanityResult([["random labels"]], rho[None], sim[None], np.stack([base, m]))
