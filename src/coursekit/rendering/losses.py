"""Photometric losses of 3D Gaussian Splatting: a differentiable SSIM and (1 − λ) L1 + λ D-SSIM.

Chapter 9 (3D Gaussian Splatting). The SSIM uses an 11 × 11 Gaussian window (σ = 1.5) over the valid
region, the convention of ``skimage.metrics.structural_similarity(gaussian_weights=True,
use_sample_covariance=False)``, which the tests use as the oracle.

References
----------
Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image quality assessment: from error visibility to
structural similarity", IEEE TIP 2004.
B. Kerbl et al., "3D Gaussian Splatting for Real-Time Radiance Field Rendering", SIGGRAPH 2023, sec. 7.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from coursekit.core.validation import check_fraction, check_shape

__all__ = ["ssim_torch", "splat_loss"]


def _window(dtype, sigma: float = 1.5, truncate: float = 3.5) -> torch.Tensor:
    r = int(truncate * sigma + 0.5)
    x = torch.arange(-r, r + 1, dtype=dtype)
    g = torch.exp(-0.5 * (x / sigma) ** 2)
    return g / g.sum()                                                      # (11,)


def ssim_torch(a: torch.Tensor, b: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Mean SSIM of two colour images with a Gaussian window (σ = 1.5), differentiable.

    Defined in :ref:`sec-gs-training` (Eq. :eq:`eq-gs-loss`).

    Parameters
    ----------
    a, b : (H, W, 3) Tensor of float
        Images of the same shape, H and W at least 11.
    data_range : float
        L in ``C1 = (0.01 L)²``, ``C2 = (0.03 L)²``.

    Returns
    -------
    () Tensor
        Mean over channels and the valid window positions; 1 for identical images.

    Examples
    --------
    >>> a = torch.rand(16, 16, 3, generator=torch.Generator().manual_seed(0))
    >>> float(ssim_torch(a, a))
    1.0
    """
    check_shape(a, "H W 3", "a")
    check_shape(b, "H W 3", "b", H=a.shape[0], W=a.shape[1])
    if min(a.shape[:2]) < 11:
        raise ValueError(f"SSIM needs images of at least 11 x 11 pixels, got {tuple(a.shape[:2])}.")
    g = _window(a.dtype)
    k = (g[:, None] * g[None, :]).expand(3, 1, -1, -1)                      # (3, 1, 11, 11)
    x = torch.stack([a, b, a * a, b * b, a * b]).permute(0, 3, 1, 2).reshape(1, 15, *a.shape[:2])
    m = F.conv2d(x, k.repeat(5, 1, 1, 1), groups=15).reshape(5, 3, *[s - 10 for s in a.shape[:2]])
    mu_a, mu_b = m[0], m[1]
    var_a, var_b, cov = m[2] - mu_a**2, m[3] - mu_b**2, m[4] - mu_a * mu_b
    C1, C2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = (2 * mu_a * mu_b + C1) * (2 * cov + C2) / ((mu_a**2 + mu_b**2 + C1) * (var_a + var_b + C2))
    return s.mean()


def splat_loss(render: torch.Tensor, target: torch.Tensor, lam: float = 0.2) -> torch.Tensor:
    """The 3DGS photometric loss ``(1 − λ) L1 + λ (1 − SSIM)``, with λ = 0.2 by default.

    Defined in :ref:`sec-gs-training` (Eq. :eq:`eq-gs-loss`).

    Parameters
    ----------
    render, target : (H, W, 3) Tensor of float
    lam : float
        λ in [0, 1]: weight of the D-SSIM term.

    Returns
    -------
    () Tensor

    Examples
    --------
    >>> x = torch.rand(12, 12, 3, generator=torch.Generator().manual_seed(0))
    >>> float(splat_loss(x, x))
    0.0
    """
    lam = check_fraction(lam, "lam")
    l1 = (render - target).abs().mean()
    return (1 - lam) * l1 + lam * (1 - ssim_torch(render, target))
