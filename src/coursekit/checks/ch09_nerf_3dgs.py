"""Checks of Chapter 9's exercises: positional encoding, volume-rendering weights, inverse-CDF sampling,
the 3-D covariance of a Gaussian, its EWA projection, and front-to-back compositing of splats at a pixel.

Students write NumPy; the references are coursekit's functions (torch ones wrapped to take and return
ndarrays). Probe-free reviews name the usual slips (a missing π, the transmittance including the sample
itself, Σ = R S Rᵀ, forgetting the camera rotation, compositing back to front) without revealing values.
"""

from __future__ import annotations

import numpy as np
import torch

from coursekit.geometry.camera import look_at
from coursekit import grading
from coursekit.grading import Case, Check
from coursekit.rendering.encoding import positional_encoding
from coursekit.rendering.gaussians import covariance_3d, project_gaussians, quaternion_to_rotation
from coursekit.rendering.rasterize import composite, gaussian_alpha, rasterize_dense
from coursekit.rendering.sampling import sample_pdf
from coursekit.rendering.volume import volume_weights

__all__ = ["CHECKS", "positional_encoding_reference", "sample_pdf_reference", "covariance_reference",
           "project_covariance_reference", "composite_pixel_reference"]

_t = lambda x: torch.as_tensor(np.asarray(x, dtype=np.float64))              # noqa: E731


def _review_with(mistakes):
    """A review that appends the hint of the first known mistake the student's answers reproduce."""
    def review(outcomes) -> None:
        for o in outcomes:
            if o.result.passed or o.answer.kind != "returned":
                continue
            for wrong, advice in mistakes:
                try:
                    if grading.compare(o.got, wrong(*o.case.args), atol=1e-9) == "":
                        o.result.hint += " Hint: " + advice
                        break
                except Exception:
                    continue
    return review


# ----------------------------------------------------------------------------- ch09.positional_encoding

def positional_encoding_reference(p, L):
    """``coursekit.rendering.encoding.positional_encoding`` on ndarrays."""
    return positional_encoding(_t(p), int(L)).numpy()


def _pe_cases(rng):
    yield Case("one 1-D point, L = 2", (np.array([[0.25]]), 2))
    yield Case("10 random 3-D points in [-1, 1], L = 4", (rng.uniform(-1, 1, (10, 3)), 4))
    yield Case("5 random 2-D points, L = 6", (rng.uniform(-1, 1, (5, 2)), 6))
    yield Case("L = 0 (the input only)", (rng.uniform(-1, 1, (3, 3)), 0))


def _pe_no_pi(p, L):
    x = p[:, None, :] * (2.0 ** np.arange(L))[:, None]
    return np.concatenate([p, np.stack([np.sin(x), np.cos(x)], 2).reshape(len(p), -1)], 1)


def _pe_grouped(p, L):
    x = p[:, None, :] * (2.0 ** np.arange(L) * np.pi)[:, None]
    return np.concatenate([p, np.sin(x).reshape(len(p), -1), np.cos(x).reshape(len(p), -1)], 1)


def _pe_from_one(p, L):
    x = p[:, None, :] * (2.0 ** np.arange(1, L + 1) * np.pi)[:, None]
    return np.concatenate([p, np.stack([np.sin(x), np.cos(x)], 2).reshape(len(p), -1)], 1)


# ----------------------------------------------------------------------------- ch09.volume_weights

def _vw_cases(rng):
    yield Case("one ray: empty, then a wall", (np.array([[0.0, 0.0, 50.0, 1.0]]), np.full((1, 4), 0.5)))
    for R, S in [(4, 8), (16, 32)]:
        sigma = rng.exponential(2.0, (R, S)) * (rng.random((R, S)) < 0.5)
        yield Case(f"{R} rays × {S} samples, random density and spacing", (sigma, rng.uniform(0.01, 0.3, (R, S))))
    yield Case("constant density", (np.full((2, 10), 1.5), np.full((2, 10), 0.2)))


def _vw_inclusive(sigma, delta):
    tau = sigma * delta
    return np.exp(-np.cumsum(tau, 1)) * (1 - np.exp(-tau))


def _vw_linear_alpha(sigma, delta):
    tau = sigma * delta
    T = np.exp(-np.concatenate([np.zeros((len(tau), 1)), np.cumsum(tau, 1)[:, :-1]], 1))
    return T * tau


# ----------------------------------------------------------------------------- ch09.sample_pdf

def sample_pdf_reference(bins, weights, u):
    """``coursekit.rendering.sampling.sample_pdf`` with explicit levels ``u``, on ndarrays."""
    return sample_pdf(_t(bins), _t(weights), np.shape(u)[1], u=_t(u)).numpy()


