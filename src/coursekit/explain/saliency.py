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

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_array
from coursekit.training.loop import eval_mode

__all__ = [
    "gradient_saliency", "smoothgrad", "cam_map", "grad_cam_map", "class_activation_map", "grad_cam",
    "upsample_maps",
]


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

    Defined in :ref:`sec-saliency` (Eq. :eq:`eq-gradient-saliency`).

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

    Notes
    -----
    1. In eval mode, back-propagate the class score y_c (a logit, not the softmax, which also depends on
       the other classes) to the input: one backward pass for the whole batch, since images do not interact.
    2. Take ``|∂y_c/∂x|`` and its maximum over the channels.

    References
    ----------
    K. Simonyan, A. Vedaldi and A. Zisserman, "Deep inside convolutional networks", ICLR workshop 2014.

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2, bias=False))
    >>> with torch.no_grad():
    ...     _ = model[1].weight.copy_(torch.tensor([[1.0, -2.0, 0.0, 0.5], [0.0, 0.0, 0.0, 0.0]]))
    >>> gradient_saliency(model, torch.zeros(1, 1, 2, 2), target=0)      # |W[c]| for a linear model
    array([[[1. , 2. ],
            [0. , 0.5]]])
    """
    x = _check_input(x)
    with eval_mode(model):
        g = _input_gradient(model, x, target)
    return g.abs().amax(dim=1).double().numpy()                     # (B, H, W)


def smoothgrad(model: nn.Module, x: torch.Tensor, generator: torch.Generator, target=None, n_samples: int = 25,
               noise_level: float = 0.15) -> np.ndarray:
    """SmoothGrad: average the input gradient over noisy copies x + N(0, σ²), then take the absolute value as in saliency.

    Defined in :ref:`sec-saliency` (Eq. :eq:`eq-smoothgrad`).

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

    Notes
    -----
    1. Fix the class c on the clean image; draw n noise images ε_s ~ N(0, σ²) from ``generator``.
    2. Back-propagate y_c for all n·B noisy copies in one batch; average the gradients over s.
    3. Take the absolute value and the maximum over the channels, as in :func:`gradient_saliency`.

    References
    ----------
    D. Smilkov, N. Thorat, B. Kim, F. Viégas and M. Wattenberg, "SmoothGrad: removing noise by adding
    noise", 2017.

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2), nn.Tanh())
    >>> x = torch.zeros(3, 1, 2, 2)
    >>> smoothgrad(model, x, torch.Generator().manual_seed(0), n_samples=8).shape
    (3, 2, 2)
    """
    x = _check_input(x)
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if not noise_level >= 0:
        raise ValueError(f"noise_level must be >= 0, got {noise_level!r}.")
    B, n = x.shape[0], int(n_samples)
    with eval_mode(model):
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

    Defined in :ref:`sec-grad-cam` (Eq. :eq:`eq-cam`).

    Parameters
    ----------
    activations : (..., K, h, w) ndarray
        The last feature maps A^k.
    class_weights : (..., K) ndarray
        The linear head's weights w^c of the explained class (one row per image).

    Returns
    -------
    (..., h, w) ndarray of float64 (signed; not normalised)

    Notes
    -----
    For a GAP + linear head the class score is the spatial mean of this map plus the bias,
    y_c = (1/Z) Σ_ij M_c(i, j) + b_c, so M_c shows where the evidence for class c lies.

    References
    ----------
    B. Zhou, A. Khosla, A. Lapedriza, A. Oliva and A. Torralba, "Learning deep features for discriminative
    localization", CVPR 2016.

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

    Defined in :ref:`sec-grad-cam` (Eq. :eq:`eq-grad-cam`).

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
    """Bilinearly resize (B, h, w) maps to ``size`` = (H, W), for overlaying on the input.

    Defined in :ref:`sec-grad-cam`.

    Parameters
    ----------
    maps : (B, h, w) array_like
    size : (int, int)
        The output (H, W), rows then columns.

    Returns
    -------
    (B, H, W) ndarray of float64

    Notes
    -----
    Half-pixel-centre bilinear interpolation (``align_corners=False``, OpenCV's ``INTER_LINEAR``): a map
    cell covers the same area of the image as the feature-map position it came from.

    Examples
    --------
    >>> upsample_maps(np.array([[[0.0, 1.0]]]), (1, 4))
    array([[[0.  , 0.25, 0.75, 1.  ]]])
    """
    maps = check_array(np.asarray(maps, dtype=np.float64), "maps", ndim=3)
    if not (isinstance(size, (tuple, list)) and len(size) == 2 and all(int(v) == v and v >= 1 for v in size)):
        raise ValueError(f"size must be a pair (H, W) of positive integers, got {size!r}.")
    t = torch.from_numpy(maps)[:, None]                             # (B, 1, h, w)
    return F.interpolate(t, size=(int(size[0]), int(size[1])), mode="bilinear", align_corners=False)[:, 0].numpy()


def class_activation_map(model: nn.Module, x: torch.Tensor, layer: nn.Module, head: nn.Linear,
                         target=None) -> np.ndarray:
    """CAM of each image at the resolution of ``layer``'s output, for a GAP + linear ``head``.

    Defined in :ref:`sec-grad-cam` (Eq. :eq:`eq-cam`).

    Parameters
    ----------
    model : nn.Module
        A classifier whose logits are ``head(A.mean((2, 3)))`` for the output A of ``layer``.
    x : (B, C, H, W) float tensor
    layer : nn.Module
        The submodule whose output A (B, K, h, w) is explained (e.g. ``model.features``).
    head : nn.Linear
        The linear layer after global average pooling; its row c weighs the maps for class c.
    target : int, sequence of B ints, or None
        The class explained (None: each image's predicted class).

    Returns
    -------
    (B, h, w) ndarray of float64
        Signed, not normalised.

    Notes
    -----
    One forward pass in eval mode with a hook on ``layer``; then :func:`cam_map` with the head's rows.

    Examples
    --------
    >>> from coursekit.models import SmallCNN, SmallCNNConfig
    >>> net = SmallCNN(SmallCNNConfig(channels=(2, 4)))
    >>> class_activation_map(net, torch.zeros(2, 1, 8, 8), net.features, net.head).shape
    (2, 4, 4)
    """
    x = _check_input(x)
    with eval_mode(model):
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

    Defined in :ref:`sec-grad-cam` (Eq. :eq:`eq-grad-cam`).

    Parameters
    ----------
    model : nn.Module
        Any classifier returning logits (B, K).
    x : (B, C, H, W) float tensor
    layer : nn.Module
        The submodule whose output A (B, K', h, w) is explained; it must run in ``model``'s forward pass.
    target : int, sequence of B ints, or None
        The class explained (None: each image's predicted class).
    normalize : bool
        Divide each map by its maximum.
    size : (int, int), optional
        Upsample the maps bilinearly to (H, W) (after the ReLU and the normalisation).

    Returns
    -------
    (B, h, w) or (B, H, W) ndarray of float64
        Non-negative maps.

    Notes
    -----
    A forward hook keeps A, ``torch.autograd.grad`` gives ∂y_c/∂A in eval mode, and :func:`grad_cam_map`
    combines them.

    References
    ----------
    R. R. Selvaraju et al., "Grad-CAM: visual explanations from deep networks via gradient-based
    localization", ICCV 2017.

    Examples
    --------
    >>> from coursekit.models import SmallCNN, SmallCNNConfig
    >>> net = SmallCNN(SmallCNNConfig(channels=(2, 4)))
    >>> grad_cam(net, torch.zeros(2, 1, 8, 8), net.features, size=(8, 8)).shape
    (2, 8, 8)
    """
    x = _check_input(x)
    with eval_mode(model):
        _, A, dA, _ = _activations_and_gradients(model, x, layer, target)
    L = grad_cam_map(A.detach().double().numpy(), dA.double().numpy(), normalize=normalize)   # (B, h, w)
    return L if size is None else upsample_maps(L, size)


# ----------------------------------------------------------------------------- comparing maps


# ----------------------------------------------------------------------------- the sanity check


