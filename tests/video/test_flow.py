"""coursekit.video.flow: Lucas–Kanade and Horn–Schunck against the exact flow of generated clips and next to
OpenCV's pyramidal Lucas–Kanade (sparse) and Farnebäck (dense) on the same clips."""

import cv2
import numpy as np
import pytest

from coursekit.data.video import moving_shapes_clip, texture_motion_clip
from coursekit.metrics.flow import average_endpoint_error, endpoint_error
from coursekit.video.flow import (
    brightness_constancy_residual,
    horn_schunck,
    horn_schunck_step,
    lucas_kanade,
    lucas_kanade_step,
    spatiotemporal_gradients,
    warp_with_flow,
)

INNER = np.zeros((64, 64), bool)
INNER[8:-8, 8:-8] = True            # away from the border, where a window or a warp runs out of image


def _clip(kind):
    rng = np.random.default_rng(0)
    if kind == "translation":
        return texture_motion_clip(rng, velocity=(1.2, -0.7))
    if kind == "rotation":
        return texture_motion_clip(rng, velocity=(0.5, 0.3), rotation=0.03)
    return texture_motion_clip(rng, velocity=(2.5, 1.5))


def _u8(frame):
    return np.round(255 * frame).astype(np.uint8)


def _pyrlk_epe(I0, I1, gt):
    pts = np.stack(np.meshgrid(np.arange(8, 56, 4), np.arange(8, 56, 4)), -1).reshape(-1, 1, 2).astype(np.float32)
    p1, st, _ = cv2.calcOpticalFlowPyrLK(_u8(I0), _u8(I1), pts, None, winSize=(9, 9), maxLevel=2)
    P = pts.reshape(-1, 2).astype(int)
    ok = st.ravel() == 1
    return float(endpoint_error((p1 - pts).reshape(-1, 2)[ok], gt[P[ok, 1], P[ok, 0]]).mean()), P


@pytest.mark.parametrize("kind", ["translation", "rotation", "fast"])
def test_lucas_kanade_is_as_accurate_as_opencv_pyramidal_lk(kind):
    frames, flow = _clip(kind)
    ours = lucas_kanade(frames[0], frames[1], window=9, levels=2, warps=3)
    cv_epe, P = _pyrlk_epe(frames[0], frames[1], flow[0])
    our_epe = float(endpoint_error(ours[P[:, 1], P[:, 0]], flow[0][P[:, 1], P[:, 0]]).mean())
    # measured: ours 0.024 / 0.095 / 0.037 px, OpenCV 0.025 / 0.099 / 0.037 px (its input is rounded to
    # uint8); both well under a tenth of the motion; allow 25 % + 0.01 px slack for the 8-bit rounding.
    assert our_epe < 1.25 * cv_epe + 0.01, (our_epe, cv_epe)
    assert our_epe < 0.12


@pytest.mark.parametrize("kind", ["translation", "rotation", "fast"])
def test_horn_schunck_is_close_to_farneback(kind):
    frames, flow = _clip(kind)
    ours = horn_schunck(frames[0], frames[1], alpha=0.1, iterations=100, levels=2, warps=2)
    fb = cv2.calcOpticalFlowFarneback(_u8(frames[0]), _u8(frames[1]), None, 0.5, 3, 9, 3, 5, 1.1, 0)
    ours_epe = average_endpoint_error(ours, flow[0], INNER)
    fb_epe = average_endpoint_error(fb.astype(np.float64), flow[0], INNER)
    # measured: HS 0.031 / 0.032 / 0.028 px, Farnebäck 0.020 / 0.113 / 0.024 px: within 0.02 px or better
    assert ours_epe < fb_epe + 0.02, (ours_epe, fb_epe)
    assert ours_epe < 0.05


