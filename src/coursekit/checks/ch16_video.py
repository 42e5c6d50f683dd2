"""Checks of Chapter 16's exercises: endpoint error, late fusion, I3D inflation, tubelets, one Lucas–Kanade solve
and Horn–Schunck's iterations.

The flow exercises run on generated clips whose motion is known (smooth textures under translation and rotation,
and textured shapes); the inflation and tubelet exercises on seeded random arrays. The NumPy exercises mirror the
torch functions of :mod:`coursekit.video` (same layout, NumPy arrays in and out).
"""

from __future__ import annotations

import numpy as np
import torch

from coursekit.data.video import moving_shapes_clip, texture_motion_clip
from coursekit.grading import Case, Check, review_with
from coursekit.metrics.flow import average_endpoint_error, endpoint_error
from coursekit.video.conv3d import inflate_conv2d, inflate_conv2d_weight
from coursekit.video.flow import horn_schunck, horn_schunck_step, lucas_kanade, lucas_kanade_step
from coursekit.video.fusion import late_fusion
from coursekit.video.tubelets import tubelet_embed, tubelets

__all__ = ["CHECKS", "inflate_reference", "tubelets_reference", "lucas_kanade_reference",
           "horn_schunck_reference"]


def _review_with(mistakes, atol=1e-8):
    """Chapter 16's reviews match mistakes to 1e-8 unless told otherwise."""
    return review_with(mistakes, atol=atol)


# ----------------------------------------------------------------------------- ch16.endpoint_error

def _epe_cases(rng):
    yield Case("hand-made: (3, 4) against (0, 0), and equal vectors", (np.array([[3.0, 4.0], [1.0, -2.0]]),
                                                                     np.array([[0.0, 0.0], [1.0, -2.0]])))
    yield Case("random (12, 16, 2) flow fields", (rng.normal(size=(12, 16, 2)), rng.normal(size=(12, 16, 2))))
    frames, flow = texture_motion_clip(rng, size=24, velocity=(1.0, 0.5), rotation=0.05)
    yield Case("a rotation field (24, 24, 2) against a constant estimate",
               (np.broadcast_to(np.array([1.0, 0.5]), flow[0].shape).copy(), flow[0]))


def _epe_squared(a, b):
    return np.sum((a - b) ** 2, axis=-1)


def _epe_l1(a, b):
    return np.sum(np.abs(a - b), axis=-1)


# ----------------------------------------------------------------------------- ch16.late_fusion

def _fusion_cases(rng):
    yield Case("two streams, 5 clips, 4 classes, equal weights",
               ([rng.normal(size=(5, 4)), rng.normal(size=(5, 4))], None))
    yield Case("two streams, weights (1, 2)", ([rng.normal(size=(6, 3)), rng.normal(size=(6, 3))], [1.0, 2.0]))
    yield Case("three streams, large logits, weights (0.2, 0.3, 0.5)",
               ([50 * rng.normal(size=(4, 5)) for _ in range(3)], [0.2, 0.3, 0.5]))
    yield Case("one stream (fusion = its softmax)", ([rng.normal(size=(3, 6))], None))


def _fusion_logits_first(logits, weights=None):
    w = np.ones(len(logits)) if weights is None else np.asarray(weights, float)
    z = sum(wi * np.asarray(x) for wi, x in zip(w / w.sum(), logits))
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _fusion_unnormalised(logits, weights=None):
    w = np.ones(len(logits)) if weights is None else np.asarray(weights, float)
    return sum(wi * late_fusion([x]) for wi, x in zip(w, logits))


# ----------------------------------------------------------------------------- ch16.inflate_conv2d_weight

def inflate_reference(weight, K_T):
    """NumPy in, NumPy out: :func:`coursekit.video.conv3d.inflate_conv2d_weight`."""
    return inflate_conv2d_weight(torch.from_numpy(np.asarray(weight, dtype=np.float64)), K_T).numpy()


def _inflate_cases(rng):
    yield Case("a (4, 3, 3, 3) kernel, K_T = 3", (rng.normal(size=(4, 3, 3, 3)), 3))
    yield Case("a (8, 1, 5, 5) kernel, K_T = 5", (rng.normal(size=(8, 1, 5, 5)), 5))
    yield Case("a (2, 6, 1, 1) kernel, K_T = 4", (rng.normal(size=(2, 6, 1, 1)), 4))
    yield Case("K_T = 1 leaves the kernel as it was (with a time axis)", (rng.normal(size=(3, 2, 3, 3)), 1))


def _inflate_no_divide(weight, K_T):
    return np.repeat(weight[:, :, None], K_T, axis=2)


