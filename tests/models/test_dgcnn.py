"""Tests for coursekit.models.dgcnn (Chapter 8): permutation invariance, the dynamic graph, shapes, bad configs."""

import numpy as np
import pytest
import torch

from coursekit.data.pointclouds import point_cloud_dataset
from coursekit.layers.init import init_parameters_
from coursekit.models.dgcnn import DGCNN, DGCNNConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = dict(k=6, widths=(8, 16), embedding=32, head=(16,))


def _clouds(seed=0, n=64):
    X = point_cloud_dataset(1, np.random.default_rng(seed), n_points=n)[0]
    return torch.as_tensor(X, dtype=torch.float64)


def _model(seed=0, **kw):
    cfg = DGCNNConfig(**{**SMALL, **kw})
    return init_parameters_(DGCNN(cfg).double(), torch.Generator().manual_seed(seed)).eval()


@pytest.mark.parametrize("dynamic", [True, False])
def test_dgcnn_is_invariant_to_point_permutations(dynamic):
    model, x = _model(dynamic=dynamic), _clouds()
    perm = torch.randperm(x.shape[1], generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        # float64: the same neighbour sets, sums over the same values in another order (the mean pool)
        torch.testing.assert_close(model(x[:, perm]), model(x), atol=1e-12, rtol=0)


def test_the_dynamic_graph_differs_from_the_static_one():
    x = _clouds(1)
    a, b = _model(dynamic=True), _model(dynamic=False)
    with torch.no_grad():
        assert not torch.allclose(a(x), b(x))                 # same weights, other neighbours after layer 1


def test_shapes_parameter_count_and_bad_input():
    model = _model()
    assert model(_clouds(2)).shape == (6, 6)
    ec = lambda c_in, c_out: 2 * c_in * c_out + 2 * c_out          # noqa: E731  linear without bias, BN γ β
    want = ec(3, 8) + ec(8, 16) + (24 * 32 + 2 * 32) + (64 * 16 + 16) + (16 * 6 + 6)
    assert sum(p.numel() for p in model.parameters()) == want
    with pytest.raises(ValueError, match="axis 2 must be 3"):
        model(torch.zeros(2, 16, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="k"):
        model(torch.zeros(2, 4, 3, dtype=torch.float64))      # fewer points than neighbours
    with pytest.raises(ValueError, match="widths"):
        DGCNNConfig(widths=())
    with pytest.raises(ValueError, match="DGCNNConfig"):
        DGCNN(SMALL)
