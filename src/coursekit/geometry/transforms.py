"""Geometric transformations of the plane: the DoF ladder, affine maps, homographies, warping.

Chapter 2 (Image processing), section "Geometric transformations". Points are ``(x, y)`` =
(column, row) with the origin at the centre of the top-left pixel, as in OpenCV and
scikit-image; a 3×3 matrix ``H`` maps *source* points to *destination* points.

References
----------
- R. Hartley, "In defense of the eight-point algorithm", IEEE TPAMI 19(6) (1997) — why
  the points must be normalised before the DLT.
- R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed.
  (2004), Sec. 2.4 (the hierarchy of transformations) and Alg. 4.2 (normalised DLT).
- G. Wolberg, *Digital Image Warping* (1990), Ch. 3 (forward vs inverse mapping).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array

__all__ = [
    "DEGREES_OF_FREEDOM", "degrees_of_freedom", "translation_matrix", "rotation_matrix", "scaling_matrix",
    "shear_matrix", "affine_matrix", "estimate_affine", "normalize_points", "estimate_homography",
    "apply_homography",
]

#: The ladder: each rung adds freedom and loses an invariant.
DEGREES_OF_FREEDOM = {
    "translation": 2,  # tx, ty — preserves orientation
    "rigid": 3,        # + rotation — preserves lengths (also called Euclidean)
    "euclidean": 3,
    "similarity": 4,   # + uniform scale — preserves angles and length ratios
    "affine": 6,       # + non-uniform scale and shear — preserves parallelism
    "projective": 8,   # 3×3 up to scale — preserves only straight lines (homography)
    "homography": 8,
}


def degrees_of_freedom(kind: str) -> int:
    """Number of parameters of a 2-D transformation class.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-matrix`).

    Examples
    --------
    >>> [degrees_of_freedom(k) for k in ("translation", "rigid", "similarity", "affine", "projective")]
    [2, 3, 4, 6, 8]
    """
    if kind not in DEGREES_OF_FREEDOM:
        raise ValueError(f"kind must be one of {sorted(DEGREES_OF_FREEDOM)}, got {kind!r}.")
    return DEGREES_OF_FREEDOM[kind]


# ----------------------------------------------------------------------------- building blocks


def translation_matrix(tx: float, ty: float) -> np.ndarray:
    """``[[1, 0, tx], [0, 1, ty], [0, 0, 1]]``: shift by (tx, ty) pixels.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-matrix`).
    """
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def rotation_matrix(theta: float) -> np.ndarray:
    """Rotation by ``theta`` radians about the origin.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-matrix`).

    With y pointing down, a positive angle turns the picture clockwise on screen.
    """
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def scaling_matrix(sx: float, sy: float | None = None) -> np.ndarray:
    """Scale x by ``sx`` and y by ``sy`` (``sy = sx`` if omitted).

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-matrix`).
    """
    sy = sx if sy is None else sy
    return np.diag([float(sx), float(sy), 1.0])


def shear_matrix(kx: float, ky: float = 0.0) -> np.ndarray:
    """``x' = x + kx y``, ``y' = ky x + y``.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-matrix`).
    """
    return np.array([[1.0, kx, 0.0], [ky, 1.0, 0.0], [0.0, 0.0, 1.0]])


def affine_matrix(theta: float = 0.0, scale: float | tuple = 1.0, shear: float = 0.0,
                  translation: tuple = (0.0, 0.0), center: tuple = (0.0, 0.0)) -> np.ndarray:
    """Compose ``T(translation) · T(center) · R(theta) · Sh(shear) · S(scale) · T(−center)``.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-matrix`).

    Parameters
    ----------
    theta : float
        Rotation in radians.
    scale : float or (sx, sy)
    shear : float
        Horizontal shear ``kx``.
    translation : (tx, ty)
    center : (cx, cy)
        The point that rotation, shear and scale keep fixed.

    Returns
    -------
    (3, 3) ndarray of float64
        Last row ``[0, 0, 1]``.

    Examples
    --------
    >>> A = affine_matrix(theta=np.pi / 2, center=(1.0, 1.0))
    >>> np.round(A @ [1.0, 1.0, 1.0], 12)
    array([1., 1., 1.])
    """
    sx, sy = (scale, scale) if np.isscalar(scale) else scale
    cx, cy = center
    return (translation_matrix(*translation) @ translation_matrix(cx, cy) @ rotation_matrix(theta)
            @ shear_matrix(shear) @ scaling_matrix(sx, sy) @ translation_matrix(-cx, -cy))


def _check_points(pts, name: str, minimum: int) -> np.ndarray:
    check_array(pts, name, ndim=2, dtype_kind="fiu")
    if pts.shape[1] != 2:
        raise ValueError(f"{name} must have shape (N, 2) holding (x, y) per row, got {pts.shape}.")
    if pts.shape[0] < minimum:
        raise ValueError(f"{name} needs at least {minimum} points, got {pts.shape[0]}.")
    return pts.astype(np.float64)


def _check_pair(src, dst, minimum: int) -> tuple[np.ndarray, np.ndarray]:
    src, dst = _check_points(src, "src", minimum), _check_points(dst, "dst", minimum)
    if src.shape != dst.shape:
        raise ValueError(f"src and dst must hold the same number of points, got {src.shape} and {dst.shape}.")
    return src, dst


# ----------------------------------------------------------------------------- estimation


def estimate_affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares affine map ``dst ≈ A src`` from N ≥ 3 correspondences.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-least-squares`).

    Each pair gives two linear equations in the six unknowns ``a11 a12 tx a21 a22 ty``;
    the x-equations and y-equations share the design matrix ``[x, y, 1]``.

    Parameters
    ----------
    src, dst : (N, 2) ndarray
        Corresponding (x, y) points, N >= 3, not all collinear.

    Returns
    -------
    (3, 3) ndarray of float64
        Last row ``[0, 0, 1]``.

    Examples
    --------
    >>> src = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> np.round(estimate_affine(src, src + [2.0, 3.0])[:2], 9) + 0.0  # + 0.0 turns -0. into 0.
    array([[1., 0., 2.],
           [0., 1., 3.]])
    """
    src, dst = _check_pair(src, dst, 3)
    X = np.column_stack([src, np.ones(len(src))])  # (N, 3) design matrix
    if np.linalg.matrix_rank(X) < 3:
        raise ValueError("the src points are collinear, so an affine map is not determined.")
    params, *_ = np.linalg.lstsq(X, dst, rcond=None)  # (3, 2): columns are the x- and y-rows of A
    A = np.eye(3)
    A[:2] = params.T
    return A


