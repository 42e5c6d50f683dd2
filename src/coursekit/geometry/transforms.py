"""Geometric transformations of the plane: the DoF ladder, affine maps, homographies and their estimation.

Chapter 2 (Image processing), section "Geometric transformations". Conventions (CONTRIBUTING.md,
"Conventions"): points are ``(x, y)`` = (column, row), stored as ``(N, 2)`` arrays, with the origin at the
centre of the top-left pixel, as in OpenCV and scikit-image; a 3×3 matrix ``H`` maps *source* points to
*destination* points (the forward map), as ``cv2.warpPerspective`` takes it.

References
----------
- R. Hartley, "In defense of the eight-point algorithm", IEEE TPAMI 19(6) (1997) — why
  the points must be normalised before the DLT.
- R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed.
  (2004), Sec. 2.4 (the hierarchy of transformations) and Alg. 4.2 (normalised DLT).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_choice

__all__ = [
    "DEGREES_OF_FREEDOM", "degrees_of_freedom", "translation_matrix", "rotation_matrix", "scaling_matrix",
    "shear_matrix", "affine_matrix", "estimate_affine", "normalize_points", "estimate_homography",
    "apply_homography", "as_homography",
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

    Parameters
    ----------
    kind : str
        One of the keys of ``DEGREES_OF_FREEDOM`` ("translation", "rigid", "similarity", "affine", ...).

    Returns
    -------
    int
        2, 3, 4, 6 or 8: each rung adds freedom and loses an invariant (Hartley and Zisserman, sec. 2.4).

    Examples
    --------
    >>> [degrees_of_freedom(k) for k in ("translation", "rigid", "similarity", "affine", "projective")]
    [2, 3, 4, 6, 8]
    """
    return DEGREES_OF_FREEDOM[check_choice(kind, "kind", DEGREES_OF_FREEDOM)]


def translation_matrix(tx: float, ty: float) -> np.ndarray:
    """``[[1, 0, tx], [0, 1, ty], [0, 0, 1]]``: shift by ``tx`` pixels right and ``ty`` pixels down.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-matrix`).

    Parameters
    ----------
    tx, ty : float
        Shift along x (columns) and along y (rows).

    Returns
    -------
    (3, 3) ndarray of float64
        Maps the point ``(x, y)`` to ``(x + tx, y + ty)``.

    Examples
    --------
    >>> translation_matrix(2.0, 3.0) @ [1.0, 1.0, 1.0]
    array([3., 4., 1.])
    """
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def rotation_matrix(theta: float) -> np.ndarray:
    """Rotation by ``theta`` radians about the origin.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-matrix`).

    Parameters
    ----------
    theta : float
        Angle in radians. With y pointing down, a positive angle turns the picture clockwise on screen.

    Returns
    -------
    (3, 3) ndarray of float64
        ``[[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]]``.

    Examples
    --------
    >>> np.round(rotation_matrix(np.pi / 2) @ [1.0, 0.0, 1.0], 12) + 0.0   # +x turns into +y (down)
    array([0., 1., 1.])
    """
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def scaling_matrix(sx: float, sy: float | None = None) -> np.ndarray:
    """Scale x by ``sx`` and y by ``sy`` (``sy = sx`` if omitted) about the origin.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-matrix`).

    Parameters
    ----------
    sx, sy : float
        Factors along x and along y; ``sy`` defaults to ``sx`` (a uniform scale).

    Returns
    -------
    (3, 3) ndarray of float64
        ``diag(sx, sy, 1)``.

    Examples
    --------
    >>> scaling_matrix(2.0, 3.0) @ [1.0, 1.0, 1.0]
    array([2., 3., 1.])
    """
    sy = sx if sy is None else sy
    return np.diag([float(sx), float(sy), 1.0])