def test_without_a_pyramid_large_motion_is_lost_and_with_one_it_is_found():
    frames, flow = texture_motion_clip(np.random.default_rng(2), velocity=(4.0, -3.0))
    single = average_endpoint_error(lucas_kanade(frames[0], frames[1], levels=1, warps=1), flow[0], INNER)
    pyramid = average_endpoint_error(lucas_kanade(frames[0], frames[1], levels=3, warps=3), flow[0], INNER)
    # measured: 0.01 px with three levels, 0.48 px at full resolution only (a 5 px motion, wavelengths >= 10 px)
    assert pyramid < 0.1 and single > 0.3, (pyramid, single)


@pytest.mark.parametrize("seed", [1, 2, 4])
def test_moving_shapes_flow_is_recovered_on_the_objects(seed):
    c = moving_shapes_clip(np.random.default_rng(seed), T=2, size=64, n_objects=2, max_speed=2.0)
    on = c.masks[0].any(0)
    zero = average_endpoint_error(np.zeros_like(c.flow[0]), c.flow[0], on)
    ours = average_endpoint_error(lucas_kanade(c.frames[0], c.frames[1], levels=2), c.flow[0], on)
    fb = cv2.calcOpticalFlowFarneback(_u8(c.frames[0]), _u8(c.frames[1]), None, 0.5, 3, 9, 3, 5, 1.1, 0)
    fb_epe = average_endpoint_error(fb.astype(np.float64), c.flow[0], on)
    # occlusion edges break brightness constancy (measured: ours 0.31-0.58 px, Farnebäck 0.27-0.61 px on
    # objects moving ~1.5 px); both far below doing nothing, and ours within 0.15 px of OpenCV's
    assert ours < 0.5 * zero and ours < fb_epe + 0.15, (ours, fb_epe, zero)


def test_true_flow_satisfies_brightness_constancy_and_a_wrong_one_does_not():
    frames, flow = _clip("rotation")
    r_true = np.abs(brightness_constancy_residual(frames[0], frames[1], flow[0]))[INNER]
    r_zero = np.abs(brightness_constancy_residual(frames[0], frames[1], np.zeros_like(flow[0])))[INNER]
    assert r_true.mean() < 0.1 * r_zero.mean()          # bilinear interpolation error only (measured ~1e-3)
    lin = np.abs(brightness_constancy_residual(frames[0], frames[1], flow[0], linearised=True))[INNER]
    assert lin.mean() < 0.2 * r_zero.mean()             # + the Taylor remainder of a ~1 px step


def test_gradients_of_a_plane_are_its_slopes():
    y, x = np.mgrid[0:9, 0:9].astype(float)
    Ix, Iy, It = spatiotemporal_gradients(2 * x + 3 * y, 2 * x + 3 * y + 0.5)
    np.testing.assert_allclose(Ix[1:-1, 1:-1], 2.0, atol=1e-12)
    np.testing.assert_allclose(Iy[1:-1, 1:-1], 3.0, atol=1e-12)
    np.testing.assert_allclose(It, 0.5, atol=1e-12)


def test_warp_with_flow_matches_scipy_map_coordinates():
    from scipy.ndimage import map_coordinates
    rng = np.random.default_rng(3)
    img, flow = rng.random((20, 24)), rng.uniform(-2, 2, (20, 24, 2))
    i, j = np.mgrid[0:20, 0:24]
    want = map_coordinates(img, [np.clip(i + flow[..., 1], 0, 19), np.clip(j + flow[..., 0], 0, 23)], order=1)
    np.testing.assert_allclose(warp_with_flow(img, flow), want, atol=1e-12)


def test_aperture_problem_lucas_kanade_refuses_a_straight_edge():
    x = np.tile(np.arange(32.0), (32, 1))
    edge = 1 / (1 + np.exp(-(x - 16)))                    # varies along x only
    flow = lucas_kanade_step(edge, np.roll(edge, 1, axis=1), min_eigenvalue=1e-6)
    assert np.all(flow == 0)                              # λ_min = 0: no unique answer, flow left at 0
    hs = horn_schunck_step(edge, np.roll(edge, 1, axis=1), alpha=0.05, iterations=50)
    assert np.abs(hs[..., 1]).max() < 1e-9               # HS moves only along the gradient (normal flow)


