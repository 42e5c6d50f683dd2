"""Checks of Chapter 2's exercises on intensity, thresholds and morphology.

``ch02.equalize_hist``, ``ch02.otsu_threshold`` and ``ch02.erode``: each runs the student's function on real
photographs and on seeded random images; the judgement compares with :mod:`coursekit.image.intensity` /
:mod:`coursekit.image.morphology`. Hints say how an answer is off, never what it should be.
"""

from __future__ import annotations

import numbers

import numpy as np

from coursekit.data.images import load_image
from coursekit.grading import Case, Check, compare_arrays
from coursekit.image.intensity import between_class_variance, equalize_hist, histogram, otsu_threshold
from coursekit.image.morphology import erode, square

__all__ = ["CHECKS"]


def _bimodal(rng: np.random.Generator, shape=(48, 64)) -> np.ndarray:
    """A uint8 image mixing two clipped normals (two modes, gaps in the histogram)."""
    a = rng.normal(rng.uniform(20, 110), rng.uniform(4, 25), shape)
    b = rng.normal(rng.uniform(140, 230), rng.uniform(4, 25), shape)
    return np.clip(np.rint(np.where(rng.random(shape) < rng.uniform(0.2, 0.8), a, b)), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- ch02.equalize_hist

def _equalize_cases(rng: np.random.Generator):
    narrow = rng.integers(60, 90, size=(40, 50)).astype(np.uint8)  # a low-contrast image
    yield Case("camera (512×512 uint8)", (load_image("camera"),))
    yield Case("coins (303×384 uint8)", (load_image("coins"),))
    yield Case("random two-mode image (48×64)", (_bimodal(rng),))
    yield Case("random low-contrast image, levels 60..89 (40×50)", (narrow,))


def _equalize_judge(case: Case, got, expected) -> str:
    """Judge an equalised image: exact agreement with :func:`coursekit.image.intensity.equalize_hist`.

    That is OpenCV's convention; an off-by-one is tolerated on at most 0.1 % of pixels (exact .5 ties
    rounded another way).
    """
    msg = compare_arrays(got, expected, atol=1.0)
    if not msg:
        g = np.asarray(got)
        if g.dtype != np.uint8:
            return f"your output has dtype {g.dtype}; return uint8 (use .astype(np.uint8) on the look-up table)."
        diff = g.astype(np.int64) - expected.astype(np.int64)
        if np.mean(diff != 0) > 1e-3:
            msg = f"{int(np.sum(diff != 0))} of {diff.size} pixels are off by one level"
            msg += (": round to the nearest level (np.rint) rather than truncating." if np.all(diff <= 0)
                    else ": check the rounding of 255 * (cdf - cdf_min) / (N - cdf_min).")
    elif "values differ" in msg and isinstance(got, np.ndarray) and got.shape == expected.shape:
        if got.min() != 0:
            msg += " Hint: the darkest level present should map to 0 — subtract cdf_min."
        elif got.max() != 255:
            msg += " Hint: the brightest level should map to 255 — divide by N - cdf_min."
    return msg


# ----------------------------------------------------------------------------- ch02.otsu_threshold

def _otsu_cases(rng: np.random.Generator):
    yield Case("camera (512×512 uint8)", (load_image("camera"),))
    yield Case("coins (303×384 uint8)", (load_image("coins"),))
    yield Case("page (191×384 uint8)", (load_image("page"),))
    for i in range(3):
        yield Case(f"random two-mode image #{i + 1} (48×64)", (_bimodal(rng),))


def _otsu_judge(case: Case, got, expected) -> str:
    """The student's threshold must maximise the between-class variance (ties: any maximiser)."""
    (img,) = case.args
    arr = np.asarray(got) if isinstance(got, (np.ndarray, numbers.Number)) else None
    if arr is None or arr.ndim != 0 or arr.dtype.kind not in "iuf" or not np.isfinite(arr) or arr != np.round(arr):
        shown = repr(got) if isinstance(got, (numbers.Number, str)) else type(got).__name__
        return f"return one whole grey level (an int), got {shown[:40]}."
    t = int(arr)
    if not 0 <= t <= 255:
        return f"the threshold must be a level in 0..255, got {t}."
    s2 = between_class_variance(histogram(img))     # (256,)
    best = s2.max()
    if s2[t] >= best * (1 - 1e-9):
        return ""
    if t >= 1 and s2[t - 1] >= best * (1 - 1e-9):
        return ("off by one level: class 0 should be the levels <= t (the foreground is image > t), "
                "so return the split index itself.")
    return (f"your threshold's between-class variance is {100 * (1 - s2[t] / best):.1f} % below the "
            "largest one; check omega(t), mu(t) and the formula of sigma_B^2.")


# ----------------------------------------------------------------------------- ch02.erode

def _erode_reference(mask, size):
    return erode(mask, square(size))


def _erode_cases(rng: np.random.Generator):
    """Binary erosion with a ``size × size`` square (outside pixels never erode)."""
    yield Case("coins > 107, size 3", (load_image("coins") > 107, 3))
    yield Case("camera (256×256) > 100, size 5", (load_image("camera", size=256) > 100, 5))
    yield Case("random mask (37×53), size 3", (rng.random((37, 53)) < 0.7, 3))
    yield Case("random mask (30×41), size 7", (rng.random((30, 41)) < 0.9, 7))
    yield Case("random mask (20×20), size 1 (nothing changes)", (rng.random((20, 20)) < 0.5, 1))
    yield Case("all-True mask (12×15), size 3", (np.ones((12, 15), bool), 3))


def _erode_judge(case: Case, got, expected) -> str:
    msg = compare_arrays(got, expected, atol=0.0)
    if msg and "values differ" in msg:
        size = case.args[1]
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
    return msg


CHECKS = [
    Check("ch02.equalize_hist", cases=_equalize_cases, reference=equalize_hist, judge=_equalize_judge,
          forbidden=("cv2.equalizeHist", "skimage.exposure.equalize_hist")),
    Check("ch02.otsu_threshold", cases=_otsu_cases, judge=_otsu_judge, implements=(otsu_threshold,),
          forbidden=("cv2.threshold", "skimage.filters.threshold_otsu")),
    Check("ch02.erode", cases=_erode_cases, reference=_erode_reference, judge=_erode_judge, implements=(erode,),
          forbidden=("cv2.erode", "scipy.ndimage.binary_erosion", "skimage.morphology.binary_erosion",
                     "skimage.morphology.erosion")),
]
