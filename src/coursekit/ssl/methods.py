"""SimCLR, MoCo and BYOL as loss functions for :func:`coursekit.training.fit`, and a collapsing objective.

Chapter 12, sections "SimCLR" to "Collapse". Each objective is a callable ``objective(model, batch)`` that
draws two random views of the images in ``batch`` (from its own generator), embeds them and returns the
loss, so the shared training loop trains all of them. MoCo and BYOL also own a momentum copy of the
model, updated by EMA at the start of every call — that is, after each optimiser step of the loop.

References
----------
- T. Chen et al., "A simple framework for contrastive learning of visual representations", ICML 2020.
- K. He et al., "Momentum contrast for unsupervised visual representation learning", CVPR 2020.
- J.-B. Grill et al., "Bootstrap your own latent", NeurIPS 2020.
- X. Chen and K. He, "Exploring simple Siamese representation learning", CVPR 2021 (what collapses).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_fraction, check_generator, check_int, check_positive
from coursekit.ssl.augment import ViewConfig, random_view
from coursekit.ssl.losses import byol_loss, moco_loss, nt_xent
from coursekit.ssl.momentum import FeatureQueue, ema_update_, momentum_copy

__all__ = ["SimCLRObjective", "AlignOnlyObjective", "MoCoObjective", "BYOLObjective"]


class _TwoViews:
    """Shared part: the view settings and the generator that draws them."""

    def __init__(self, generator: torch.Generator, views: ViewConfig | None = None):
        self.generator = check_generator(generator)
        self.views = ViewConfig() if views is None else views

    def two_views(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return random_view(x, self.generator, self.views), random_view(x, self.generator, self.views)


class SimCLRObjective(_TwoViews):
    """SimCLR: NT-Xent between the projections of two views of every image of the batch.

    Defined in :ref:`sec-ssl-simclr` (Eq. :eq:`eq-ssl-ntxent`).

    Parameters
    ----------
    generator : torch.Generator
        Draws the views.
    temperature : float
        τ of :func:`~coursekit.ssl.losses.nt_xent`.
    views : ViewConfig, optional
        Augmentation strengths.

    Examples
    --------
    >>> from coursekit.models.ssl_encoder import SSLEncoder, SSLEncoderConfig
    >>> obj = SimCLRObjective(torch.Generator().manual_seed(0))
    >>> obj(SSLEncoder(SSLEncoderConfig(channels=(4, 8))), (torch.rand(8, 1, 16, 16),)).item() > 0
    True
    """

    def __init__(self, generator: torch.Generator, temperature: float = 0.2, views: ViewConfig | None = None):
        super().__init__(generator, views)
        self.temperature = check_positive(temperature, "temperature")

    def __call__(self, model: nn.Module, batch) -> torch.Tensor:
        """NT-Xent of the projections of two fresh views of ``batch[0]`` (B, C, H, W)."""
        v1, v2 = self.two_views(batch[0])
        return nt_xent(model(v1), model(v2), self.temperature)


class AlignOnlyObjective(_TwoViews):
    """Pull the two views together and nothing else: ``mean (2 - 2 cos(z1, z2))``. It collapses.

    Defined in :ref:`sec-ssl-collapse`.

    Parameters
    ----------
    generator : torch.Generator
        Draws the views.
    views : ViewConfig, optional
        Augmentation strengths.

    Notes
    -----
    A constant encoder reaches the minimum 0, so gradient descent is free to map every image to one point:
    the negatives (SimCLR, MoCo) or the predictor with a stop-gradient (BYOL) are what prevent it.

    Examples
    --------
    >>> from coursekit.models.ssl_encoder import SSLEncoder, SSLEncoderConfig
    >>> obj = AlignOnlyObjective(torch.Generator().manual_seed(0))
    >>> 0 <= obj(SSLEncoder(SSLEncoderConfig(channels=(4, 8))), (torch.rand(8, 1, 16, 16),)).item() <= 4
    True
    """

    def __call__(self, model: nn.Module, batch) -> torch.Tensor:
        """Mean ``2 - 2 cos`` between the projections of two fresh views of ``batch[0]``."""
        v1, v2 = self.two_views(batch[0])
        return (2 - 2 * F.cosine_similarity(model(v1), model(v2), dim=1)).mean()


class MoCoObjective(_TwoViews):
    """MoCo: queries from the model, keys from its momentum copy, negatives from a FIFO queue of keys.

    Defined in :ref:`sec-ssl-moco` (Eq. :eq:`eq-ssl-moco`).

    Parameters
    ----------
    model : nn.Module
        The model that :func:`~coursekit.training.fit` will train; its momentum copy is made here.
    generator : torch.Generator
        Draws the views and the initial queue.
    queue_size : int
        K, keys kept as negatives.
    momentum : float
        m of the key encoder's EMA, in [0, 1].
    temperature : float
        τ.
    views : ViewConfig, optional
        Augmentation strengths.

    Examples
    --------
    >>> from coursekit.models.ssl_encoder import SSLEncoder, SSLEncoderConfig
    >>> net = SSLEncoder(SSLEncoderConfig(channels=(4, 8), out_dim=6))
    >>> obj = MoCoObjective(net, torch.Generator().manual_seed(0), queue_size=16)
    >>> _ = obj(net, (torch.rand(8, 1, 16, 16),)); obj.queue.ptr
    8
    """

    def __init__(self, model: nn.Module, generator: torch.Generator, queue_size: int = 256, momentum: float = 0.99,
                 temperature: float = 0.2, views: ViewConfig | None = None):
        super().__init__(generator, views)
        self.key_encoder = momentum_copy(model)
        out_dim = model.config.out_dim
        self.queue = FeatureQueue(out_dim, check_int(queue_size, "queue_size"), self.generator)
        self.momentum = check_fraction(momentum, "momentum")
        self.temperature = check_positive(temperature, "temperature")

    def __call__(self, model: nn.Module, batch) -> torch.Tensor:
        """EMA step of the key encoder, then the MoCo loss of ``batch[0]``; in training mode, enqueue the keys."""
        ema_update_(self.key_encoder, model, self.momentum)
        v1, v2 = self.two_views(batch[0])
        q = model(v1)                                                    # (N, P) with gradient
        with torch.no_grad():
            k = self.key_encoder.train(model.training)(v2)               # (N, P) no gradient
        loss = moco_loss(q, k, self.queue.keys(), self.temperature)
        if model.training:
            self.queue.enqueue(k)                                        # newest keys in, oldest out
        return loss


class BYOLObjective(_TwoViews):
    """BYOL: the online predictor regresses the target projection of the other view, symmetrised.

    Defined in :ref:`sec-ssl-byol` (Eq. :eq:`eq-ssl-byol`).

    Parameters
    ----------
    model : nn.Module
        The online network, with a ``predict`` method (``SSLEncoderConfig(predictor=True)``); the target
        network is its momentum copy (without using the predictor).
    generator : torch.Generator
        Draws the views.
    momentum : float
        τ_BYOL of the target's EMA, in [0, 1].
    views : ViewConfig, optional
        Augmentation strengths.

    Examples
    --------
    >>> from coursekit.models.ssl_encoder import SSLEncoder, SSLEncoderConfig
    >>> net = SSLEncoder(SSLEncoderConfig(channels=(4, 8), predictor=True))
    >>> obj = BYOLObjective(net, torch.Generator().manual_seed(0))
    >>> 0 <= obj(net, (torch.rand(8, 1, 16, 16),)).item() <= 8
    True
    """

    def __init__(self, model: nn.Module, generator: torch.Generator, momentum: float = 0.99,
                 views: ViewConfig | None = None):
        super().__init__(generator, views)
        if getattr(model, "predictor", None) is None or not callable(getattr(model, "predict", None)):
            raise ValueError("BYOL needs a model with a predictor (SSLEncoderConfig(predictor=True)).")
        self.target = momentum_copy(model)
        self.momentum = check_fraction(momentum, "momentum")

    def __call__(self, model: nn.Module, batch) -> torch.Tensor:
        """EMA step of the target, then BYOL's symmetrised loss of two fresh views of ``batch[0]``."""
        ema_update_(self.target, model, self.momentum)
        v1, v2 = self.two_views(batch[0])
        with torch.no_grad():
            self.target.train(model.training)
            z1, z2 = self.target(v1), self.target(v2)                    # (N, P) each, no gradient
        return byol_loss(model.predict(v1), z2) + byol_loss(model.predict(v2), z1)
