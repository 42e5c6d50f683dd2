"""Checks of Chapter 4's network exercises: compound scaling, the squeeze-and-excitation block, Grad-CAM.

Each ``check_<name>(student, rng)`` compares the student's function with the coursekit reference on seeded
random inputs from ``rng`` and on inputs built from real photographs, and names a typical mistake when it
recognises one, without revealing the expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit import grading
from coursekit.models.efficientnet import compound_scaling
from coursekit.layers.blocks import se_block_forward
from coursekit.data.images import load_image
from coursekit.explain.saliency import grad_cam_map

__all__ = ["check_compound_scaling", "check_se_block_forward", "check_grad_cam"]


def _as_vector(student):
    """Call ``student`` and turn its 4 numbers (tuple, list or array) into a (4,) float array."""
    def call(*args):
        return np.asarray(student(*args), dtype=np.float64).ravel()
    return call


def _compound_reference(phi, alpha, beta, gamma):
    return np.array(compound_scaling(phi, alpha, beta, gamma), dtype=np.float64)     # (4,)


def check_compound_scaling(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``compound_scaling(phi, alpha, beta, gamma)`` → (depth, width, resolution, FLOPs) multipliers, Eq. (4.17)."""
    cases = [("phi=1, EfficientNet's alpha, beta, gamma", (1.0, 1.2, 1.1, 1.15), {}),
             ("phi=0 (the baseline)", (0.0, 1.2, 1.1, 1.15), {})]
    for phi in rng.uniform(0.5, 7.0, 2):
        cases.append((f"phi={phi:.3g}, EfficientNet's alpha, beta, gamma", (float(phi), 1.2, 1.1, 1.15), {}))
    a, b, g = rng.uniform(1.0, 1.5, 3)
    cases.append(("phi=3, other alpha, beta, gamma", (3.0, float(a), float(b), float(g)), {}))
    results = grading.compare_cases(_as_vector(student), _compound_reference, cases, rtol=1e-9, atol=1e-12)
    for (label, args, _), res in zip(cases, results):
        if res.passed or res.hint == grading._NOT_DONE:
            continue
        try:
            got = np.asarray(student(*args), dtype=np.float64).ravel()
        except Exception:
            continue
        phi, alpha, beta, gamma = args
        ref = _compound_reference(*args)
        if got.shape == (4,) and np.allclose(got[:3], ref[:3], rtol=1e-9):
            if np.isclose(got[3], (alpha * beta * gamma) ** phi, rtol=1e-9):
                res.hint += (" Hint: depth, width and resolution are right; the FLOPs of a convolution grow with "
                             "the square of the width and of the resolution.")
            else:
                res.hint += " Hint: depth, width and resolution are right; check the FLOPs multiplier."
        elif got.shape == (4,) and np.allclose(got[:3], [alpha * phi, beta * phi, gamma * phi], rtol=1e-9):
            res.hint += " Hint: phi is an exponent (alpha to the power phi), not a factor."
        elif got.shape == (4,):
            res.hint += " Hint: the order is (depth, width, resolution, FLOPs)."
    return results


def _channels_from(name: str, C: int, size: int = 12) -> np.ndarray:
    """C feature-map-like channels (non-negative) cut from a real photograph."""
    img = load_image(name).astype(np.float64) / 255.0                       # (H, W)
    return np.stack([img[100 + 17 * c:100 + 17 * c + size, 150:150 + size] for c in range(C)])   # (C, size, size)


