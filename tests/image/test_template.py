"""Tests of coursekit.image.template against OpenCV and scikit-image (Chapter 2, template matching)."""

import cv2
import numpy as np
import pytest
from skimage import data, feature

from coursekit.image import template as Mt

CAMERA, COINS = data.camera(), data.coins()
CASES = {  # (image, template cut from it at (y, x))
    "camera": (CAMERA, CAMERA[200:232, 240:272].copy(), (200, 240)),
    "coins": (COINS, COINS[40:61, 60:91].copy(), (40, 60)),
}


def _textured(score, image, h, w, rel=1e-3):
    """Placements whose window is not (almost) flat: NCC is ill-conditioned on flat windows."""
    var = Mt.window_sums(image.astype(float) ** 2, h, w) - Mt.window_sums(image.astype(float), h, w) ** 2 / (h * w)
    return var > rel * var.max()


@pytest.mark.parametrize("name", list(CASES))
def test_ssd_matches_opencv_sqdiff(name):
    img, tpl, _ = CASES[name]
    ref = cv2.matchTemplate(img, tpl, cv2.TM_SQDIFF)
    # OpenCV computes in float32 (~7 significant digits) on sums up to ~1e7: relative 1e-6
    np.testing.assert_allclose(Mt.match_template(img, tpl, "ssd"), ref, rtol=1e-6, atol=1e-6 * ref.max())


@pytest.mark.parametrize("name", list(CASES))
def test_ncc_matches_opencv_ccoeff_normed(name):
    img, tpl, _ = CASES[name]
    ours = Mt.match_template(img, tpl, "ncc")
    ref = cv2.matchTemplate(img, tpl, cv2.TM_CCOEFF_NORMED)
    ok = _textured(ours, img, *tpl.shape)
    # float32 arithmetic in OpenCV: coefficients in [-1, 1] agree to ~1e-4; 1e-3 leaves margin
    np.testing.assert_allclose(ours[ok], ref[ok], atol=1e-3)


@pytest.mark.parametrize("name", list(CASES))
def test_ncc_matches_skimage_match_template(name):
    img, tpl, _ = CASES[name]
    ours = Mt.match_template(img, tpl, "ncc")
    ref = feature.match_template(img.astype(np.float64), tpl.astype(np.float64))
    ok = _textured(ours, img, *tpl.shape)
    # both float64, same formula via integral images: differences are rounding only
    np.testing.assert_allclose(ours[ok], ref[ok], atol=1e-7)


@pytest.mark.parametrize("seed", range(4))
def test_match_template_agrees_with_brute_force_on_random_inputs(seed):
    rng = np.random.default_rng(seed)
    img = rng.random((23, 31))
    tpl = rng.random((rng.integers(1, 8), rng.integers(1, 8)))
    h, w = tpl.shape
    ssd = np.empty((23 - h + 1, 31 - w + 1))
    ncc = np.empty_like(ssd)
    for y in range(ssd.shape[0]):           # the definitions, one placement at a time
        for x in range(ssd.shape[1]):
            win = img[y:y + h, x:x + w]
            ssd[y, x] = np.sum((win - tpl) ** 2)
            a, b = win - win.mean(), tpl - tpl.mean()
            ncc[y, x] = np.sum(a * b) / np.sqrt(np.sum(a ** 2) * np.sum(b ** 2)) if h * w > 1 else 0.0
    # float64 integral images of ~600 values in [0, 1]: cancellation errors stay below 1e-10
    np.testing.assert_allclose(Mt.match_template(img, tpl, "ssd"), ssd, atol=1e-10)
    if h * w > 1:
        np.testing.assert_allclose(Mt.match_template(img, tpl, "ncc"), ncc, atol=1e-9)


@pytest.mark.parametrize("name", list(CASES))
def test_both_methods_find_the_cut_out_template(name):
    img, tpl, where = CASES[name]
    ssd, ncc = Mt.match_template(img, tpl, "ssd"), Mt.match_template(img, tpl, "ncc")
    assert np.unravel_index(np.argmin(ssd), ssd.shape) == where
    assert np.unravel_index(np.argmax(ncc), ncc.shape) == where
    assert ncc[where] == pytest.approx(1.0, abs=1e-9)


def test_ncc_survives_a_brightness_and_contrast_change_ssd_does_not():
    img, tpl, where = CASES["camera"]
    changed = np.clip(0.6 * tpl.astype(float) + 70, 0, 255)  # darker contrast, brighter offset
    ssd, ncc = Mt.match_template(img, changed, "ssd"), Mt.match_template(img, changed, "ncc")
    assert np.unravel_index(np.argmax(ncc), ncc.shape) == where
    assert np.unravel_index(np.argmin(ssd), ssd.shape) != where


def test_ncc_is_zero_on_flat_windows_like_opencv():
    img = np.zeros((20, 20), np.uint8)
    img[10:, 10:] = np.random.default_rng(0).integers(0, 255, (10, 10))
    tpl = img[12:16, 12:16].copy()
    ours = Mt.match_template(img, tpl, "ncc")
    assert np.all(ours[:5, :5] == 0)
    assert np.all(cv2.matchTemplate(img, tpl, cv2.TM_CCOEFF_NORMED)[:5, :5] == 0)


def test_match_template_rejects_bad_input():
    with pytest.raises(ValueError, match="larger than image"):
        Mt.match_template(np.zeros((10, 10)), np.ones((11, 3)))
    with pytest.raises(ValueError, match="constant"):
        Mt.match_template(CAMERA, np.full((5, 5), 7.0), "ncc")
    with pytest.raises(ValueError, match="method must be one of"):
        Mt.match_template(CAMERA, CAMERA[:5, :5], "sad")
    with pytest.raises(ValueError, match="colour"):
        Mt.match_template(data.astronaut(), CAMERA[:5, :5])
    with pytest.raises(ValueError, match="2-D"):
        Mt.match_template(CAMERA, np.ones(5))
    with pytest.raises(ValueError, match="empty"):
        Mt.match_template(CAMERA, np.ones((0, 3)))