def _pdf_cases(rng):
    yield Case("one ray, two intervals, all weight on the second",
               (np.array([[0.0, 1.0, 2.0]]), np.array([[0.0, 1.0]]), np.array([[0.1, 0.5, 0.9]])))
    for R, M, n in [(3, 8, 16), (10, 32, 64)]:
        bins = np.sort(rng.uniform(2, 6, (R, M + 1)), 1)
        w = rng.exponential(1.0, (R, M)) * (rng.random((R, M)) < 0.4)
        yield Case(f"{R} rays, {M} intervals, {n} sorted levels u", (bins, w, np.sort(rng.random((R, n)), 1)))
    yield Case("all-zero weights (uniform after the 1e-5 floor)",
               (np.array([[0.0, 1.0, 3.0, 4.0]]), np.zeros((1, 3)), np.array([[0.2, 0.6, 0.95]])))


def _pdf_bins_only(bins, weights, u):
    w = weights + 1e-5
    cdf = np.concatenate([np.zeros((len(w), 1)), np.cumsum(w / w.sum(1, keepdims=True), 1)], 1)
    out = []
    for b, c, uu in zip(bins, cdf, u):
        k = np.clip(np.searchsorted(c, uu, side="right"), 1, len(c) - 1) - 1
        out.append(b[k])
    return np.array(out)


def _pdf_uniform(bins, weights, u):
    return bins[:, :1] + u * (bins[:, -1:] - bins[:, :1])


# ----------------------------------------------------------------------------- ch09.covariance_3d

def covariance_reference(q, log_scale):
    """``coursekit.rendering.gaussians.covariance_3d`` on ndarrays."""
    return covariance_3d(_t(q), _t(log_scale)).numpy()


def _cov_cases(rng):
    yield Case("the identity rotation, scales (1, 2, 3)", (np.array([[1.0, 0, 0, 0]]), np.log([[1.0, 2.0, 3.0]])))
    yield Case("8 random unit quaternions", (_unit(rng.normal(size=(8, 4))), rng.normal(0, 1, (8, 3))))
    yield Case("6 quaternions that are not unit length", (rng.normal(size=(6, 4)) * 3, rng.normal(0, 1, (6, 3))))


def _unit(q):
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def _cov_no_square(q, s):
    R = quaternion_to_rotation(_t(q)).numpy()
    return R @ (np.exp(s)[:, :, None] * np.eye(3)) @ R.transpose(0, 2, 1)


def _cov_unnormalised(q, s):
    w, x, y, z = np.moveaxis(q, 1, 0)
    R = np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
                  2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                  2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], 1).reshape(-1, 3, 3)
    M = R * np.exp(s)[:, None, :]
    return M @ M.transpose(0, 2, 1)


def _cov_transposed(q, s):
    R = quaternion_to_rotation(_t(q)).numpy().transpose(0, 2, 1)
    M = R * np.exp(s)[:, None, :]
    return M @ M.transpose(0, 2, 1)


# ----------------------------------------------------------------------------- ch09.project_covariance

def project_covariance_reference(means, cov3d, c2w, focal, H, W):
    """``coursekit.rendering.gaussians.project_gaussians`` (no blur) on ndarrays: ``(xy, cov2d)``."""
    xy, _, cov2d = project_gaussians(_t(means), _t(cov3d), _t(c2w), float(focal), int(H), int(W), blur=0.0)
    return xy.numpy(), cov2d.numpy()


def _proj_cases(rng):
    eye = np.eye(4)
    eye[2, 3] = 5.0
    yield Case("a unit sphere 5 in front of an axis-aligned camera", (np.zeros((1, 3)), np.eye(3)[None], eye,
                                                                       10.0, 16, 16))
    for n, pos in [(5, (3.0, -2.0, 2.0)), (9, (-1.0, 4.0, 1.5))]:
        means = rng.normal(0, 0.5, (n, 3))
        A = rng.normal(0, 0.2, (n, 3, 3))
        yield Case(f"{n} random Gaussians seen by a camera at {pos}",
                   (means, A @ A.transpose(0, 2, 1), look_at(pos), 30.0, 32, 48))


def _proj_no_rotation(means, cov3d, c2w, focal, H, W):
    xy, _ = project_covariance_reference(means, cov3d, c2w, focal, H, W)
    p = (means - c2w[:3, 3]) @ c2w[:3, :3] * np.array([1.0, -1.0, -1.0])
    z = p[:, 2]
    J = np.zeros((len(z), 2, 3))
    J[:, 0, 0] = J[:, 1, 1] = focal / z
    J[:, 0, 2], J[:, 1, 2] = -focal * p[:, 0] / z**2, -focal * p[:, 1] / z**2
    return xy, J @ cov3d @ J.transpose(0, 2, 1)


def _proj_affine_only(means, cov3d, c2w, focal, H, W):
    xy, _ = project_covariance_reference(means, cov3d, c2w, focal, H, W)
    Wr = np.array([1.0, -1.0, -1.0])[:, None] * c2w[:3, :3].T
    z = ((means - c2w[:3, 3]) @ Wr.T)[:, 2]
    JW = (focal / z)[:, None, None] * Wr[None, :2]
    return xy, JW @ cov3d @ JW.transpose(0, 2, 1)


# ----------------------------------------------------------------------------- ch09.composite_pixel

