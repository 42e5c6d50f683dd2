"""Checks of Chapter 1's exercises (``solutions/01_foundations.ipynb``): MSE, PSNR, quantisation, sampling.

Each check runs the student's function on seeded random inputs and on real ``skimage.data`` images; the
judgement compares the output with :mod:`coursekit.metrics.image` and :mod:`coursekit.image.sampling`.
When an answer is off, it recognises the usual slips (uint8 wrap-around, ``log`` for ``log10``, floor for
round, a forgotten crop) by comparing with those wrong answers and names the slip — it never prints the
reference's values.
"""

from __future__ import annotations

import numbers

import numpy as np

from coursekit import grading
from coursekit.data import add_gaussian_noise, load_image
from coursekit.grading import Case, Check, compare_arrays
from coursekit.image import sampling as ref
from coursekit.metrics import image as image_metrics

__all__ = ["CHECKS"]


def _scalar_hint(got, expected: float, slips, rtol: float = 1e-9) -> str:
    """Compare a scalar answer; on a mismatch, name the slip whose value it matches."""
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.item()
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, numbers.Real):
        if isinstance(got, np.ndarray):
            what = f"an array of shape {got.shape}"
        elif isinstance(got, grading.Unsupported):
            what = f"a {got.type_name}"
        else:
            what = f"a {type(got).__name__}"
        return f"return a single number (a float); you returned {what}."
    got = float(got)
    if np.isinf(expected):
        return "" if got == expected else "for identical images the error is 0; return float('inf')."
    if np.isclose(got, expected, rtol=rtol, atol=0.0):
        return ""
    pairs = slips.items() if isinstance(slips, dict) else slips  # (hint, wrong value) pairs
    for hint, wrong in pairs:
        if np.isfinite(wrong) and np.isclose(got, wrong, rtol=1e-6, atol=1e-9):
            return hint
    if not np.isfinite(got):
        return f"your answer is {got}; expected a finite number here."
    rel = abs(got - expected) / max(abs(expected), 1e-300)
    # only the order of magnitude: an exact relative error would give the expected value away
    size = "less than 1%" if rel < 0.01 else "a few percent" if rel < 0.1 else "10% or more"
    return f"your answer is off by {size} (tolerance {rtol:g} relative)."


def _array_hint(got, expected: np.ndarray, slips: dict[str, np.ndarray], atol: float,
                check_dtype: bool = False, extra: str = "") -> str:
    """Compare an array answer; on a mismatch, name the slip it matches or say how it is off."""
    msg = compare_arrays(got, expected, atol=atol, check_dtype=check_dtype)
    if not msg:
        return ""
    got_arr = np.asarray(got) if isinstance(got, (np.ndarray, numbers.Number)) else None
    if got_arr is not None and got_arr.dtype.kind in "biuf":
        for hint, wrong in slips.items():
            if got_arr.shape == wrong.shape and np.allclose(got_arr.astype(np.float64), wrong, atol=atol, rtol=0):
                return hint
    return msg + (" " + extra if extra else "")


# ----------------------------------------------------------------------------- ch01.mse

def _mse_slips(a: np.ndarray, b: np.ndarray) -> list[tuple[str, float]]:
    """(hint, wrong value) for the usual slips of an MSE."""
    d = a.astype(np.float64) - b.astype(np.float64)
    slips = [
        ("you returned the root of the mean squared error (RMSE); the MSE has no square root.",
         float(np.sqrt(np.mean(d**2)))),
        ("you summed the squared errors; the MSE is their mean (divide by the number of values).",
         float(np.sum(d**2))),
        ("you averaged the absolute errors (that is the MAE); square each difference instead.",
         float(np.mean(np.abs(d)))),
    ]
    if a.dtype == np.uint8:
        hint = ("your arithmetic wrapped around in uint8 (3 - 5 gives 254, and 20**2 gives 144); convert "
                "both images to float64 before subtracting.")
        slips.append((hint, float(np.mean((a - b).astype(np.float64) ** 2))))  # subtracted in uint8
        slips.append((hint, float(np.mean(((a - b) ** 2).astype(np.float64)))))  # squared in uint8 too
    return slips


def _mse_cases(rng: np.random.Generator):
    """``mse(reference, test) -> float`` on random floats, uint8 noise and real photographs."""
    cam = load_image("camera", size=256)
    ast = load_image("astronaut", gray=False, size=128)
    x = rng.random((17, 23))
    yield Case("random float images (17×23)", (x, x + rng.normal(0, 0.1, x.shape)))
    yield Case("random uint8 images (32×32): beware of wrap-around",
               (rng.integers(0, 256, (32, 32), dtype=np.uint8), rng.integers(0, 256, (32, 32), dtype=np.uint8)))
    yield Case("camera (256×256 uint8) with Gaussian noise σ=10", (cam, add_gaussian_noise(cam, 10.0, rng)))
    yield Case("astronaut in colour (128×128×3 uint8) with noise σ=25", (ast, add_gaussian_noise(ast, 25.0, rng)))


