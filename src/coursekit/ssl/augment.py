"""Random views of a batch of images for self-supervised learning: crops, brightness/contrast, noise.

Chapter 12, section "Views". Contrastive learning defines "the same thing" as two random views of one
image, so the augmentations *are* the definition of what the representation must ignore. Chen et al. found
crops plus colour distortion to be the pair that matters most; our digits are grey, so colour becomes
brightness and contrast. The shifts and small rotations of Chapter 4 (:mod:`coursekit.training.augment`)
are reused as they are.

Conventions: images are ``(B, C, H, W)`` float tensors in [0, 1]; every draw comes from a
``torch.Generator`` argument.

References
----------
- T. Chen, S. Kornblith, M. Norouzi and G. Hinton, "A simple framework for contrastive learning of visual
  representations" (SimCLR), ICML 2020 — the augmentation study of its Section 3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from coursekit.core.validation import check_fraction, check_generator, check_nonnegative, check_shape
from coursekit.training.augment import random_shift_rotate

__all__ = ["crop_resize", "random_resized_crop", "brightness_contrast", "add_noise", "ViewConfig", "random_view"]


def crop_resize(x: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Cut a box out of every image and resize it to the full image size (bilinear, zero outside).

    Defined in :ref:`sec-ssl-views` (Eq. :eq:`eq-ssl-crop`).

    Parameters
    ----------
    x : (B, C, H, W) Tensor of float
        Images.
    boxes : (B, 4) Tensor
        ``(top, left, height, width)`` of each box in pixels (floats allowed; height, width > 0).

    Returns
    -------
    (B, C, H, W) Tensor
        ``out[b, :, i, j] = x[b, :, top + (i + 0.5) h / H - 0.5, left + (j + 0.5) w / W - 0.5]``, read with
        bilinear interpolation (pixel centres at integer coordinates).

    Examples
    --------
    >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> torch.allclose(crop_resize(x, torch.tensor([[0.0, 0.0, 4.0, 4.0]])), x)
    True
    """
    s = check_shape(x, "B C H W", "x")
    B, H, W = s["B"], s["H"], s["W"]
    boxes = torch.as_tensor(boxes, dtype=x.dtype)
    check_shape(boxes, "B 4", "boxes", B=B)
    top, left, h, w = boxes.unbind(1)                                   # (B,) each
    if (h <= 0).any() or (w <= 0).any():
        raise ValueError("box heights and widths must be positive.")
    # affine_grid's normalised coordinate u in [-1, 1] spans the image edges (align_corners=False):
    # pixel coordinate = (u + 1) W / 2 - 0.5. A box maps u_out to u_in = (w / W) u_out + (2 left + w) / W - 1.
    theta = torch.zeros(B, 2, 3, dtype=x.dtype)
    theta[:, 0, 0], theta[:, 0, 2] = w / W, (2 * left + w) / W - 1
    theta[:, 1, 1], theta[:, 1, 2] = h / H, (2 * top + h) / H - 1
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)    # (B, H, W, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_resized_crop(x: torch.Tensor, generator: torch.Generator, scale=(0.5, 1.0),
                        ratio=(3 / 4, 4 / 3)) -> torch.Tensor:
    """A random box of random area and aspect ratio per image, resized back to the image size.

    Defined in :ref:`sec-ssl-views` (Eq. :eq:`eq-ssl-crop`).

    Parameters
    ----------
    x : (B, C, H, W) Tensor of float
        Images.
    generator : torch.Generator
        Draws the area fraction (uniform in ``scale``), the log aspect ratio (uniform in ``log ratio``) and
        the position (uniform among the boxes inside the image).
    scale : (float, float)
        Range of the box area as a fraction of the image, ``0 < lo <= hi <= 1``.
    ratio : (float, float)
        Range of width / height, ``0 < lo <= hi``; sides are clipped to the image.

    Returns
    -------
    (B, C, H, W) Tensor

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> random_resized_crop(torch.rand(3, 1, 8, 8), g).shape
    torch.Size([3, 1, 8, 8])
    """
    check_generator(generator)
    s = check_shape(x, "B C H W", "x")
    B, H, W = s["B"], s["H"], s["W"]
    lo, hi = (check_fraction(v, "scale") for v in scale)
    rlo, rhi = (check_nonnegative(v, "ratio") for v in ratio)
    if not (0 < lo <= hi and 0 < rlo <= rhi):
        raise ValueError(f"need 0 < scale[0] <= scale[1] <= 1 and 0 < ratio[0] <= ratio[1], got {scale}, {ratio}.")
    area = lo + (hi - lo) * torch.rand(B, generator=generator, dtype=x.dtype)          # (B,) fraction
    log_r = math.log(rlo) + (math.log(rhi) - math.log(rlo)) * torch.rand(B, generator=generator, dtype=x.dtype)
    r = torch.exp(log_r)                                                                # width / height
    h = (torch.sqrt(area / r) * H).clamp(max=H)                                         # (B,) pixels
    w = (torch.sqrt(area * r) * W).clamp(max=W)
    top = (H - h) * torch.rand(B, generator=generator, dtype=x.dtype)
    left = (W - w) * torch.rand(B, generator=generator, dtype=x.dtype)
    return crop_resize(x, torch.stack([top, left, h, w], dim=1))


