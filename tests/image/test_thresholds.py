"""Tests of coursekit.image.thresholds against scikit-image (Chapter 2, more thresholds)."""

import numpy as np
import pytest
from skimage import data, filters

from coursekit.image import thresholds as T
from coursekit.image.intensity import histogram, otsu_threshold

PHOTOS = {name: getattr(data, name)() for name in ("camera", "coins", "moon", "page", "text", "brick", "grass")}
PHOTOS["astronaut (grey)"] = (data.astronaut() @ [0.299, 0.587, 0.114]).astype(np.uint8)


def _mixtures(n=12, seed=1):
    """Seeded uint8 images drawn from 2 to 4 clipped normals: several modes, gaps, clipped tails."""
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n):
        k = int(rng.integers(2, 5))
        centres, spreads = rng.uniform(0, 255, k), rng.uniform(2, 30, k)
        comp = rng.integers(0, k, (40, 50))
        out[f"mixture {i}"] = np.clip(np.rint(rng.normal(centres[comp], spreads[comp])), 0, 255).astype(np.uint8)
    return out


IMAGES = {**PHOTOS, **_mixtures()}


def _between_class_variance(image, thresholds):
    """sum_k w_k (mu_k - mu_T)^2 for the classes (t_k, t_{k+1}], computed directly from the pixels."""
    x = image.astype(np.float64).ravel()
    edges = [-1, *thresholds, 255]
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        cls = x[(x > lo) & (x <= hi)]
        if cls.size:
            total += cls.size / x.size * (cls.mean() - x.mean()) ** 2
    return total


@pytest.mark.parametrize("name", list(IMAGES))
def test_isodata_equals_skimage(name):
    assert T.isodata_threshold(IMAGES[name]) == filters.threshold_isodata(IMAGES[name])


@pytest.mark.parametrize("name", list(IMAGES))
def test_li_equals_skimage(name):
    # the same iteration on the same histogram; scikit-image weights with float32 counts, so the
    # thresholds agree to float32 rounding of the class means (about 1e-5 grey levels), not bit for bit
    assert abs(T.li_threshold(IMAGES[name]) - filters.threshold_li(IMAGES[name])) < 1e-3


@pytest.mark.parametrize("name", list(IMAGES))
def test_triangle_equals_skimage(name):
    assert T.triangle_threshold(IMAGES[name]) == filters.threshold_triangle(IMAGES[name])


@pytest.mark.parametrize("name", list(IMAGES))
def test_multi_otsu_with_two_classes_is_otsu(name):
    assert T.multi_otsu_thresholds(IMAGES[name], 2).tolist() == [otsu_threshold(IMAGES[name])]


@pytest.mark.parametrize("name", [n for n in IMAGES if n in PHOTOS or n.endswith(("0", "3", "7"))])
def test_three_class_otsu_is_the_exhaustive_maximum(name):
    img = IMAGES[name]
    p = histogram(img) / img.size
    k = np.arange(256)
    P, S = np.cumsum(p), np.cumsum(k * p)
    t1, t2 = np.meshgrid(k, k, indexing="ij")                         # every pair (t1, t2), by brute force
    w = np.stack([P[t1], P[t2] - P[t1], 1 - P[t2]])                   # (3, 256, 256) class weights
    m = np.stack([S[t1], S[t2] - S[t1], S[-1] - S[t2]])               # (3, 256, 256) first moments
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(w > 1e-12, m ** 2 / w, 0.0).sum(axis=0)          # sum_k M_k^2 / w_k
    v[t2 <= t1] = -np.inf
    best = v.max()
    top = np.flatnonzero(histogram(img))[-1]
    v[:, top:] = -np.inf                                              # a class above t2 must hold a level
    best_t = tuple(int(i) for i in np.unravel_index(np.argmax(v >= best - 1e-12 * best), v.shape))
    ours = tuple(T.multi_otsu_thresholds(img, 3).tolist())
    assert abs(_between_class_variance(img, ours) - _between_class_variance(img, best_t)) <= 1e-9 * best
    assert ours == best_t                                             # ties: the first pair, as ours


@pytest.mark.parametrize("classes", [3, 4])
@pytest.mark.parametrize("name", list(IMAGES))
def test_multi_otsu_agrees_with_skimage_up_to_its_float32_rounding(name, classes):
    img = IMAGES[name]
    ours = T.multi_otsu_thresholds(img, classes)
    ref = filters.threshold_multiotsu(img, classes)
    # scikit-image sums float32 probabilities, so on near-ties (variances equal to ~1e-5 relative) it can
    # pick a neighbouring level. Ours, in float64, is never worse, and never off by more than one level.
    v_ours, v_ref = _between_class_variance(img, ours), _between_class_variance(img, ref)
    assert v_ours >= v_ref * (1 - 1e-12)
    assert v_ours - v_ref <= 1e-4 * v_ours
    assert np.abs(ours - ref).max() <= 1
    if v_ours - v_ref > 1e-9 * v_ours:
        return
    np.testing.assert_array_equal(ours, ref)


def test_multi_otsu_agrees_exactly_with_skimage_on_camera_and_coins():
    for name in ("camera", "coins"):
        np.testing.assert_array_equal(T.multi_otsu_thresholds(PHOTOS[name], 3),
                                      filters.threshold_multiotsu(PHOTOS[name], 3))


def test_isodata_threshold_is_a_fixed_point_of_the_midpoint_rule():
    img = PHOTOS["coins"]
    t = T.isodata_threshold(img)
    x = img.astype(float)
    mid = (x[x <= t].mean() + x[x > t].mean()) / 2
    assert t <= mid < t + 1


def test_li_threshold_is_a_fixed_point_of_li_and_tams_update():
    img = PHOTOS["camera"].astype(float) - PHOTOS["camera"].min()
    t = T.li_threshold(PHOTOS["camera"]) - PHOTOS["camera"].min()
    mb, mf = img[img <= t].mean(), img[img > t].mean()
    assert abs((mb - mf) / (np.log(mb) - np.log(mf)) - t) < 0.5         # moved by < tolerance


def test_triangle_picks_the_foot_of_a_single_peak():
    # a dominant peak at 40 with a long, thin bright tail: the threshold sits at the foot of the peak
    rng = np.random.default_rng(0)
    img = np.concatenate([np.clip(rng.normal(40, 4, 5000), 0, 255),
                          rng.uniform(60, 250, 500)]).astype(np.uint8)[None, :]
    assert 40 < T.triangle_threshold(img) < 70


@pytest.mark.parametrize("fn", [T.isodata_threshold, T.li_threshold, T.triangle_threshold,
                                lambda im: T.multi_otsu_thresholds(im, 3)])
def test_thresholds_refuse_non_uint8_images(fn):
    with pytest.raises(ValueError, match="uint8"):
        fn(PHOTOS["camera"].astype(np.float64))


def test_multi_otsu_needs_as_many_levels_as_classes():
    with pytest.raises(ValueError, match="distinct levels"):
        T.multi_otsu_thresholds(np.array([[0, 255, 0]], dtype=np.uint8), 3)
    with pytest.raises(ValueError, match="classes"):
        T.multi_otsu_thresholds(PHOTOS["camera"], 1)


def test_isodata_needs_two_levels():
    with pytest.raises(ValueError, match="single grey level"):
        T.isodata_threshold(np.full((3, 3), 7, np.uint8))