def _mse_judge(case: Case, got, expected) -> str:
    return _scalar_hint(got, expected, _mse_slips(*case.args))


# ----------------------------------------------------------------------------- ch01.psnr

def _psnr_slips(a: np.ndarray, b: np.ndarray, data_range: float) -> dict[str, float]:
    m = image_metrics.mse(a, b)
    right = 10 * np.log10(data_range**2 / m)
    slips = {
        "your values are ln(10) ≈ 2.3 times too large: use np.log10, not np.log.": right * np.log(10),
        "your values are twice too large: 10·log10 goes with R²/MSE (20·log10 with R/RMSE).": 2 * right,
        "your values are half what they should be: square the peak R (or use 20·log10 with R/√MSE).":
            right / 2,
        "you forgot to square the peak R: the ratio is R² / MSE.": 10 * np.log10(data_range / m),
        "your ratio is upside down: PSNR = 10·log10(R² / MSE), larger when the error is smaller.": -right,
    }
    if a.dtype == np.uint8:
        wrapped = np.mean(((a - b).astype(np.float64)) ** 2)
        if wrapped > 0:
            slips["your MSE wrapped around in uint8 (3 - 5 gives 254); convert to float64 before "
                  "subtracting."] = 10 * np.log10(data_range**2 / wrapped)
    return slips


def _psnr_cases(rng: np.random.Generator):
    """``psnr(reference, test, data_range) -> float`` in dB, including identical images (inf)."""
    cam = load_image("camera", size=256)
    coins = load_image("coins")
    ast = load_image("astronaut", gray=False, size=128, dtype="float")
    x = rng.random((20, 30))
    yield Case("random float images in [0, 1], data_range=1", (x, np.clip(x + rng.normal(0, 0.05, x.shape), 0, 1), 1.0))
    yield Case("camera (256×256 uint8), noise σ=5, data_range=255", (cam, add_gaussian_noise(cam, 5.0, rng), 255))
    yield Case("coins (uint8), noise σ=20, data_range=255", (coins, add_gaussian_noise(coins, 20.0, rng), 255))
    yield Case("astronaut in colour (float), noise σ=0.1, data_range=1", (ast, add_gaussian_noise(ast, 0.1, rng), 1.0))
    yield Case("identical images (the error is zero)", (cam, cam.copy(), 255))


def _psnr_judge(case: Case, got, expected) -> str:
    a, b, r = case.args
    return _scalar_hint(got, expected, {} if np.isinf(expected) else _psnr_slips(a, b, float(r)))


def _psnr_review(outcomes) -> None:
    for o in outcomes:
        err = o.answer.error
        if o.answer.kind == "raised" and ("divide" in err or "ZeroDivision" in err):
            o.result.hint = o.result.hint.rstrip(".") + ". Identical images have MSE 0: return float('inf') for them."


# ----------------------------------------------------------------------------- ch01.quantize

def _quantize_slips(image: np.ndarray, levels: int) -> dict[str, np.ndarray]:
    f = image.astype(np.float64)
    step = 255.0 / (levels - 1)
    k_floor = np.floor(f / step)
    return {
        "you rounded down to the level below (floor, or astype(int) truncates); take the *nearest* level "
        "with np.round.": np.round(k_floor * step),
        "you returned the level index k (0 .. L-1); return the grey value of that level, k · 255 / (L - 1).":
            np.round(f / step),
        "your levels are spaced 256 / L apart; spread L levels from 0 to 255, i.e. 255 / (L - 1) apart.":
            np.clip(np.round(np.round(f / (256.0 / levels)) * (256.0 / levels)), 0, 255),
        "your levels sit in the middle of bins of width 256 / L; this exercise uses L levels from 0 to 255, "
        "255 / (L - 1) apart.": np.floor(np.floor(f / (256.0 / levels)) * (256.0 / levels) + 128.0 / levels),
    }


def _quantize_cases(rng: np.random.Generator):
    """``quantize(image, levels) -> uint8`` exactly equal to the reference on ramps and photographs."""
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    random_levels = int(rng.integers(3, 40))
    yield Case("ramp 0..255, L=2 (black and white)", (ramp, 2))
    yield Case("ramp 0..255, L=3", (ramp, 3))
    yield Case("ramp 0..255, L=16", (ramp, 16))
    yield Case("ramp 0..255, L=256 (must change nothing)", (ramp, 256))
    yield Case(f"random uint8 image (40×30), L={random_levels}",
               (rng.integers(0, 256, (40, 30), dtype=np.uint8), random_levels))
    yield Case("camera (256×256 uint8), L=4", (load_image("camera", size=256), 4))
    yield Case("astronaut in colour (128×128×3 uint8), L=8", (load_image("astronaut", gray=False, size=128), 8))


