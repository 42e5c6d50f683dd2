"""coursekit.dense.depth: the closed-form alignment equals least squares, and the scale-and-shift-invariant loss
is 0 for every positive affine map of the ground truth and positive for everything else (a property test)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.data import shapes_dataset
from coursekit.dense import depth

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def disparities():
    d = shapes_dataset(6, np.random.default_rng(3), size=32)
    return 1.0 / d.depth                                           # (6, 32, 32) ground-truth disparities


def test_alignment_equals_numpy_least_squares(disparities):
    rng = np.random.default_rng(0)
    for g in disparities:
        pred = g + 0.05 * rng.normal(size=g.shape) + 0.3 * rng.normal() * g ** 2
        A = np.stack([pred.ravel(), np.ones(pred.size)], axis=1)   # (M, 2) design matrix [d, 1]
        (s_ref, t_ref), *_ = np.linalg.lstsq(A, g.ravel(), rcond=None)
        s, t = depth.align_scale_shift(pred, g)
        assert s > 0                                               # so the constraint is inactive
        np.testing.assert_allclose([s, t], [s_ref, t_ref], rtol=1e-9)   # two float64 solvers of a 2x2 system


def test_ssi_loss_is_zero_for_every_positive_affine_map_of_the_truth(disparities):
    rng = np.random.default_rng(1)
    for g in disparities:
        for _ in range(20):
            s, t = np.exp(rng.uniform(-5, 5)), rng.uniform(-100, 100)
            # residuals are rounding of values up to ~|t| + s*max(g): (1e-16 * 1e2)^2 ~ 1e-28
            assert depth.ssi_loss(s * g + t, g) < 1e-20 * max(1.0, t * t)


def test_ssi_loss_is_positive_for_everything_else(disparities):
    rng = np.random.default_rng(2)
    for g in disparities:
        scale = g.var()
        assert depth.ssi_loss(-3 * g + 1, g) > 0.1 * scale         # near and far swapped
        assert depth.ssi_loss(np.full_like(g, 2.0), g) > 0.1 * scale   # a constant prediction
        assert depth.ssi_loss(np.sqrt(g), g) > 0                   # monotone but not affine
        noisy = 2 * g + 1 + 0.01 * rng.normal(size=g.shape)
        assert depth.ssi_loss(noisy, g) > 1e-8
        # without the s >= 0 constraint the inverted prediction is forgiven: why the constraint is there
        assert depth.ssi_loss(-3 * g + 1, g, nonnegative=False) < 1e-20


def test_mask_restricts_the_fit_to_valid_pixels(disparities):
    g = disparities[0]
    pred = 2 * g + 3
    mask = np.ones(g.shape, bool)
    mask[:5] = False
    pred[:5] = 1e3                                                 # garbage where the mask is off
    assert depth.ssi_loss(pred, g, mask=mask) < 1e-20
    assert depth.ssi_loss(pred, g) > 0.1 * g.var()                 # the garbage spoils the unmasked fit


def test_torch_version_equals_numpy_per_image_and_passes_gradcheck(disparities):
    rng = np.random.default_rng(4)
    g = torch.from_numpy(disparities[:3])
    pred = g.sqrt() + 0.1 * torch.from_numpy(rng.normal(size=g.shape))
    mask = torch.from_numpy(rng.uniform(size=g.shape) > 0.2)
    got = depth.ssi_loss_torch(pred, g, mask)
    ref = np.mean([depth.ssi_loss(p, t, m) for p, t, m in zip(pred.numpy(), g.numpy(), mask.numpy())])
    assert abs(got.item() - ref) < 1e-12 * max(ref, 1)             # the same float64 sums
    small = pred[:, :6, :6].clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: depth.ssi_loss_torch(p, g[:, :6, :6], mask[:, :6, :6]), (small,))


def test_torch_version_is_zero_on_affine_maps():
    g = torch.rand(4, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert depth.ssi_loss_torch(5 * g - 2, g).item() < 1e-20
    assert depth.ssi_loss_torch(-5 * g - 2, g).item() > 1e-3


def test_scale_invariant_log_loss_ignores_a_global_scale_only_with_lambda_one():
    rng = np.random.default_rng(5)
    g = rng.uniform(1, 10, size=100)
    assert abs(depth.scale_invariant_log_loss(7 * g, g, lam=1.0)) < 1e-12
    assert depth.scale_invariant_log_loss(7 * g, g, lam=0.0) == pytest.approx(np.log(7) ** 2)
    assert depth.scale_invariant_log_loss(g + 1, g, lam=1.0) > 1e-3


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="shape"):
        depth.ssi_loss(np.zeros(4), np.zeros(5))
    with pytest.raises(ValueError, match="at least 2 valid"):
        depth.ssi_loss(np.zeros(4), np.zeros(4), mask=np.array([True, False, False, False]))
    with pytest.raises(ValueError, match="positive depths"):
        depth.scale_invariant_log_loss(np.array([0.0, 1.0]), np.ones(2))
    with pytest.raises(ValueError, match="bool"):
        depth.ssi_loss_torch(torch.zeros(1, 3, 3), torch.zeros(1, 3, 3), torch.ones(1, 3, 3))
    with pytest.raises(ValueError, match=r"\(B, H, W\)"):
        depth.ssi_loss_torch(torch.zeros(3, 3), torch.zeros(3, 3))
