"""The heatmap network of Chapter 7: shapes and parameter counts from closed forms, stage wiring, the
coordinate-regression twin, and the chapter's number — PCK@0.1 on held-out stick figures after training with
a fixed seed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.data.figures import stick_figure_batch
from coursekit.metrics.pose import pck
from coursekit.models.heatmap_net import (
    CoordinateNet,
    HeatmapNet,
    HeatmapNetConfig,
    predict_keypoints,
    train_pose_net,
)
from coursekit.models.utils import init_parameters_
from coursekit.training import FitConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _conv_bn(c_in, c_out, k):                                     # weights (no bias) + BN scale and shift
    return c_out * c_in * k * k + 2 * c_out


def test_output_shapes_and_parameter_count_follow_the_closed_form():
    cfg = HeatmapNetConfig(in_channels=1, num_keypoints=13, channels=8, stages=3, dilations=(1, 2))
    net = HeatmapNet(cfg)
    out = net(torch.zeros(2, 1, 48, 64))
    assert out.shape == (2, 3, 13, 12, 16)                         # (B, S, K, H/4, W/4)
    C, K = 8, 13
    body = _conv_bn(1, C, 4) + 2 * _conv_bn(C, C, 3)
    head = C * K + K
    stage = _conv_bn(C + K, C, 3) + _conv_bn(C, C, 3) + C * K + K
    assert sum(p.numel() for p in net.parameters()) == body + head + 2 * stage


def test_each_stage_sees_the_previous_stages_heatmaps():
    g = torch.Generator().manual_seed(0)
    net = init_parameters_(HeatmapNet(HeatmapNetConfig(channels=8, stages=2)), g).eval()
    x = torch.rand(2, 1, 64, 64, generator=g)
    with torch.no_grad():
        out = net(x)
        f = net.features(x)
        h1 = net.head(f)
        h2 = h1 + net.refine[0](torch.cat([f, h1], 1))                 # a correction of stage 1's maps
        torch.testing.assert_close(out[:, 0], h1, rtol=0, atol=0)
        torch.testing.assert_close(out[:, 1], h2, rtol=0, atol=0)
        # changing stage 1's output changes stage 2's: the refinement really reads the heatmaps
        assert not torch.allclose(net.refine[0](torch.cat([f, h1 + 1], 1)), h2 - h1)


def test_coordinate_net_shapes_and_its_linear_head():
    cfg = HeatmapNetConfig(channels=8)
    net = CoordinateNet(cfg)
    assert net(torch.zeros(3, 1, 64, 64)).shape == (3, 13, 2)
    assert net.head.in_features == 8 * 16 * 16 and net.head.out_features == 26
    with pytest.raises(ValueError, match="x"):
        net(torch.zeros(3, 1, 48, 48))


@pytest.mark.parametrize("kwargs", [dict(channels=0), dict(stages=0), dict(sigma=0.0), dict(image_size=30),
                                    dict(dilations=()), dict(dilations=(1, 0))])
def test_bad_config_raises(kwargs):
    with pytest.raises(ValueError):
        HeatmapNetConfig(**kwargs)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="x"):
        HeatmapNet(HeatmapNetConfig())(torch.zeros(1, 3, 64, 64))
    with pytest.raises(ValueError, match="config"):
        HeatmapNet(dict(channels=8))
    with pytest.raises(ValueError, match="keypoints"):
        train_pose_net(HeatmapNet(HeatmapNetConfig(channels=4)), np.zeros((2, 64, 64)), np.zeros((3, 13, 2)),
                       FitConfig(epochs=1), torch.Generator())


def test_a_perfect_heatmap_is_decoded_to_the_exact_keypoints():
    # predict_keypoints decodes the last stage with the log-parabola: feed it a network whose output is the target
    kp = stick_figure_batch(np.random.default_rng(0), 3).keypoints
    from coursekit.pose.heatmaps import gaussian_heatmaps

    class Oracle(HeatmapNet):
        def forward(self, x):
            return torch.as_tensor(gaussian_heatmaps(kp, (16, 16), 1.0, 4))[:, None].float()

    coords, scores = predict_keypoints(Oracle(HeatmapNetConfig(channels=4)), np.zeros((3, 64, 64)))
    cell = np.floor(kp / 4)
    inner = (cell > 0) & (cell < 15)                               # per axis: both neighbours exist
    err = np.abs(coords - kp)
    assert err[inner].max() < 2e-4                                 # float32 maps: log-parabola exact to ~1e-5 cell
    assert err[~inner].max() <= 2.0                                # border cells are not refined: half a cell
    assert np.all(scores > 0.5)



@pytest.fixture(scope="module")
def trained():
    # The chapter's setup (book/07_pose.ipynb, "Training on stick figures"): 1500 training figures from seed 10,
    # 500 held-out figures from seed 11, the default config, generator seed 0, these fit settings.
    train = stick_figure_batch(np.random.default_rng(10), 1500)
    test = stick_figure_batch(np.random.default_rng(11), 500)
    g = torch.Generator().manual_seed(0)
    model = init_parameters_(HeatmapNet(HeatmapNetConfig()), g)
    fit_config = FitConfig(epochs=2, batch_size=4, lr=2e-2, warmup_fraction=0.1)
    history = train_pose_net(model, train.images, train.keypoints, fit_config, g, progress=False)
    return model, history, test


def _side(boxes):
    return np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])


def test_heatmap_net_localises_held_out_stick_figures(trained):
    model, history, test = trained
    assert history.loss[-1] < history.loss[0] / 3
    ref = _side(test.boxes)
    by_stage = [pck(predict_keypoints(model, test.images, stage=s)[0], test.keypoints, ref, 0.1) for s in range(2)]
    print(f"PCK@0.1 by stage: {by_stage}")
    # The chapter reports PCK@0.1 of the last stage: 0.991 with this seed on the build machine (stage 1: 0.985).
    # Another CPU's convolution kernels round differently and training amplifies that, so the floor is 0.97:
    # still far above what a broken model reaches (the coordinate-regression baseline gets about 0.74).
    assert by_stage[-1] >= 0.97
    assert by_stage[-1] >= by_stage[0]                              # the refinement stage does not hurt
