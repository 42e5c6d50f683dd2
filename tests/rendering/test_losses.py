"""Tests for coursekit.rendering.losses (Chapter 9): differentiable SSIM and the 3DGS loss."""

import pytest
import torch
from skimage.metrics import structural_similarity

from coursekit.rendering.losses import splat_loss, ssim_torch


def _pair(seed, H=32, W=28):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(H, W, 3, generator=g, dtype=torch.float64)
    b = (a + 0.3 * torch.randn(H, W, 3, generator=g, dtype=torch.float64)).clamp(0, 1)
    return a, b


@pytest.mark.parametrize("seed", range(3))
def test_ssim_equals_scikit_image_gaussian_ssim(seed):
    a, b = _pair(seed)
    ref = structural_similarity(a.numpy(), b.numpy(), gaussian_weights=True, sigma=1.5,
                                use_sample_covariance=False, data_range=1.0, channel_axis=-1)
    assert abs(float(ssim_torch(a, b)) - ref) < 1e-12   # the same sums in float64


def test_splat_loss_is_the_weighted_sum_with_lambda_0_2():
    a, b = _pair(5)
    l1 = (a - b).abs().mean()
    assert torch.isclose(splat_loss(a, b), 0.8 * l1 + 0.2 * (1 - ssim_torch(a, b)))
    assert torch.isclose(splat_loss(a, b, lam=0.0), l1)


def test_ssim_gradcheck():
    a, b = _pair(1, 12, 12)
    assert torch.autograd.gradcheck(ssim_torch, (a.requires_grad_(), b))


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="11"):
        ssim_torch(torch.zeros(8, 8, 3), torch.zeros(8, 8, 3))
    with pytest.raises(ValueError, match="b"):
        ssim_torch(torch.zeros(16, 16, 3), torch.zeros(16, 15, 3))
    with pytest.raises(ValueError, match="lam"):
        splat_loss(torch.zeros(16, 16, 3), torch.zeros(16, 16, 3), lam=2.0)
