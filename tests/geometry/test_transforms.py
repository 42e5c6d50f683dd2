"""Chapter 2, geometry: the DoF ladder, affine maps, the normalised DLT, bilinear sampling and warping,
checked against OpenCV, scikit-image, SciPy and scikit-learn on real images and seeded random inputs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import scipy.ndimage as ndi
from skimage import data, transform
from sklearn.linear_model import LinearRegression

from coursekit.geometry.transforms import (
    affine_matrix,
    apply_homography,
    degrees_of_freedom,
    estimate_affine,
    estimate_homography,
    normalize_points,
    rotation_matrix,
    scaling_matrix,
    shear_matrix,
    translation_matrix,
)
from coursekit.geometry import warp as W  # the module (the function is warp_image)
from coursekit.geometry.warp import bilinear_sample, warp_image, warp_splat

IMAGES = {"camera": data.camera(), "astronaut": data.astronaut(), "coffee": data.coffee()}
H_TRUE = np.array([[0.9, 0.15, 20.0], [-0.1, 1.05, 10.0], [2e-4, 1e-4, 1.0]])


def _skimage_homography(src, dst) -> np.ndarray:
    if hasattr(transform.ProjectiveTransform, "from_estimate"):  # scikit-image >= 0.26
        tform = transform.ProjectiveTransform.from_estimate(src, dst)
    else:  # pragma: no cover
        tform = transform.ProjectiveTransform()
        tform.estimate(src, dst)
    return tform.params / tform.params[2, 2]


# ----------------------------------------------------------------------------- the ladder


def _rank_of_family(param_to_matrix, n_params, rng) -> int:
    """Numerical rank of d(matrix)/d(params) at a random point: the family's true number of DoF."""
    p = rng.normal(size=n_params) * 0.3 + 1.0
    J = []
    for i in range(n_params):
        e = np.zeros(n_params)
        e[i] = 1e-6
        J.append(((param_to_matrix(p + e) - param_to_matrix(p - e)) / 2e-6).ravel())
    return np.linalg.matrix_rank(np.array(J), tol=1e-6)


def test_dof_ladder_matches_the_rank_of_each_family(rng):
    families = {
        "translation": (lambda p: translation_matrix(*p), 2),
        "rigid": (lambda p: translation_matrix(p[1], p[2]) @ rotation_matrix(p[0]), 3),
        "similarity": (lambda p: affine_matrix(theta=p[0], scale=p[1], translation=p[2:]), 4),
        "affine": (lambda p: affine_matrix(theta=p[0], scale=p[1:3], shear=p[3], translation=p[4:]), 6),
        # 9 entries, normalised by H[2, 2]: the overall scale is not a degree of freedom.
        "projective": (lambda p: (lambda M: M / M[2, 2])(p.reshape(3, 3)), 9),
    }
    for kind, (family, n) in families.items():
        assert _rank_of_family(family, n, rng) == degrees_of_freedom(kind), kind
    assert degrees_of_freedom("euclidean") == degrees_of_freedom("rigid") == 3
    with pytest.raises(ValueError, match="kind"):
        degrees_of_freedom("conformal")


def test_affine_matrix_matches_cv2_rotation_matrix():
    M = cv2.getRotationMatrix2D((100.0, 60.0), 30.0, 1.5)  # degrees, counter-clockwise on screen
    ours = affine_matrix(theta=-np.deg2rad(30.0), scale=1.5, center=(100.0, 60.0))
    np.testing.assert_allclose(ours[:2], M, atol=1e-12)


def test_rigid_and_shear_invariants(rng):
    R = affine_matrix(theta=0.7, translation=(3.0, -2.0))
    p = rng.normal(size=(2, 2)) * 50
    q = apply_homography(R, p)
    assert np.isclose(np.linalg.norm(q[0] - q[1]), np.linalg.norm(p[0] - p[1]))  # lengths kept
    S = shear_matrix(0.5)
    assert np.isclose(np.linalg.det(S), 1.0)  # shear keeps areas
    np.testing.assert_allclose(S @ [0.0, 1.0, 1.0], [0.5, 1.0, 1.0])
    np.testing.assert_allclose(scaling_matrix(2.0) @ [1.0, 1.0, 1.0], [2.0, 2.0, 1.0])


