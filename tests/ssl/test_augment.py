"""Tests for coursekit.ssl.augment: crops against scipy.ndimage.map_coordinates, jitter against its formula."""

import numpy as np
import pytest
import torch
from scipy.ndimage import map_coordinates

from coursekit.ssl.augment import (ViewConfig, add_noise, brightness_contrast, crop_resize, random_resized_crop,
                                   random_view)


def _g(s=0):
    return torch.Generator().manual_seed(s)


@pytest.mark.parametrize("box", [(0.7, 1.2, 3.5, 4.1), (0.0, 0.0, 6.0, 6.0), (-1.0, -0.5, 8.0, 7.0), (2, 2, 1, 1)])
def test_crop_resize_matches_map_coordinates(box):
    x = torch.rand(1, 2, 6, 6, generator=_g(), dtype=torch.float64)
    out = crop_resize(x, torch.tensor([box], dtype=torch.float64))[0].numpy()
    top, left, h, w = box
    i = np.arange(6)
    Y, X = np.meshgrid(top + (i + 0.5) * h / 6 - 0.5, left + (i + 0.5) * w / 6 - 0.5, indexing="ij")
    for c in range(2):
        ref = map_coordinates(x[0, c].numpy(), [Y, X], order=1, mode="grid-constant", cval=0.0)
        np.testing.assert_allclose(out[c], ref, atol=1e-12)   # float64, same bilinear weights


def test_random_resized_crop_full_box_is_identity_and_seeded():
    x = torch.rand(3, 1, 8, 8, generator=_g())
    assert torch.allclose(random_resized_crop(x, _g(1), scale=(1.0, 1.0), ratio=(1.0, 1.0)), x, atol=1e-6)
    a, b = random_resized_crop(x, _g(2)), random_resized_crop(x, _g(2))
    assert torch.equal(a, b) and not torch.allclose(a, random_resized_crop(x, _g(3)))


def test_brightness_contrast_formula():
    x = torch.rand(2, 1, 4, 4, generator=_g(), dtype=torch.float64)
    out = brightness_contrast(x, torch.tensor([0.1, -0.2]), torch.tensor([1.5, 0.5]))
    for b, (br, c) in enumerate([(0.1, 1.5), (-0.2, 0.5)]):
        m = float(x[b].mean())
        assert torch.allclose(out[b], c * (x[b] - m) + m + br, atol=1e-12)
    assert torch.allclose(out.mean(dim=(1, 2, 3)), x.mean(dim=(1, 2, 3)) + torch.tensor([0.1, -0.2], dtype=x.dtype))


def test_noise_statistics():
    x = torch.zeros(4, 1, 64, 64)
    n = add_noise(x, 0.3, _g())
    assert abs(float(n.std()) - 0.3) < 0.01 and abs(float(n.mean())) < 0.01   # 16k samples: σ/√n ≈ 0.002


def test_random_view_range_seed_and_difference():
    x = torch.rand(5, 1, 16, 16, generator=_g())
    v1, v2 = random_view(x, _g(4)), random_view(x, _g(4))
    assert torch.equal(v1, v2) and v1.shape == x.shape
    assert float(v1.min()) >= 0 and float(v1.max()) <= 1
    g = _g(5)
    assert not torch.allclose(random_view(x, g), random_view(x, g))
    still = ViewConfig(crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), max_shift=0, max_degrees=0.0, brightness=0.0, contrast=0.0, noise=0.0)
    assert torch.allclose(random_view(x, _g(), still), x, atol=1e-5)


def test_bad_inputs():
    x = torch.zeros(2, 1, 4, 4)
    with pytest.raises(ValueError):
        crop_resize(x, torch.ones(3, 4))
    with pytest.raises(ValueError):
        crop_resize(x, torch.tensor([[0.0, 0.0, 0.0, 2.0]] * 2))
    with pytest.raises(ValueError):
        brightness_contrast(x, torch.zeros(3), torch.ones(2))
    with pytest.raises(ValueError):
        add_noise(x, -1.0, _g())
    with pytest.raises(ValueError):
        random_resized_crop(x, _g(), scale=(0.9, 0.5))
    with pytest.raises(ValueError):
        random_view(x, "seed")
    with pytest.raises(ValueError):
        ViewConfig(contrast=1.5)
