"""Masked autoencoders: hide 75% of the patches, encode the visible rest, reconstruct the hidden pixels.

Chapter 13 (Self-supervised learning: DINO, MAE, JEPA). Masking is a random permutation per image: ``ids_shuffle``
sorts the patches by a uniform noise, the first ``n_keep`` are visible, and ``ids_restore`` (its inverse
permutation) puts the decoder's sequence back in raster order. The encoder sees the visible tokens only; the loss is
the mean squared error on the masked patches only, optionally against per-patch normalised pixels.

References
----------
K. He, X. Chen, S. Xie, Y. Li, P. Dollár and R. Girshick, "Masked autoencoders are scalable vision learners",
CVPR 2022.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_fraction, check_generator, check_int, check_shape
from coursekit.layers.patches import patchify, sinusoidal_2d_positional_encoding
from coursekit.layers.registers import RegisterTokens
from coursekit.layers.transformer import TransformerEncoder

__all__ = ["random_masking", "gather_tokens", "restore_order", "mae_loss", "MAEConfig", "TinyViTEncoder", "MAE"]


def random_masking(batch: int, n_tokens: int, mask_ratio: float, generator: torch.Generator):
    """Per-sample random masking by sorting noise: exactly round(r·N) patches hidden in every image.

    Defined in :ref:`sec-mae-masking`.

    Parameters
    ----------
    batch, n_tokens : int
        B and N.
    mask_ratio : float
        r in [0, 1); 0.75 in the paper.
    generator : torch.Generator
        Draws the noise.

    Returns
    -------
    ids_shuffle : (B, N) int64 Tensor
        A random permutation of 0..N-1 per row; the first N_keep entries are the visible patches.
    ids_restore : (B, N) int64 Tensor
        Its inverse: ``ids_shuffle.gather(1, ids_restore) == arange(N)``.
    mask : (B, N) float Tensor
        1 on hidden patches, 0 on visible ones, in raster order.

    Examples
    --------
    >>> s, r, m = random_masking(2, 16, 0.75, torch.Generator().manual_seed(0))
    >>> m.sum(1).tolist()
    [12.0, 12.0]
    """
    B, N = check_int(batch, "batch"), check_int(n_tokens, "n_tokens")
    r = check_fraction(mask_ratio, "mask_ratio")
    n_keep = N - int(round(r * N))
    if n_keep < 1:
        raise ValueError(f"mask_ratio = {r} hides all {N} patches; keep at least one.")
    noise = torch.rand(B, N, generator=check_generator(generator))             # (B, N)
    ids_shuffle = noise.argsort(dim=1)                                          # (B, N) small noise = kept
    ids_restore = ids_shuffle.argsort(dim=1)                                    # (B, N) inverse permutation
    mask = torch.ones(B, N)
    mask[:, :n_keep] = 0                                                        # in shuffled order
    return ids_shuffle, ids_restore, mask.gather(1, ids_restore)                # mask in raster order


def gather_tokens(x: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Select tokens per sample: ``out[b, i] = x[b, ids[b, i]]``, (B, N, D) × (B, M) → (B, M, D).

    Defined in :ref:`sec-mae-masking`.

    Parameters
    ----------
    x : (B, N, D) Tensor
    ids : (B, M) integer Tensor
        Indices into the N tokens of each sample.

    Returns
    -------
    (B, M, D) Tensor

    Examples
    --------
    >>> gather_tokens(torch.arange(6.0).reshape(1, 3, 2), torch.tensor([[2, 0]])).tolist()
    [[[4.0, 5.0], [0.0, 1.0]]]
    """
    B, _, D = check_shape(x, "B N D", "x").values()
    check_shape(ids, "B M", "ids", B=B)
    return x.gather(1, ids.long().unsqueeze(-1).expand(-1, -1, D))             # (B, M, D)


