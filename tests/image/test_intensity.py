"""Tests of coursekit.image.intensity against OpenCV and scikit-image (Chapter 2, point operations)."""

import cv2
import numpy as np
import pytest
from skimage import data, exposure, filters

from coursekit.image import intensity as I

REAL = {"camera": data.camera(), "coins": data.coins(), "page": data.page(), "moon": data.moon()}


def _random_uint8(seed, shape=(64, 80)):
    rng = np.random.default_rng(seed)
    # mixtures of two clipped normals: histograms with gaps and two modes, like real scenes
    a = rng.normal(rng.uniform(30, 110), rng.uniform(5, 30), shape)
    b = rng.normal(rng.uniform(140, 220), rng.uniform(5, 30), shape)
    return np.clip(np.where(rng.random(shape) < rng.uniform(0.2, 0.8), a, b), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- point operations

@pytest.mark.parametrize("name", ["camera", "coins"])
def test_negative_matches_opencv_bitwise_not(name):
    img = REAL[name]
    np.testing.assert_array_equal(I.negative(img), cv2.bitwise_not(img))  # exact: integer arithmetic


def test_negative_float_is_one_minus_r_and_an_involution():
    r = np.random.default_rng(0).random((16, 16))
    np.testing.assert_allclose(I.negative(r), 1.0 - r, atol=0)
    np.testing.assert_allclose(I.negative(I.negative(r)), r, atol=1e-15)  # one rounding of 1 - r


@pytest.mark.parametrize("name", ["camera", "moon"])
@pytest.mark.parametrize("gamma", [0.4, 1.0, 2.2])
def test_gamma_matches_skimage_adjust_gamma(name, gamma):
    img = REAL[name]
    ref = exposure.adjust_gamma(img, gamma)  # uint8 in, uint8 out: 255 * (r / 255) ** gamma
    # skimage truncates to uint8 (floor) where we round, so the two differ by at most one level
    assert np.abs(I.gamma_correct(img, gamma).astype(int) - ref.astype(int)).max() <= 1


def test_gamma_float_matches_power_law_and_is_monotone():
    r = np.random.default_rng(1).random((32, 32))
    np.testing.assert_allclose(I.gamma_correct(r, 0.5), np.sqrt(r), atol=1e-15)
    levels = np.arange(256, dtype=np.uint8)[None, :]
    for g in (0.3, 1.0, 3.0):
        assert np.all(np.diff(I.gamma_correct(levels, g).astype(int)) >= 0)


@pytest.mark.parametrize("name", ["camera", "coins"])
def test_log_transform_matches_skimage_adjust_log(name):
    img = REAL[name]
    # skimage: 255 * log2(1 + r / 255), on a different scale, so compare the float formula instead
    r = np.random.default_rng(2).random((8, 8))
    np.testing.assert_allclose(I.log_transform(r), exposure.adjust_log(r), atol=1e-12)
    out = I.log_transform(img)
    expected = np.rint(255 * np.log1p(img.astype(float)) / np.log(256))
    np.testing.assert_array_equal(out, expected)  # exact: same formula, one rounding
    assert I.log_transform(np.array([[0, 255]], np.uint8)).tolist() == [[0, 255]]  # c keeps the range


def test_point_ops_reject_bad_input():
    with pytest.raises(ValueError, match="colour"):
        I.negative(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r"\[0.0, 1.0\]"):
        I.gamma_correct(np.full((4, 4), 2.0), 1.0)
    with pytest.raises(ValueError, match="uint8"):
        I.log_transform(np.zeros((4, 4), np.int32))
    with pytest.raises(ValueError, match="gamma must be > 0"):
        I.gamma_correct(np.zeros((4, 4), np.uint8), 0)


# ----------------------------------------------------------------------------- histograms

@pytest.mark.parametrize("name", ["camera", "coins", "page"])
def test_histogram_matches_opencv_calchist(name):
    img = REAL[name]
    ref = cv2.calcHist([img], [0], None, [256], [0, 256])[:, 0]
    np.testing.assert_array_equal(I.histogram(img), ref)  # counts: exact


@pytest.mark.parametrize("name", ["camera", "coins", "page", "moon"])
def test_equalize_hist_matches_opencv_exactly(name):
    img = REAL[name]
    # exact: the same look-up table, each entry one rounding of a ratio of integer counts
    np.testing.assert_array_equal(I.equalize_hist(img), cv2.equalizeHist(img))


@pytest.mark.parametrize("seed", range(6))
def test_equalize_hist_matches_opencv_on_random_images(seed):
    img = _random_uint8(seed)
    np.testing.assert_array_equal(I.equalize_hist(img), cv2.equalizeHist(img))


@pytest.mark.parametrize("name", ["camera", "moon"])
def test_equalize_hist_agrees_with_skimage_after_rescaling(name):
    img = REAL[name]
    sk = exposure.equalize_hist(img, nbins=256)          # cdf(r) / N as float
    h = I.histogram(img)
    c_min = np.cumsum(h)[np.flatnonzero(h)[0]] / img.size
    rescaled = 255 * (sk - c_min) / (1 - c_min)          # skimage's cdf on our 0..255 scale
    # we round that value to an integer level: at most 0.5 apart (plus float noise)
    assert np.abs(rescaled - I.equalize_hist(img)).max() <= 0.5 + 1e-9


@pytest.mark.parametrize("name", ["camera", "moon"])
def test_equalize_hist_makes_the_cdf_a_straight_line(name):
    img = REAL[name]
    out = I.equalize_hist(img)
    cdf = np.cumsum(I.histogram(out)) / out.size
    # a grey level cannot be split, so the output cdf is a staircase whose steps are the input's
    # bins: it stays within the largest bin's share (plus a level's width) of the line k / 255
    bound = I.histogram(img).max() / img.size + 1 / 255
    assert np.abs(cdf - np.arange(256) / 255).max() <= bound


def test_equalize_hist_constant_image_is_unchanged():
    img = np.full((5, 7), 42, np.uint8)
    np.testing.assert_array_equal(I.equalize_hist(img), cv2.equalizeHist(img))


def test_equalize_hist_rejects_float_and_colour():
    with pytest.raises(ValueError, match="uint8"):
        I.equalize_hist(np.random.default_rng(0).random((8, 8)))
    with pytest.raises(ValueError, match="colour"):
        I.equalize_hist(data.astronaut())
    with pytest.raises(ValueError, match="2-D"):
        I.histogram(np.zeros((2, 3, 5), np.uint8))
    with pytest.raises(ValueError, match="empty"):
        I.histogram(np.zeros((0, 3), np.uint8))


# ----------------------------------------------------------------------------- Otsu

def _cv_otsu(img):
    return cv2.threshold(img, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]


@pytest.mark.parametrize("name", ["camera", "coins", "page", "moon"])
def test_otsu_matches_opencv_and_skimage(name):
    img = REAL[name]
    t = I.otsu_threshold(img)
    # the argmax of the same function of the histogram; near-ties computed in a different
    # summation order could move it by one level, so we allow 1 (it is exact on these images)
    assert abs(t - _cv_otsu(img)) <= 1
    assert abs(t - filters.threshold_otsu(img)) <= 1


def test_otsu_on_camera_lands_in_the_valley_between_the_modes():
    t = I.otsu_threshold(REAL["camera"])
    assert 95 <= t <= 110  # the dark coat vs the bright sky: the valley of camera's histogram


@pytest.mark.parametrize("seed", range(8))
def test_otsu_matches_opencv_on_random_bimodal_images(seed):
    img = _random_uint8(seed)
    assert abs(I.otsu_threshold(img) - _cv_otsu(img)) <= 1  # see the tolerance note above


def test_otsu_maximises_between_class_variance_by_brute_force():
    img = _random_uint8(42, (20, 20))
    x = img.astype(float).ravel()
    best, best_t = -1.0, None
    for t in range(256):  # the definition, one threshold at a time
        lo, hi = x[x <= t], x[x > t]
        if lo.size == 0 or hi.size == 0:
            continue
        s = lo.size * hi.size / x.size ** 2 * (lo.mean() - hi.mean()) ** 2
        if s > best + 1e-9:
            best, best_t = s, t
    assert I.otsu_threshold(img) == best_t


def test_threshold_matches_opencv_binary():
    img = REAL["coins"]
    t = I.otsu_threshold(img)
    _, ref = cv2.threshold(img, t, 255, cv2.THRESH_BINARY)
    np.testing.assert_array_equal(255 * I.threshold(img, t).astype(np.uint8), ref)


def test_otsu_and_threshold_reject_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        I.otsu_threshold(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="finite number"):
        I.threshold(np.zeros((4, 4)), np.nan)
    with pytest.raises(ValueError, match="colour"):
        I.threshold(np.zeros((4, 4, 3)), 0.5)
