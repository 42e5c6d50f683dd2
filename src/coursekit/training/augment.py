"""Data augmentation on image tensors: random shifts and small rotations, drawn per image.

Chapter 4 (CNNs), section "Data augmentation". A label that does not change when the image moves a pixel
or turns a little should not change in the training set either: drawing such transformations afresh for
every batch shows the network many versions of each image and costs nothing at test time. Convolutions
are already equivariant to shifts on the grid (the chapter's equivariance section), so shifts mostly teach
robustness at the borders and to the pooling grid; rotations teach something convolutions cannot.

Conventions (CONTRIBUTING.md): images are ``(B, C, H, W)`` float tensors; every draw comes from the
``generator`` argument; the transforms fill what enters from outside the image with zeros (the digits'
background). A positive angle turns the image counter-clockwise as displayed (rows pointing down), as
``scipy.ndimage.rotate`` and ``torchvision``'s ``rotate`` do.

References
----------
- P. Y. Simard, D. Steinkraus and J. C. Platt, "Best practices for convolutional neural networks applied to
  visual document analysis", ICDAR 2003 (elastic and affine distortions of digits).
- A. Krizhevsky, I. Sutskever and G. E. Hinton, "ImageNet classification with deep convolutional neural
  networks", NeurIPS 2012 (crops and flips against overfitting).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from coursekit.core.validation import check_generator, check_int, check_nonnegative, check_shape

__all__ = ["shift_images", "rotate_images", "random_shift_rotate"]


def shift_images(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """Move each image by whole pixels, ``(dy[b], dx[b])`` down and right, filling with zeros.

    Defined in :ref:`sec-augmentation` (Eq. :eq:`eq-augment-shift`).

    Parameters
    ----------
    x : (B, C, H, W) Tensor
        Images.
    dy, dx : (B,) Tensor of int
        Shifts in pixels, any sign; ``|dy| < H`` and ``|dx| < W``.

    Returns
    -------
    (B, C, H, W) Tensor
        ``out[b, :, i, j] = x[b, :, i - dy[b], j - dx[b]]`` where that pixel exists, 0 elsewhere.

    Examples
    --------
    >>> x = torch.arange(9.0).reshape(1, 1, 3, 3)
    >>> shift_images(x, torch.tensor([1]), torch.tensor([-1]))[0, 0].tolist()
    [[0.0, 0.0, 0.0], [1.0, 2.0, 0.0], [4.0, 5.0, 0.0]]
    """
    s = check_shape(x, "B C H W", "x")
    B, H, W = s["B"], s["H"], s["W"]
    dy, dx = torch.as_tensor(dy).long().reshape(-1), torch.as_tensor(dx).long().reshape(-1)
    if dy.numel() != B or dx.numel() != B:
        raise ValueError(f"dy and dx need one shift per image ({B}), got {dy.numel()} and {dx.numel()}.")
    if (dy.abs() >= H).any() or (dx.abs() >= W).any():
        raise ValueError(f"shifts must be smaller than the image ({H}×{W}).")
    rows = torch.arange(H).view(1, H, 1) - dy.view(B, 1, 1)          # (B, H, 1) source row of each output row
    cols = torch.arange(W).view(1, 1, W) - dx.view(B, 1, 1)          # (B, 1, W) source column
    inside = (rows >= 0) & (rows < H) & (cols >= 0) & (cols < W)     # (B, H, W)
    flat = (rows.clamp(0, H - 1) * W + cols.clamp(0, W - 1)).view(B, 1, H * W).expand(-1, x.shape[1], -1)
    out = torch.gather(x.reshape(B, x.shape[1], H * W), 2, flat).view_as(x)   # (B, C, H, W)
    return out * inside.unsqueeze(1).to(x.dtype)


def rotate_images(x: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Turn each image about its centre by ``degrees[b]`` (counter-clockwise as displayed), bilinear, zero fill.

    Defined in :ref:`sec-augmentation` (Eq. :eq:`eq-augment-rotation`).

    Parameters
    ----------
    x : (B, C, H, W) Tensor of float
        Images.
    degrees : (B,) Tensor
        Angles in degrees.

    Returns
    -------
    (B, C, H, W) Tensor
        Inverse warping (Chapter 2): each output pixel samples the input at the point the inverse rotation
        sends it to, with bilinear interpolation; points outside the image read 0.

    Examples
    --------
    >>> x = torch.zeros(1, 1, 3, 3); x[0, 0, 0, 1] = 1.0                  # a dot above the centre
    >>> rotate_images(x, torch.tensor([90.0]))[0, 0].round().tolist()     # turns to the left of it
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    s = check_shape(x, "B C H W", "x")
    B, H, W = s["B"], s["H"], s["W"]
    theta = torch.as_tensor(degrees, dtype=x.dtype).reshape(-1) * (math.pi / 180.0)
    if theta.numel() != B:
        raise ValueError(f"degrees needs one angle per image ({B}), got {theta.numel()}.")
    c, s_ = torch.cos(theta), torch.sin(theta)
    # affine_grid maps output coordinates (u, v) in [-1, 1] (u right, v down) to input coordinates.
    # Turning the picture counter-clockwise by θ on screen (v pointing down) means reading the input at
    # R(θ) applied to (u, v) in these axes: u_in = c u - s v, v_in = s u + c v, with the aspect ratio kept.
    a = torch.zeros(B, 2, 3, dtype=x.dtype)
    a[:, 0, 0], a[:, 0, 1] = c, -s_ * H / W
    a[:, 1, 0], a[:, 1, 1] = s_ * W / H, c
    grid = F.affine_grid(a, list(x.shape), align_corners=False)      # (B, H, W, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_shift_rotate(x: torch.Tensor, generator: torch.Generator, max_shift: int = 1,
                        max_degrees: float = 15.0) -> torch.Tensor:
    """A fresh random shift and rotation for every image: the augmentation of Chapter 4's digits.

    Defined in :ref:`sec-augmentation`.

    Parameters
    ----------
    x : (B, C, H, W) Tensor of float
        A batch of training images.
    generator : torch.Generator
        Draws the shifts (uniform integers in ``[-max_shift, max_shift]``) and the angles (uniform in
        ``[-max_degrees, max_degrees]``).
    max_shift : int
        Largest shift in pixels, >= 0.
    max_degrees : float
        Largest rotation in degrees, >= 0.

    Returns
    -------
    (B, C, H, W) Tensor
        The batch, rotated then shifted.

    Examples
    --------
    >>> x = torch.rand(4, 1, 8, 8)
    >>> random_shift_rotate(x, torch.Generator().manual_seed(0)).shape
    torch.Size([4, 1, 8, 8])
    >>> torch.allclose(random_shift_rotate(x, torch.Generator().manual_seed(0), 0, 0.0), x, atol=1e-6)
    True
    """
    check_generator(generator)
    max_shift = check_int(max_shift, "max_shift", 0)
    max_degrees = check_nonnegative(max_degrees, "max_degrees")
    B = check_shape(x, "B C H W", "x")["B"]
    angles = (torch.rand(B, generator=generator) * 2 - 1) * max_degrees          # (B,)
    shifts = torch.randint(-max_shift, max_shift + 1, (2, B), generator=generator)  # (2, B)
    return shift_images(rotate_images(x, angles), shifts[0], shifts[1])