def _inflate_centre(weight, K_T):
    out = np.zeros((*weight.shape[:2], K_T, *weight.shape[2:]))
    out[:, :, K_T // 2] = weight
    return out


# ----------------------------------------------------------------------------- ch16.tubelets

def tubelets_reference(x, t, patch_size):
    """NumPy in, NumPy out: :func:`coursekit.video.tubelets.tubelets`."""
    return tubelets(torch.from_numpy(np.asarray(x, dtype=np.float64)), t, patch_size).numpy()


def _tubelet_cases(rng):
    yield Case("a (1, 1, 4, 4, 4) clip of 0..63, t = 2, P = 2", (np.arange(64.0).reshape(1, 1, 4, 4, 4), 2, 2))
    yield Case("a random (2, 3, 4, 8, 12) clip, t = 2, P = 4", (rng.normal(size=(2, 3, 4, 8, 12)), 2, 4))
    yield Case("a random (1, 2, 6, 6, 6) clip, t = 3, P = 3", (rng.normal(size=(1, 2, 6, 6, 6)), 3, 3))
    yield Case("t = 1 (frame patches, as an image ViT)", (rng.normal(size=(2, 1, 2, 4, 4)), 1, 2))


def _tubelets_space_major(x, t, P):
    B, C, T, H, W = x.shape
    y = x.reshape(B, C, T // t, t, H // P, P, W // P, P).transpose(0, 4, 6, 2, 1, 3, 5, 7)   # space before time
    return y.reshape(B, -1, C * t * P * P)


def _tubelets_time_first_inside(x, t, P):
    B, C, T, H, W = x.shape
    y = x.reshape(B, C, T // t, t, H // P, P, W // P, P).transpose(0, 2, 4, 6, 3, 1, 5, 7)   # (t, C, P, P)
    return y.reshape(B, -1, C * t * P * P)


# ----------------------------------------------------------------------------- ch16.lucas_kanade_step

def lucas_kanade_reference(frame0, frame1, window):
    """:func:`coursekit.video.flow.lucas_kanade_step` with its default eigenvalue threshold."""
    return lucas_kanade_step(frame0, frame1, window)


def _flow_cases(rng, extra):
    frames, _ = texture_motion_clip(rng, size=32, velocity=(0.6, -0.4))
    yield Case("smooth texture translated by (0.6, -0.4), 32×32", (frames[0], frames[1], *extra[0]))
    frames, _ = texture_motion_clip(rng, size=40, velocity=(0.3, 0.5), rotation=0.04)
    yield Case("smooth texture rotating and translating, 40×40", (frames[0], frames[1], *extra[1]))
    clip = moving_shapes_clip(rng, T=2, size=32, n_objects=2, max_speed=1.0)
    yield Case("two textured shapes on a textured background, 32×32 (flat regions too)",
               (clip.frames[0], clip.frames[1], *extra[2]))


def _lk_cases(rng):
    yield from _flow_cases(rng, [(9,), (7,), (5,)])
    flat = np.full((16, 16), 0.5)
    yield Case("a flat image: no texture, no flow (the threshold must hold)", (flat, flat + 0.01, 5))


def _lk_sign_flipped(frame0, frame1, window):
    return -lucas_kanade_step(frame0, frame1, window)


def _lk_swapped(frame0, frame1, window):
    return lucas_kanade_step(frame0, frame1, window)[..., ::-1]


# ----------------------------------------------------------------------------- ch16.horn_schunck_step

def horn_schunck_reference(frame0, frame1, alpha, iterations):
    """:func:`coursekit.video.flow.horn_schunck_step` started from zero flow."""
    return horn_schunck_step(frame0, frame1, alpha, iterations)


def _hs_cases(rng):
    yield from _flow_cases(rng, [(0.1, 20), (0.05, 30), (0.1, 25)])


def _hs_alpha_not_squared(frame0, frame1, alpha, iterations):
    return horn_schunck_step(frame0, frame1, np.sqrt(alpha), iterations)


def _hs_one_sweep_less(frame0, frame1, alpha, iterations):
    return horn_schunck_step(frame0, frame1, alpha, iterations - 1)


CHECKS = [
    Check("ch16.endpoint_error", cases=_epe_cases, reference=endpoint_error, atol=1e-9,
          review=_review_with([(_epe_squared, "take the square root of the summed squares (a distance, in pixels)."),
                               (_epe_l1, "the endpoint error is the Euclidean (L2) distance, not |du| + |dv|.")]),
          implements=(endpoint_error, average_endpoint_error)),
    Check("ch16.late_fusion", cases=_fusion_cases, reference=late_fusion, atol=1e-9,
          review=_review_with([(_fusion_logits_first, "average the streams' softmax *probabilities*, not their "
                                                      "logits (late fusion combines scores)."),
                               (_fusion_unnormalised, "normalise the weights so they sum to 1.")])),
    Check("ch16.inflate_conv2d_weight", cases=_inflate_cases, reference=inflate_reference, atol=1e-12,
          review=_review_with([(_inflate_no_divide, "divide by K_T, or a static clip gives K_T times the 2D response."),
                               (_inflate_centre, "repeat the kernel in every time slice (I3D), not only the "
                                                 "centre one.")]),
          implements=(inflate_conv2d_weight, inflate_conv2d)),
    Check("ch16.tubelets", cases=_tubelet_cases, reference=tubelets_reference, atol=0.0,
          review=_review_with([(_tubelets_space_major, "order the tokens time-major: all patches of the first t "
                                                       "frames, then the next t."),
                               (_tubelets_time_first_inside, "flatten each tubelet in (C, t, P, P) order, the "
                                                             "layout of a Conv3d weight.")], atol=0.0),
          implements=(tubelets, tubelet_embed)),
    Check("ch16.lucas_kanade_step", cases=_lk_cases, reference=lucas_kanade_reference, atol=1e-8,
          review=_review_with([(_lk_sign_flipped, "the right-hand side is -(Σ I_x I_t, Σ I_y I_t): check the sign."),
                               (_lk_swapped, "return (dx, dy) = (u, v) in the last axis, x first.")]),
          implements=(lucas_kanade_step, lucas_kanade), forbidden=("cv2.calcOpticalFlowPyrLK",)),
    Check("ch16.horn_schunck_step", cases=_hs_cases, reference=horn_schunck_reference, atol=1e-8,
          review=_review_with([(_hs_alpha_not_squared, "the denominator is alpha² + I_x² + I_y² (alpha squared)."),
                               (_hs_one_sweep_less, "run exactly `iterations` Jacobi sweeps, starting from zero "
                                                    "flow.")]),
          implements=(horn_schunck_step, horn_schunck), forbidden=("cv2.calcOpticalFlowFarneback",)),
]
