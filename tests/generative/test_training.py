"""Training targets of Chapter 17, with the chapter's own recipes: on eight Gaussians the DDPM samples match the
data (MMD² below 0.005 at bandwidth 0.2, ≥ 90% within 3σ of a mode), σ_t = β_t visibly fails; classifier guidance
steers an unconditional model; a ControlNet steers the frozen 2-D model; on 8×8 digits, classifier-free-guided
samples are recognised as the requested digit by the Chapter 4 CNN ≥ 80% of the time, and textual inversion
finds a vector for fives (≥ 70% read as 5).
The diffusion loss itself is checked against a hand-written MSE."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.data.digits import load_digits_split
from coursekit.generative.guidance import cfg_model, classifier_guided_model
from coursekit.generative.personalise import textual_inversion, train_controlnet
from coursekit.generative.samplers import ddim_sample, ddpm_sample, ddpm_step
from coursekit.generative.schedules import alpha_bars, linear_betas
from coursekit.generative.training import (
    DiffusionTrainConfig,
    diffusion_loss,
    train_denoiser,
    train_noisy_classifier,
)
from coursekit.layers.init import init_parameters_
from coursekit.metrics.generative import mmd_rbf
from coursekit.models.denoiser import Denoiser, DenoiserConfig
from coursekit.models.denoiser_control import ControlNet
from coursekit.training.digits import DigitsConfig, accuracy, train_digits
from coursekit.training.loop import FitConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")

BETAS = linear_betas(1000)
AB = alpha_bars(BETAS)
CENTRES = 2.0 * np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], 1)   # (8, 2)


def eight_gaussians(n, seed):
    """The chapter's data with labels: coursekit.data's eight_gaussians draws the same mixture without them."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, 8, n)
    return CENTRES[k] + 0.1 * rng.standard_normal((n, 2)), k


def near_mode(S, which=None):
    d = np.linalg.norm(S[:, None] - CENTRES[None], axis=2)              # (N, 8)
    return float((d.min(1) < 0.3).mean() if which is None else (d[:, which] < 0.3).mean())


def test_diffusion_loss_is_the_mse_of_the_noise():
    g = torch.Generator().manual_seed(0)
    net = init_parameters_(Denoiser(DenoiserConfig(hidden=8, depth=1)), g)
    x0, eps = torch.randn(2, 16, 2, generator=g)
    t = torch.randint(0, 1000, (16,), generator=g)
    ab = torch.tensor(AB, dtype=torch.float32)[t][:, None]
    expected = ((eps - net(ab.sqrt() * x0 + (1 - ab).sqrt() * eps, t)) ** 2).mean()
    torch.testing.assert_close(diffusion_loss(net, x0, t, eps, AB), expected)


@pytest.fixture(scope="module")
def toy():
    X, k = eight_gaussians(4000, 0)
    g = torch.Generator().manual_seed(0)
    net = init_parameters_(Denoiser(DenoiserConfig()), g)
    train_denoiser(net, torch.tensor(X, dtype=torch.float32), AB, DiffusionTrainConfig(), g, progress=False)
    return X, k, net


@pytest.mark.slow
def test_ddpm_samples_match_eight_gaussians(toy):
    X, _, net = toy
    S = ddpm_sample(net, (1000, 2), BETAS, torch.Generator().manual_seed(1)).numpy()
    ref, _ = eight_gaussians(1000, 9)
    noise = np.random.default_rng(3).standard_normal((1000, 2))
    assert mmd_rbf(S, ref, 0.2) < 0.005 < mmd_rbf(noise, ref, 0.2)
    assert near_mode(S) >= 0.9


@pytest.mark.slow
def test_sigma_equal_to_beta_is_worse_than_sigma_squared_equal_to_beta(toy):
    _, _, net = toy
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1000, 2, generator=g)
    with torch.no_grad():
        for t in range(999, -1, -1):
            z = torch.randn(1000, 2, generator=g) * BETAS[t] ** 0.5          # σ z = β_t z: the seed's error
            x = ddpm_step(x, t, net(x, torch.full((1000,), t)), BETAS, z if t else None)
    ref, _ = eight_gaussians(1000, 9)
    right = ddpm_sample(net, (1000, 2), BETAS, torch.Generator().manual_seed(1)).numpy()
    assert mmd_rbf(x.numpy(), ref, 0.2) > 2 * max(mmd_rbf(right, ref, 0.2), 1e-3)