# ----------------------------------------------------------------------------- affine estimation


def test_estimate_affine_from_three_points_matches_cv2(rng):
    src = rng.integers(0, 500, size=(3, 2)).astype(np.float64)  # integers: exact in float32 for cv2
    dst = rng.integers(0, 500, size=(3, 2)).astype(np.float64)
    ref = cv2.getAffineTransform(src.astype(np.float32), dst.astype(np.float32))  # solved in double
    np.testing.assert_allclose(estimate_affine(src, dst)[:2], ref, rtol=1e-9, atol=1e-9)


def test_estimate_affine_is_ordinary_least_squares(rng):
    src = rng.uniform(0, 500, size=(40, 2))
    A = affine_matrix(theta=0.3, scale=(1.2, 0.8), shear=0.1, translation=(15.0, -5.0))
    dst = apply_homography(A, src) + rng.normal(0, 1.0, size=(40, 2))
    lr = LinearRegression().fit(src, dst)  # an independent least-squares solver
    ours = estimate_affine(src, dst)
    np.testing.assert_allclose(ours[:2, :2], lr.coef_, atol=1e-9)
    np.testing.assert_allclose(ours[:2, 2], lr.intercept_, atol=1e-7)


def test_estimate_affine_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 3"):
        estimate_affine(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="collinear"):
        line = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
        estimate_affine(line, line)
    with pytest.raises(ValueError, match="same number"):
        estimate_affine(np.zeros((4, 2)), np.zeros((5, 2)))


# ----------------------------------------------------------------------------- homography


def test_normalize_points_centres_and_scales_to_sqrt2(rng):
    pts = rng.uniform(100, 600, size=(25, 2))
    p, T = normalize_points(pts)
    np.testing.assert_allclose(p.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(p, axis=1).mean(), np.sqrt(2.0))
    np.testing.assert_allclose(apply_homography(T, pts), p, atol=1e-12)


def test_homography_from_four_exact_points_reproduces_them_and_matches_cv2():
    src = np.array([[0.0, 0.0], [511.0, 0.0], [511.0, 511.0], [0.0, 511.0]])  # camera's corners
    dst = np.array([[30.5, 12.0], [480.0, 40.0], [500.0, 470.5], [10.0, 500.0]])  # exact in float32
    H = estimate_homography(src, dst)
    np.testing.assert_allclose(apply_homography(H, src), dst, atol=1e-9)
    ref = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))  # double solve
    np.testing.assert_allclose(H, ref / ref[2, 2], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("scale", [1.0, -3.7])
def test_noise_free_dlt_recovers_h_up_to_scale(scale, rng):
    src = rng.uniform(0, 512, size=(30, 2))
    dst = apply_homography(scale * H_TRUE, src)
    np.testing.assert_allclose(estimate_homography(src, dst), H_TRUE, rtol=1e-9, atol=1e-12)
    ref, _ = cv2.findHomography(src, dst, 0)
    # findHomography refines with Levenberg-Marquardt and stops at its own criteria: 1e-5 on entries.
    np.testing.assert_allclose(estimate_homography(src, dst), ref, atol=1e-5)


def test_noisy_dlt_agrees_with_skimage_and_cv2_well_below_the_noise(rng):
    src = rng.uniform(0, 512, size=(50, 2))
    dst = apply_homography(H_TRUE, src) + rng.normal(0, 1.0, size=(50, 2))  # 1 px noise
    ours = apply_homography(estimate_homography(src, dst), src)
    # skimage normalises by the RMS rather than mean distance and cv2 minimises the geometric error,
    # so the solutions differ slightly; their predictions must agree to a tenth of the noise.
    for H_ref in (_skimage_homography(src, dst), cv2.findHomography(src, dst, 0)[0]):
        assert np.abs(apply_homography(H_ref, src) - ours).max() < 0.1


def test_normalisation_improves_the_conditioning_of_the_dlt(rng):
    # Hartley (1997): with pixel coordinates the columns of A differ in scale by ~1e5.
    src = rng.uniform(0, 640, size=(20, 2))
    dst = apply_homography(H_TRUE, src)

    def design(p, q):
        x, y, u, v = p[:, 0], p[:, 1], q[:, 0], q[:, 1]
        o, z = np.ones_like(x), np.zeros_like(x)
        return np.vstack([np.stack([-x, -y, -o, z, z, z, u * x, u * y, u], 1),
                          np.stack([z, z, z, -x, -y, -o, v * x, v * y, v], 1)])

    def cond8(A):  # ratio of the largest to the 8th singular value (the 9th is ~0 for exact data)
        s = np.linalg.svd(A, compute_uv=False)
        return s[0] / s[7]

    raw = cond8(design(src, dst))
    normed = cond8(design(normalize_points(src)[0], normalize_points(dst)[0]))
    assert normed * 1e3 < raw


def test_estimate_homography_rejects_bad_input():
    sq = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="at least 4"):
        estimate_homography(sq[:3], sq[:3])
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        estimate_homography(np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="degenerate"):
        collinear = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [0.0, 1.0]])
        estimate_homography(collinear, sq)