def restore_order(x_shuffled: torch.Tensor, ids_restore: torch.Tensor) -> torch.Tensor:
    """Un-shuffle a full sequence back to raster order (the decoder's input): (B, N, D) → (B, N, D).

    Defined in :ref:`sec-mae-masking`.

    Parameters
    ----------
    x_shuffled : (B, N, D) Tensor
        Tokens in shuffled order (visible first, then mask tokens).
    ids_restore : (B, N) integer Tensor
        From :func:`random_masking`.

    Returns
    -------
    (B, N, D) Tensor
        Tokens in raster order.

    Examples
    --------
    >>> ids_shuffle = torch.tensor([[2, 0, 1]])
    >>> x = torch.tensor([[[2.0], [0.0], [1.0]]])              # tokens in shuffled order
    >>> restore_order(x, ids_shuffle.argsort(1)).flatten().tolist()
    [0.0, 1.0, 2.0]
    """
    B, N, _ = check_shape(x_shuffled, "B N D", "x_shuffled").values()
    check_shape(ids_restore, "B N", "ids_restore", B=B, N=N)
    return gather_tokens(x_shuffled, ids_restore)


def mae_loss(pred: torch.Tensor, patches: torch.Tensor, mask: torch.Tensor, norm_pix: bool = False,
             eps: float = 1e-6) -> torch.Tensor:
    """MSE on the masked patches only: Σ_n m_n · mean_j (ŷ_nj - y_nj)² / Σ_n m_n.

    Defined in :ref:`sec-mae-loss`.

    Parameters
    ----------
    pred, patches : (B, N, P) Tensor
        Predicted and true flattened patches.
    mask : (B, N) Tensor
        1 on hidden patches (the only ones that count).
    norm_pix : bool
        Normalise every target patch by its own mean and variance (the paper's better variant).
    eps : float
        Added to the variance.

    Returns
    -------
    () Tensor

    Examples
    --------
    >>> p, y = torch.zeros(1, 2, 3), torch.ones(1, 2, 3)
    >>> float(mae_loss(p, y, torch.tensor([[1.0, 0.0]])))
    1.0
    """
    B, N, P = check_shape(pred, "B N P", "pred").values()
    check_shape(patches, "B N P", "patches", B=B, N=N, P=P)
    check_shape(mask, "B N", "mask", B=B, N=N)
    target = patches
    if norm_pix:
        mean, var = target.mean(-1, keepdim=True), target.var(-1, keepdim=True)
        target = (target - mean) / (var + eps).sqrt()
    per_patch = ((pred - target) ** 2).mean(-1)                                 # (B, N)
    if float(mask.sum()) == 0:
        raise ValueError("mask hides no patch: the loss would be 0/0.")
    return (per_patch * mask).sum() / mask.sum()


@dataclass
class MAEConfig:
    """Sizes of :class:`MAE` (a tiny ViT for 28×28 digits by default).

    Defined in :ref:`sec-mae-model`.

    Attributes
    ----------
    image_size, patch_size, channels : int
        Square images of this side, cut into patch_size × patch_size patches (N = (image_size / patch_size)²).
    dim, depth, heads : int
        The encoder's width, number of blocks and heads.
    decoder_dim, decoder_depth : int
        The (narrower, shallower) decoder.
    mask_ratio : float
        Fraction of patches hidden per image.
    n_registers : int
        Register tokens appended in the encoder (Chapter 14's ``RegisterTokens``).
    norm_pix : bool
        Normalised-pixel targets in :func:`mae_loss`.

    Examples
    --------
    >>> MAEConfig().mask_ratio
    0.75
    """

    image_size: int = 28
    patch_size: int = 7
    channels: int = 1
    dim: int = 48
    depth: int = 2
    heads: int = 4
    decoder_dim: int = 32
    decoder_depth: int = 1
    mask_ratio: float = 0.75
    n_registers: int = 0
    norm_pix: bool = False


