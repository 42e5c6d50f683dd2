"""Explaining a CNN's decision: gradient saliency, SmoothGrad, CAM, Grad-CAM, and the sanity check that
asks whether an explanation depends on the model at all.

Chapter 4 (Convolutional neural networks), section on explanations; reused in Chapter 18 (Explainability).
The maps are NumPy arrays (float64); the model-level functions take any ``nn.Module`` classifier and,
for CAM and Grad-CAM, the layer whose output A (B, K, h, w) is explained. They put the model in eval mode
while they run and restore its mode afterwards; they never change its weights.

References
----------
K. Simonyan, A. Vedaldi and A. Zisserman, "Deep inside convolutional networks", ICLR workshop 2014.
D. Smilkov, N. Thorat, B. Kim, F. Viégas and M. Wattenberg, "SmoothGrad: removing noise by adding noise", 2017.
B. Zhou, A. Khosla, A. Lapedriza, A. Oliva and A. Torralba, "Learning deep features for discriminative
localization", CVPR 2016 (CAM).
R. R. Selvaraju et al., "Grad-CAM: visual explanations from deep networks via gradient-based
localization", ICCV 2017.
J. Adebayo, J. Gilmer, M. Muelly, I. Goodfellow, M. Hardt and B. Kim, "Sanity checks for saliency maps",
NeurIPS 2018.
Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image quality assessment: from error visibility
to structural similarity", IEEE TIP 13(4), 2004 (SSIM).
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from typing import Callable, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn

from ._validate import check_array, check_positive
from .cnn import init_parameters_

__all__ = [
    "gradient_saliency", "smoothgrad", "cam_map", "grad_cam_map", "class_activation_map", "grad_cam",
    "upsample_maps", "spearman_rank_correlation", "ssim", "randomize_layers", "parameter_layers",
    "SanityResult", "randomization_sanity_check",
]


@contextmanager
def _eval_mode(model: nn.Module):
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def _check_input(x) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or not x.is_floating_point():
        raise ValueError(f"x must be a float tensor of shape (B, C, H, W), got {getattr(x, 'shape', type(x))}.")
    return x


def _targets(logits: torch.Tensor, target) -> torch.Tensor:
    """The class c explained for each image: the model's prediction if ``target`` is None."""
    B, K = logits.shape
    if target is None:
        return logits.argmax(1)
    t = torch.as_tensor(target, dtype=torch.int64).reshape(-1).expand(B) if np.ndim(target) == 0 else \
        torch.as_tensor(target, dtype=torch.int64)
    if t.shape != (B,) or t.min() < 0 or t.max() >= K:
        raise ValueError(f"target must be a class in [0, {K - 1}] or one per image (B = {B}), got {target!r}.")
    return t


def _input_gradient(model: nn.Module, x: torch.Tensor, target) -> torch.Tensor:
    """∂y_c/∂x for each image's class score y_c (a logit); shape of ``x``."""
    x = x.detach().clone().requires_grad_(True)
    logits = model(x)                                               # (B, K)
    c = _targets(logits, target)                                    # (B,)
    score = logits.gather(1, c[:, None]).sum()                      # images do not interact in eval mode
    (grad,) = torch.autograd.grad(score, x)
    return grad                                                     # (B, C, H, W)


def gradient_saliency(model: nn.Module, x: torch.Tensor, target=None) -> np.ndarray:
    """Vanilla gradient saliency: ``M(i, j) = max over channels of |∂y_c/∂x(i, j)|``.

    Parameters
    ----------
    model : nn.Module
        A classifier returning logits (B, K).
    x : (B, C, H, W) float tensor
    target : int, sequence of B ints, or None
        The class c explained (None: each image's predicted class).

    Returns
    -------
    (B, H, W) ndarray of float64

    Defined in Chapter 4, Eq. (4.19).
    """
    x = _check_input(x)
    with _eval_mode(model):
        g = _input_gradient(model, x, target)
    return g.abs().amax(dim=1).double().numpy()                     # (B, H, W)


