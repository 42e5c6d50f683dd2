"""The arithmetic of latent diffusion.

An autoencoder with downsampling factor f maps a (C, H, W) image to a (c, H/f, W/f) latent, and the
diffusion runs there, z_t = √ᾱ_t z₀ + √(1 − ᾱ_t) ε (:func:`coursekit.generative.forward.q_sample` applied
to z₀).

Used by Chapter 17 (Generative models: diffusion).

References
----------
R. Rombach, A. Blattmann, D. Lorenz, P. Esser and B. Ommer, "High-resolution image synthesis with latent
diffusion models", CVPR 2022 (f = 8, c = 4 in Stable Diffusion).
D. Podell et al., "SDXL: improving latent diffusion models for high-resolution image synthesis", ICLR 2024.
"""

from __future__ import annotations

import math

from coursekit.core.validation import check_int

__all__ = ["latent_shape", "compression_ratio"]


def _check_chw(shape, name: str) -> tuple[int, int, int]:
    if not isinstance(shape, (tuple, list)) or len(shape) != 3:
        raise ValueError(f"{name} must be a (C, H, W) tuple, got {shape!r}.")
    return tuple(check_int(s, f"{name}[{i}]") for i, s in enumerate(shape))


def latent_shape(image_shape: tuple, f: int = 8, latent_channels: int = 4) -> tuple[int, int, int]:
    """The (c, H/f, W/f) latent shape of a (C, H, W) image under an autoencoder with downsampling factor f.

    Defined in :ref:`sec-diffusion-latent` (Eq. :eq:`eq-diffusion-latent-ratio`).

    Parameters
    ----------
    image_shape : (int, int, int)
        (C, H, W); H and W must be divisible by f.
    f : int
        Spatial downsampling factor (8 in Stable Diffusion).
    latent_channels : int
        c (4 in Stable Diffusion and SDXL).

    Returns
    -------
    (int, int, int)

    Examples
    --------
    >>> latent_shape((3, 512, 512))
    (4, 64, 64)
    """
    C, H, W = _check_chw(image_shape, "image_shape")
    f = check_int(f, "f")
    c = check_int(latent_channels, "latent_channels")
    if H % f or W % f:
        raise ValueError(f"H and W must be divisible by f = {f}, got {H}×{W}.")
    return c, H // f, W // f


def compression_ratio(image_shape: tuple, latent: tuple) -> float:
    """How many times fewer values the latent has: C·H·W / (c·h·w) (= f²·C/c).

    Defined in :ref:`sec-diffusion-latent` (Eq. :eq:`eq-diffusion-latent-ratio`).

    Parameters
    ----------
    image_shape : (int, int, int)
        (C, H, W).
    latent : (int, int, int)
        (c, h, w).

    Returns
    -------
    float

    Examples
    --------
    >>> compression_ratio((3, 512, 512), (4, 64, 64))
    48.0
    """
    return math.prod(_check_chw(image_shape, "image_shape")) / math.prod(_check_chw(latent, "latent"))
