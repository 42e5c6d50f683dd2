"""Real spherical harmonics up to degree 3: the view-dependent colour of a 3-D Gaussian.

Chapter 9 (3D Gaussian Splatting). With degree 3 there are 16 basis functions per colour channel, so
48 coefficients per Gaussian; ``sh_to_rgb`` adds 0.5 so that zero coefficients give mid-grey, as in the
reference implementation of the paper.

References
----------
P.-P. Sloan, "Stupid spherical harmonics (SH) tricks", GDC 2008 (the real basis and its constants).
B. Kerbl et al., "3D Gaussian Splatting for Real-Time Radiance Field Rendering", SIGGRAPH 2023.
"""

from __future__ import annotations

import torch

from coursekit.core.validation import check_int, check_shape

__all__ = ["SH_C0", "sh_basis", "sh_to_rgb", "rgb_to_sh_dc"]

SH_C0 = 0.28209479177387814                      # 1 / (2 sqrt(pi)), the constant degree-0 function
_C1 = 0.4886025119029199                         # sqrt(3 / (4 pi))
_C2 = (1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396)
_C3 = (-0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154,
       -0.4570457994644658, 1.445305721320277, -0.5900435899266435)


def sh_basis(dirs: torch.Tensor, degree: int = 3) -> torch.Tensor:
    """The ``(degree + 1)²`` real spherical harmonics evaluated at unit directions.

    Defined in :ref:`sec-gs-sh` (Eq. :eq:`eq-gs-sh`).

    Parameters
    ----------
    dirs : (N, 3) Tensor of float
        Unit vectors ``(x, y, z)``.
    degree : int
        0, 1, 2 or 3.

    Returns
    -------
    (N, (degree + 1)**2) Tensor
        ``Y_lm(d)`` in the order l = 0; l = 1 (m = -1, 0, 1); …; orthonormal over the sphere.

    Examples
    --------
    >>> sh_basis(torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64), degree=1).tolist()
    [[0.28209479177387814, -0.0, 0.4886025119029199, -0.0]]
    """
    check_shape(dirs, "N 3", "dirs")
    degree = check_int(degree, "degree", minimum=0, maximum=3)
    x, y, z = dirs.unbind(-1)
    out = [torch.full_like(x, SH_C0)]
    if degree >= 1:
        out += [-_C1 * y, _C1 * z, -_C1 * x]
    if degree >= 2:
        xx, yy, zz = x * x, y * y, z * z
        out += [_C2[0] * x * y, _C2[1] * y * z, _C2[2] * (2 * zz - xx - yy), _C2[3] * x * z,
                _C2[4] * (xx - yy)]
    if degree >= 3:
        out += [_C3[0] * y * (3 * xx - yy), _C3[1] * x * y * z, _C3[2] * y * (4 * zz - xx - yy),
                _C3[3] * z * (2 * zz - 3 * xx - 3 * yy), _C3[4] * x * (4 * zz - xx - yy),
                _C3[5] * z * (xx - yy), _C3[6] * x * (xx - 3 * yy)]
    return torch.stack(out, dim=-1)


def sh_to_rgb(coeffs: torch.Tensor, dirs: torch.Tensor) -> torch.Tensor:
    """View-dependent colour ``c(d) = max(0, 0.5 + Σ_lm k_lm Y_lm(d))`` per channel.

    Defined in :ref:`sec-gs-sh` (Eq. :eq:`eq-gs-sh`).

    Parameters
    ----------
    coeffs : (N, K, 3) Tensor of float
        ``K = (degree + 1)²`` coefficients per channel (16 for degree 3: 48 numbers per Gaussian).
    dirs : (N, 3) Tensor of float
        Unit viewing directions (from the camera to each Gaussian).

    Returns
    -------
    (N, 3) Tensor
        Colours, >= 0.

    Examples
    --------
    >>> sh_to_rgb(torch.zeros(2, 16, 3), torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])).tolist()
    [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
    """
    n = check_shape(coeffs, "N K 3", "coeffs")
    check_shape(dirs, "N 3", "dirs", N=n["N"])
    degree = round(n["K"] ** 0.5) - 1
    if (degree + 1) ** 2 != n["K"] or degree > 3:
        raise ValueError(f"coeffs must have (degree + 1)**2 = 1, 4, 9 or 16 rows per channel, got {n['K']}.")
    Y = sh_basis(dirs, degree)                                              # (N, K)
    return torch.clamp_min(torch.einsum("nk,nkc->nc", Y, coeffs) + 0.5, 0.0)


def rgb_to_sh_dc(rgb: torch.Tensor) -> torch.Tensor:
    """The degree-0 coefficient that gives colour ``rgb`` from every direction: ``(rgb - 0.5) / Y_00``.

    Defined in :ref:`sec-gs-sh`.

    Parameters
    ----------
    rgb : (N, 3) Tensor of float

    Returns
    -------
    (N, 3) Tensor

    Examples
    --------
    >>> round(float(rgb_to_sh_dc(torch.tensor([[1.0, 0.5, 0.5]]))[0, 0] * SH_C0), 6)
    0.5
    """
    check_shape(rgb, "N 3", "rgb")
    return (rgb - 0.5) / SH_C0