def test_apply_homography_matches_cv2_perspective_transform(rng):
    pts = rng.uniform(0, 512, size=(100, 2))
    ref = cv2.perspectiveTransform(pts[None], H_TRUE)[0]
    np.testing.assert_allclose(apply_homography(H_TRUE, pts), ref, atol=1e-9)
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        apply_homography(np.eye(4), pts)


# ----------------------------------------------------------------------------- resampling


def test_bilinear_sample_matches_scipy_map_coordinates(rng):
    img = rng.random((20, 30))
    x, y = rng.uniform(-2, 31, 500), rng.uniform(-2, 21, 500)
    # scipy's 'grid-constant' pads with cval and interpolates across the border, like ours: exact.
    ref = ndi.map_coordinates(img, [y, x], order=1, mode="grid-constant", cval=0.0)
    np.testing.assert_allclose(bilinear_sample(img, x, y), ref, atol=1e-12)


def test_bilinear_sample_hits_pixels_exactly_and_handles_colour():
    img = IMAGES["astronaut"]
    ys, xs = np.array([0, 10, 511]), np.array([0, 300, 511])
    np.testing.assert_array_equal(bilinear_sample(img, xs.astype(float), ys.astype(float)), img[ys, xs])
    with pytest.raises(ValueError, match="same shape"):
        bilinear_sample(img, np.zeros(3), np.zeros(4))


