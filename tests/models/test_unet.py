"""coursekit.models.unet: shapes, skips, bad input, and the chapter's target — a tiny U-Net trained with a fixed
seed reaches mean IoU >= 0.8 on held-out generated scenes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit import models
from coursekit.data import shapes_dataset
from coursekit.dense import train as seg_train
from coursekit.metrics.segmentation import mean_iou

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("skip", ["concat", "add"])
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_unet_maps_images_to_class_logits_of_the_same_size(skip, depth):
    net = models.UNet(models.UNetConfig(width=4, depth=depth, skip=skip, num_classes=3))
    assert net(torch.zeros(2, 3, 16, 24)).shape == (2, 3, 16, 24)


def test_concat_skips_cost_more_parameters_than_added_skips():
    concat = models.count_parameters(models.UNet(models.UNetConfig(skip="concat")))
    add = models.count_parameters(models.UNet(models.UNetConfig(skip="add")))
    assert concat > add


def test_unet_passes_gradcheck_in_float64():
    torch.manual_seed(0)   # default init only; gradcheck needs no particular weights
    net = models.UNet(models.UNetConfig(width=2, depth=1, num_classes=2)).double().eval()
    x = torch.randn(1, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(net, (x,))


def test_bad_inputs_raise():
    net = models.UNet(models.UNetConfig(depth=3))
    with pytest.raises(ValueError, match="divisible by 2\\^depth = 8"):
        net(torch.zeros(1, 3, 12, 12))
    with pytest.raises(ValueError, match="C"):
        net(torch.zeros(1, 1, 16, 16))
    with pytest.raises(ValueError, match="skip"):
        models.UNet(models.UNetConfig(skip="sum"))


def test_tiny_unet_reaches_miou_of_0_8_on_held_out_scenes():
    """The chapter's recipe, end to end, with its seeds: the measured value is what the chapter reports."""
    scenes = dict(size=32, radius=(0.12, 0.3), n_objects=(1, 4))
    train = shapes_dataset(800, np.random.default_rng(100), **scenes)
    val = shapes_dataset(200, np.random.default_rng(200), **scenes)
    g = torch.Generator().manual_seed(0)
    net = models.init_parameters_(models.UNet(models.UNetConfig()), g)
    history = seg_train.train_segmenter(net, seg_train.segmentation_tensors(train.images, train.semantic),
                                        seg_train.segmentation_tensors(val.images, val.semantic), g, progress=False)
    pred = seg_train.predict_labels(net, seg_train.segmentation_tensors(val.images))
    miou = mean_iou(pred, val.semantic, 5)
    assert miou == pytest.approx(history.val[-1])
    assert miou >= 0.8
