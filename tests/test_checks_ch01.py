"""The checks of Chapter 1's exercises: the reference passes, typical slips fail with a useful hint."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.image import sampling as ref
from coursekit.metrics import image as image_metrics
from coursekit import grading
from coursekit.grading import CheckFailed, ExerciseNotDone, Status, check, run_check

IDS = {"ch01.mse": image_metrics.mse, "ch01.psnr": image_metrics.psnr, "ch01.quantize": ref.quantize, "ch01.sample": ref.sample}


def _hints(result):
    return " ".join(c.hint for c in result.cases if not c.passed)


@pytest.mark.parametrize("exercise_id", sorted(IDS))
def test_reference_earns_full_points(exercise_id):
    result = run_check(exercise_id, IDS[exercise_id], points=3)
    assert result.status is Status.PASSED, result.report()
    assert result.points == 3 and len(result.cases) >= 4


@pytest.mark.parametrize("exercise_id", sorted(IDS))
def test_stub_is_reported_as_not_done(exercise_id):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise: replace this line with your code.")

    result = run_check(exercise_id, stub, points=2)
    assert result.status is Status.NOT_DONE and result.points == 0
    with pytest.raises(ExerciseNotDone):
        check(exercise_id, stub, points=2)


def test_check_prints_a_report_and_returns_on_success(capsys):
    check("ch01.mse", image_metrics.mse, points=1)
    assert "1/1 points" in capsys.readouterr().out


# ----------------------------------------------------------------------------- ch01.mse

def test_mse_with_uint8_wraparound_fails_with_a_float_hint():
    def mse_uint8(a, b):
        return float(np.mean((a - b).astype(np.float64) ** 2))  # subtracts in uint8

    result = run_check("ch01.mse", mse_uint8)
    assert not result.passed and "wrapped around" in _hints(result)
    assert any(c.passed for c in result.cases)  # the float case is right: the hint is specific


def test_mse_returning_rmse_fails_with_a_hint():
    result = run_check("ch01.mse", lambda a, b: np.sqrt(image_metrics.mse(a, b)))
    assert not result.passed and "RMSE" in _hints(result)


def test_mse_returning_an_array_fails_with_a_hint():
    result = run_check("ch01.mse", lambda a, b: (a.astype(float) - b) ** 2)
    assert not result.passed and "single number" in _hints(result)


# ----------------------------------------------------------------------------- ch01.psnr

def test_psnr_with_natural_log_fails_with_a_log10_hint():
    def psnr_ln(a, b, data_range):
        return 10 * np.log(data_range**2 / image_metrics.mse(a, b))

    result = run_check("ch01.psnr", psnr_ln)
    assert not result.passed and "np.log10" in _hints(result)


def test_psnr_without_squared_peak_fails_only_where_it_matters():
    def psnr_no_square(a, b, data_range):
        m = image_metrics.mse(a, b)
        return float("inf") if m == 0 else 10 * np.log10(data_range / m)

    result = run_check("ch01.psnr", psnr_no_square)
    assert not result.passed and "square the peak" in _hints(result)
    assert any(c.passed for c in result.cases)  # with data_range = 1, R and R² agree


def test_psnr_dividing_by_zero_on_identical_images_is_told_about_inf():
    def psnr_no_inf(a, b, data_range):
        m = image_metrics.mse(a, b)
        if m == 0:
            raise ZeroDivisionError("division by zero")
        return 10 * np.log10(data_range**2 / m)

    result = run_check("ch01.psnr", psnr_no_inf)
    assert not result.passed and "float('inf')" in _hints(result)


def test_psnr_hints_never_contain_the_reference_values():
    chk = grading.find_check("ch01.psnr")
    expected = grading.expected_outputs(chk, grading.build_cases(chk))   # what the judge compares with

    def psnr_off(a, b, data_range):
        return image_metrics.psnr(a, b, data_range) + 0.5

    result = run_check("ch01.psnr", psnr_off)
    assert not result.passed and "off by" in _hints(result)
    text = result.report()
    for value in expected:
        if np.isfinite(value):
            for digits in (1, 2, 3):
                assert f"{value:.{digits}f}" not in text


# ----------------------------------------------------------------------------- ch01.quantize

def test_quantize_with_floor_fails_with_a_nearest_level_hint():
    def quantize_floor(img, levels):
        step = 255 / (levels - 1)
        return np.round(np.floor(img / step) * step).astype(np.uint8)

    result = run_check("ch01.quantize", quantize_floor)
    assert not result.passed and "nearest" in _hints(result)


def test_quantize_off_by_half_a_step_fails():
    def quantize_shifted(img, levels):
        step = 255 / (levels - 1)
        return np.clip(np.round(np.round(img / step) * step + step / 2), 0, 255).astype(np.uint8)

    result = run_check("ch01.quantize", quantize_shifted)
    assert not result.passed and "differ" in _hints(result)


def test_quantize_returning_float_fails_with_a_dtype_hint():
    result = run_check("ch01.quantize", lambda img, L: ref.quantize(img, L).astype(np.float64))
    assert not result.passed and "uint8" in _hints(result)


def test_quantize_returning_indices_fails_with_a_hint():
    result = run_check("ch01.quantize", lambda img, L: np.round(img * (L - 1) / 255).astype(np.uint8))
    assert not result.passed and "level index" in _hints(result)


# ----------------------------------------------------------------------------- ch01.sample

def test_sample_without_crop_fails_with_a_shape_hint():
    def sample_no_crop(img, factor, prefilter=False):
        return img[::factor, ::factor].astype(np.float64)

    result = run_check("ch01.sample", sample_no_crop)
    assert not result.passed and "crop the partial blocks" in _hints(result)


def test_sample_ignoring_prefilter_fails_with_a_hint():
    result = run_check("ch01.sample", lambda img, factor, prefilter=False: ref.sample(img, factor))
    assert not result.passed and "average each" in _hints(result)


def test_sample_taking_block_centres_fails_with_a_hint():
    def sample_centre(img, factor, prefilter=False):
        if prefilter:
            return ref.sample(img, factor, prefilter=True)
        h, w = img.shape[0] // factor * factor, img.shape[1] // factor * factor
        c = factor // 2
        return img[c:h:factor, c:w:factor].astype(np.float64)

    result = run_check("ch01.sample", sample_centre)
    assert not result.passed and "top-left" in _hints(result)


def test_student_that_modifies_its_input_cannot_fool_the_check():
    def sample_inplace(img, factor, prefilter=False):
        out = ref.sample(img, factor, prefilter)
        img[...] = 0  # vandalise the input
        return out

    assert run_check("ch01.sample", sample_inplace).passed


def test_failing_check_raises_check_failed(capsys):
    with pytest.raises(CheckFailed):
        check("ch01.mse", lambda a, b: 0.0, points=1)
    assert "FAIL" in capsys.readouterr().out


def test_quantize_accepts_either_rounding_of_exact_half_levels():
    def quantize_half_down(img, levels):  # rounds an exact .5 level down instead of to even
        step = 255.0 / (levels - 1)
        return np.ceil(np.round(img / step) * step - 0.5).astype(np.uint8)

    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert (quantize_half_down(ramp, 3) != ref.quantize(ramp, 3)).any()  # L = 3: the middle level is 127.5
    result = run_check("ch01.quantize", quantize_half_down)
    assert result.passed, result.report()