def check_se_block_forward(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``se_block_forward(x, W1, b1, W2, b2)`` for a (C, H, W) map, Eq. (4.15)."""
    def weights(C, r):
        return (rng.normal(size=(C // r, C)), rng.normal(size=C // r), rng.normal(size=(C, C // r)),
                rng.normal(size=C))

    cases = [
        ("random 8×5×6 map, r=2", (rng.normal(size=(8, 5, 6)),) + weights(8, 2), {}),
        ("random 16×7×7 map, r=4", (rng.uniform(0, 3, (16, 7, 7)),) + weights(16, 4), {}),
        ("8 channels cut from 'camera', r=4", (_channels_from("camera", 8),) + weights(8, 4), {}),
        ("4 channels cut from 'coins', r=2", (3.0 * _channels_from("coins", 4) - 1.0,) + weights(4, 2), {}),
    ]
    results = grading.compare_cases(student, se_block_forward, cases, atol=1e-9)
    mistakes = [
        (lambda x, W1, b1, W2, b2: x * _sig((x.mean((1, 2)) @ W1.T + b1) @ W2.T + b2)[:, None, None],
         "the hidden layer needs a ReLU between the two linear maps."),
        (lambda x, W1, b1, W2, b2: x * (np.maximum(x.mean((1, 2)) @ W1.T + b1, 0) @ W2.T + b2)[:, None, None],
         "the gates must pass through a sigmoid so they lie in (0, 1)."),
        (lambda x, W1, b1, W2, b2: x * _sig(np.maximum(x.max((1, 2)) @ W1.T + b1, 0) @ W2.T + b2)[:, None, None],
         "squeeze with the spatial mean (global average pooling), not the maximum."),
    ]
    for (label, args, _), res in zip(cases, results):
        if res.passed or res.hint == grading._NOT_DONE:
            continue
        x = args[0]
        try:
            got = np.asarray(student(*(a.copy() for a in args)), dtype=np.float64)
        except Exception:
            continue
        if got.shape != x.shape:
            continue
        named = False
        for wrong, advice in mistakes:
            if np.allclose(got, wrong(*args), atol=1e-9):
                res.hint += " Hint: " + advice
                named = True
                break
        if not named:
            nz = np.abs(x) > 1e-6                                            # where the ratio is defined
            ratio = np.where(nz, got / np.where(nz, x, 1.0), np.nan)         # (C, H, W)
            spread = np.nanmax(ratio, axis=(1, 2)) - np.nanmin(ratio, axis=(1, 2))
            if np.nanmax(spread) > 1e-6:
                res.hint += " Hint: every value of a channel must be multiplied by the same gate."
    return results


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def check_grad_cam(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``grad_cam(activations, gradients)`` → the (h, w) map normalised to a maximum of 1, Eq. (4.22)."""
    cases = []
    for K, h, w in [(6, 7, 7), (16, 5, 8)]:
        A = np.maximum(rng.normal(size=(K, h, w)), 0.0)                      # post-ReLU activations
        cases.append((f"random {K} maps of {h}×{w}", (A, rng.normal(size=(K, h, w))), {}))
    for name in ("camera", "coins"):
        crops = _channels_from(name, 8, 10)                                  # (8, 10, 10)
        A = np.maximum(crops - crops.mean(axis=(1, 2), keepdims=True), 0.0)  # "brighter than its crop" detectors
        cases.append((f"8 maps cut from {name!r}, random gradients", (A, rng.normal(size=A.shape)), {}))
    A = np.maximum(rng.normal(size=(4, 6, 6)), 0.0) + 0.1
    cases.append(("every channel weight negative (the map must be all zeros)", (A, -rng.uniform(0.5, 1.0, A.shape)), {}))
    results = grading.compare_cases(student, grad_cam_map, cases, atol=1e-9)
    for (label, (A, G), _), res in zip(cases, results):
        if res.passed or res.hint == grading._NOT_DONE:
            continue
        try:
            got = np.asarray(student(A.copy(), G.copy()), dtype=np.float64)
        except Exception:
            continue
        if got.shape != A.shape[1:] or not np.all(np.isfinite(got)):
            if "every channel" in label:
                res.hint += " Hint: when the ReLU leaves only zeros, return zeros (do not divide by 0)."
            continue
        raw = np.einsum("k,kij->ij", G.mean(axis=(1, 2)), A)               # before ReLU and scaling
        if got.min() < -1e-12:
            res.hint += " Hint: your map has negative values; apply a ReLU to the weighted sum."
        elif np.allclose(got, np.maximum(raw, 0), atol=1e-9) or (
                np.ptp(got) > 0 and np.allclose(got / got.max(), grad_cam_map(A, G), atol=1e-9)):
            res.hint += " Hint: the shape of the map is right; divide it by its maximum."
        elif np.allclose(got, _normalised(np.maximum((G * A).sum(0), 0)), atol=1e-9):
            res.hint += " Hint: the weight α_k is one number per channel, the spatial mean of its gradient."
        elif np.allclose(got, _minmax(np.maximum(raw, 0)), atol=1e-9):
            res.hint += " Hint: normalise by dividing by the maximum only (do not subtract the minimum)."
    return results


def _normalised(m):
    return m / m.max() if m.max() > 0 else m


def _minmax(m):
    return (m - m.min()) / np.ptp(m) if np.ptp(m) > 0 else np.zeros_like(m)


# The coursekit function each exercise re-implements: the grader gives 0 to a student's function that
# calls it ("used the reference implementation"). Exercise id -> dotted name (or a tuple of names).
REFERENCES = {
    "ch04.compound_scaling": "coursekit.models.efficientnet.compound_scaling",
    "ch04.se_block_forward": ("coursekit.layers.blocks.se_block_forward", "coursekit.layers.blocks.SEBlock"),
    "ch04.grad_cam": ("coursekit.explain.saliency.grad_cam_map", "coursekit.explain.saliency.grad_cam"),
}