def composite_pixel_reference(pixel, xy, conic, depth, opacity, colors, background):
    """Colour of one pixel centre: ``rasterize_dense`` restricted to that pixel, on ndarrays."""
    alpha = gaussian_alpha(_t(pixel)[None] - _t(xy), _t(conic), _t(opacity))   # (N,)
    order = np.argsort(np.asarray(depth), kind="stable")
    rgb, _ = composite(alpha[order], _t(colors)[order], _t(background))
    return rgb.numpy()


def _pixel_cases(rng):
    yield Case("two splats on the pixel, the far one listed first",
               (np.array([2.5, 2.5]), np.array([[2.5, 2.5], [2.4, 2.6]]), np.array([[1.0, 0, 1.0]] * 2),
                np.array([5.0, 2.0]), np.array([0.8, 0.5]), np.array([[1.0, 0, 0], [0, 0, 1.0]]), np.ones(3)))
    for n in (6, 20):
        xy = rng.uniform(0, 8, (n, 2))
        A = rng.normal(0, 1.0, (n, 2, 2))
        cov = A @ A.transpose(0, 2, 1) + 0.5 * np.eye(2)
        inv = np.linalg.inv(cov)
        yield Case(f"{n} random splats around the pixel (3.5, 4.5)",
                   (np.array([3.5, 4.5]), xy, np.stack([inv[:, 0, 0], inv[:, 0, 1], inv[:, 1, 1]], 1),
                    rng.uniform(1, 5, n), rng.uniform(0.05, 1.0, n), rng.random((n, 3)), rng.random(3)))
    yield Case("a splat whose alpha would exceed 0.99", (np.array([0.5, 0.5]), np.array([[0.5, 0.5]]),
                                                          np.array([[1.0, 0, 1.0]]), np.ones(1), np.ones(1),
                                                          np.array([[0.2, 0.4, 0.6]]), np.zeros(3)))


def _pixel_unsorted(pixel, xy, conic, depth, opacity, colors, background):
    return composite_pixel_reference(pixel, xy, conic, np.arange(len(depth)), opacity, colors, background)


def _pixel_back_to_front(pixel, xy, conic, depth, opacity, colors, background):
    return composite_pixel_reference(pixel, xy, conic, -np.asarray(depth), opacity, colors, background)


def _pixel_no_background(pixel, xy, conic, depth, opacity, colors, background):
    return composite_pixel_reference(pixel, xy, conic, depth, opacity, colors, np.zeros(3))


CHECKS = [
    Check("ch09.positional_encoding", cases=_pe_cases, reference=positional_encoding_reference, atol=1e-9,
          review=_review_with([(_pe_no_pi, "the frequencies are 2^k π: multiply by π."),
                               (_pe_grouped, "interleave per frequency: sin and cos of 2^0 π p, then of 2^1 π p, …"),
                               (_pe_from_one, "the first frequency is 2^0 π = π (k starts at 0).")]),
          implements=(positional_encoding,)),
    Check("ch09.volume_weights", cases=_vw_cases, reference=volume_weights, atol=1e-9,
          review=_review_with([(_vw_inclusive, "T_i is the light left *before* sample i: sum the optical thickness "
                                               "over j < i only."),
                               (_vw_linear_alpha, "the opacity of a segment is 1 - exp(-σ δ), not σ δ.")])),
    Check("ch09.sample_pdf", cases=_pdf_cases, reference=sample_pdf_reference, atol=1e-9,
          review=_review_with([(_pdf_bins_only, "interpolate inside the interval: t = b_k + (u - cdf_k) / "
                                                "(cdf_{k+1} - cdf_k) · (b_{k+1} - b_k)."),
                               (_pdf_uniform, "the levels u must go through the CDF of the weights.")]),
          implements=(sample_pdf,), forbidden=("numpy.interp",)),
    Check("ch09.covariance_3d", cases=_cov_cases, reference=covariance_reference, atol=1e-9,
          review=_review_with([(_cov_no_square, "Σ = R S Sᵀ Rᵀ: the variances are the squared scales."),
                               (_cov_unnormalised, "normalise the quaternion before building R."),
                               (_cov_transposed, "check the rotation matrix: you built Rᵀ (the inverse rotation).")]),
          implements=(covariance_3d, quaternion_to_rotation),
          forbidden=("scipy.spatial.transform.Rotation.from_quat",)),
    Check("ch09.project_covariance", cases=_proj_cases, reference=project_covariance_reference, atol=1e-7,
          review=_review_with([(_proj_no_rotation, "rotate Σ into the camera frame first: J W Σ Wᵀ Jᵀ."),
                               (_proj_affine_only, "J has the perspective terms -f x / z² and -f y / z² in its "
                                                   "third column.")]),
          implements=(project_gaussians,)),
    Check("ch09.composite_pixel", cases=_pixel_cases, reference=composite_pixel_reference, atol=1e-9,
          review=_review_with([(_pixel_unsorted, "sort the splats by depth first (nearest first)."),
                               (_pixel_back_to_front, "composite front to back: the nearest splat is in front."),
                               (_pixel_no_background, "add the background weighted by the light that is left, "
                                                      "T_N = Π (1 - α_i).")]),
          implements=(rasterize_dense, composite)),
]
