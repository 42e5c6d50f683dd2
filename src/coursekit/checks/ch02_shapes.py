"""Checks of Chapter 2's exercises on intensity, thresholds and morphology.

``ch02.equalize_hist``, ``ch02.otsu_threshold`` and ``ch02.erode``: each runs the
student's function on real photographs and on seeded random images from
``rng``, and compares with :mod:`coursekit.image.intensity` / :mod:`coursekit.image.morphology`.
Hints say how an answer is off, never what it should be.
"""

from __future__ import annotations

import numpy as np

from coursekit.data.images import load_image
from coursekit import grading
from coursekit.grading import CaseResult, compare_arrays
from coursekit.image.intensity import between_class_variance, equalize_hist, histogram
from coursekit.image.morphology import erode, square

__all__ = ["check_equalize_hist", "check_otsu_threshold", "check_erode"]


def _bimodal(rng: np.random.Generator, shape=(48, 64)) -> np.ndarray:
    """A uint8 image mixing two clipped normals (two modes, gaps in the histogram)."""
    a = rng.normal(rng.uniform(20, 110), rng.uniform(4, 25), shape)
    b = rng.normal(rng.uniform(140, 230), rng.uniform(4, 25), shape)
    return np.clip(np.rint(np.where(rng.random(shape) < rng.uniform(0.2, 0.8), a, b)), 0, 255).astype(np.uint8)


def _call(student, *args):
    """Run the student's function on copies; return (output, error message or "")."""
    return grading.call_student(student, *args)


# ----------------------------------------------------------------------------- ch02.equalize_hist

def _equalize_cases(rng):
    narrow = rng.integers(60, 90, size=(40, 50)).astype(np.uint8)  # a low-contrast image
    return [("camera (512×512 uint8)", load_image("camera")),
            ("coins (303×384 uint8)", load_image("coins")),
            ("random two-mode image (48×64)", _bimodal(rng)),
            ("random low-contrast image, levels 60..89 (40×50)", narrow)]


def check_equalize_hist(student, rng: np.random.Generator) -> list[CaseResult]:
    """Exact agreement with :func:`coursekit.image.intensity.equalize_hist` (OpenCV's convention);
    an off-by-one is tolerated on at most 0.1 % of pixels (exact .5 ties rounded another way)."""
    results = []
    for label, img in _equalize_cases(rng):
        got, err = _call(student, img)
        if err:
            results.append(CaseResult(label, False, err))
            continue
        expected = equalize_hist(img)
        msg = compare_arrays(got, expected, atol=1.0)
        g = np.asarray(got)
        if not msg and g.dtype != np.uint8:
            msg = f"your output has dtype {g.dtype}; return uint8 (use .astype(np.uint8) on the look-up table)."
        if not msg:
            diff = g.astype(np.int64) - expected.astype(np.int64)
            if np.mean(diff != 0) > 1e-3:
                msg = (f"{int(np.sum(diff != 0))} of {diff.size} pixels are off by one level")
                msg += (": round to the nearest level (np.rint) rather than truncating." if np.all(diff <= 0)
                        else ": check the rounding of 255 * (cdf - cdf_min) / (N - cdf_min).")
        elif "values differ" in msg:
            if g.shape == expected.shape and g.min() != 0:
                msg += " Hint: the darkest level present should map to 0 — subtract cdf_min."
            elif g.shape == expected.shape and g.max() != 255:
                msg += " Hint: the brightest level should map to 255 — divide by N - cdf_min."
        results.append(CaseResult(label, not msg, msg))
    return results


# ----------------------------------------------------------------------------- ch02.otsu_threshold

def check_otsu_threshold(student, rng: np.random.Generator) -> list[CaseResult]:
    """The student's threshold must maximise the between-class variance (ties: any maximiser)."""
    cases = [("camera (512×512 uint8)", load_image("camera")),
             ("coins (303×384 uint8)", load_image("coins")),
             ("page (191×384 uint8)", load_image("page"))]
    cases += [(f"random two-mode image #{i + 1} (48×64)", _bimodal(rng)) for i in range(3)]
    results = []
    for label, img in cases:
        got, err = _call(student, img)
        if err:
            results.append(CaseResult(label, False, err))
            continue
        arr = np.asarray(got)
        if arr.ndim != 0 or arr.dtype.kind not in "iuf" or not np.isfinite(arr) or arr != np.round(arr):
            results.append(CaseResult(label, False, f"return one whole grey level (an int), got {got!r}."))
            continue
        t = int(arr)
        if not 0 <= t <= 255:
            results.append(CaseResult(label, False, f"the threshold must be a level in 0..255, got {t}."))
            continue
        s2 = between_class_variance(histogram(img))     # (256,)
        best = s2.max()
        if s2[t] >= best * (1 - 1e-9):
            results.append(CaseResult(label, True))
            continue
        if t >= 1 and s2[t - 1] >= best * (1 - 1e-9):
            hint = ("off by one level: class 0 should be the levels <= t (the foreground is image > t), "
                    "so return the split index itself.")
        else:
            hint = (f"your threshold's between-class variance is {100 * (1 - s2[t] / best):.1f} % below the "
                    "largest one; check omega(t), mu(t) and the formula of sigma_B^2.")
        results.append(CaseResult(label, False, hint))
    return results


# ----------------------------------------------------------------------------- ch02.erode

def check_erode(student, rng: np.random.Generator) -> list[CaseResult]:
    """Binary erosion with a ``size × size`` square: ``student(mask, size)`` vs
    ``coursekit.image.morphology.erode(mask, square(size))`` (outside pixels never erode)."""
    coins = load_image("coins") > 107
    camera = load_image("camera", size=256) > 100
    cases = [("coins > 107, size 3", coins, 3),
             ("camera (256×256) > 100, size 5", camera, 5),
             ("random mask (37×53), size 3", rng.random((37, 53)) < 0.7, 3),
             ("random mask (30×41), size 7", rng.random((30, 41)) < 0.9, 7),
             ("random mask (20×20), size 1 (nothing changes)", rng.random((20, 20)) < 0.5, 1),
             ("all-True mask (12×15), size 3", np.ones((12, 15), bool), 3)]
    results = []
    for label, mask, size in cases:
        got, err = _call(student, mask, size)
        if err:
            results.append(CaseResult(label, False, err))
            continue
        expected = erode(mask, square(size))
        msg = compare_arrays(got, expected, atol=0.0)
        if msg and "values differ" in msg:
            g = np.asarray(got).astype(bool)
            bad = g != expected
            r = size // 2
            interior = np.zeros_like(bad)
            interior[r:bad.shape[0] - r, r:bad.shape[1] - r] = True
            if not np.any(bad & interior):
                msg += (" Hint: only pixels near the border differ — pixels outside the image must not "
                        "erode the shape (treat them as True, as cv2.erode does).")
            elif np.all(g >= expected):
                msg += " Hint: you keep too many pixels — a pixel survives only if the whole square fits."
            elif np.all(g <= expected):
                msg += " Hint: you remove too many pixels — is the square centred on the pixel (offsets -r..r)?"
        results.append(CaseResult(label, not msg, msg))
    return results


# The coursekit function each exercise re-implements: the grader gives 0 to a student's function that
# calls it ("used the reference implementation"). Exercise id -> dotted name (or a tuple of names).
REFERENCES = {
    "ch02.equalize_hist": "coursekit.image.intensity.equalize_hist",
    "ch02.otsu_threshold": "coursekit.image.intensity.otsu_threshold",
    "ch02.erode": "coursekit.image.morphology.erode",
}
