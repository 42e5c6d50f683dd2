"""Checks of Chapter 4's network exercises: compound scaling, the squeeze-and-excitation block, Grad-CAM.

Each check runs the student's function on seeded random inputs and on inputs built from real photographs;
the judgement compares with the coursekit reference and names a typical mistake when it recognises one,
without revealing the expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit.data.images import load_image
from coursekit.explain.saliency import grad_cam, grad_cam_map
from coursekit.grading import Case, Check, compare
from coursekit.layers.blocks import SEBlock, se_block_forward
from coursekit.models.efficientnet import compound_scaling

__all__ = ["CHECKS"]


def _vector(got):
    """The student's 4 numbers (tuple, list or array) as a (4,) float array, or ``None``."""
    try:
        arr = np.asarray(got, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return None
    return arr


def _floats(a):
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return None


# ----------------------------------------------------------------------------- ch04.compound_scaling

def _compound_cases(rng: np.random.Generator):
    """``compound_scaling(phi, alpha, beta, gamma)`` → (depth, width, resolution, FLOPs) multipliers, Eq. (4.17)."""
    yield Case("phi=1, EfficientNet's alpha, beta, gamma", (1.0, 1.2, 1.1, 1.15))
    yield Case("phi=0 (the baseline)", (0.0, 1.2, 1.1, 1.15))
    for phi in rng.uniform(0.5, 7.0, 2):
        yield Case(f"phi={phi:.3g}, EfficientNet's alpha, beta, gamma", (float(phi), 1.2, 1.1, 1.15))
    a, b, g = rng.uniform(1.0, 1.5, 3)
    yield Case("phi=3, other alpha, beta, gamma", (3.0, float(a), float(b), float(g)))


def _compound_judge(case: Case, got, expected) -> str:
    ref = np.asarray(expected, dtype=np.float64).ravel()                 # (4,)
    vec = _vector(got)
    hint = compare(vec if vec is not None else got, ref, atol=1e-12, rtol=1e-9)
    if not hint or vec is None or vec.shape != (4,):
        return hint
    phi, alpha, beta, gamma = case.args
    if np.allclose(vec[:3], ref[:3], rtol=1e-9):
        if np.isclose(vec[3], (alpha * beta * gamma) ** phi, rtol=1e-9):
            return hint + (" Hint: depth, width and resolution are right; the FLOPs of a convolution grow with "
                           "the square of the width and of the resolution.")
        return hint + " Hint: depth, width and resolution are right; check the FLOPs multiplier."
    if np.allclose(vec[:3], [alpha * phi, beta * phi, gamma * phi], rtol=1e-9):
        return hint + " Hint: phi is an exponent (alpha to the power phi), not a factor."
    return hint + " Hint: the order is (depth, width, resolution, FLOPs)."


# ----------------------------------------------------------------------------- ch04.se_block_forward

def _channels_from(name: str, C: int, size: int = 12) -> np.ndarray:
    """C feature-map-like channels (non-negative) cut from a real photograph."""
    img = load_image(name).astype(np.float64) / 255.0                       # (H, W)
    return np.stack([img[100 + 17 * c:100 + 17 * c + size, 150:150 + size] for c in range(C)])   # (C, size, size)


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _se_cases(rng: np.random.Generator):
    """``se_block_forward(x, W1, b1, W2, b2)`` for a (C, H, W) map, Eq. (4.15)."""
    def weights(C, r):
        return (rng.normal(size=(C // r, C)), rng.normal(size=C // r), rng.normal(size=(C, C // r)),
                rng.normal(size=C))

    yield Case("random 8×5×6 map, r=2", (rng.normal(size=(8, 5, 6)),) + weights(8, 2))
    yield Case("random 16×7×7 map, r=4", (rng.uniform(0, 3, (16, 7, 7)),) + weights(16, 4))
    yield Case("8 channels cut from 'camera', r=4", (_channels_from("camera", 8),) + weights(8, 4))
    yield Case("4 channels cut from 'coins', r=2", (3.0 * _channels_from("coins", 4) - 1.0,) + weights(4, 2))


_SE_MISTAKES = [
    (lambda x, W1, b1, W2, b2: x * _sig((x.mean((1, 2)) @ W1.T + b1) @ W2.T + b2)[:, None, None],
     "the hidden layer needs a ReLU between the two linear maps."),
    (lambda x, W1, b1, W2, b2: x * (np.maximum(x.mean((1, 2)) @ W1.T + b1, 0) @ W2.T + b2)[:, None, None],
     "the gates must pass through a sigmoid so they lie in (0, 1)."),
    (lambda x, W1, b1, W2, b2: x * _sig(np.maximum(x.max((1, 2)) @ W1.T + b1, 0) @ W2.T + b2)[:, None, None],
     "squeeze with the spatial mean (global average pooling), not the maximum."),
]


def _se_judge(case: Case, got, expected) -> str:
    hint = compare(got, expected, atol=1e-9)
    x = case.args[0]
    got = _floats(got) if isinstance(got, np.ndarray) else None
    if not hint or got is None or got.shape != x.shape:
        return hint
    for wrong, advice in _SE_MISTAKES:
        if np.allclose(got, wrong(*case.args), atol=1e-9):
            return hint + " Hint: " + advice
    nz = np.abs(x) > 1e-6                                                # where the ratio is defined
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(nz, got / np.where(nz, x, 1.0), np.nan)         # (C, H, W)
        spread = np.nanmax(ratio, axis=(1, 2)) - np.nanmin(ratio, axis=(1, 2))
    if np.nanmax(spread) > 1e-6:
        hint += " Hint: every value of a channel must be multiplied by the same gate."
    return hint


# ----------------------------------------------------------------------------- ch04.grad_cam

def _normalised(m):
    return m / m.max() if m.max() > 0 else m


def _minmax(m):
    return (m - m.min()) / np.ptp(m) if np.ptp(m) > 0 else np.zeros_like(m)


def _cam_cases(rng: np.random.Generator):
    """``grad_cam(activations, gradients)`` → the (h, w) map normalised to a maximum of 1, Eq. (4.22)."""
    for K, h, w in [(6, 7, 7), (16, 5, 8)]:
        A = np.maximum(rng.normal(size=(K, h, w)), 0.0)                      # post-ReLU activations
        yield Case(f"random {K} maps of {h}×{w}", (A, rng.normal(size=(K, h, w))))
    for name in ("camera", "coins"):
        crops = _channels_from(name, 8, 10)                                  # (8, 10, 10)
        A = np.maximum(crops - crops.mean(axis=(1, 2), keepdims=True), 0.0)  # "brighter than its crop" detectors
        yield Case(f"8 maps cut from {name!r}, random gradients", (A, rng.normal(size=A.shape)))
    A = np.maximum(rng.normal(size=(4, 6, 6)), 0.0) + 0.1
    yield Case("every channel weight negative (the map must be all zeros)", (A, -rng.uniform(0.5, 1.0, A.shape)))


def _cam_judge(case: Case, got, expected) -> str:
    hint = compare(got, expected, atol=1e-9)
    A, G = case.args
    got = _floats(got) if isinstance(got, np.ndarray) else None
    if not hint or got is None:
        return hint
    if got.shape != A.shape[1:] or not np.all(np.isfinite(got)):
        if "every channel" in case.label:
            hint += " Hint: when the ReLU leaves only zeros, return zeros (do not divide by 0)."
        return hint
    raw = np.einsum("k,kij->ij", G.mean(axis=(1, 2)), A)               # before ReLU and scaling
    if got.min() < -1e-12:
        hint += " Hint: your map has negative values; apply a ReLU to the weighted sum."
    elif np.allclose(got, np.maximum(raw, 0), atol=1e-9) or (
            np.ptp(got) > 0 and np.allclose(got / got.max(), expected, atol=1e-9)):
        hint += " Hint: the shape of the map is right; divide it by its maximum."
    elif np.allclose(got, _normalised(np.maximum((G * A).sum(0), 0)), atol=1e-9):
        hint += " Hint: the weight α_k is one number per channel, the spatial mean of its gradient."
    elif np.allclose(got, _minmax(np.maximum(raw, 0)), atol=1e-9):
        hint += " Hint: normalise by dividing by the maximum only (do not subtract the minimum)."
    return hint


CHECKS = [
    Check("ch04.compound_scaling", cases=_compound_cases, reference=compound_scaling, judge=_compound_judge),
    Check("ch04.se_block_forward", cases=_se_cases, reference=se_block_forward, judge=_se_judge,
          implements=(se_block_forward, SEBlock)),
    Check("ch04.grad_cam", cases=_cam_cases, reference=grad_cam_map, judge=_cam_judge,
          implements=(grad_cam_map, grad_cam)),
]
