"""3-D Gaussians: rotation from a quaternion, covariance Σ = R S Sᵀ Rᵀ and its EWA projection to the image.

Chapter 9 (3D Gaussian Splatting). Torch functions (they are what the splats learn through); the camera
follows ``coursekit.geometry.camera`` (OpenGL: the camera looks down its ``-z``, ``+y`` up) and pixel
``(x, y)`` = (column, row) with the centre of pixel ``[i, j]`` at ``(j + 0.5, i + 0.5)``.

References
----------
B. Kerbl, G. Kopanas, T. Leimkühler and G. Drettakis, "3D Gaussian Splatting for Real-Time Radiance Field
Rendering", ACM TOG (SIGGRAPH) 2023, sec. 4.
M. Zwicker, H. Pfister, J. van Baar and M. Gross, "EWA volume splatting", IEEE Visualization 2001.
"""

from __future__ import annotations

import torch

from coursekit.core.validation import check_positive, check_shape

__all__ = ["quaternion_to_rotation", "covariance_3d", "world_to_camera", "project_gaussians"]


def quaternion_to_rotation(q: torch.Tensor) -> torch.Tensor:
    """Rotation matrices of quaternions ``q = (w, x, y, z)``, normalised first (any non-zero q is valid).

    Defined in :ref:`sec-gs-covariance` (Eq. :eq:`eq-gs-quaternion`).

    Parameters
    ----------
    q : (N, 4) Tensor of float
        Quaternions, real part first; they need not have unit length.

    Returns
    -------
    (N, 3, 3) Tensor
        Orthonormal, determinant +1.

    Examples
    --------
    >>> R = quaternion_to_rotation(torch.tensor([[2.0, 0.0, 0.0, 0.0]]))
    >>> torch.equal(R[0], torch.eye(3))
    True
    """
    check_shape(q, "N 4", "q")
    w, x, y, z = (q / q.norm(dim=-1, keepdim=True)).unbind(-1)             # (N,) each
    R = torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
                     2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                     2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], dim=-1)
    return R.reshape(-1, 3, 3)


def covariance_3d(q: torch.Tensor, log_scale: torch.Tensor) -> torch.Tensor:
    """Covariances ``Σ = R S Sᵀ Rᵀ`` from a rotation (quaternion) and per-axis scales ``S = diag(exp(s))``.

    Defined in :ref:`sec-gs-covariance` (Eq. :eq:`eq-gs-covariance`).

    Parameters
    ----------
    q : (N, 4) Tensor of float
        Quaternions (w, x, y, z).
    log_scale : (N, 3) Tensor of float
        Logarithms of the standard deviations along the Gaussian's own axes.

    Returns
    -------
    (N, 3, 3) Tensor
        Symmetric positive semi-definite for any parameters: ``Σ = M Mᵀ`` with ``M = R S``.

    Examples
    --------
    >>> Sigma = covariance_3d(torch.tensor([[1.0, 0, 0, 0]]), torch.log(torch.tensor([[1.0, 2.0, 3.0]])))
    >>> torch.diagonal(Sigma[0]).tolist()
    [1.0, 4.0, 9.0]
    """
    n = check_shape(q, "N 4", "q")["N"]
    check_shape(log_scale, "N 3", "log_scale", N=n)
    M = quaternion_to_rotation(q) * torch.exp(log_scale)[:, None, :]        # (N, 3, 3) = R S
    return M @ M.transpose(1, 2)


def world_to_camera(c2w: torch.Tensor):
    """The rotation ``W`` and translation ``t`` taking world points to the image-aligned camera frame.

    Defined in :ref:`sec-gs-projection`.

    Parameters
    ----------
    c2w : (4, 4) Tensor of float
        Camera-to-world matrix in the OpenGL convention (the camera looks down its ``-z``).

    Returns
    -------
    W : (3, 3) Tensor
        ``diag(1, -1, -1) Rᵀ``: camera axes x right, y down, z forward (depth > 0 in front).
    t : (3,) Tensor
        ``-W o`` for the camera centre ``o``, so that ``p_cam = W p + t``.

    Examples
    --------
    >>> W, t = world_to_camera(torch.eye(4, dtype=torch.float64))
    >>> torch.diagonal(W).tolist(), (t + 0.0).tolist()
    ([1.0, -1.0, -1.0], [0.0, 0.0, 0.0])
    """
    check_shape(c2w, "4 4", "c2w")
    flip = torch.tensor([1.0, -1.0, -1.0], dtype=c2w.dtype)
    W = flip[:, None] * c2w[:3, :3].T                                       # (3, 3)
    return W, -W @ c2w[:3, 3]


