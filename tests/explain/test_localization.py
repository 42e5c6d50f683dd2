"""coursekit.explain.localization: the pointing game against SciPy's distance transform, the energy share
against a direct sum, and the baselines a score must be read against."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from coursekit.explain.localization import energy_in_mask, map_peaks, pointing_game


def _masks(rng, B=40, H=12, W=15):
    masks = np.zeros((B, H, W), bool)
    for b in range(B):
        y0, x0 = rng.integers(0, H - 3), rng.integers(0, W - 4)
        masks[b, y0:y0 + rng.integers(1, 4), x0:x0 + rng.integers(1, 5)] = True
    return masks


@pytest.mark.parametrize("tolerance", [0.0, 1.0, 1.5, 3.0])
def test_pointing_game_matches_the_distance_transform(tolerance):
    rng = np.random.default_rng(0)
    masks = _masks(rng)
    maps = rng.random(masks.shape) + masks * rng.uniform(0, 1.5, (len(masks), 1, 1))   # some maps favour the mask
    hits = pointing_game(maps, masks, tolerance=tolerance)
    for b in range(len(maps)):
        dist = ndi.distance_transform_edt(~masks[b])                    # distance to the nearest mask pixel
        r, c = np.unravel_index(np.argmax(maps[b]), maps[b].shape)
        assert hits[b] == (dist[r, c] <= tolerance), f"image {b}, tolerance {tolerance}"
    assert 0 < hits.mean() < 1                                          # the case is not trivial


def test_map_peaks_are_x_y_and_argmax():
    maps = np.random.default_rng(1).random((5, 7, 9))
    peaks = map_peaks(maps)
    for b in range(5):
        r, c = np.unravel_index(maps[b].argmax(), (7, 9))
        assert peaks[b].tolist() == [c, r]


def test_a_map_equal_to_the_mask_always_hits_and_puts_all_energy_inside():
    masks = _masks(np.random.default_rng(2))
    m = masks.astype(float)
    assert pointing_game(m, masks).all()
    np.testing.assert_allclose(energy_in_mask(m, masks), 1.0)


def test_energy_of_a_uniform_map_is_the_area_fraction_and_negative_values_are_ignored():
    rng = np.random.default_rng(3)
    masks = _masks(rng)
    np.testing.assert_allclose(energy_in_mask(np.ones(masks.shape), masks), masks.mean(axis=(1, 2)), rtol=1e-12)
    maps = rng.standard_normal(masks.shape)
    want = [np.clip(m, 0, None)[k].sum() / np.clip(m, 0, None).sum() for m, k in zip(maps, masks)]
    np.testing.assert_allclose(energy_in_mask(maps, masks), want, rtol=1e-12)
    assert np.isnan(energy_in_mask(-np.ones((1, 3, 3)), np.ones((1, 3, 3), bool))[0])


def test_random_maps_score_about_the_chance_rate():
    rng = np.random.default_rng(4)
    masks = np.zeros((4000, 10, 10), bool)
    masks[:, 2:5, 3:7] = True                                           # 12 of 100 pixels
    hit_rate = pointing_game(rng.random(masks.shape), masks).mean()
    assert abs(hit_rate - 0.12) < 0.02                                  # binomial sd 0.005


@pytest.mark.parametrize("call, words", [
    (lambda: pointing_game(np.zeros((2, 3, 3)), np.zeros((2, 3, 3), bool)), "at least one pixel"),
    (lambda: pointing_game(np.zeros((2, 3, 3)), np.ones((2, 3, 3))), "bool"),
    (lambda: pointing_game(np.zeros((2, 3, 3)), np.ones((2, 3, 4), bool)), "shape"),
    (lambda: pointing_game(np.zeros((3, 3)), np.ones((3, 3), bool)), "maps"),
    (lambda: pointing_game(np.zeros((1, 3, 3)), np.ones((1, 3, 3), bool), tolerance=-1), "tolerance"),
    (lambda: energy_in_mask(np.full((1, 3, 3), np.nan), np.ones((1, 3, 3), bool)), "finite"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
