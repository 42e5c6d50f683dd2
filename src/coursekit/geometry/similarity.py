"""The rigid and similarity rungs of the DoF ladder, estimated in closed form (Umeyama).

Chapter 2 (Image processing), section "Geometric transformations". A similarity ``x' = s R x + t`` (4 DoF:
scale, angle, shift) keeps angles and ratios of lengths; with ``s = 1`` it is rigid (3 DoF). Unlike the
affine map its parameters are not linear in the equations (``R`` must stay a rotation), yet the
least-squares fit has a closed form through one 2×2 SVD.

Conventions (CONTRIBUTING.md): points are ``(N, 2)`` arrays of ``(x, y)`` = (column, row); the matrix maps
``src`` to ``dst`` and is returned as a 3×3 homogeneous matrix, like ``skimage.transform.SimilarityTransform``
(the tests' oracle, with ``EuclideanTransform`` for the rigid case).

References
----------
- S. Umeyama, "Least-squares estimation of transformation parameters between two point patterns",
  IEEE TPAMI 13(4), 1991.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_shape

__all__ = ["estimate_similarity"]


def estimate_similarity(src: np.ndarray, dst: np.ndarray, *, scale: bool = True) -> np.ndarray:
    """Least-squares similarity ``dst ≈ s R src + t`` (or rigid, ``s = 1``) by Umeyama's closed form.

    Defined in :ref:`sec-similarity-umeyama` (Eq. :eq:`eq-umeyama`).

    Parameters
    ----------
    src, dst : (N, 2) ndarray
        Corresponding points ``(x, y)`` = (column, row), N >= 2, the ``src`` points not all equal; any
        real dtype.
    scale : bool
        ``True``: a similarity (4 DoF). ``False``: a rigid motion, rotation and shift only (3 DoF).

    Returns
    -------
    (3, 3) ndarray of float64
        ``[[s R, t], [0, 0, 1]]`` with ``R`` a rotation (``det R = +1``, never a reflection).

    Notes
    -----
    1. Centre both sets: ``x_i - mu_x``, ``y_i - mu_y``; ``sigma_x^2`` = mean squared norm of the centred
       ``src``.
    2. Cross-covariance ``Sigma = (1/N) sum (y_i - mu_y)(x_i - mu_x)^T`` (2×2) and its SVD ``U D V^T``.
    3. ``R = U S V^T`` with ``S = diag(1, det(U) det(V))``: the best rotation, a reflection ruled out.
    4. ``s = tr(D S) / sigma_x^2`` (or 1), and ``t = mu_y - s R mu_x``.

    This is the Procrustes problem; the SVD gives the rotation that best lines up the two centred clouds.

    References
    ----------
    S. Umeyama, "Least-squares estimation of transformation parameters between two point patterns",
    IEEE TPAMI 13(4), 1991.

    Examples
    --------
    >>> src = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> dst = 2 * src @ np.array([[0.0, 1.0], [-1.0, 0.0]]) + [5.0, 1.0]   # rotate 90°, scale 2, shift
    >>> np.round(estimate_similarity(src, dst), 9) + 0.0
    array([[ 0., -2.,  5.],
           [ 2.,  0.,  1.],
           [ 0.,  0.,  1.]])
    """
    for name, pts in (("src", src), ("dst", dst)):
        check_array(pts, name, ndim=2, dtype_kind="biuf")
        check_shape(pts, "N 2", name)
    if src.shape != dst.shape or len(src) < 2:
        raise ValueError(f"src and dst must hold the same number (>= 2) of (x, y) points, got {src.shape} "
                         f"and {dst.shape}.")
    x, y = src.astype(np.float64), dst.astype(np.float64)                  # (N, 2) each
    mu_x, mu_y = x.mean(axis=0), y.mean(axis=0)                            # (2,) 1. centroids
    xc, yc = x - mu_x, y - mu_y                                            # (N, 2) centred
    var_x = np.mean(np.sum(xc ** 2, axis=1))                               # sigma_x^2
    if var_x == 0:
        raise ValueError("all src points coincide, so the rotation and scale are not determined.")
    Sigma = yc.T @ xc / len(x)                                             # (2, 2) 2. cross-covariance
    U, D, Vt = np.linalg.svd(Sigma)
    S = np.diag([1.0, np.sign(np.linalg.det(U) * np.linalg.det(Vt)) or 1.0])   # 3. no reflection
    R = U @ S @ Vt                                                         # (2, 2) rotation
    s = np.trace(np.diag(D) @ S) / var_x if scale else 1.0                 # 4. scale
    M = np.eye(3)
    M[:2, :2] = s * R
    M[:2, 2] = mu_y - s * R @ mu_x                                         # t
    return M
