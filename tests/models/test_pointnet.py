"""Tests for coursekit.models.pointnet (Chapter 8): exact permutation invariance, critical points, shapes and
parameter counts, bad configs."""

import numpy as np
import pytest
import torch

from coursekit.data.pointclouds import point_cloud_dataset
from coursekit.layers.init import init_parameters_
from coursekit.models.pointnet import PointNet, PointNetConfig, SharedMLP, critical_point_indices

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _model(seed=0, **kw):
    return init_parameters_(PointNet(PointNetConfig(**kw)), torch.Generator().manual_seed(seed)).eval()


def _clouds(seed=0, n=128):
    X = point_cloud_dataset(2, np.random.default_rng(seed), n_points=n)[0]
    return torch.as_tensor(X, dtype=torch.float32)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pointnet_output_is_exactly_invariant_to_point_permutations(seed):
    model, x = _model(seed), _clouds(seed)
    with torch.no_grad():
        out = model(x)
        for p in range(5):
            perm = torch.randperm(x.shape[1], generator=torch.Generator().manual_seed(100 * seed + p))
            # bit-for-bit: each point's features are computed alone, and max is exact in any order
            assert torch.equal(model(x[:, perm]), out)


def test_per_point_features_are_permutation_equivariant():
    model, x = _model(), _clouds(3)
    perm = torch.randperm(x.shape[1], generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(model.point_features(x[:, perm]), model.point_features(x)[:, perm])


def test_a_non_symmetric_readout_is_not_invariant():
    # the control: flattening the per-point features instead of max-pooling them depends on the order
    model, x = _model(), _clouds(4)
    perm = torch.randperm(x.shape[1], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, b = model.point_features(x).flatten(1), model.point_features(x[:, perm]).flatten(1)
    assert not torch.allclose(a, b)


def test_critical_points_alone_give_the_same_global_feature_and_prediction():
    model, x = _model(), _clouds(5)
    with torch.no_grad():
        for b in range(x.shape[0]):
            cloud = x[b:b + 1]
            crit = critical_point_indices(model.point_features(cloud)[0])
            assert 0 < len(crit) <= model.config.widths[-1]
            assert torch.equal(model.global_feature(cloud[:, crit]), model.global_feature(cloud))
            assert torch.equal(model(cloud[:, crit]), model(cloud))
            # dropping a point that is the unique maximum of some channel changes the global feature
            # (a channel where ReLU zeroes every point has ties, and its first point is "critical" for free)
            f = model.point_features(cloud)[0]                     # (N, C)
            top2 = f.topk(2, dim=0).values                         # (2, C)
            c = int(torch.argmax(top2[0] - top2[1]))
            rest = np.setdiff1d(np.arange(cloud.shape[1]), [int(f[:, c].argmax())])
            assert not torch.equal(model.global_feature(cloud[:, rest]), model.global_feature(cloud))


def test_critical_point_indices_by_hand():
    f = np.array([[0.0, 9.0, 1.0], [5.0, 0.0, 1.0], [1.0, 1.0, 0.5]])
    np.testing.assert_array_equal(critical_point_indices(f), [0, 1])     # ties: first maximum (np.argmax)
    np.testing.assert_array_equal(critical_point_indices(torch.tensor(f)), [0, 1])


def test_shared_mlp_matches_a_per_point_loop_in_eval_mode():
    mlp = init_parameters_(SharedMLP(3, (8, 4)).double(), torch.Generator().manual_seed(0)).eval()
    with torch.no_grad():
        for norm in mlp.norms:                                # non-trivial running statistics
            norm.running_mean.uniform_(-1, 1, generator=torch.Generator().manual_seed(1))
            norm.running_var.uniform_(0.5, 2, generator=torch.Generator().manual_seed(2))
        x = torch.randn(2, 5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
        got = mlp(x)
        for b in range(2):
            for n in range(5):
                z = x[b, n]
                for lin, bn in zip(mlp.linears, mlp.norms):
                    z = lin.weight @ z
                    z = torch.relu((z - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias)
                torch.testing.assert_close(got[b, n], z, atol=1e-12, rtol=0)   # float64, same ops


def test_parameter_count_matches_the_closed_form():
    cfg = PointNetConfig(widths=(32, 64, 128), head=(64,), num_classes=6)
    shared = (3 * 32 + 2 * 32) + (32 * 64 + 2 * 64) + (64 * 128 + 2 * 128)    # no bias before BN; BN γ, β
    head = (128 * 64 + 64) + (64 * 6 + 6)
    assert sum(p.numel() for p in PointNet(cfg).parameters()) == shared + head


def test_output_shape_and_bad_input():
    model = _model(widths=(8, 16), head=(8,), num_classes=5)
    assert model(torch.zeros(3, 10, 3)).shape == (3, 5)
    with pytest.raises(ValueError, match="axis 2 must be 3"):
        model(torch.zeros(3, 10, 2))
    with pytest.raises(ValueError, match="widths"):
        PointNetConfig(widths=())
    with pytest.raises(ValueError, match="num_classes"):
        PointNetConfig(num_classes=1)
    with pytest.raises(ValueError, match="dropout"):
        PointNetConfig(dropout=1.0)
    with pytest.raises(ValueError, match="PointNetConfig"):
        PointNet({"widths": (8,)})