def project_gaussians(means: torch.Tensor, cov3d: torch.Tensor, c2w: torch.Tensor, focal: float,
                      H: int, W: int, blur: float = 0.3):
    """Project 3-D Gaussians to the image: pixel centres, depths and 2-D covariances ``J W Σ Wᵀ Jᵀ``.

    Defined in :ref:`sec-gs-projection` (Eq. :eq:`eq-gs-ewa`).

    Parameters
    ----------
    means : (N, 3) Tensor of float
        Centres in world coordinates.
    cov3d : (N, 3, 3) Tensor of float
        World covariances Σ.
    c2w : (4, 4) Tensor of float
        Camera-to-world matrix (OpenGL convention, like ``coursekit.geometry.camera``).
    focal : float
        Focal length in pixels; the principal point is ``(W/2, H/2)``.
    H, W : int
        Image size.
    blur : float
        Added to the diagonal of the 2-D covariance (a pixel-sized low-pass filter, as in the paper).

    Returns
    -------
    xy : (N, 2) Tensor
        Projected centres ``(x, y)`` in pixels.
    depth : (N,) Tensor
        Depth along the viewing axis (> 0 in front of the camera).
    cov2d : (N, 2, 2) Tensor
        ``J W Σ Wᵀ Jᵀ + blur · I``, with ``J`` the Jacobian of the perspective map at the centre.

    Notes
    -----
    1. ``p = W μ + t`` in the camera frame (x right, y down, z forward).
    2. ``(x, y) = (f p_x / p_z + W/2, f p_y / p_z + H/2)``.
    3. ``J = [[f/p_z, 0, -f p_x/p_z²], [0, f/p_z, -f p_y/p_z²]]``, the local affine approximation of the
       projection (EWA splatting), so the image of N(μ, Σ) is approximately N(xy, J W Σ Wᵀ Jᵀ).

    Examples
    --------
    >>> c2w = torch.eye(4, dtype=torch.float64); c2w[2, 3] = 5.0          # at z = 5, looking down -z
    >>> xy, z, cov = project_gaussians(torch.zeros(1, 3, dtype=torch.float64),
    ...                                torch.eye(3, dtype=torch.float64)[None], c2w, 10.0, 8, 8, blur=0.0)
    >>> xy.tolist(), z.tolist(), torch.diagonal(cov[0]).tolist()
    ([[4.0, 4.0]], [5.0], [4.0, 4.0])
    """
    n = check_shape(means, "N 3", "means")["N"]
    check_shape(cov3d, "N 3 3", "cov3d", N=n)
    check_positive(focal, "focal")
    Wr, t = world_to_camera(c2w.to(means.dtype))
    p = means @ Wr.T + t                                                    # (N, 3) camera frame
    px, py, pz = p.unbind(-1)
    xy = torch.stack([focal * px / pz + W / 2, focal * py / pz + H / 2], dim=-1)   # (N, 2)
    zero = torch.zeros_like(pz)
    J = torch.stack([focal / pz, zero, -focal * px / pz**2,
                     zero, focal / pz, -focal * py / pz**2], dim=-1).reshape(-1, 2, 3)  # (N, 2, 3)
    JW = J @ Wr                                                             # (N, 2, 3)
    cov2d = JW @ cov3d @ JW.transpose(1, 2)                                 # (N, 2, 2) Eq. eq-gs-ewa
    cov2d = cov2d + blur * torch.eye(2, dtype=cov2d.dtype)
    return xy, pz, cov2d
