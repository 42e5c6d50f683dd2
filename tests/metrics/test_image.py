"""Tests of the Gaussian-window SSIM in coursekit.metrics.image against scikit-image (Chapter 2, SSIM).

The oracle is ``skimage.metrics.structural_similarity(..., gaussian_weights=True, sigma=1.5,
use_sample_covariance=False)``: Wang et al.'s setting, which :func:`ssim_gaussian` implements."""

import numpy as np
import pytest
from skimage import data
from skimage.metrics import structural_similarity

from coursekit.data import add_gaussian_noise
from coursekit.image.filters import gaussian_blur
from coursekit.metrics.image import psnr, ssim, ssim_gaussian, ssim_map

SETTINGS = dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False)


def _pairs():
    rng = np.random.default_rng(0)
    cam, coins = data.camera(), data.coins()
    yield "camera + noise 20", cam, add_gaussian_noise(cam, 20.0, rng), 255.0
    yield "coins, blurred", coins, np.clip(np.rint(gaussian_blur(coins, 2.0)), 0, 255).astype(np.uint8), 255.0
    yield "camera in [0, 1], brighter", cam / 255.0, np.clip(cam / 255.0 + 0.1, 0, 1), 1.0
    yield "random 20x30 pair", rng.random((20, 30)), rng.random((20, 30)), 1.0
    yield "random 11x11 (window = image)", rng.random((11, 11)), rng.random((11, 11)), 1.0


@pytest.mark.parametrize("name, a, b, R", list(_pairs()), ids=[p[0] for p in _pairs()])
def test_ssim_gaussian_equals_skimage_gaussian_weights(name, a, b, R):
    ref = structural_similarity(a, b, data_range=R, **SETTINGS)
    # same window (11 taps, sigma 1.5, SciPy's reflect border), same population statistics, same cropping:
    # equal to float64 rounding
    assert ssim_gaussian(a, b, R) == pytest.approx(ref, abs=1e-12)


def test_ssim_map_equals_skimage_full_map():
    rng = np.random.default_rng(1)
    a = data.camera()[100:200, 150:260]
    b = add_gaussian_noise(a, 15.0, rng)
    _, full = structural_similarity(a, b, data_range=255, full=True, **SETTINGS)
    np.testing.assert_allclose(ssim_map(a, b), full, rtol=0, atol=1e-12)


def test_colour_ssim_averages_the_channels_as_skimage_channel_axis():
    rng = np.random.default_rng(2)
    a = data.astronaut()[::2, ::2]
    b = add_gaussian_noise(a, 10.0, rng)
    ref = structural_similarity(a, b, data_range=255, channel_axis=-1, **SETTINGS)
    assert ssim_gaussian(a, b) == pytest.approx(ref, abs=1e-12)


def test_other_sigmas_match_skimage():
    rng = np.random.default_rng(3)
    a, b = rng.random((40, 50)), rng.random((40, 50))
    for sigma in (0.8, 2.5):
        ref = structural_similarity(a, b, data_range=1.0, gaussian_weights=True, sigma=sigma,
                                    use_sample_covariance=False)
        assert ssim_gaussian(a, b, 1.0, sigma) == pytest.approx(ref, abs=1e-12)


def test_ssim_is_one_for_identical_images_and_symmetric():
    cam = data.camera()
    noisy = add_gaussian_noise(cam, 10.0, np.random.default_rng(4))
    assert ssim_gaussian(cam, cam) == 1.0
    assert ssim_gaussian(cam, noisy) == pytest.approx(ssim_gaussian(noisy, cam), abs=1e-15)


def test_ssim_tells_brightening_from_noise_where_psnr_cannot():
    # Chapter 1's example: a brightening and a noise of the same MSE have the same PSNR, but SSIM keeps
    # the brightened image close to 1 (structure intact) and drops for the noisy one
    cam = data.camera()
    brighter = np.clip(cam.astype(float) + 10, 0, 255).astype(np.uint8)
    mse = np.mean((cam.astype(float) - brighter) ** 2)
    noisy = add_gaussian_noise(cam, np.sqrt(mse), np.random.default_rng(5))
    assert abs(psnr(cam, brighter) - psnr(cam, noisy)) < 0.5
    assert ssim_gaussian(cam, brighter) > 0.95 > 0.85 > ssim_gaussian(cam, noisy)


def test_uniform_window_ssim_is_unchanged_and_differs_from_the_gaussian_one():
    # ssim (uniform 7x7, sample statistics: skimage's default) serves the saliency chapter and stays as it was
    rng = np.random.default_rng(6)
    a, b = rng.random((30, 30)), rng.random((30, 30))
    assert ssim(a, b) == pytest.approx(structural_similarity(a, b, data_range=1.0), abs=1e-12)
    assert abs(ssim(a, b) - ssim_gaussian(a, b, 1.0)) > 1e-3


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="data_range"):
        ssim_gaussian(np.zeros((20, 20)), np.zeros((20, 20)))
    with pytest.raises(ValueError, match="same shape"):
        ssim_gaussian(np.zeros((20, 20), np.uint8), np.zeros((20, 21), np.uint8))
    with pytest.raises(ValueError, match="window"):
        ssim_gaussian(np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match="sigma"):
        ssim_gaussian(np.zeros((20, 20), np.uint8), np.zeros((20, 20), np.uint8), sigma=0)
