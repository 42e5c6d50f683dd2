"""The graded checks of Chapter 7: each reference earns full points, a stub is "not done", and a typical
mistake fails with a hint that names it (never the expected values)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.checks.ch07_pose import (
    gaussian_heatmap_reference,
    limb_score_reference,
    oks_reference,
    paf_field_reference,
    refine_peak_reference,
)
from coursekit.grading import Status
from coursekit.metrics.pose import pck


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch07.pck", pck),
    ("ch07.gaussian_heatmap", gaussian_heatmap_reference),
    ("ch07.refine_peak", refine_peak_reference),
    ("ch07.oks", oks_reference),
    ("ch07.paf_field", paf_field_reference),
    ("ch07.limb_score", limb_score_reference),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=2)
    assert result.status is Status.PASSED and result.points == 2 and len(result.cases) >= 4, result.report()
    stub = grading.run_check(eid, _stub, points=2)
    assert stub.status is Status.NOT_DONE and stub.points == 0


def _failed_with(eid, student, words):
    result = grading.run_check(eid, student)
    assert result.status is Status.FAILED, result.report()
    assert any(words in c.hint for c in result.cases), result.report()


# ----------------------------------------------------------------------------- independent student answers

def pck_loop(pred, gt, ref, alpha, strict=False):
    hits = []
    for p in range(len(gt)):
        for k in range(gt.shape[1]):
            d = np.hypot(*(pred[p, k] - gt[p, k]))
            hits.append(d < alpha * ref[p] if strict else d <= alpha * ref[p])
    return float(np.mean(hits))


def test_pck_written_as_a_loop_passes_and_strict_inequality_is_named():
    assert grading.run_check("ch07.pck", pck_loop).passed
    _failed_with("ch07.pck", lambda *a: pck_loop(*a, strict=True), "≤, not <")


def heatmap_student(x, y, shape, sigma, stride, centre=0.5, two=2.0):
    H, W = shape
    out = np.zeros((H, W))
    for i in range(H):
        for j in range(W):
            d2 = (j + centre - x / stride) ** 2 + (i + centre - y / stride) ** 2
            out[i, j] = np.exp(-d2 / (two * sigma * sigma))
    return out


def test_gaussian_heatmap_loop_passes_and_slips_are_named():
    assert grading.run_check("ch07.gaussian_heatmap", heatmap_student).passed
    _failed_with("ch07.gaussian_heatmap", lambda *a: heatmap_student(*a, centre=0.0), "j + 0.5")
    _failed_with("ch07.gaussian_heatmap", lambda *a: heatmap_student(*a, two=1.0), "factor 2")


def peak_student(h, sign=1.0, log=False):
    v = np.log(np.maximum(h, 1e-10)) if log else h
    i, j = np.unravel_index(np.argmax(v), v.shape)

    def offset(l, c, r):
        den = l - 2 * c + r
        return float(np.clip((l - r) / (2 * den), -0.5, 0.5)) if den < 0 else 0.0

    dx = offset(v[i, j - 1], v[i, j], v[i, j + 1]) if 0 < j < v.shape[1] - 1 else 0.0
    dy = offset(v[i - 1, j], v[i, j], v[i + 1, j]) if 0 < i < v.shape[0] - 1 else 0.0
    return j + 0.5 + sign * dx, i + 0.5 + sign * dy


def test_refine_peak_as_a_tuple_passes_and_slips_are_named():
    assert grading.run_check("ch07.refine_peak", peak_student).passed
    _failed_with("ch07.refine_peak", lambda h: peak_student(h, sign=-1.0), "higher")
    _failed_with("ch07.refine_peak", lambda h: peak_student(h, log=True), "logarithm")


def oks_student(pred, gt, visibility, area, sigmas, k_factor=2.0, count_hidden=True):
    num = den = 0.0
    for i in range(len(gt)):
        if visibility[i] == 0 or (not count_hidden and visibility[i] == 1):
            continue
        d2 = np.sum((pred[i] - gt[i]) ** 2)
        num += np.exp(-d2 / (2 * area * (k_factor * sigmas[i]) ** 2))
        den += 1
    return num / den


def test_oks_loop_passes_and_slips_are_named():
    assert grading.run_check("ch07.oks", oks_student).passed
    _failed_with("ch07.oks", lambda *a: oks_student(*a, k_factor=1.0), "2 σ_i")
    _failed_with("ch07.oks", lambda *a: oks_student(*a, count_hidden=False), "hidden")


def paf_student(a, b, shape, width, abs_across=True):
    a, b = np.asarray(a, float), np.asarray(b, float)
    H, W = shape
    L = np.linalg.norm(b - a)
    v = (b - a) / L
    out = np.zeros((2, H, W))
    for i in range(H):
        for j in range(W):
            q = np.array([j + 0.5, i + 0.5]) - a
            across = -v[1] * q[0] + v[0] * q[1]
            if 0 <= q @ v <= L and ((abs(across) if abs_across else across) <= width):
                out[:, i, j] = v
    return out


def test_paf_field_loop_passes_and_one_sided_band_is_named():
    assert grading.run_check("ch07.paf_field", paf_student).passed
    _failed_with("ch07.paf_field", lambda *a: paf_student(*a, abs_across=False), "both sides")


def score_student(field, a, b, n_samples, nearest=False):
    from coursekit.geometry import bilinear_sample

    a, b = np.asarray(a, float), np.asarray(b, float)
    v = (b - a) / np.linalg.norm(b - a)
    total = 0.0
    for u in np.linspace(0, 1, n_samples):
        x, y = a + u * (b - a)
        if nearest:
            L = field[:, int(np.clip(round(y - 0.5), 0, field.shape[1] - 1)), int(np.clip(round(x - 0.5), 0, field.shape[2] - 1))]
        else:
            L = [bilinear_sample(field[c], np.array([x - 0.5]), np.array([y - 0.5]))[0] for c in range(2)]
        total += float(np.dot(np.ravel(L), v))
    return total / n_samples


def test_limb_score_loop_passes_and_nearest_sampling_is_named():
    assert grading.run_check("ch07.limb_score", score_student).passed
    _failed_with("ch07.limb_score", lambda *a: score_student(*a, nearest=True), "bilinear")


def test_hints_never_contain_the_expected_numbers():
    result = grading.run_check("ch07.oks", lambda *a: 0.123456)
    assert result.status is Status.FAILED
    expected = oks_reference(*next(iter(grading.build_cases(grading.find_check("ch07.oks")))).args)
    assert f"{expected:.4f}" not in result.report()
