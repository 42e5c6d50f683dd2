"""Tests for coursekit.rendering.sh (Chapter 9): real spherical harmonics up to degree 3."""

import numpy as np
import pytest
import torch
from scipy.special import sph_harm_y

from coursekit.rendering.sh import SH_C0, rgb_to_sh_dc, sh_basis, sh_to_rgb


def _grid(n_theta=200, n_phi=400):
    theta = (np.arange(n_theta) + 0.5) * np.pi / n_theta
    phi = (np.arange(n_phi) + 0.5) * 2 * np.pi / n_phi
    T, P = np.meshgrid(theta, phi, indexing="ij")
    d = np.stack([np.sin(T) * np.cos(P), np.sin(T) * np.sin(P), np.cos(T)], -1).reshape(-1, 3)
    dA = (np.sin(T) * (np.pi / n_theta) * (2 * np.pi / n_phi)).reshape(-1)
    return T.reshape(-1), P.reshape(-1), d, dA


def test_basis_is_orthonormal_on_the_sphere():
    _, _, d, dA = _grid()
    Y = sh_basis(torch.tensor(d), 3).numpy()                       # (N, 16)
    gram = (Y * dA[:, None]).T @ Y
    # midpoint quadrature on a 200 x 400 grid integrates degree-6 polynomials to ~1e-4
    assert np.allclose(gram, np.eye(16), atol=1e-3)


def test_basis_spans_the_same_space_as_scipy_degree_by_degree():
    T, P, d, _ = _grid(20, 40)
    Y = sh_basis(torch.tensor(d), 3).numpy()
    for l in range(4):
        ours = Y[:, l * l:(l + 1) * (l + 1)]
        ref = []
        for m in range(-l, l + 1):                                   # real SH from scipy's complex ones
            c = sph_harm_y(l, abs(m), T, P)
            ref.append(np.sqrt(2) * (c.imag if m < 0 else c.real) if m != 0 else c.real)
        ref = np.stack(ref, 1)
        # same functions up to sign and order: |<ours_i, ref_j>| is a permutation matrix
        M = np.abs(np.linalg.lstsq(ref, ours, rcond=None)[0])
        assert np.allclose(np.sort(M, 0)[-1], 1.0, atol=1e-8) and np.allclose(M.sum(0), 1.0, atol=1e-8)


def test_degree_zero_is_constant_and_rgb_round_trips():
    d = torch.nn.functional.normalize(torch.randn(10, 3, generator=torch.Generator().manual_seed(0)), dim=1)
    assert torch.allclose(sh_basis(d, 0), torch.full((10, 1), SH_C0))
    rgb = torch.rand(10, 3, generator=torch.Generator().manual_seed(1))
    coeffs = torch.zeros(10, 16, 3)
    coeffs[:, 0] = rgb_to_sh_dc(rgb)
    assert torch.allclose(sh_to_rgb(coeffs, d), rgb, atol=1e-6)


def test_sh_to_rgb_gradcheck_and_48_coefficients():
    g = torch.Generator().manual_seed(2)
    coeffs = torch.randn(4, 16, 3, generator=g, dtype=torch.float64) * 0.1
    assert coeffs[0].numel() == 48
    d = torch.nn.functional.normalize(torch.randn(4, 3, generator=g, dtype=torch.float64), dim=1)
    assert torch.autograd.gradcheck(sh_to_rgb, (coeffs.requires_grad_(), d.requires_grad_()))


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="degree"):
        sh_basis(torch.zeros(2, 3), 4)
    with pytest.raises(ValueError, match="coeffs"):
        sh_to_rgb(torch.zeros(2, 5, 3), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="dirs"):
        sh_to_rgb(torch.zeros(2, 16, 3), torch.zeros(3, 3))