class TinyViTEncoder(nn.Module):
    """Linear patch embedding + fixed 2-D sin-cos positions + optional registers + a Pre-LN transformer.

    Defined in :ref:`sec-mae-model`.

    Parameters
    ----------
    n_tokens : int
        N, a square number (the patch grid).
    patch_dim : int
        C·P·P.
    dim, depth, heads : int
        Width, blocks and heads of the transformer.
    n_registers : int
        Register tokens appended before the transformer and dropped after it.
    generator : torch.Generator, optional
        Initial weights of the transformer.

    Notes
    -----
    ``forward(patches, ids)`` embeds (B, N, C·P·P) patches, keeps only the tokens listed in ``ids`` (B, M)
    (all when None), runs the transformer on them and their registers, and returns (B, M, D) without the registers.

    Examples
    --------
    >>> enc = TinyViTEncoder(16, 4, 8, 1, 2, generator=torch.Generator().manual_seed(0))
    >>> enc(torch.zeros(2, 16, 4), torch.tensor([[0, 3], [5, 1]])).shape
    torch.Size([2, 2, 8])
    """

    def __init__(self, n_tokens: int, patch_dim: int, dim: int, depth: int, heads: int, n_registers: int = 0,
                 generator: torch.Generator | None = None):
        super().__init__()
        side = int(round(n_tokens ** 0.5))
        if side * side != n_tokens:
            raise ValueError(f"n_tokens must be a square grid, got {n_tokens}.")
        self.embed = nn.Linear(patch_dim, dim)
        self.register_buffer("pos", sinusoidal_2d_positional_encoding(side, side, dim).float())   # (N, D)
        self.registers = RegisterTokens(n_registers, dim) if n_registers else None
        self.blocks = TransformerEncoder(depth, dim, heads, 2 * dim, norm_first=True, activation="gelu",
                                         generator=generator)

    def forward(self, patches: torch.Tensor, ids: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N, C·P·P) patches and optional (B, M) kept indices → (B, M, D) features."""
        x = self.embed(patches) + self.pos                                     # (B, N, D)
        if ids is not None:
            x = gather_tokens(x, ids)                                           # (B, M, D) visible only
        if self.registers is None:
            return self.blocks(x)
        return self.registers.drop(self.blocks(self.registers.append(x)))       # (B, M, D)


class MAE(nn.Module):
    """A tiny masked autoencoder: ``forward(images, generator)`` → (loss, pred (B, N, P), mask (B, N)).

    Defined in :ref:`sec-mae-model`.

    Parameters
    ----------
    config : MAEConfig, optional
    generator : torch.Generator, optional
        Initial weights of the transformers.

    Examples
    --------
    >>> mae = MAE(MAEConfig(), generator=torch.Generator().manual_seed(0))
    >>> loss, pred, mask = mae(torch.zeros(2, 1, 28, 28), torch.Generator().manual_seed(1))
    >>> pred.shape, int(mask.sum())
    (torch.Size([2, 16, 49]), 24)
    """

    def __init__(self, config: MAEConfig | None = None, generator: torch.Generator | None = None):
        super().__init__()
        c = self.config = config or MAEConfig()
        self.n_tokens = (c.image_size // c.patch_size) ** 2
        patch_dim = c.channels * c.patch_size ** 2
        self.encoder = TinyViTEncoder(self.n_tokens, patch_dim, c.dim, c.depth, c.heads, c.n_registers, generator)
        self.to_decoder = nn.Linear(c.dim, c.decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(c.decoder_dim))
        side = c.image_size // c.patch_size
        self.register_buffer("dec_pos", sinusoidal_2d_positional_encoding(side, side, c.decoder_dim).float())
        self.decoder = TransformerEncoder(c.decoder_depth, c.decoder_dim, 2, 2 * c.decoder_dim, norm_first=True,
                                          activation="gelu", generator=generator)
        self.to_pixels = nn.Linear(c.decoder_dim, patch_dim)

    def forward(self, images: torch.Tensor, generator: torch.Generator):
        """``images`` (B, C, H, W) → (loss, pred (B, N, C·P·P), mask (B, N)); ``generator`` draws the mask."""
        c = self.config
        check_shape(images, "B C H W", "images", C=c.channels, H=c.image_size, W=c.image_size)
        patches = patchify(images, c.patch_size)                                # (B, N, P)
        B, N = patches.shape[:2]
        ids_shuffle, ids_restore, mask = random_masking(B, N, c.mask_ratio, generator)
        n_keep = N - int(round(c.mask_ratio * N))
        latent = self.encoder(patches, ids_shuffle[:, :n_keep])                # (B, N_keep, D)
        y = self.to_decoder(latent)                                             # (B, N_keep, Dd)
        y = torch.cat([y, self.mask_token.expand(B, N - n_keep, -1)], dim=1)    # (B, N, Dd) shuffled order
        y = restore_order(y, ids_restore) + self.dec_pos                        # (B, N, Dd) raster order
        pred = self.to_pixels(self.decoder(y))                                  # (B, N, P)
        return mae_loss(pred, patches, mask, c.norm_pix), pred, mask
