"""Teaching a frozen diffusion model something new, on a toy.

Textual inversion (learn one input vector for a new concept) and training a ControlNet (a trainable copy
steered by a control signal).

Used by Chapter 17 (Generative models: diffusion).

References
----------
R. Gal et al., "An image is worth one word: personalizing text-to-image generation using textual
inversion", ICLR 2023.
L. Zhang, A. Rao and M. Agrawala, "Adding conditional control to text-to-image diffusion models", ICCV 2023.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from coursekit.core.validation import check_generator, check_shape
from coursekit.generative.training import child_generator, diffusion_loss
from coursekit.training.loop import FitConfig, History, fit

__all__ = ["ConceptEmbedding", "textual_inversion", "train_controlnet"]


class ConceptEmbedding(nn.Module):
    """One learnable condition vector v fed to a frozen conditional denoiser in place of a label embedding.

    Defined in :ref:`sec-diffusion-personalise` (Eq. :eq:`eq-diffusion-textual-inversion`).

    Parameters
    ----------
    model : Denoiser
        A trained conditional :class:`coursekit.models.denoiser.Denoiser`; it is held, not registered, so
        ``parameters()`` yields v alone.
    init : (H,) Tensor
        Starting value of v (e.g. the null label's embedding row).

    Examples
    --------
    >>> from coursekit.models.denoiser import Denoiser, DenoiserConfig
    >>> m = Denoiser(DenoiserConfig(hidden=8, depth=1, num_classes=2))
    >>> [p.shape for p in ConceptEmbedding(m, torch.zeros(8)).parameters()]
    [torch.Size([8])]
    """

    def __init__(self, model: nn.Module, init: torch.Tensor):
        super().__init__()
        H = model.config.hidden
        check_shape(init, "H", "init", H=H)
        self._model = (model,)
        self.v = nn.Parameter(init.detach().clone().float())

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """ε̂(x_t, t; v) of the frozen model with the learned vector as its condition.

        Parameters
        ----------
        x : (B, D) Tensor
        t : (B,) long Tensor

        Returns
        -------
        (B, D) Tensor
        """
        return self._model[0](x, t, embedding=self.v)


def textual_inversion(model: nn.Module, X: torch.Tensor, alpha_bar, config: FitConfig,
                      generator: torch.Generator, progress: bool = True) -> tuple[ConceptEmbedding, History]:
    """Find v* = argmin_v E ‖ε − ε̂_θ(x_t, t; v)‖² over a few examples of a new concept, θ frozen.

    Defined in :ref:`sec-diffusion-personalise` (Eq. :eq:`eq-diffusion-textual-inversion`).

    Parameters
    ----------
    model : Denoiser
        Trained conditional denoiser; its weights are not changed.
    X : (B, D) Tensor
        The examples of the concept.
    alpha_bar : (T,) array_like
    config : FitConfig
    generator : torch.Generator
    progress : bool

    Returns
    -------
    concept : ConceptEmbedding
        Call it as a noise predictor ``concept(x_t, t)``.
    history : History

    Notes
    -----
    v starts at the null label's row, "no condition"; the diffusion loss of the concept's examples is the
    only signal, exactly the loss the model was trained with.

    Examples
    --------
    >>> from coursekit.models.denoiser import Denoiser, DenoiserConfig
    >>> g = torch.Generator().manual_seed(0)
    >>> m = Denoiser(DenoiserConfig(hidden=8, depth=1, T=10, num_classes=2))
    >>> concept, h = textual_inversion(m, torch.randn(16, 2, generator=g), np.linspace(0.9, 0.1, 10),
    ...                                FitConfig(epochs=2, batch_size=8), g, progress=False)
    >>> concept.v.shape, len(h.loss)
    (torch.Size([8]), 2)
    """
    if getattr(model, "label", None) is None:
        raise ValueError("textual inversion needs a conditional Denoiser (num_classes > 0).")
    check_shape(X, "B D", "X", D=model.config.dim)
    check_generator(generator)
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
    concept = ConceptEmbedding(model, model.label.weight[model.config.null_label])
    noise = child_generator(generator)

    def loss_fn(m, batch):
        x0 = batch[0]
        t = torch.randint(0, len(alpha_bar), (len(x0),), generator=noise)
        return diffusion_loss(m, x0, t, torch.randn(x0.shape, generator=noise), alpha_bar)

    frozen = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)
    try:
        history = fit(concept, loss_fn, (X,), config, generator, progress=progress, desc="textual inversion")
    finally:
        for p, flag in zip(model.parameters(), frozen):
            p.requires_grad_(flag)
    return concept, history


def train_controlnet(controlnet: nn.Module, X: torch.Tensor, C: torch.Tensor, alpha_bar, config: FitConfig,
                     generator: torch.Generator, progress: bool = True) -> History:
    """Train a :class:`coursekit.models.denoiser_control.ControlNet` with the diffusion loss on pairs (x₀, c).

    Defined in :ref:`sec-diffusion-personalise` (Eq. :eq:`eq-diffusion-controlnet`).

    Parameters
    ----------
    controlnet : ControlNet
        Its base stays frozen; the copy and the zero layers learn.
    X : (B, D) Tensor
        Clean examples.
    C : (B, control_dim) Tensor
        The control signal of each example (computed from it, as an edge map is computed from a photo).
    alpha_bar : (T,) array_like
    config : FitConfig
    generator : torch.Generator
    progress : bool

    Returns
    -------
    History

    Examples
    --------
    >>> from coursekit.models.denoiser import Denoiser, DenoiserConfig
    >>> from coursekit.models.denoiser_control import ControlNet
    >>> g = torch.Generator().manual_seed(0)
    >>> net = ControlNet(Denoiser(DenoiserConfig(hidden=8, depth=1, T=10)))
    >>> X = torch.randn(16, 2, generator=g)
    >>> h = train_controlnet(net, X, X / X.norm(dim=1, keepdim=True), np.linspace(0.9, 0.1, 10),
    ...                      FitConfig(epochs=2, batch_size=8), g, progress=False)
    >>> len(h.loss)
    2
    """
    check_shape(X, "B D", "X")
    check_shape(C, "B C", "C", B=len(X))
    check_generator(generator)
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
    noise = child_generator(generator)

    def loss_fn(m, batch):
        x0, c = batch
        t = torch.randint(0, len(alpha_bar), (len(x0),), generator=noise)
        return diffusion_loss(lambda x, s: m(x, s, c), x0, t, torch.randn(x0.shape, generator=noise), alpha_bar)

    return fit(controlnet, loss_fn, (X, C), config, generator, progress=progress, desc="ControlNet")