@pytest.mark.parametrize("call, words", [
    (lambda: lucas_kanade(np.zeros((8, 8)), np.zeros((8, 9))), "same shape"),
    (lambda: lucas_kanade(np.zeros((8, 8)), np.zeros((8, 8)), window=4), "odd"),
    (lambda: lucas_kanade(np.zeros((8, 8)), np.zeros((8, 8)), levels=0), "levels"),
    (lambda: horn_schunck(np.zeros((8, 8)), np.zeros((8, 8)), alpha=0), "alpha"),
    (lambda: horn_schunck_step(np.zeros((8, 8)), np.zeros((8, 8)), flow=np.zeros((8, 8))), "flow"),
    (lambda: warp_with_flow(np.zeros((8, 8)), np.zeros((8, 8, 3))), "flow"),
    (lambda: spatiotemporal_gradients(np.zeros((2, 8, 8)), np.zeros((2, 8, 8))), "2-D"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_lucas_kanade_step_equals_per_pixel_least_squares():
    """The vectorised closed form against np.linalg.lstsq on each window's stacked constraints (a loop)."""
    frames, _ = texture_motion_clip(np.random.default_rng(5), size=24, velocity=(0.4, -0.3), rotation=0.05)
    window, r = 5, 2
    flow = lucas_kanade_step(frames[0], frames[1], window=window)
    Ix, Iy, It = spatiotemporal_gradients(frames[0], frames[1])
    for i in range(r, 24 - r, 3):
        for j in range(r, 24 - r, 3):
            sl = (slice(i - r, i + r + 1), slice(j - r, j + r + 1))
            A = np.stack([Ix[sl].ravel(), Iy[sl].ravel()], axis=1)            # (window², 2) constraints
            want = np.linalg.lstsq(A, -It[sl].ravel(), rcond=None)[0]
            assert np.linalg.eigvalsh(A.T @ A / window**2).min() > 1e-6
            # closed-form 2×2 inverse vs LAPACK's least squares on well-conditioned windows: ~1e-12
            np.testing.assert_allclose(flow[i, j], want, atol=1e-9, err_msg=f"pixel ({i}, {j})")


def test_horn_schunck_iterations_converge_to_the_solution_of_their_linear_system():
    """Jacobi's fixed point solves u − ū + I_x (I_x ū + I_y v̄ + I_t)/d = 0 (and the same for v), with ū = M u the
    replicate-border neighbour average; np.linalg.solve gives that solution directly."""
    from coursekit.image.filters import correlate2d
    from coursekit.video.flow import HS_AVERAGE_KERNEL

    frames, _ = texture_motion_clip(np.random.default_rng(6), size=12, velocity=(0.3, 0.2))
    alpha = 0.05
    Ix, Iy, It = (g.ravel() for g in spatiotemporal_gradients(frames[0], frames[1]))
    n = Ix.size
    M = np.stack([correlate2d(e.reshape(12, 12), HS_AVERAGE_KERNEL, mode="replicate").ravel()
                  for e in np.eye(n)], axis=1)                                # (n, n): ū = M u
    d = alpha**2 + Ix**2 + Iy**2
    I = np.eye(n)
    system = np.block([[I - M + (Ix * Ix / d)[:, None] * M, (Ix * Iy / d)[:, None] * M],
                       [(Iy * Ix / d)[:, None] * M, I - M + (Iy * Iy / d)[:, None] * M]])
    rhs = -np.concatenate([Ix * It / d, Iy * It / d])
    want = np.linalg.solve(system, rhs)
    got = horn_schunck_step(frames[0], frames[1], alpha=alpha, iterations=4000)
    # Jacobi converges geometrically; after 4000 sweeps on 12×12 the remaining error is far below 1e-6
    np.testing.assert_allclose(np.concatenate([got[..., 0].ravel(), got[..., 1].ravel()]), want, atol=1e-6)