def smoothgrad(model: nn.Module, x: torch.Tensor, generator: torch.Generator, target=None, n_samples: int = 25,
               noise_level: float = 0.15) -> np.ndarray:
    """SmoothGrad: average the input gradient over noisy copies x + N(0, σ²), then take the absolute value as in saliency.

    Parameters
    ----------
    model : nn.Module
    x : (B, C, H, W) float tensor
    generator : torch.Generator
        The source of the noise.
    target : int, sequence of B ints, or None
        The class explained; None uses the prediction on the clean image (kept for every noisy copy).
    n_samples : int
        Number of noisy copies n per image.
    noise_level : float
        σ as a fraction of each image's range, σ = noise_level · (max x − min x); Smilkov et al.
        recommend 10–20 %.

    Returns
    -------
    (B, H, W) ndarray of float64
        With ``n_samples=1`` and ``noise_level=0`` this is :func:`gradient_saliency`.

    Defined in Chapter 4, Eq. (4.20).
    """
    x = _check_input(x)
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if not noise_level >= 0:
        raise ValueError(f"noise_level must be >= 0, got {noise_level!r}.")
    B, n = x.shape[0], int(n_samples)
    with _eval_mode(model):
        with torch.no_grad():
            c = _targets(model(x), target)                          # (B,) fixed by the clean image
        sigma = noise_level * (x.amax(dim=(1, 2, 3)) - x.amin(dim=(1, 2, 3)))   # (B,)
        noise = torch.randn((n,) + tuple(x.shape), generator=generator, dtype=x.dtype)   # (n, B, C, H, W)
        noisy = x[None] + sigma[None, :, None, None, None] * noise   # (n, B, C, H, W)
        g = _input_gradient(model, noisy.reshape((n * B,) + tuple(x.shape[1:])), c.repeat(n))   # (n B, C, H, W)
    g_mean = g.reshape((n,) + tuple(x.shape)).mean(dim=0)           # (B, C, H, W)
    return g_mean.abs().amax(dim=1).double().numpy()                # (B, H, W)


def cam_map(activations, class_weights) -> np.ndarray:
    """Class activation map M_c = Σ_k w_k^c A^k for a network whose head is GAP + linear.

    Parameters
    ----------
    activations : (..., K, h, w) ndarray
        The last feature maps A^k.
    class_weights : (..., K) ndarray
        The linear head's weights w^c of the explained class (one row per image).

    Returns
    -------
    (..., h, w) ndarray of float64 (signed; not normalised)

    Defined in Chapter 4, Eq. (4.21).

    Examples
    --------
    >>> A = np.stack([np.eye(2), np.ones((2, 2))])      # K = 2 maps of 2×2
    >>> cam_map(A, np.array([2.0, -1.0]))
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    A = check_array(np.asarray(activations, dtype=np.float64), "activations", ndim=(3, 4))
    w = np.asarray(class_weights, dtype=np.float64)
    if w.shape != A.shape[:-2]:
        raise ValueError(f"class_weights must have shape {A.shape[:-2]} (one weight per map), got {w.shape}.")
    return np.einsum("...k,...kij->...ij", w, A)                    # (..., h, w)


def grad_cam_map(activations, gradients, normalize: bool = True) -> np.ndarray:
    """Grad-CAM: ReLU(Σ_k α_k A^k) with α_k the spatial mean of ∂y_c/∂A^k.

    Parameters
    ----------
    activations : (..., K, h, w) ndarray
        Feature maps A^k of the chosen layer.
    gradients : (..., K, h, w) ndarray
        ∂y_c/∂A^k, same shape.
    normalize : bool
        Divide each map by its maximum (a map that is all 0 stays 0).

    Returns
    -------
    (..., h, w) ndarray of float64, ≥ 0 (≤ 1 if normalised)

    Notes
    -----
    1. α_k = (1/Z) Σ_ij ∂y_c/∂A^k_ij, Z = h·w: how much the class score rises per unit of map k.
    2. L = ReLU(Σ_k α_k A^k): keep only the places that push the class score up.

    Defined in Chapter 4, Eq. (4.22).

    Examples
    --------
    >>> A = np.stack([np.eye(2), np.ones((2, 2))])
    >>> grad_cam_map(A, np.stack([np.full((2, 2), 2.0), np.full((2, 2), -1.0)]))
    array([[1., 0.],
           [0., 1.]])
    """
    A = check_array(np.asarray(activations, dtype=np.float64), "activations", ndim=(3, 4))
    G = check_array(np.asarray(gradients, dtype=np.float64), "gradients", shape=A.shape)
    alpha = G.mean(axis=(-2, -1))                                   # (..., K) global-average-pooled gradients
    L = np.maximum(np.einsum("...k,...kij->...ij", alpha, A), 0.0)  # (..., h, w)
    if normalize:
        peak = L.max(axis=(-2, -1), keepdims=True)                  # (..., 1, 1)
        L = np.divide(L, peak, out=np.zeros_like(L), where=peak > 0)
    return L


def _activations_and_gradients(model, x, layer, target):
    """Run ``model`` on ``x``; return (logits, A, ∂y_c/∂A, c) for the output A of ``layer``."""
    store = {}
    handle = layer.register_forward_hook(lambda mod, inp, out: store.__setitem__("A", out))
    try:
        logits = model(x)                                           # (B, K)
    finally:
        handle.remove()
    if "A" not in store:
        raise ValueError("layer was not called during the forward pass: pass a submodule of model.")
    A = store["A"]                                                  # (B, K, h, w)
    c = _targets(logits, target)
    (dA,) = torch.autograd.grad(logits.gather(1, c[:, None]).sum(), A)
    return logits, A, dA, c


def upsample_maps(maps: np.ndarray, size) -> np.ndarray:
    """Bilinearly resize (B, h, w) maps to ``size`` = (H, W), for overlaying on the input."""
    t = torch.as_tensor(np.asarray(maps, dtype=np.float64))[:, None]   # (B, 1, h, w)
    return F.interpolate(t, size=tuple(size), mode="bilinear", align_corners=False)[:, 0].numpy()


def class_activation_map(model: nn.Module, x: torch.Tensor, layer: nn.Module, head: nn.Linear,
                         target=None) -> np.ndarray:
    """CAM of each image at the resolution of ``layer``'s output, for a GAP + linear ``head``.

    Returns (B, h, w) float64 maps, signed and not normalised (Eq. (4.21)).
    """
    x = _check_input(x)
    with _eval_mode(model):
        store = {}
        handle = layer.register_forward_hook(lambda mod, inp, out: store.__setitem__("A", out))
        try:
            with torch.no_grad():
                c = _targets(model(x), target)
        finally:
            handle.remove()
    w = head.weight.detach()[c]                                     # (B, K) weights of each image's class
    return cam_map(store["A"].double().numpy(), w.double().numpy())


def grad_cam(model: nn.Module, x: torch.Tensor, layer: nn.Module, target=None, normalize: bool = True,
             size=None) -> np.ndarray:
    """Grad-CAM of each image for the feature maps output by ``layer``.

    Returns (B, h, w) float64 maps, or ``(B, *size)`` when ``size`` asks for bilinear upsampling (after the
    ReLU and the normalisation). Eq. (4.22).
    """
    x = _check_input(x)
    with _eval_mode(model):
        _, A, dA, _ = _activations_and_gradients(model, x, layer, target)
    L = grad_cam_map(A.detach().double().numpy(), dA.double().numpy(), normalize=normalize)   # (B, h, w)
    return L if size is None else upsample_maps(L, size)


# ----------------------------------------------------------------------------- comparing maps

def _average_ranks(a: np.ndarray) -> np.ndarray:
    """Ranks 1..N, ties sharing the mean of the ranks they span."""
    _, inverse, counts = np.unique(a, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)                                       # last rank of each distinct value
    return (upper - (counts - 1) / 2.0)[inverse]


def spearman_rank_correlation(a, b) -> float:
    """Spearman's ρ: the Pearson correlation of the ranks of two maps' pixels (ties get average ranks).

    Returns NaN when either map is constant (its ranks have no spread). Defined in Chapter 4, Eq. (4.23).

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


