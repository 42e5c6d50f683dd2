"""Checks of Chapter 2's filtering exercises: the Gaussian kernel, 2-D convolution, non-maximum suppression.

Each check runs the student's function on seeded random inputs and on crops of real photographs; the
judgement compares with :mod:`coursekit.image.filters` / :mod:`coursekit.image.edges` and explains a
failure without revealing the expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit import grading
from coursekit.data.images import load_image
from coursekit.grading import Case, Check
from coursekit.image.edges import gradient_magnitude_direction, non_max_suppression
from coursekit.image.filters import convolve2d, correlate2d, gaussian_kernel1d

__all__ = ["CHECKS"]


def _crop(name: str, size: int = 48) -> np.ndarray:
    return load_image(name)[200:200 + size, 200:200 + size].astype(np.float64)   # (size, size)


# ----------------------------------------------------------------------------- ch02.gaussian_kernel1d

def _gaussian_cases(rng: np.random.Generator):
    """``gaussian_kernel1d(sigma, ksize)``: odd size, symmetric, sums to 1, Eq. (2.7)."""
    for s in [1.0, 0.7] + [float(s) for s in rng.uniform(0.5, 4.0, 3)]:
        ksize = 2 * int(np.ceil(3 * s)) + 1
        yield Case(f"sigma={s:.3g}, ksize={ksize}", (s, ksize))
    yield Case("narrow kernel: sigma=2.5, ksize=3", (2.5, 3))


def _gaussian_judge(case: Case, got, expected) -> str:
    sigma, ksize = case.args
    if isinstance(got, np.ndarray) and got.shape == (ksize,) and got.dtype.kind in "biuf":
        g = got.astype(np.float64)                  # a property first, so the hint names the mistake
        if abs(g.sum() - 1.0) > 1e-6:
            return f"your kernel does not sum to 1 for sigma={sigma:.3g}; divide by the sum of the samples."
        if not np.allclose(g, g[::-1]):
            return "your kernel is not symmetric: centre the offsets at 0 (-r..r)."
    hint = grading.compare(got, expected, atol=1e-9)
    return hint + " Hint: sample exp(-i^2 / (2 sigma^2)) at the integer offsets i = -r..r." if hint else ""


# ----------------------------------------------------------------------------- ch02.convolve2d

def _convolve_zero(image, kernel):
    return convolve2d(image, kernel, mode="zero")


def _convolve_cases(rng: np.random.Generator):
    """``convolve2d(image, kernel)``: zero padding, same size as the input, flipped kernel, Eq. (2.6)."""
    sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    yield Case("random 9×11 image, random 3×3 kernel", (rng.normal(size=(9, 11)), rng.normal(size=(3, 3))))
    yield Case("random 16×12 image, random 5×3 kernel", (rng.uniform(0, 1, (16, 12)), rng.normal(size=(5, 3))))
    yield Case("camera crop 48×48, Sobel-x kernel", (_crop("camera"), sobel_x))
    yield Case("coins crop 48×48, random 5×5 kernel", (_crop("coins"), rng.normal(size=(5, 5))))


def _convolve_judge(case: Case, got, expected) -> str:
    hint = grading.compare(got, expected, atol=1e-8)
    image, kernel = case.args
    if hint and isinstance(got, np.ndarray) and got.shape == image.shape and got.dtype.kind in "biuf":
        g = got.astype(np.float64)
        if np.allclose(g, correlate2d(image, kernel, mode="zero"), atol=1e-8):
            hint += " Hint: this is correlation — convolution flips the kernel in both axes."
        elif np.allclose(g[2:-2, 2:-2], expected[2:-2, 2:-2], atol=1e-8):
            hint += " Hint: the interior is right; check the border (pad with zeros)."
    return hint


# ----------------------------------------------------------------------------- ch02.non_max_suppression

def _directions_off_the_bin_edges(rng: np.random.Generator, shape) -> np.ndarray:
    """Random angles in (-pi, pi] at least 2 degrees away from the quantisation edges 22.5 + 45 k."""
    deg = rng.uniform(-180.0, 180.0, shape)
    off = (deg - 22.5) % 45.0                                     # distance past the last bin edge
    deg = np.where(off < 2.0, deg + 2.0, np.where(off > 43.0, deg - 2.0, deg))
    return np.deg2rad(deg)


def _nms_cases(rng: np.random.Generator):
    """``non_max_suppression(magnitude, direction)``: four direction bins, >= both neighbours, Eq. (2.16)."""
    for shape in [(12, 15), (20, 20)]:
        mag = rng.uniform(0.0, 10.0, shape)
        yield Case(f"random magnitude {shape[0]}×{shape[1]}, random directions",
                   (mag, _directions_off_the_bin_edges(rng, shape)))
    for name in ("camera", "coins"):
        mag, theta = gradient_magnitude_direction(_crop(name, 40))
        yield Case(f"{name} crop 40×40, Sobel gradient", (mag, theta))


_NMS_HINT = ("quantise the angle modulo 180° to the nearest of 0°, 45°, 90°, 135° — with the wrap-around: "
             "170° is 10° from 180° ≡ 0°, so it goes to 0°, not 135° — remember y points down (rows), keep "
             "pixels >= both neighbours, and treat neighbours outside the image as 0.")


def _nms_judge(case: Case, got, expected) -> str:
    """Exact agreement (atol 1e-9) with the reference; a failure that matches the reading "nearest of 0°,
    45°, 90°, 135° without wrapping at 180°" (angles in (157.5°, 180°) sent to 135°) is named as such."""
    hint = grading.compare(got, expected, atol=1e-9)
    if not hint:
        return ""
    magnitude, direction = case.args
    if isinstance(got, np.ndarray) and got.shape == magnitude.shape and got.dtype.kind in "biuf":
        deg = np.rad2deg(direction) % 180.0
        no_wrap = np.where(deg > 157.5, np.deg2rad(135.0), direction)     # the literal, non-wrapping reading
        if np.allclose(got, non_max_suppression(magnitude, no_wrap), atol=1e-9):
            return hint + (" Hint: your angles between 157.5° and 180° go to 135°, but they are nearer to "
                           "180°, which is the same direction as 0° (modulo 180°): send them to 0°.")
    return hint + " Hint: " + _NMS_HINT


CHECKS = [
    Check("ch02.gaussian_kernel1d", cases=_gaussian_cases, reference=gaussian_kernel1d, judge=_gaussian_judge,
          forbidden=("cv2.getGaussianKernel", "scipy.signal.windows.gaussian", "scipy.signal.gaussian")),
    # convolve2d is correlate2d with a flipped kernel: calling either is the shortcut
    Check("ch02.convolve2d", cases=_convolve_cases, reference=_convolve_zero, judge=_convolve_judge,
          implements=(convolve2d, correlate2d),
          forbidden=("scipy.ndimage.convolve", "scipy.ndimage.correlate", "scipy.signal.convolve2d",
                     "scipy.signal.correlate2d", "scipy.signal.convolve", "cv2.filter2D")),
    Check("ch02.non_max_suppression", cases=_nms_cases, reference=non_max_suppression, judge=_nms_judge,
          forbidden=("skimage.feature.canny",)),
]
