"""Latent-diffusion arithmetic (Chapter 17): Stable Diffusion's f = 8, c = 4 gives 48× fewer values, in general
f²·C/c; and the latent forward process is the closed form applied to z₀."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.generative.forward import q_sample
from coursekit.generative.latent import compression_ratio, latent_shape
from coursekit.generative.schedules import alpha_bars, linear_betas


@pytest.mark.parametrize("image, f, c", [((3, 512, 512), 8, 4), ((3, 1024, 1024), 8, 4), ((3, 256, 384), 4, 3),
                                         ((1, 64, 64), 8, 16)])
def test_ratio_is_f_squared_times_channel_ratio(image, f, c):
    z = latent_shape(image, f, c)
    assert z == (c, image[1] // f, image[2] // f)
    assert compression_ratio(image, z) == pytest.approx(f * f * image[0] / c)


def test_stable_diffusion_latent_has_48_times_fewer_values():
    z = latent_shape((3, 512, 512))
    assert z == (4, 64, 64) and 3 * 512 * 512 == 48 * 4 * 64 * 64
    assert compression_ratio((3, 512, 512), z) == 48.0


def test_latent_forward_process_is_the_closed_form_on_z0():
    rng = np.random.default_rng(0)
    z0, eps = rng.normal(size=(2, 2, 4, 8, 8))
    ab = alpha_bars(linear_betas(1000))
    zt = q_sample(z0, np.array([10, 700]), ab, eps)
    np.testing.assert_allclose(zt[1], np.sqrt(ab[700]) * z0[1] + np.sqrt(1 - ab[700]) * eps[1])


@pytest.mark.parametrize("call, words", [
    (lambda: latent_shape((3, 500, 512)), "divisible"),
    (lambda: latent_shape((512, 512)), r"\(C, H, W\)"),
    (lambda: latent_shape((3, 512, 512), f=0), "f"),
    (lambda: compression_ratio((3, 8, 8), (4, 0, 1)), "latent"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
