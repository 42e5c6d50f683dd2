"""Checks of Chapter 2's filtering exercises: the Gaussian kernel, 2-D convolution, non-maximum suppression.

Each ``check_<name>(student, rng)`` compares the student's function with the coursekit reference on seeded
random inputs from ``rng`` and on crops of real photographs, and explains a failure without revealing
the expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit import grading
from coursekit.data.images import load_image
from coursekit.image.edges import gradient_magnitude_direction, non_max_suppression
from coursekit.image.filters import convolve2d, correlate2d, gaussian_kernel1d

__all__ = ["check_gaussian_kernel1d", "check_convolve2d", "check_non_max_suppression"]


def _crop(name: str, size: int = 48) -> np.ndarray:
    return load_image(name)[200:200 + size, 200:200 + size].astype(np.float64)   # (size, size)


def check_gaussian_kernel1d(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``gaussian_kernel1d(sigma, ksize)``: odd size, symmetric, sums to 1, Eq. (2.7)."""
    sigmas = [1.0, 0.7] + [float(s) for s in rng.uniform(0.5, 4.0, 3)]
    cases = []
    for s in sigmas:
        ksize = 2 * int(np.ceil(3 * s)) + 1
        cases.append((f"sigma={s:.3g}, ksize={ksize}", (s, ksize), {}))
    cases.append(("narrow kernel: sigma=2.5, ksize=3", (2.5, 3), {}))
    results = []
    for label, args, kwargs in cases:          # a property check first, so the hint names the mistake
        try:
            got = np.asarray(student(*args, **kwargs), dtype=np.float64)
        except NotImplementedError:
            raise
        except Exception:
            continue                           # compare_cases below reports the error
        if got.shape == (args[1],) and abs(got.sum() - 1.0) > 1e-6:
            results.append(grading.CaseResult(label + " (sum)", False,
                                              f"your kernel does not sum to 1 for sigma={args[0]:.3g}; "
                                              "divide by the sum of the samples."))
        elif got.shape == (args[1],) and not np.allclose(got, got[::-1]):
            results.append(grading.CaseResult(label + " (symmetry)", False,
                                              "your kernel is not symmetric: centre the offsets at 0 (-r..r)."))
    results += grading.compare_cases(student, gaussian_kernel1d, cases, atol=1e-9,
                                     hint="sample exp(-i^2 / (2 sigma^2)) at the integer offsets i = -r..r.")
    return results


def _convolve_zero(image, kernel):
    return convolve2d(image, kernel, mode="zero")


def check_convolve2d(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``convolve2d(image, kernel)``: zero padding, same size as the input, flipped kernel, Eq. (2.6)."""
    sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    cases = [
        ("random 9×11 image, random 3×3 kernel", (rng.normal(size=(9, 11)), rng.normal(size=(3, 3))), {}),
        ("random 16×12 image, random 5×3 kernel", (rng.uniform(0, 1, (16, 12)), rng.normal(size=(5, 3))), {}),
        ("camera crop 48×48, Sobel-x kernel", (_crop("camera"), sobel_x), {}),
        ("coins crop 48×48, random 5×5 kernel", (_crop("coins"), rng.normal(size=(5, 5))), {}),
    ]
    results = grading.compare_cases(student, _convolve_zero, cases, atol=1e-8)
    for (label, (image, kernel), _), res in zip(cases, results):
        if res.passed or res.hint == grading._NOT_DONE:
            continue
        try:
            got = np.asarray(student(image.copy(), kernel.copy()), dtype=np.float64)
        except Exception:
            continue
        if got.shape == image.shape and np.allclose(got, correlate2d(image, kernel, mode="zero"), atol=1e-8):
            res.hint += " Hint: this is correlation — convolution flips the kernel in both axes."
        elif got.shape == image.shape and np.allclose(got[2:-2, 2:-2], _convolve_zero(image, kernel)[2:-2, 2:-2],
                                                      atol=1e-8):
            res.hint += " Hint: the interior is right; check the border (pad with zeros)."
    return results


def _directions_off_the_bin_edges(rng: np.random.Generator, shape) -> np.ndarray:
    """Random angles in (-pi, pi] at least 2 degrees away from the quantisation edges 22.5 + 45 k."""
    deg = rng.uniform(-180.0, 180.0, shape)
    off = (deg - 22.5) % 45.0                                     # distance past the last bin edge
    deg = np.where(off < 2.0, deg + 2.0, np.where(off > 43.0, deg - 2.0, deg))
    return np.deg2rad(deg)


def check_non_max_suppression(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``non_max_suppression(magnitude, direction)``: four direction bins, >= both neighbours, Eq. (2.16)."""
    cases = []
    for shape in [(12, 15), (20, 20)]:
        mag = rng.uniform(0.0, 10.0, shape)
        cases.append((f"random magnitude {shape[0]}×{shape[1]}, random directions",
                      (mag, _directions_off_the_bin_edges(rng, shape)), {}))
    for name in ("camera", "coins"):
        mag, theta = gradient_magnitude_direction(_crop(name, 40))
        cases.append((f"{name} crop 40×40, Sobel gradient", (mag, theta), {}))
    return grading.compare_cases(
        student, non_max_suppression, cases, atol=1e-9,
        hint="quantise the angle mod 180° to 0/45/90/135, remember y points down (rows), "
             "keep pixels >= both neighbours, and treat neighbours outside the image as 0.")


# The coursekit function each exercise re-implements: the grader gives 0 to a student's function that
# calls it ("used the reference implementation"). Exercise id -> dotted name (or a tuple of names).
REFERENCES = {
    "ch02.gaussian_kernel1d": "coursekit.image.filters.gaussian_kernel1d",
    # convolve2d is correlate2d with a flipped kernel: calling either is the shortcut
    "ch02.convolve2d": ("coursekit.image.filters.convolve2d", "coursekit.image.filters.correlate2d"),
    "ch02.non_max_suppression": "coursekit.image.edges.non_max_suppression",
}
