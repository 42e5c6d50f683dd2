"""Chapter 18: coursekit's gradient saliency, SmoothGrad and Grad-CAM equal captum's Saliency, NoiseTunnel
(SmoothGrad, with the same noise draws) and LayerGradCam on the book's CNN."""

from __future__ import annotations

import numpy as np
import pytest
import torch

captum_attr = pytest.importorskip("captum.attr")

from coursekit.explain.saliency import gradient_saliency, grad_cam, smoothgrad  # noqa: E402
from coursekit.models.small_cnn import SmallCNN, SmallCNNConfig  # noqa: E402
from coursekit.models.utils import init_parameters_  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _model(in_channels=1, dtype=torch.float64):
    """A seeded SmallCNN (eval mode: BatchNorm uses its running statistics, as our explainers do)."""
    cfg = SmallCNNConfig(channels=(4, 8), in_channels=in_channels)
    model = init_parameters_(SmallCNN(cfg), torch.Generator().manual_seed(0)).to(dtype).eval()
    return model


def _images(B, C, dtype=torch.float64, seed=1):
    return torch.rand(B, C, 12, 12, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.mark.parametrize("channels", [1, 3])
def test_gradient_saliency_equals_captum_saliency(channels):
    model, x = _model(channels), _images(5, channels).requires_grad_(True)   # captum wants a leaf needing grad
    target = torch.tensor([0, 3, 9, 2, 2])
    ours = gradient_saliency(model, x, target)
    theirs = captum_attr.Saliency(model).attribute(x, target=target, abs=True)   # (B, C, H, W) |∂y_c/∂x|
    # float64 and the same single backward pass: only summation order can differ.
    np.testing.assert_allclose(ours, theirs.amax(dim=1).numpy(), rtol=1e-12, atol=1e-15,
                               err_msg="saliency differs from captum.attr.Saliency (max over channels of |grad|)")


@pytest.mark.parametrize("channels", [1, 3])
def test_smoothgrad_equals_captum_noise_tunnel_with_matched_noise(channels):
    """captum draws its noise from torch's global generator as ``torch.normal(0, σ)`` of shape (B·n, C, H, W);
    for one image that is the same stream as our ``torch.randn((n, 1, C, H, W), generator)`` seeded alike.
    NoiseTunnel averages Saliency(abs=False), i.e. the mean gradient; we take |mean| and the channel max."""
    model = _model(channels, torch.float32)
    x = _images(3, channels, torch.float32)
    n, level = 16, 0.2
    for b in range(3):
        xb = x[b:b + 1].clone().requires_grad_(True)
        c = int(model(xb).argmax(1))
        ours = smoothgrad(model, xb, torch.Generator().manual_seed(100 + b), target=c, n_samples=n,
                          noise_level=level)
        sigma = float(level * (x[b].max() - x[b].min()))
        state = torch.random.get_rng_state()
        try:
            torch.manual_seed(100 + b)
            nt = captum_attr.NoiseTunnel(captum_attr.Saliency(model))
            theirs = nt.attribute(xb, nt_type="smoothgrad", nt_samples=n, stdevs=sigma, target=c, abs=False)
        finally:
            torch.random.set_rng_state(state)
        # float32: the same noise and gradients, summed in another order; 1e-5 of the map's scale.
        want = theirs.abs().amax(dim=1).double().numpy()
        np.testing.assert_allclose(ours, want, rtol=1e-4, atol=1e-5 * want.max(),
                                   err_msg=f"image {b}: SmoothGrad differs from captum's NoiseTunnel")


def test_smoothgrad_with_other_noise_differs_from_captum():
    """The matched-noise test can fail: with another seed the maps differ (the oracle is not trivially met)."""
    model, xb = _model(1, torch.float32), _images(1, 1, torch.float32).requires_grad_(True)
    c = int(model(xb).argmax(1))
    ours = smoothgrad(model, xb, torch.Generator().manual_seed(5), target=c, n_samples=4, noise_level=0.2)
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(6)
        theirs = captum_attr.NoiseTunnel(captum_attr.Saliency(model)).attribute(
            xb, nt_type="smoothgrad", nt_samples=4, stdevs=float(0.2 * (xb.detach().max() - xb.detach().min())), target=c)
    finally:
        torch.random.set_rng_state(state)
    assert not np.allclose(ours, theirs.abs().amax(dim=1).numpy(), rtol=1e-3)


@pytest.mark.parametrize("channels", [1, 3])
def test_grad_cam_equals_captum_layer_grad_cam(channels):
    model, x = _model(channels), _images(6, channels)
    target = torch.tensor([1, 4, 7, 0, 5, 9])
    ours = grad_cam(model, x, model.features, target, normalize=False)           # (B, h, w)
    theirs = captum_attr.LayerGradCam(model, model.features).attribute(x, target=target, relu_attributions=True)
    # float64: same activations and gradients; α_k means and the channel sum in another order.
    np.testing.assert_allclose(ours, theirs[:, 0].detach().numpy(), rtol=1e-10, atol=1e-14,
                               err_msg="Grad-CAM differs from captum.attr.LayerGradCam(relu_attributions=True)")
    assert ours.max() > 0                                                       # not an all-zero comparison
