"""Tests for coursekit.rendering.sampling (Chapter 9): stratified and inverse-CDF samples."""

import numpy as np
import pytest
import torch
from scipy import stats

from coursekit.rendering.sampling import sample_pdf, stratified_samples


def test_stratified_samples_put_one_sample_in_each_bin():
    g = torch.Generator().manual_seed(0)
    near, far = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 6.0])
    t = stratified_samples(near, far, 8, g)
    bins = ((t - near[:, None]) / (far - near)[:, None] * 8).floor()
    assert torch.equal(bins, torch.arange(8.0).expand(2, 8))


def test_hierarchical_samples_follow_the_weight_pdf():
    # oracle: the exact CDF of the piecewise-constant density; Kolmogorov-Smirnov on 20k draws
    bins = torch.tensor([[0.0, 1.0, 1.5, 3.0, 4.0]], dtype=torch.float64)
    w = torch.tensor([[1.0, 3.0, 0.0, 2.0]], dtype=torch.float64)
    t = sample_pdf(bins, w, 20000, torch.Generator().manual_seed(1))[0].numpy()
    p = (w[0] + 1e-5) / (w[0] + 1e-5).sum()
    edges = bins[0].numpy()
    cdf_at_edges = np.concatenate([[0.0], np.cumsum(p.numpy())])
    result = stats.kstest(t, lambda x: np.interp(x, edges, cdf_at_edges))
    assert result.pvalue > 0.01
    # no sample falls into the zero-weight interval (1.5, 3.0) (except with prob. 1e-5 per draw)
    assert np.mean((t > 1.5) & (t < 3.0)) < 1e-3
    # chi-square on the interval counts
    counts = np.histogram(t, edges)[0]
    keep = p.numpy() > 1e-3
    assert stats.chisquare(counts[keep], 20000 * p.numpy()[keep] / p.numpy()[keep].sum()).pvalue > 0.01


def test_deterministic_samples_are_the_cdf_quantiles():
    bins = torch.tensor([[0.0, 2.0, 4.0]])
    t = sample_pdf(bins, torch.tensor([[1.0, 1.0]]), 4)
    assert torch.allclose(t, torch.tensor([[0.5, 1.5, 2.5, 3.5]]), atol=1e-4)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="non-negative"):
        sample_pdf(torch.tensor([[0.0, 1.0]]), torch.tensor([[-1.0]]), 3)
    with pytest.raises(ValueError, match="bins"):
        sample_pdf(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]]), 3)
    with pytest.raises(ValueError, match="far"):
        stratified_samples(torch.zeros(3), torch.ones(2), 4)
