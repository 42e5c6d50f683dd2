"""The graded checks of Chapter 2's filtering exercises: the reference passes, typical mistakes fail with a
hint that names the mistake (and no reference values), a stub is "not done"."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.image.edges import non_max_suppression
from coursekit.image.filters import convolve2d, correlate2d, gaussian_kernel1d


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch02.gaussian_kernel1d", gaussian_kernel1d),
    ("ch02.convolve2d", lambda image, kernel: convolve2d(image, kernel, mode="zero")),
    ("ch02.non_max_suppression", non_max_suppression),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=2)
    assert result.passed and result.points == 2 and len(result.cases) >= 4
    stub = grading.run_check(eid, _stub, points=2)
    assert stub.status == "not-done" and stub.points == 0


def test_unnormalised_kernel_fails_with_a_sum_hint():
    def unnormalised(sigma, ksize):
        i = np.arange(ksize) - ksize // 2
        return np.exp(-i ** 2 / (2 * sigma ** 2))

    result = grading.run_check("ch02.gaussian_kernel1d", unnormalised)
    assert not result.passed
    assert any("does not sum to 1" in c.hint for c in result.cases)


def test_correlation_submitted_as_convolution_gets_the_flip_hint():
    result = grading.run_check("ch02.convolve2d", lambda f, k: correlate2d(f, k, mode="zero"))
    assert not result.passed and any("flips the kernel" in c.hint for c in result.cases)


def test_wrong_border_gets_the_border_hint():
    result = grading.run_check("ch02.convolve2d", lambda f, k: convolve2d(f, k, mode="reflect"))
    assert not result.passed and any("border" in c.hint for c in result.cases)


def test_nms_with_y_pointing_up_fails():
    def y_up(mag, theta):                       # a classic slip: treats angles as if y pointed up
        return non_max_suppression(mag, -theta)

    result = grading.run_check("ch02.non_max_suppression", y_up)
    assert not result.passed and all("values differ" in c.hint for c in result.cases if not c.passed)


def _nms_without_wrap_around(magnitude, direction):
    """The literal reading of "nearest of 0°, 45°, 90°, 135°": 170° goes to 135°, not to 180° ≡ 0°."""
    H, W = magnitude.shape
    deg = np.rad2deg(direction) % 180.0
    sector = np.argmin(np.abs(deg[..., None] - np.array([0.0, 45.0, 90.0, 135.0])), axis=-1)
    p = np.pad(magnitude, 1)
    keep = np.zeros((H, W), bool)
    for s, (dr, dc) in enumerate([(0, 1), (1, 1), (1, 0), (1, -1)]):
        ahead, behind = p[1 + dr:1 + dr + H, 1 + dc:1 + dc + W], p[1 - dr:1 - dr + H, 1 - dc:1 - dc + W]
        keep |= (sector == s) & (magnitude >= ahead) & (magnitude >= behind)
    return np.where(keep, magnitude, 0.0)


def test_nms_without_the_wrap_around_is_told_about_180_degrees():
    result = grading.run_check("ch02.non_max_suppression", _nms_without_wrap_around)
    failed = [c for c in result.cases if not c.passed]
    assert not result.passed and failed
    assert all("180°" in c.hint and "0°" in c.hint for c in failed), result.report()


def test_nms_modulo_180_with_the_wrap_around_earns_full_points():
    def wrapped(magnitude, direction):       # the same rounding, written as the task text now says
        deg = np.rad2deg(direction) % 180.0
        deg = np.where(deg >= 157.5, 0.0, deg)                  # 170° is 10° from 180° ≡ 0°: it goes to 0°
        return _nms_without_wrap_around(magnitude, np.deg2rad(deg))
    assert grading.run_check("ch02.non_max_suppression", wrapped, points=4).points == 4


def test_hints_never_print_reference_values():
    result = grading.run_check("ch02.gaussian_kernel1d", lambda s, k: np.ones(k) / k)
    report = result.report()
    for s in (1.0, 0.7):
        g = gaussian_kernel1d(s, 2 * int(np.ceil(3 * s)) + 1)
        assert f"{g.max():.3g}" not in report and f"{g.max():.4f}" not in report