def _quantize_judge(case: Case, got, expected) -> str:
    img, levels = case.args
    got_arr = np.asarray(got) if isinstance(got, np.ndarray) else np.asarray(0)
    if got_arr.shape == expected.shape and got_arr.dtype == np.uint8:
        # Where the exact level k*255/(L-1) is a half-integer, rounding it up or down are both fine.
        k = np.round(img.astype(np.float64) * (levels - 1) / 255.0).astype(np.int64)
        tie = ((2 * k * 255) % (levels - 1) == 0) & ((k * 255) % (levels - 1) != 0)
        diff = np.abs(got_arr.astype(np.int64) - expected.astype(np.int64))
        if np.all((diff == 0) | (tie & (diff == 1))):
            return ""
    if got_arr.shape == expected.shape and got_arr.dtype != np.uint8:
        return f"your output has dtype {got_arr.dtype}; return uint8 (round first, then .astype(np.uint8))."
    extra = ""
    if got_arr.shape == expected.shape and got_arr.dtype.kind in "biuf":
        diff = np.abs(got_arr.astype(np.int64) - expected.astype(np.int64))
        if diff.max() == 1:
            extra = ("Off by one grey level only: round the level's value, np.round(k * 255 / (L - 1)), "
                     "rather than truncating it, and compute the step without rounding it first.")
        elif diff.max() > 255.0 / (levels - 1) and got_arr.dtype == np.uint8:
            extra = ("Some pixels are more than one level off: if you multiply the uint8 image, convert "
                     "it to float64 first (uint8 arithmetic wraps around above 255).")
    return _array_hint(got, expected, _quantize_slips(img, levels), atol=0.0, check_dtype=True, extra=extra)


# ----------------------------------------------------------------------------- ch01.sample

def _sample_slips(image: np.ndarray, factor: int, prefilter: bool) -> dict[str, np.ndarray]:
    f = image.astype(np.float64)
    h, w = image.shape[:2]
    if prefilter:
        slips = {"with prefilter=True, average each factor×factor block instead of picking one pixel of it.":
                 ref.sample(image, factor, prefilter=False)}
    else:
        slips = {"with prefilter=False, pick one pixel per block (the top-left one) instead of averaging.":
                 ref.sample(image, factor, prefilter=True)}
    if not prefilter and factor > 1:
        c = factor // 2
        hh, ww = h // factor, w // factor
        slips["you picked the centre pixel of each block; this exercise takes the top-left one, "
              "f[factor·i, factor·j]."] = f[c: hh * factor: factor, c: ww * factor: factor]
    return slips


def _sample_cases(rng: np.random.Generator):
    """``sample(image, factor, prefilter=False)`` on sizes that are and are not multiples of ``factor``."""
    cam = load_image("camera", size=256)
    ast = load_image("astronaut", gray=False, size=96, dtype="float")
    zp = ref.zone_plate(128)
    x = rng.random((37, 50))
    for label, img, factor, prefilter in [
        ("random 37×50 image, factor 3, point sampling", x, 3, False),
        ("random 37×50 image, factor 3, block average", x, 3, True),
        ("camera (256×256 uint8), factor 4, point sampling", cam, 4, False),
        ("camera (256×256 uint8), factor 4, block average", cam, 4, True),
        ("zone plate 128×128, factor 5, block average", zp, 5, True),
        ("astronaut in colour (96×96×3), factor 2, block average", ast, 2, True),
        ("camera, factor 1 (nothing to drop)", cam, 1, True),
    ]:
        yield Case(label, (img, factor), {"prefilter": prefilter})


def _sample_judge(case: Case, got, expected) -> str:
    (img, factor), prefilter = case.args, case.kwargs["prefilter"]
    got_arr = np.asarray(got) if isinstance(got, np.ndarray) else np.asarray(0)
    if got_arr.shape != expected.shape:
        h, w = img.shape[:2]
        hint = (f"your output has shape {got_arr.shape}; for a {h}×{w} image and factor {factor} it must "
                f"have {h // factor} rows and {w // factor} columns (crop the partial blocks at the "
                "bottom and right first)")
        return hint + (", and keep the colour axis." if img.ndim == 3 else ".")
    # Means of at most 25 float64 values: any summation order agrees to ~1e-13 of 255.
    return _array_hint(got, expected, _sample_slips(img, factor, prefilter), atol=1e-9)


CHECKS = [
    Check("ch01.mse", cases=_mse_cases, reference=image_metrics.mse, judge=_mse_judge,
          forbidden=("skimage.metrics.mean_squared_error", "sklearn.metrics.mean_squared_error")),
    Check("ch01.psnr", cases=_psnr_cases, reference=image_metrics.psnr, judge=_psnr_judge, review=_psnr_review,
          forbidden=("skimage.metrics.peak_signal_noise_ratio", "cv2.PSNR")),
    Check("ch01.quantize", cases=_quantize_cases, reference=ref.quantize, judge=_quantize_judge),
    Check("ch01.sample", cases=_sample_cases, reference=ref.sample, judge=_sample_judge,
          forbidden=("skimage.transform.downscale_local_mean", "skimage.measure.block_reduce", "cv2.resize")),
]