def ssim(a, b, data_range: float = 1.0, win_size: int = 7) -> float:
    """Mean structural similarity of two grey maps over all ``win_size`` × ``win_size`` windows (uniform weights).

    SSIM = (2 μ_a μ_b + C1)(2 σ_ab + C2) / ((μ_a² + μ_b² + C1)(σ_a² + σ_b² + C2)), C1 = (0.01 L)²,
    C2 = (0.03 L)², L = ``data_range``, with sample (N − 1) variances; the same defaults as
    ``skimage.metrics.structural_similarity``.
    """
    a = check_array(np.asarray(a, dtype=np.float64), "a", ndim=2)
    b = check_array(np.asarray(b, dtype=np.float64), "b", shape=a.shape)
    check_positive(data_range, "data_range")
    if win_size % 2 == 0 or win_size > min(a.shape):
        raise ValueError(f"win_size must be odd and at most the map's side {min(a.shape)}, got {win_size}.")
    Wa = sliding_window_view(a, (win_size, win_size))               # (h', w', win, win)
    Wb = sliding_window_view(b, (win_size, win_size))
    n = win_size * win_size
    mu_a, mu_b = Wa.mean(axis=(-2, -1)), Wb.mean(axis=(-2, -1))     # (h', w')
    var_a = Wa.var(axis=(-2, -1)) * n / (n - 1)
    var_b = Wb.var(axis=(-2, -1)) * n / (n - 1)
    cov = ((Wa - mu_a[..., None, None]) * (Wb - mu_b[..., None, None])).sum(axis=(-2, -1)) / (n - 1)
    C1, C2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * mu_a * mu_b + C1) * (2 * cov + C2)) / ((mu_a ** 2 + mu_b ** 2 + C1) * (var_a + var_b + C2))
    return float(s.mean())


# ----------------------------------------------------------------------------- the sanity check

def parameter_layers(model: nn.Module) -> list[str]:
    """Names of the modules that own weights (conv, linear, BatchNorm), from the output back to the input."""
    names = [name for name, m in model.named_modules()
             if isinstance(m, (nn.Conv2d, nn.Linear, nn.BatchNorm2d))]
    return names[::-1]


def randomize_layers(model: nn.Module, names, generator: torch.Generator) -> nn.Module:
    """A deep copy of ``model`` whose listed submodules are re-drawn from their initial distribution."""
    clone = copy.deepcopy(model)
    modules = dict(clone.named_modules())
    for name in names:
        if name not in modules:
            raise ValueError(f"model has no submodule {name!r}; see parameter_layers(model).")
        init_parameters_(modules[name], generator)
    return clone


class SanityResult(NamedTuple):
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

    Defined in Chapter 4, Eq. (4.23).
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