def brightness_contrast(x: torch.Tensor, brightness: torch.Tensor, contrast: torch.Tensor) -> torch.Tensor:
    """Scale each image's deviations from its mean by ``contrast[b]`` and add ``brightness[b]``.

    Defined in :ref:`sec-ssl-views` (Eq. :eq:`eq-ssl-jitter`).

    Parameters
    ----------
    x : (B, C, H, W) Tensor of float
        Images.
    brightness, contrast : (B,) Tensor
        Offset and gain per image.

    Returns
    -------
    (B, C, H, W) Tensor
        ``contrast[b] (x[b] - mean(x[b])) + mean(x[b]) + brightness[b]`` (not clipped).

    Examples
    --------
    >>> x = torch.tensor([0.0, 1.0]).reshape(1, 1, 1, 2)
    >>> brightness_contrast(x, torch.tensor([0.1]), torch.tensor([2.0])).flatten().tolist()
    [-0.4000000059604645, 1.600000023841858]
    """
    B = check_shape(x, "B C H W", "x")["B"]
    b = torch.as_tensor(brightness, dtype=x.dtype).reshape(-1)
    c = torch.as_tensor(contrast, dtype=x.dtype).reshape(-1)
    if b.numel() != B or c.numel() != B:
        raise ValueError(f"brightness and contrast need one value per image ({B}), got {b.numel()} and {c.numel()}.")
    mean = x.mean(dim=(1, 2, 3), keepdim=True)                          # (B, 1, 1, 1)
    return c.view(B, 1, 1, 1) * (x - mean) + mean + b.view(B, 1, 1, 1)


def add_noise(x: torch.Tensor, std: float, generator: torch.Generator) -> torch.Tensor:
    """Add independent Gaussian noise of standard deviation ``std`` to every pixel.

    Defined in :ref:`sec-ssl-views`.

    Parameters
    ----------
    x : (B, C, H, W) Tensor of float
        Images.
    std : float
        Noise level, >= 0.
    generator : torch.Generator
        Draws the noise.

    Returns
    -------
    (B, C, H, W) Tensor

    Examples
    --------
    >>> x = torch.zeros(1, 1, 2, 2)
    >>> torch.equal(add_noise(x, 0.0, torch.Generator().manual_seed(0)), x)
    True
    """
    check_shape(x, "B C H W", "x")
    std = check_nonnegative(std, "std")
    check_generator(generator)
    return x + std * torch.randn(x.shape, generator=generator, dtype=x.dtype)


@dataclass
class ViewConfig:
    """The strengths of :func:`random_view`'s augmentations.

    Defined in :ref:`sec-ssl-views`.

    Parameters
    ----------
    crop_scale : (float, float)
        Area range of the random resized crop.
    crop_ratio : (float, float)
        Aspect-ratio (width / height) range of the crop.
    max_shift : int
        Largest shift in pixels (Chapter 4's augmentation).
    max_degrees : float
        Largest rotation in degrees.
    brightness : float
        Brightness offsets are uniform in ``[-brightness, brightness]``.
    contrast : float
        Contrast gains are uniform in ``[1 - contrast, 1 + contrast]``, ``0 <= contrast < 1``.
    noise : float
        Standard deviation of the added Gaussian noise.

    Examples
    --------
    >>> ViewConfig().crop_scale
    (0.5, 1.0)
    """

    crop_scale: tuple[float, float] = (0.5, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    max_shift: int = 1
    max_degrees: float = 15.0
    brightness: float = 0.2
    contrast: float = 0.4
    noise: float = 0.05

    def __post_init__(self):
        check_nonnegative(self.brightness, "brightness")
        check_fraction(self.contrast, "contrast", 0.0, 0.999)
        check_nonnegative(self.noise, "noise")


def random_view(x: torch.Tensor, generator: torch.Generator, config: ViewConfig | None = None) -> torch.Tensor:
    """One random view of every image: crop, rotate and shift, brightness/contrast, noise, clip to [0, 1].

    Defined in :ref:`sec-ssl-views` (Eq. :eq:`eq-ssl-view`).

    Parameters
    ----------
    x : (B, C, H, W) Tensor of float
        Images in [0, 1].
    generator : torch.Generator
        The only source of randomness; two calls give two independent views.
    config : ViewConfig, optional
        Strengths (default ``ViewConfig()``).

    Returns
    -------
    (B, C, H, W) Tensor in [0, 1]

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> v = random_view(torch.rand(2, 1, 8, 8), g)
    >>> v.shape, bool(v.min() >= 0) and bool(v.max() <= 1)
    (torch.Size([2, 1, 8, 8]), True)
    """
    config = ViewConfig() if config is None else config
    if not isinstance(config, ViewConfig):
        raise ValueError(f"config must be a ViewConfig, got {type(config).__name__}.")
    B = check_shape(x, "B C H W", "x")["B"]
    v = random_resized_crop(x, generator, config.crop_scale, config.crop_ratio)
    v = random_shift_rotate(v, generator, config.max_shift, config.max_degrees)
    u = torch.rand(2, B, generator=generator, dtype=x.dtype) * 2 - 1                  # (2, B) in [-1, 1]
    v = brightness_contrast(v, config.brightness * u[0], 1 + config.contrast * u[1])
    return add_noise(v, config.noise, generator).clamp(0.0, 1.0)
