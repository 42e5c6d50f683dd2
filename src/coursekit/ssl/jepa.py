"""A toy I-JEPA: predict the *features* a slow target encoder gives hidden blocks, from the visible context.

Chapter 13 (Self-supervised learning: DINO, MAE, JEPA). Unlike MAE the loss lives in latent space: the context
encoder sees the context patches, a predictor fills in the target positions, and the regression target is the EMA
target encoder's (layer-normalised) features of those positions, computed without gradient — the stop-gradient
that, with the EMA, keeps the two encoders from collapsing together.

References
----------
M. Assran et al., "Self-supervised learning from images with a joint-embedding predictive architecture",
CVPR 2023 (I-JEPA).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_generator, check_int, check_shape
from coursekit.layers.patches import patchify
from coursekit.layers.transformer import TransformerEncoder
from coursekit.ssl.dino import ema_teacher_
from coursekit.ssl.mae import MAEConfig, TinyViTEncoder, gather_tokens

__all__ = ["block_target_ids", "jepa_loss", "JEPA"]


def block_target_ids(batch: int, side: int, block: int, generator: torch.Generator):
    """One random square block of ``block``×``block`` patches per image as the target; the rest is context.

    Defined in :ref:`sec-jepa`.

    Parameters
    ----------
    batch : int
        B.
    side : int
        The patch grid is side × side.
    block : int
        Side of the square target block, < side.
    generator : torch.Generator
        Draws each block's top-left corner.

    Returns
    -------
    target_ids : (B, block²) int64 Tensor
        Raster indices of the target patches.
    context_ids : (B, side² - block²) int64 Tensor
        The other patches, in increasing order.

    Examples
    --------
    >>> t, c = block_target_ids(1, 4, 2, torch.Generator().manual_seed(0))
    >>> t.shape, c.shape
    (torch.Size([1, 4]), torch.Size([1, 12]))
    """
    B, S, K = check_int(batch, "batch"), check_int(side, "side"), check_int(block, "block")
    if K >= S:
        raise ValueError(f"block = {K} must be smaller than the grid side {S}.")
    g = check_generator(generator)
    top = torch.randint(0, S - K + 1, (B,), generator=g)
    left = torch.randint(0, S - K + 1, (B,), generator=g)
    r, c = torch.meshgrid(torch.arange(K), torch.arange(K), indexing="ij")
    target = (top[:, None] + r.reshape(1, -1)) * S + left[:, None] + c.reshape(1, -1)   # (B, K²)
    is_target = torch.zeros(B, S * S, dtype=torch.bool).scatter_(1, target, True)
    context = torch.arange(S * S).expand(B, -1)[~is_target].reshape(B, S * S - K * K)
    return target, context


def jepa_loss(predicted: torch.Tensor, target_features: torch.Tensor) -> torch.Tensor:
    """Latent regression: mean over target tokens of ‖ŝ - sg(LN(s))‖² / D, the target detached.

    Defined in :ref:`sec-jepa`.

    Parameters
    ----------
    predicted : (B, M, D) Tensor
        The predictor's outputs at the M target positions.
    target_features : (B, M, D) Tensor
        The target encoder's features there (layer-normalised and detached here).

    Returns
    -------
    () Tensor

    Examples
    --------
    >>> round(float(jepa_loss(torch.zeros(1, 2, 4), torch.tensor([[[1.0, -1, 1, -1], [2.0, -2, 2, -2]]]))), 4)
    1.0
    """
    B, M, D = check_shape(predicted, "B M D", "predicted").values()
    check_shape(target_features, "B M D", "target_features", B=B, M=M, D=D)
    target = F.layer_norm(target_features.detach(), (D,))                      # stop-gradient
    return ((predicted - target) ** 2).mean()


class JEPA(nn.Module):
    """Context encoder, EMA target encoder and a narrow predictor on patch tokens.

    Defined in :ref:`sec-jepa`.

    Parameters
    ----------
    config : MAEConfig, optional
        Sizes of the encoders (``mask_ratio`` and ``norm_pix`` are unused).
    block : int
        Side, in patches, of the square target block.
    generator : torch.Generator, optional
        Initial weights.

    Notes
    -----
    ``forward(images, generator)`` returns the loss; call :meth:`step_target` after each optimiser step.

    Examples
    --------
    >>> m = JEPA(MAEConfig(), generator=torch.Generator().manual_seed(0))
    >>> m(torch.zeros(2, 1, 28, 28), torch.Generator().manual_seed(1)).shape
    torch.Size([])
    """

    def __init__(self, config: MAEConfig | None = None, block: int = 2, generator: torch.Generator | None = None):
        super().__init__()
        c = self.config = config or MAEConfig()
        self.side = c.image_size // c.patch_size
        self.block = check_int(block, "block")
        n, pd = self.side ** 2, c.channels * c.patch_size ** 2
        self.context_encoder = TinyViTEncoder(n, pd, c.dim, c.depth, c.heads, c.n_registers, generator)
        self.target_encoder = copy.deepcopy(self.context_encoder).requires_grad_(False)
        self.query = nn.Parameter(torch.zeros(c.dim))
        self.predictor = TransformerEncoder(1, c.dim, c.heads, 2 * c.dim, norm_first=True, activation="gelu",
                                            generator=generator)

    def forward(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """``images`` (B, C, H, W) → the scalar latent-prediction loss for one random target block per image."""
        c = self.config
        check_shape(images, "B C H W", "images", C=c.channels, H=c.image_size, W=c.image_size)
        patches = patchify(images, c.patch_size)                                # (B, N, P)
        target_ids, context_ids = block_target_ids(len(images), self.side, self.block, generator)
        with torch.no_grad():
            s_y = gather_tokens(self.target_encoder(patches), target_ids)       # (B, M, D) full image, then pick
        s_x = self.context_encoder(patches, context_ids)                        # (B, N - M, D)
        pos = self.context_encoder.pos[target_ids]                              # (B, M, D)
        queries = self.query + pos                                              # mask tokens at target positions
        out = self.predictor(torch.cat([s_x, queries], dim=1))                  # (B, N, D)
        return jepa_loss(out[:, s_x.shape[1]:], s_y)

    @torch.no_grad()
    def step_target(self, momentum: float = 0.996) -> None:
        """EMA of the target encoder towards the context encoder."""
        ema_teacher_(self.target_encoder, self.context_encoder, momentum)