@pytest.mark.parametrize("name", ["camera", "astronaut"])
def test_warp_matches_cv2_warp_perspective(name):
    img = IMAGES[name]
    ours = warp_image(img, H_TRUE, (480, 520))
    ref = cv2.warpPerspective(img, H_TRUE, (520, 480), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    # cv2 quantises the interpolation weights to 1/32 (INTER_BITS = 5), an error of at most
    # 255/64 ~ 4 grey levels across a full-contrast edge, then rounds to uint8 (0.5). Typical
    # pixels are far closer: mean < 0.3.
    diff = np.abs(ours - ref)
    assert diff.max() <= 255 / 64 + 0.5
    assert diff.mean() < 0.3


def test_warp_with_affine_matches_cv2_warp_affine():
    img = IMAGES["coffee"].astype(np.float32)
    A = affine_matrix(theta=0.2, scale=0.9, shear=0.1, translation=(20.0, -10.0))[:2]
    ref = cv2.warpAffine(img, A, (600, 400), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    diff = np.abs(warp_image(img, A, (400, 600)) - ref)
    assert diff.max() <= 255 / 64 and diff.mean() < 0.1  # same 1/32 weight quantisation, no rounding


@pytest.mark.parametrize("name", ["camera", "coffee"])
def test_warp_matches_skimage_warp(name):
    img = IMAGES[name].astype(np.float64)
    ours = warp_image(img, H_TRUE, img.shape[:2])
    tform = transform.ProjectiveTransform(matrix=H_TRUE)
    ref = transform.warp(img, tform.inverse, output_shape=img.shape[:2], order=1, mode="constant",
                         cval=0.0, preserve_range=True)
    np.testing.assert_allclose(ours, ref, atol=1e-8)  # both exact bilinear in float64


def test_splatting_leaves_holes_and_inverse_warping_does_not():
    img = IMAGES["camera"][:128, :128].astype(np.float64) + 1.0  # > 0 everywhere
    up = scaling_matrix(1.6)
    fwd, hit = warp_splat(img, up, (204, 204))
    inv = warp_image(img, up, (204, 204))
    assert hit.mean() < 0.5  # 128² source pixels cannot cover 204² destinations
    assert (inv[:-2, :-2] > 0).all()  # every inner destination pixel is filled
    np.testing.assert_array_equal(fwd[~hit], 0.0)


def test_splatting_and_inverse_warping_agree_for_integer_translation():
    img = IMAGES["astronaut"][:64, :80]
    T = translation_matrix(5, 3)
    fwd, hit = warp_splat(img, T, (64, 80))
    np.testing.assert_allclose(fwd, warp_image(img, T, (64, 80)), atol=1e-12)
    assert hit[3:, 5:].all() and not hit[:3].any()


def test_warps_reject_bad_input():
    img = np.zeros((8, 8))
    with pytest.raises(ValueError, match="singular"):
        warp_image(img, np.zeros((3, 3)), (8, 8))
    with pytest.raises(ValueError, match="out_shape"):
        warp_image(img, np.eye(3), (8, 0))
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        warp_splat(img, np.eye(2), (8, 8))
    with pytest.raises(ValueError, match="2-D or 3-D"):
        warp_image(np.zeros((2, 8, 8, 3)), np.eye(3), (8, 8))


# ----------------------------------------------------------------------------- readable first, fast behind it

@pytest.mark.parametrize("name", ["camera", "astronaut"])
def test_fast_warp_equals_the_readable_steps_on_the_whole_image(name):
    # warp's blocked, in-place path against its Notes written out: every destination pixel through
    # apply_homography(H^-1), then bilinear_sample. Same formula, other operation order: 1e-9 on 0..255.
    img = IMAGES[name][:200, :240]
    ys, xs = np.mgrid[0:180, 0:260]                                   # (180, 260) destination pixels
    src = apply_homography(np.linalg.inv(H_TRUE), np.column_stack([xs.ravel(), ys.ravel()]))   # (N, 2) (x, y)
    expected = bilinear_sample(img, src[:, 0], src[:, 1]).reshape((180, 260) + img.shape[2:])
    np.testing.assert_allclose(warp_image(img, H_TRUE, (180, 260)), expected, rtol=0, atol=1e-9)


def test_fast_bilinear_path_equals_bilinear_sample(rng):
    # the private in-place formula used by warp, on points inside, on the border and far outside
    img = rng.uniform(0, 255, (17, 23, 3))
    x, y = rng.uniform(-5, 28, 1000), rng.uniform(-5, 22, 1000)
    x[:4], y[:4] = [0, 22, 22.5, -0.5], [0, 16, 3, 16.5]
    fast = W._bilinear_padded(W._pad_zero_ring(img), 17, 23, x, y)
    np.testing.assert_allclose(fast, bilinear_sample(img, x, y), rtol=0, atol=1e-9)   # 1e-9 on 0..255


def test_bilinear_sample_refuses_coordinates_that_are_not_finite():
    with pytest.raises(ValueError, match="NaN"):
        bilinear_sample(np.zeros((4, 4)), np.array([np.nan]), np.array([0.0]))


def test_the_old_warp_names_are_gone():
    # warp_inverse took the *forward* matrix; the names now say what the functions do
    import coursekit.geometry as G
    assert not hasattr(G, "warp_inverse") and not hasattr(G, "warp_forward")
    assert G.warp_image is warp_image and G.warp_splat is warp_splat