def normalize_points(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hartley normalisation: move the centroid to 0 and scale the mean distance to √2.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-point-normalisation`).

    Parameters
    ----------
    pts : (N, 2) ndarray

    Returns
    -------
    normalized : (N, 2) ndarray of float64
    T : (3, 3) ndarray of float64
        The similarity with ``normalized = T · pts`` (homogeneous).

    Examples
    --------
    >>> p, T = normalize_points(np.array([[0.0, 0.0], [2.0, 0.0]]))
    >>> p.round(6).tolist()
    [[-1.414214, 0.0], [1.414214, 0.0]]
    """
    pts = _check_points(pts, "pts", 1)
    centroid = pts.mean(axis=0)  # (2,)
    mean_dist = np.linalg.norm(pts - centroid, axis=1).mean()
    if mean_dist == 0:
        raise ValueError("all points coincide; they cannot be normalised.")
    s = np.sqrt(2.0) / mean_dist
    T = np.array([[s, 0.0, -s * centroid[0]], [0.0, s, -s * centroid[1]], [0.0, 0.0, 1.0]])
    return (pts - centroid) * s, T


def estimate_homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Normalised DLT: the homography with ``dst ~ H src`` from N ≥ 4 correspondences.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-dlt`).

    Parameters
    ----------
    src, dst : (N, 2) ndarray
        Corresponding (x, y) points, N >= 4, no three of the first four collinear.

    Returns
    -------
    (3, 3) ndarray of float64
        Scaled so that ``H[2, 2] == 1``.

    Notes
    -----
    1. Normalise each point set (:func:`normalize_points`): ``T_s``, ``T_d``.
    2. Each pair gives two rows of ``A h = 0``:
       ``[-x, -y, -1, 0, 0, 0, u x, u y, u]`` and ``[0, 0, 0, -x, -y, -1, v x, v y, v]``.
    3. ``h`` = the right singular vector of ``A`` with the smallest singular value (``‖h‖ = 1``).
    4. Undo the normalisation: ``H = T_d⁻¹ H̃ T_s``; divide by ``H[2, 2]``.

    Examples
    --------
    >>> src = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    >>> H = estimate_homography(src, 2 * src + 5)
    >>> np.round(H, 9) + 0.0
    array([[2., 0., 5.],
           [0., 2., 5.],
           [0., 0., 1.]])
    """
    src, dst = _check_pair(src, dst, 4)
    p, T_s = normalize_points(src)  # (N, 2)
    q, T_d = normalize_points(dst)
    x, y = p[:, 0], p[:, 1]
    u, v = q[:, 0], q[:, 1]
    zero, one = np.zeros_like(x), np.ones_like(x)
    rows_u = np.stack([-x, -y, -one, zero, zero, zero, u * x, u * y, u], axis=1)  # (N, 9)
    rows_v = np.stack([zero, zero, zero, -x, -y, -one, v * x, v * y, v], axis=1)  # (N, 9)
    A = np.concatenate([rows_u, rows_v], axis=0)  # (2N, 9)
    _, S, Vt = np.linalg.svd(A)
    if S[7] < 1e-10 * S[0]:
        raise ValueError("the points are degenerate (e.g. three of four collinear); H is not determined.")
    H_tilde = Vt[-1].reshape(3, 3)  # ‖H̃‖ = 1 in normalised coordinates
    if np.linalg.svd(H_tilde, compute_uv=False)[-1] < 1e-10:
        raise ValueError("the points are degenerate (e.g. three of four collinear): the best fit is a "
                         "singular H that squashes the plane onto a line.")
    H = np.linalg.inv(T_d) @ H_tilde @ T_s
    if abs(H[2, 2]) < 1e-12 * np.abs(H).max():
        raise ValueError("the homography maps the origin to infinity; cannot scale it to H[2, 2] = 1.")
    return H / H[2, 2]


def apply_homography(H: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Map points through ``H``: ``[u, v, w] = H [x, y, 1]``, then divide by ``w``.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-dlt`).

    Parameters
    ----------
    H : (3, 3) ndarray (a (2, 3) affine matrix is accepted too)
    pts : (N, 2) ndarray

    Returns
    -------
    (N, 2) ndarray of float64
        Points mapped to infinity (``w = 0``) come back as ``inf``/``nan``.

    Examples
    --------
    >>> apply_homography(np.diag([2.0, 3.0, 1.0]), np.array([[1.0, 1.0]]))
    array([[2., 3.]])
    """
    H = _as_homography(H)
    pts = _check_points(pts, "pts", 0)
    ph = np.column_stack([pts, np.ones(len(pts))]) @ H.T  # (N, 3) homogeneous
    with np.errstate(divide="ignore", invalid="ignore"):
        return ph[:, :2] / ph[:, 2:3]


def _as_homography(H) -> np.ndarray:
    check_array(H, "H", ndim=2, dtype_kind="fiu")
    if H.shape == (2, 3):
        H = np.vstack([H, [0.0, 0.0, 1.0]])
    if H.shape != (3, 3):
        raise ValueError(f"H must be a (3, 3) homography or a (2, 3) affine matrix, got shape {H.shape}.")
    return H.astype(np.float64)


# ----------------------------------------------------------------------------- resampling


