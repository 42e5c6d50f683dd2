"""Tests for coursekit.rendering.densify (Chapter 9): clone, split, prune."""

import pytest
import torch

from coursekit.rendering.densify import SPLIT_FACTOR, clone_gaussians, densify_and_prune, prune_gaussians, split_gaussians
from coursekit.rendering.splatting import GaussianModel


def _model(n=4, scale=0.1):
    g = torch.Generator().manual_seed(0)
    return GaussianModel(torch.randn(n, 3, generator=g, dtype=torch.float64),
                         torch.rand(n, 3, generator=g, dtype=torch.float64),
                         torch.full((n,), scale, dtype=torch.float64), 0.5)


def test_clone_appends_exact_copies():
    m = _model()
    before = m.means.detach().clone()
    clone_gaussians(m, torch.tensor([False, True, False, True]))
    assert len(m) == 6 and torch.equal(m.means[4:], before[[1, 3]]) and torch.equal(m.means[:4], before)


def test_split_children_are_smaller_and_scattered_like_their_parent():
    m = _model(1, scale=0.5)
    with torch.no_grad():
        m.log_scales.copy_(torch.log(torch.tensor([[0.5, 0.1, 0.05]], dtype=torch.float64)))
    parent = m.means.detach().clone()
    # split 4000 copies of one anisotropic Gaussian: children ~ N(μ, Σ) (Monte-Carlo oracle)
    for _ in range(1):
        clone_gaussians(m, torch.ones(1, dtype=torch.bool))
    big = _model(1)
    with torch.no_grad():
        big.means.copy_(parent)
        big.log_scales.copy_(m.log_scales[:1])
    for _ in range(11):
        clone_gaussians(big, torch.ones(len(big), dtype=torch.bool))          # 2048 copies
    split_gaussians(big, torch.ones(len(big), dtype=torch.bool), torch.Generator().manual_seed(0))
    assert len(big) == 4096
    assert torch.allclose(torch.exp(big.log_scales), torch.tensor([0.5, 0.1, 0.05], dtype=torch.float64) / SPLIT_FACTOR)
    spread = (big.means.detach() - parent).std(0)
    # identity rotation: per-axis spread = the parent's scales (4096 samples: ~2 % standard error)
    assert torch.allclose(spread, torch.tensor([0.5, 0.1, 0.05], dtype=torch.float64), rtol=0.08)


def test_prune_removes_exactly_the_masked():
    m = _model(5)
    keep = m.means.detach()[[0, 2]].clone()
    prune_gaussians(m, torch.tensor([False, True, False, True, True]))
    assert torch.equal(m.means.detach(), keep)


def test_densify_and_prune_routes_by_size_gradient_and_opacity():
    m = _model(4)
    with torch.no_grad():
        m.log_scales[1] = torch.log(torch.tensor(1.0))          # large
        m.opacity_logits[3] = -10.0                              # nearly transparent
    out = densify_and_prune(m, torch.tensor([1.0, 1.0, 0.0, 0.0], dtype=torch.float64), 0.5, 0.2, 0.005, 100,
                            torch.Generator().manual_seed(0))
    # 0 is cloned (+1), 1 is split (+1), 3 is pruned (-1)
    assert out == {"cloned": 1, "split": 1, "pruned": 1} and len(m) == 5


def test_bad_inputs_raise():
    m = _model(3)
    with pytest.raises(ValueError, match="mask"):
        clone_gaussians(m, torch.ones(2, dtype=torch.bool))
    with pytest.raises(ValueError, match="generator"):
        split_gaussians(m, torch.ones(3, dtype=torch.bool), None)