def shear_matrix(kx: float, ky: float = 0.0) -> np.ndarray:
    """Shear ``x' = x + kx y``, ``y' = ky x + y``.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-matrix`).

    Parameters
    ----------
    kx, ky : float
        Horizontal shear (how far x moves per unit of y) and vertical shear (y per unit of x).

    Returns
    -------
    (3, 3) ndarray of float64
        ``[[1, kx, 0], [ky, 1, 0], [0, 0, 1]]``.

    Examples
    --------
    >>> shear_matrix(0.5) @ [0.0, 2.0, 1.0]
    array([1., 2., 1.])
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
        Scale factors along x and y.
    shear : float
        Horizontal shear ``kx``.
    translation : (tx, ty)
        Shift applied last, in pixels along x and y.
    center : (cx, cy)
        The point ``(x, y)`` that rotation, shear and scale keep fixed.

    Returns
    -------
    (3, 3) ndarray of float64
        Last row ``[0, 0, 1]``; maps source points to destination points. Read the product right to
        left: move ``center`` to the origin, scale, shear, rotate, move back, translate.

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
    check_array(pts, name, ndim=2, dtype_kind="biuf")
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


def estimate_affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares affine map ``dst ≈ A src`` from N ≥ 3 correspondences.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-least-squares`).

    Parameters
    ----------
    src, dst : (N, 2) ndarray
        Corresponding points ``(x, y)`` = (column, row), N >= 3, not all collinear; any real dtype.

    Returns
    -------
    (3, 3) ndarray of float64
        Last row ``[0, 0, 1]``.

    Notes
    -----
    Each pair gives two linear equations in the six unknowns ``a11 a12 tx a21 a22 ty``; the x-equations
    and y-equations share the design matrix ``[x, y, 1]``, so one ``lstsq`` solves both.

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
        Points ``(x, y)``, not all equal; any real dtype.

    Returns
    -------
    normalized : (N, 2) ndarray of float64
        The points ``(x, y)`` after the similarity.
    T : (3, 3) ndarray of float64
        The similarity with ``normalized = T · pts`` (homogeneous).

    References
    ----------
    R. Hartley, "In defense of the eight-point algorithm", IEEE TPAMI 19(6), 1997.

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
        Corresponding points ``(x, y)`` = (column, row), N >= 4, no three of the first four collinear.

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

    References
    ----------
    R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed., Alg. 4.2.

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
    H : (3, 3) or (2, 3) ndarray
        The map, first as in ``H x̃`` (an affine (2, 3) matrix gets the row ``[0, 0, 1]``).
    pts : (N, 2) ndarray
        Points ``(x, y)`` = (column, row); any real dtype.

    Returns
    -------
    (N, 2) ndarray of float64
        The mapped points ``(x', y')``; those mapped to infinity (``w = 0``) come back as ``inf``/``nan``.

    References
    ----------
    R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed., sec. 2.3.

    Examples
    --------
    >>> apply_homography(np.diag([2.0, 3.0, 1.0]), np.array([[1.0, 1.0]]))
    array([[2., 3.]])
    """
    H = as_homography(H)
    pts = _check_points(pts, "pts", 0)
    ph = np.column_stack([pts, np.ones(len(pts))]) @ H.T  # (N, 3) homogeneous
    with np.errstate(divide="ignore", invalid="ignore"):
        return ph[:, :2] / ph[:, 2:3]


def as_homography(H) -> np.ndarray:
    """A validated 3×3 float64 homography from a (3, 3) matrix or a (2, 3) affine matrix.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-affine-matrix`).

    Parameters
    ----------
    H : (3, 3) or (2, 3) ndarray
        Any real dtype, finite.

    Returns
    -------
    (3, 3) ndarray of float64
        ``H`` itself, or the affine matrix with ``[0, 0, 1]`` appended (a copy).

    Examples
    --------
    >>> as_homography(np.array([[1, 0, 5], [0, 1, 2]]))[2].tolist()
    [0.0, 0.0, 1.0]
    """
    check_array(H, "H", ndim=2, dtype_kind="biuf")
    if H.shape == (2, 3):
        H = np.vstack([H, [0.0, 0.0, 1.0]])
    if H.shape != (3, 3):
        raise ValueError(f"H must be a (3, 3) homography or a (2, 3) affine matrix, got shape {H.shape}.")
    return H.astype(np.float64)
