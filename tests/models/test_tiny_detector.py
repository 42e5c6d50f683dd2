"""The tiny detector: shapes, and the chapter's target — mAP@0.5 >= 0.7 on held-out generated scenes after
training with a fixed seed (measured with coursekit's COCO evaluation and cross-checked by pycocotools)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.data import shapes_detection_set
from coursekit.metrics.detection import coco_evaluate, mean_average_precision
from coursekit.models.tiny_detector import TinyDetector, TinyDetectorConfig, detect, tiny_detector_loss, train_tiny_detector

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_detector_output_shapes_and_loss_is_a_scalar():
    m = TinyDetector(TinyDetectorConfig(num_classes=3, width=8))
    heat, box = m(torch.zeros(2, 3, 32, 48))
    assert heat.shape == (2, 3, 8, 12) and box.shape == (2, 4, 8, 12)
    batch = (torch.zeros(2, 3, 32, 48), torch.zeros(2, 3, 8, 12), torch.zeros(2, 4, 8, 12), torch.zeros(2, 8, 12, dtype=torch.bool))
    assert tiny_detector_loss(m, batch).ndim == 0
    with pytest.raises(ValueError, match="multiples of 4"):
        detect(m, np.zeros((1, 30, 30, 3), np.float32))
    with pytest.raises(ValueError, match="axis 1 must be 3"):
        m(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="prior"):
        TinyDetectorConfig(prior=1.0)
    assert TinyDetector().config == TinyDetectorConfig()


@pytest.fixture(scope="module")
def trained():
    # The chapter's setup: 1200 training scenes, the default config, seed 0; 300 held-out scenes.
    images, boxes, labels = shapes_detection_set(1200, np.random.default_rng(1))
    v_images, v_boxes, v_labels = shapes_detection_set(300, np.random.default_rng(2))
    model, history = train_tiny_detector(TinyDetectorConfig(), images, boxes, labels, torch.Generator().manual_seed(0),
                                         progress=False)
    gts = [{"boxes": b, "labels": lab} for b, lab in zip(v_boxes, v_labels)]
    return model, history, detect(model, v_images), gts


def test_tiny_detector_reaches_map50_of_at_least_0_7_on_held_out_scenes(trained):
    _, history, dets, gts = trained
    assert history.loss[-1] < history.loss[0] / 2
    stats = coco_evaluate(dets, gts, num_classes=4)
    assert stats["AP50"] >= 0.7
    assert mean_average_precision(dets, gts, 0.5, method="all") >= 0.7     # VOC all-point, same matching


def test_detector_map_agrees_with_pycocotools(trained):
    pytest.importorskip("pycocotools")
    from coco_oracle import cocoeval_stats

    _, _, dets, gts = trained
    stats, _ = cocoeval_stats(dets, gts, 4)
    ours = coco_evaluate(dets, gts, num_classes=4)
    # float32 network outputs, converted to float64 before both evaluations: the same numbers either side
    assert ours["AP50"] == pytest.approx(stats[1], abs=1e-6) and ours["AP"] == pytest.approx(stats[0], abs=1e-6)
