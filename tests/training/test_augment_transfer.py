"""Augmentation against scipy.ndimage and torch.rot90; transfer-learning helpers' properties (chapter 4)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F

from coursekit.models.small_cnn import SmallCNN, SmallCNNConfig
from coursekit.training.augment import random_shift_rotate, rotate_images, shift_images
from coursekit.training.loop import FitConfig, fit
from coursekit.training.transfer import freeze_, gap_features, with_new_head


@pytest.mark.parametrize("dy, dx", [(0, 0), (2, -1), (-3, 3), (1, 0)])
def test_shift_equals_scipy_shift_with_zero_fill(dy, dx):
    x = torch.rand(1, 2, 7, 9, dtype=torch.float64)
    ours = shift_images(x, torch.tensor([dy]), torch.tensor([dx]))[0].numpy()
    for c in range(2):
        ref = ndi.shift(x[0, c].numpy(), (dy, dx), order=0, mode="constant", cval=0.0)
        np.testing.assert_array_equal(ours[c], ref)


def test_rotation_by_90_degrees_is_rot90_and_by_0_the_identity():
    x = torch.rand(3, 2, 6, 6, dtype=torch.float64)
    torch.testing.assert_close(rotate_images(x, torch.full((3,), 90.0)), torch.rot90(x, 1, (2, 3)), atol=1e-12, rtol=0)
    torch.testing.assert_close(rotate_images(x, torch.zeros(3)), x, atol=1e-12, rtol=0)


@pytest.mark.parametrize("angle", [-25.0, 10.0, 33.0])
def test_rotation_equals_scipy_rotate_bilinear_inside_the_image(angle):
    z = np.random.default_rng(0).random((15, 15))
    ours = rotate_images(torch.tensor(z)[None, None], torch.tensor([angle]))[0, 0].numpy()
    ref = ndi.rotate(z, angle, reshape=False, order=1, mode="constant", cval=0.0)
    # the two treat the last half pixel at the border differently; inside they sample the same points
    np.testing.assert_allclose(ours[3:-3, 3:-3], ref[3:-3, 3:-3], atol=1e-12)


def test_random_augmentation_draws_from_the_generator_only():
    x = torch.rand(8, 1, 12, 12)
    a = random_shift_rotate(x, torch.Generator().manual_seed(1), 2, 20.0)
    b = random_shift_rotate(x, torch.Generator().manual_seed(1), 2, 20.0)
    c = random_shift_rotate(x, torch.Generator().manual_seed(2), 2, 20.0)
    assert torch.equal(a, b) and not torch.equal(a, c)
    with pytest.raises(ValueError):
        random_shift_rotate(x[0], torch.Generator(), 1, 5.0)
    with pytest.raises(ValueError):
        shift_images(x, torch.tensor([12] * 8), torch.zeros(8))


def test_gap_features_are_the_pooled_feature_maps_in_eval_mode():
    model = SmallCNN(SmallCNNConfig(channels=(4, 8))).train()
    x = torch.rand(5, 1, 16, 16)
    feats = gap_features(model, x, batch_size=2)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(feats, model.features(x).mean(dim=(2, 3)))
        torch.testing.assert_close(model.head(feats), model(x))


def test_new_head_keeps_the_features_and_frozen_features_do_not_move_in_fit():
    g = torch.Generator().manual_seed(0)
    base = SmallCNN(SmallCNNConfig(channels=(4, 8)))
    probe = with_new_head(base, 3, g)
    assert probe.head.out_features == 3 and base.head.out_features == 10
    for a, b in zip(base.features.parameters(), probe.features.parameters()):
        assert torch.equal(a, b) and a is not b
    freeze_(probe.features)
    before = [p.clone() for p in probe.features.parameters()]
    head_before = probe.head.weight.clone()
    X, y = torch.rand(32, 1, 16, 16), torch.randint(0, 3, (32,), generator=g)
    fit(probe, lambda m, b: F.cross_entropy(m(b[0]), b[1]), (X, y), FitConfig(epochs=2, batch_size=8, lr=1e-2,
        weight_decay=0.1), g, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(before, probe.features.parameters()))
    assert not torch.equal(head_before, probe.head.weight)
