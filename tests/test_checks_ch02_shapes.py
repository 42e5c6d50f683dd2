"""The checks of Chapter 2's intensity/morphology exercises: references pass, wrong answers fail
with a useful hint, stubs are 'not done'."""

import numpy as np
import pytest

from coursekit import grading
from coursekit.image.intensity import between_class_variance, equalize_hist, histogram, otsu_threshold
from coursekit.image.morphology import erode, square


def _stub(*args, **kwargs):
    raise NotImplementedError


# ----------------------------------------------------------------------------- references pass

@pytest.mark.parametrize("eid, fn", [
    ("ch02.equalize_hist", equalize_hist),
    ("ch02.otsu_threshold", otsu_threshold),
    ("ch02.erode", lambda mask, size: erode(mask, square(size))),
])
def test_reference_earns_full_points(eid, fn):
    res = grading.run_check(eid, fn, points=3)
    assert res.passed and res.points == 3, res.report()


@pytest.mark.parametrize("eid", ["ch02.equalize_hist", "ch02.otsu_threshold", "ch02.erode"])
def test_stub_is_not_done(eid):
    res = grading.run_check(eid, _stub, points=2)
    assert res.status == "not-done" and res.points == 0
    with pytest.raises(grading.ExerciseNotDone):
        grading.check(eid, _stub, points=2)


# ----------------------------------------------------------------------------- wrong answers fail with hints

def _floor_equalize(img):
    cdf = np.cumsum(histogram(img))
    c_min = cdf[np.flatnonzero(cdf)[0]]
    return np.floor(255.0 * (cdf - c_min) / (cdf[-1] - c_min)).astype(np.uint8)[img]


def _no_cmin_equalize(img):
    cdf = np.cumsum(histogram(img))
    return np.rint(255.0 * cdf / cdf[-1]).astype(np.uint8)[img]


def test_equalize_truncating_gets_a_rounding_hint():
    res = grading.run_check("ch02.equalize_hist", _floor_equalize)
    assert not res.passed
    assert any("round to the nearest level" in c.hint for c in res.cases if not c.passed)


def test_equalize_without_cdf_min_gets_a_hint():
    res = grading.run_check("ch02.equalize_hist", _no_cmin_equalize)
    assert not res.passed
    assert any("subtract cdf_min" in c.hint for c in res.cases if not c.passed)


def test_equalize_float_output_is_rejected():
    res = grading.run_check("ch02.equalize_hist", lambda img: equalize_hist(img).astype(float))
    assert not res.passed and any("uint8" in c.hint for c in res.cases)


def test_otsu_off_by_one_gets_a_hint():
    res = grading.run_check("ch02.otsu_threshold", lambda img: otsu_threshold(img) + 1)
    assert not res.passed
    assert any("off by one" in c.hint for c in res.cases if not c.passed)


def test_otsu_mean_threshold_fails_without_leaking_the_answer():
    res = grading.run_check("ch02.otsu_threshold", lambda img: int(img.mean()))
    assert not res.passed
    report = res.report()
    from coursekit.data.images import load_image
    for name in ("camera", "coins", "page"):
        t = otsu_threshold(load_image(name))
        assert f" {t} " not in report and f"{t}." not in report  # the reference value never appears


def test_otsu_with_a_wrong_formula_gets_the_variance_gap():
    def within_class(img):  # argmax of the *within*-class variance: the opposite of Otsu
        s2 = between_class_variance(histogram(img))
        return int(np.argmin(np.where(s2 > 0, s2, np.inf)))
    res = grading.run_check("ch02.otsu_threshold", within_class)
    assert not res.passed and any("below the largest" in c.hint for c in res.cases)


def test_erode_padding_with_false_gets_a_border_hint():
    def pad_false(mask, size):
        r = size // 2
        p = np.pad(mask, r, constant_values=False)
        out = np.ones_like(mask)
        for dy in range(size):
            for dx in range(size):
                out &= p[dy:dy + mask.shape[0], dx:dx + mask.shape[1]]
        return out
    res = grading.run_check("ch02.erode", pad_false)
    assert not res.passed
    assert any("near the border" in c.hint for c in res.cases if not c.passed)


def test_erode_that_dilates_fails():
    from coursekit.image.morphology import dilate
    res = grading.run_check("ch02.erode", lambda m, s: dilate(m, square(s)))
    assert not res.passed and any("too many pixels" in c.hint for c in res.cases if not c.passed)


def test_a_crashing_student_gets_the_error_message():
    def crashes(mask, size):
        return mask[size, size, size]  # 3 indices into a 2-D array
    res = grading.run_check("ch02.erode", crashes)
    assert not res.passed and all("raised" in c.hint for c in res.cases)