@pytest.mark.slow
def test_classifier_guidance_steers_the_unconditional_model(toy):
    X, k, net = toy
    g = torch.Generator().manual_seed(1)
    clf = init_parameters_(Denoiser(DenoiserConfig(depth=1, out_dim=8)), g)
    train_noisy_classifier(clf, torch.tensor(X, dtype=torch.float32), torch.tensor(k), AB,
                           FitConfig(epochs=8, batch_size=256, lr=3e-3), g, progress=False)
    y = torch.full((500,), 2)
    S0 = ddim_sample(classifier_guided_model(net, clf, y, AB, 0.0), (500, 2), AB, 50, torch.Generator().manual_seed(2))
    S3 = ddim_sample(classifier_guided_model(net, clf, y, AB, 3.0), (500, 2), AB, 50, torch.Generator().manual_seed(2))
    assert near_mode(S0.numpy(), 2) < 0.25 and near_mode(S3.numpy(), 2) >= 0.8


@pytest.mark.slow
def test_controlnet_steers_the_frozen_model_to_the_requested_direction(toy):
    X, k, net = toy
    before = [p.clone() for p in net.parameters()]
    cn = ControlNet(net)
    direction = torch.tensor(CENTRES[k] / 2, dtype=torch.float32)       # (N, 2) unit vector of each point's mode
    train_controlnet(cn, torch.tensor(X, dtype=torch.float32), direction, AB,
                     FitConfig(epochs=12, batch_size=256, lr=1e-2), torch.Generator().manual_seed(4), progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    c = torch.tensor(CENTRES[[6]] / 2, dtype=torch.float32).repeat(500, 1)
    S = ddim_sample(lambda x, t: cn(x, t, c), (500, 2), AB, 50, torch.Generator().manual_seed(2)).numpy()
    assert near_mode(S, 6) >= 0.8


@pytest.fixture(scope="module")
def digits_model():
    d = load_digits_split(size=8)
    judge = train_digits(DigitsConfig(), d, torch.Generator().manual_seed(0), progress=False)
    X = d.X_train.reshape(len(d.X_train), 64) * 2 - 1                    # (B, 64) in [-1, 1]
    g = torch.Generator().manual_seed(0)
    net = init_parameters_(Denoiser(DenoiserConfig(dim=64, hidden=256, depth=3, fourier=0, num_classes=10)), g)
    train_denoiser(net, X, AB, DiffusionTrainConfig(epochs=60, batch_size=128, lr=2e-3, p_uncond=0.15), g,
                   y=d.y_train, progress=False)
    return d, X, judge.model, net


@pytest.mark.slow
def test_cfg_digits_are_recognised_by_the_chapter_4_cnn(digits_model):
    _, _, judge, net = digits_model
    y = torch.arange(10).repeat_interleave(20)
    rates = {}
    for w in (0.0, 3.0):
        S = ddim_sample(cfg_model(net, y, w, 10), (200, 64), AB, 30, torch.Generator().manual_seed(1))
        rates[w] = accuracy(judge, ((S.clamp(-1, 1) + 1) / 2).reshape(200, 1, 8, 8), y)
    assert rates[0.0] < 0.3                       # unconditional: about chance (10%)
    assert rates[3.0] >= 0.8


@pytest.mark.slow
def test_textual_inversion_learns_a_vector_for_fives(digits_model):
    d, X, judge, net = digits_model
    before = [p.clone() for p in net.parameters()]
    concept, _ = textual_inversion(net, X[d.y_train == 5][:20], AB, FitConfig(epochs=100, batch_size=20, lr=3e-2),
                                   torch.Generator().manual_seed(3), progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    assert all(p.requires_grad for p in net.parameters())             # restored after the fit
    images = (ddim_sample(concept, (100, 64), AB, 30, torch.Generator().manual_seed(2)).clamp(-1, 1) + 1) / 2
    assert accuracy(judge, images.reshape(100, 1, 8, 8), torch.full((100,), 5)) >= 0.7
