"""Training a noise predictor with the simplified DDPM loss.

The loss ‖ε − ε̂_θ(x_t, t)‖² with uniformly drawn steps, and a small recipe around the shared loop
:func:`coursekit.training.loop.fit` (with label dropout for classifier-free guidance), plus a noisy
classifier for classifier guidance.

Used by Chapter 17 (Generative models: diffusion).

References
----------
J. Ho, A. Jain and P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020 (Eq. 14, Algorithm 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_fraction, check_generator, check_int
from coursekit.generative.forward import q_sample
from coursekit.generative.guidance import drop_labels
from coursekit.training.loop import FitConfig, History, fit

__all__ = ["child_generator", "diffusion_loss", "DiffusionTrainConfig", "train_denoiser", "train_noisy_classifier"]


def child_generator(generator: torch.Generator) -> torch.Generator:
    """A new generator seeded by one draw of ``generator``: the noise of a recipe, apart from the batch order.

    Parameters
    ----------
    generator : torch.Generator

    Returns
    -------
    torch.Generator

    Examples
    --------
    >>> a = child_generator(torch.Generator().manual_seed(0))
    >>> b = child_generator(torch.Generator().manual_seed(0))
    >>> torch.equal(torch.rand(3, generator=a), torch.rand(3, generator=b))
    True
    """
    check_generator(generator)
    return torch.Generator().manual_seed(int(torch.randint(0, 2 ** 62, (1,), generator=generator)))


def diffusion_loss(model, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor, alpha_bar,
                   y: torch.Tensor | None = None) -> torch.Tensor:
    """The simplified DDPM objective: mean of ‖ε − ε̂_θ(√ᾱ_t x₀ + √(1 − ᾱ_t) ε, t, y)‖².

    Defined in :ref:`sec-diffusion-training` (Eq. :eq:`eq-diffusion-loss`).

    Parameters
    ----------
    model : callable
        ``model(x_t, t)`` or, when ``y`` is given, ``model(x_t, t, y)``.
    x0 : (B, D) Tensor
        Clean examples.
    t : (B,) long Tensor
        0-based steps, drawn uniformly in training.
    eps : (B, D) Tensor
        The noise that makes x_t; the regression target.
    alpha_bar : (T,) array_like
    y : (B,) long Tensor, optional
        Labels (possibly dropped to ∅).

    Returns
    -------
    scalar Tensor
        Mean squared error over examples and coordinates.

    Examples
    --------
    >>> loss = diffusion_loss(lambda x, t: torch.zeros_like(x), torch.zeros(4, 2), torch.zeros(4, dtype=torch.long),
    ...                       torch.ones(4, 2), [0.5])
    >>> loss.item()
    1.0
    """
    x_t = q_sample(x0, t, alpha_bar, eps)                          # (B, D)
    eps_hat = model(x_t, t) if y is None else model(x_t, t, y)     # (B, D)
    return F.mse_loss(eps_hat, eps)


@dataclass
class DiffusionTrainConfig:
    """Settings of :func:`train_denoiser`; the defaults are the 2-D recipe of the chapter (a few seconds).

    Defined in :ref:`sec-diffusion-training`.

    Parameters
    ----------
    epochs, batch_size, lr, weight_decay, warmup_fraction :
        As in :class:`coursekit.training.loop.FitConfig` (AdamW, warmup then cosine decay).
    p_uncond : float
        Probability of replacing a label by ∅ (classifier-free guidance); ignored without labels.

    Examples
    --------
    >>> DiffusionTrainConfig(epochs=5).fit_config().epochs
    5
    """

    epochs: int = 40
    batch_size: int = 256
    lr: float = 4e-3
    weight_decay: float = 0.0
    warmup_fraction: float = 0.05
    p_uncond: float = 0.15

    def fit_config(self) -> FitConfig:
        """The :class:`FitConfig` of this run.

        Returns
        -------
        FitConfig
        """
        return FitConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                         weight_decay=self.weight_decay, warmup_fraction=self.warmup_fraction)


def _check_data(X, y):
    if not isinstance(X, torch.Tensor) or X.ndim != 2 or not X.is_floating_point():
        raise ValueError(f"X must be a (B, D) float tensor (flatten images first), got "
                         f"{getattr(X, 'dtype', type(X).__name__)} {tuple(getattr(X, 'shape', ()))}.")
    if y is not None and (not isinstance(y, torch.Tensor) or y.dtype != torch.long or y.shape != (len(X),)):
        raise ValueError(f"y must be a ({len(X)},) long tensor of labels.")


def train_denoiser(model: nn.Module, X: torch.Tensor, alpha_bar, config: DiffusionTrainConfig,
                   generator: torch.Generator, y: torch.Tensor | None = None, progress: bool = True,
                   desc: str = "diffusion training") -> History:
    """Fit a noise predictor with :func:`diffusion_loss`: t ~ U{0 … T−1}, ε ~ N(0, I), labels dropped to ∅.

    Defined in :ref:`sec-diffusion-training` (Eq. :eq:`eq-diffusion-loss`).

    Parameters
    ----------
    model : nn.Module
        Initialised, e.g. ``init_parameters_(Denoiser(config), generator)``; trained in place.
    X : (B, D) Tensor of float
        Clean training examples (scaled to about unit variance).
    alpha_bar : (T,) array_like
    config : DiffusionTrainConfig
    generator : torch.Generator
        Batch order, steps, noise and label dropout all come from it.
    y : (B,) long Tensor, optional
        Labels for a conditional model (its ``config.null_label`` is ∅).
    progress : bool
    desc : str

    Returns
    -------
    History
        From :func:`coursekit.training.loop.fit`.

    Notes
    -----
    Every epoch draws fresh (t, ε) for each example: the data set is small, but the noisy inputs never repeat.

    Examples
    --------
    >>> from coursekit.models.denoiser import Denoiser, DenoiserConfig
    >>> g = torch.Generator().manual_seed(0)
    >>> net = Denoiser(DenoiserConfig(hidden=8, depth=1, T=10))
    >>> h = train_denoiser(net, torch.randn(32, 2, generator=g), np.linspace(0.9, 0.1, 10),
    ...                    DiffusionTrainConfig(epochs=2, batch_size=16), g, progress=False)
    >>> len(h.loss)
    2
    """
    _check_data(X, y)
    if not isinstance(config, DiffusionTrainConfig):
        raise ValueError(f"config must be a DiffusionTrainConfig, got {type(config).__name__}.")
    check_fraction(config.p_uncond, "config.p_uncond")
    check_generator(generator)
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
    T = len(alpha_bar)
    noise = child_generator(generator)

    def loss_fn(m, batch):
        x0 = batch[0]                                                      # (b, D)
        t = torch.randint(0, T, (len(x0),), generator=noise)               # (b,) uniform steps
        eps = torch.randn(x0.shape, generator=noise)                       # (b, D)
        if y is None:
            return diffusion_loss(m, x0, t, eps, alpha_bar)
        labels = drop_labels(batch[1], config.p_uncond, m.config.null_label, noise)
        return diffusion_loss(m, x0, t, eps, alpha_bar, labels)

    data = (X,) if y is None else (X, y)
    return fit(model, loss_fn, data, config.fit_config(), generator, progress=progress, desc=desc)


def train_noisy_classifier(model: nn.Module, X: torch.Tensor, y: torch.Tensor, alpha_bar, config: FitConfig,
                           generator: torch.Generator, progress: bool = True) -> History:
    """Fit p_φ(y | x_t, t) by cross-entropy on noisy examples x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε at random steps.

    Defined in :ref:`sec-diffusion-classifier-guidance` (Eq. :eq:`eq-diffusion-classifier-guidance`).

    Parameters
    ----------
    model : nn.Module
        ``model(x_t, t)`` -> (B, K) logits, e.g. a :class:`coursekit.models.denoiser.Denoiser` with
        ``out_dim = K``.
    X : (B, D) Tensor
    y : (B,) long Tensor
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
    >>> g = torch.Generator().manual_seed(0)
    >>> clf = Denoiser(DenoiserConfig(hidden=8, depth=1, T=10, out_dim=3))
    >>> h = train_noisy_classifier(clf, torch.randn(30, 2, generator=g), torch.arange(30) % 3,
    ...                            np.linspace(0.9, 0.1, 10), FitConfig(epochs=1, batch_size=10), g, progress=False)
    >>> len(h.loss)
    1
    """
    _check_data(X, y)
    check_generator(generator)
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
    T = check_int(len(alpha_bar), "len(alpha_bar)")
    noise = child_generator(generator)

    def loss_fn(m, batch):
        x0, labels = batch
        t = torch.randint(0, T, (len(x0),), generator=noise)
        x_t = q_sample(x0, t, alpha_bar, torch.randn(x0.shape, generator=noise))
        return F.cross_entropy(m(x_t, t), labels)

    return fit(model, loss_fn, (X, y), config, generator, progress=progress, desc="noisy classifier")
