"""A tiny one-stage, anchor-free detector (CenterNet style) that trains on generated shapes in seconds.

Chapter 5 (Object detection). Four 3×3 conv-BN-ReLU layers (two of stride 2, one dilated) turn a 64×64 RGB
image into a 16×16 grid of features (stride 4); two 1×1 heads predict per cell a heatmap logit for each of the
K classes and four box numbers (centre offset in the cell, log width and height in cells). Training uses the
penalty-reduced focal loss on the heatmaps and an L1 loss on the boxes at object centres; decoding keeps the
best cells and removes duplicates with NMS per class (:mod:`coursekit.detection.centers`).

References
----------
X. Zhou, D. Wang and P. Krähenbühl, "Objects as points", 2019 (CenterNet).
J. Redmon et al., "You only look once", CVPR 2016 (one grid, one pass).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import (
    check_array,
    check_fraction,
    check_generator,
    check_int,
    check_nonnegative,
    check_positive,
    check_shape,
)
from coursekit.detection.centers import center_targets, decode_centers, heatmap_focal_loss
from coursekit.models.utils import init_parameters_
from coursekit.training.loop import FitConfig, History, evaluate, fit

__all__ = ["TinyDetectorConfig", "TinyDetector", "tiny_detector_loss", "detect", "train_tiny_detector"]

STRIDE = 4


@dataclass
class TinyDetectorConfig:
    """Architecture and training settings of :class:`TinyDetector` (defaults train in seconds on a CPU).

    Defined in :ref:`sec-detection-tiny`.

    Parameters
    ----------
    num_classes : int
        K (the four shapes of :data:`coursekit.data.SHAPE_NAMES`).
    width : int
        Channels of the three deeper conv layers (the first has 16).
    epochs, batch_size, lr, weight_decay, warmup_fraction
        Passed to :class:`coursekit.training.FitConfig`.
    box_weight : float
        Weight of the L1 box loss against the heatmap loss.
    prior : float
        Initial probability of every heatmap cell (RetinaNet's bias prior): with a bias of ``log(π / (1 - π))``
        the loss does not start dominated by the thousands of background cells.

    Examples
    --------
    >>> TinyDetectorConfig().width
    32
    """

    num_classes: int = 4
    width: int = 32
    epochs: int = 6
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-4
    warmup_fraction: float = 0.1
    box_weight: float = 1.0
    prior: float = 0.1

    def __post_init__(self):
        check_int(self.num_classes, "num_classes")
        check_int(self.width, "width")
        check_int(self.epochs, "epochs")
        check_int(self.batch_size, "batch_size")
        check_positive(self.lr, "lr")
        check_nonnegative(self.weight_decay, "weight_decay")
        check_fraction(self.warmup_fraction, "warmup_fraction")
        check_nonnegative(self.box_weight, "box_weight")
        if not 0 < check_fraction(self.prior, "prior") < 1:
            raise ValueError(f"prior must lie strictly between 0 and 1, got {self.prior}.")


def _conv(c_in: int, c_out: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, padding=dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class TinyDetector(nn.Module):
    """Conv body of stride 4 and two 1×1 heads: class heatmaps and boxes.

    Defined in :ref:`sec-detection-tiny` (Eq. :eq:`eq-center-targets`).

    Parameters
    ----------
    config : TinyDetectorConfig, optional
        The defaults when omitted; kept as ``model.config``.

    Notes
    -----
    ``forward`` maps ``(B, 3, H, W)`` to ``heat (B, K, H/4, W/4)`` logits and ``box (B, 4, H/4, W/4)`` raw
    outputs. The receptive field of a cell is 27 pixels (the dilated layer widens it), larger than the
    biggest shape.

    Examples
    --------
    >>> heat, box = TinyDetector(TinyDetectorConfig())(torch.zeros(2, 3, 64, 64))
    >>> tuple(heat.shape), tuple(box.shape)
    ((2, 4, 16, 16), (2, 4, 16, 16))
    """

    def __init__(self, config: TinyDetectorConfig | None = None):
        super().__init__()
        config = TinyDetectorConfig() if config is None else config
        if not isinstance(config, TinyDetectorConfig):
            raise ValueError(f"config must be a TinyDetectorConfig, got {type(config).__name__}.")
        w = config.width
        self.config = config
        self.body = nn.Sequential(_conv(3, 16, stride=2), _conv(16, w, stride=2), _conv(w, w),
                                  _conv(w, w, dilation=2))
        self.heat = nn.Conv2d(w, config.num_classes, 1)
        self.box = nn.Conv2d(w, 4, 1)

    def reset_head_bias_(self) -> None:
        """Set the heatmap bias to ``log(π / (1 - π))`` so that every cell starts at probability π."""
        with torch.no_grad():
            self.heat.bias.fill_(float(np.log(self.config.prior / (1 - self.config.prior))))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_shape(x, "B C H W", C=3)
        f = self.body(x)                                                # (B, width, H/4, W/4)
        return self.heat(f), self.box(f)


def tiny_detector_loss(model: TinyDetector, batch) -> torch.Tensor:
    """Heatmap focal loss plus L1 on (sigmoid offset, log size) at object centres, per object.

    Defined in :ref:`sec-detection-tiny` (Eq. :eq:`eq-center-loss`).

    Parameters
    ----------
    model : TinyDetector
    batch : tuple of Tensor
        ``(images (B, 3, H, W), heat (B, K, G, G), reg (B, 4, G, G), pos (B, G, G) bool)`` from
        :func:`coursekit.detection.centers.center_targets`.

    Returns
    -------
    Tensor (scalar)

    Examples
    --------
    >>> m = TinyDetector(TinyDetectorConfig())
    >>> batch = (torch.zeros(1, 3, 64, 64), torch.zeros(1, 4, 16, 16), torch.zeros(1, 4, 16, 16),
    ...          torch.zeros(1, 16, 16, dtype=torch.bool))
    >>> tiny_detector_loss(m, batch).ndim
    0
    """
    x, heat, reg, pos = batch
    heat_logits, box = model(x)
    n = pos.sum().clamp(min=1)
    pred = torch.cat([torch.sigmoid(box[:, :2]), box[:, 2:]], dim=1)   # (B, 4, G, G)
    l1 = (F.l1_loss(pred, reg, reduction="none").sum(1) * pos).sum() / n
    return heatmap_focal_loss(heat_logits, heat) + model.config.box_weight * l1


def _to_tensor(images: np.ndarray) -> torch.Tensor:
    check_array(images, "images", ndim=4, dtype_kind="f")
    if images.shape[-1] != 3:
        raise ValueError(f"images must be (B, H, W, 3) RGB, got {images.shape}.")
    if images.shape[1] % STRIDE or images.shape[2] % STRIDE:
        raise ValueError(f"image sides must be multiples of {STRIDE}, got {images.shape[1:3]}.")
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=np.float32))


def detect(model: TinyDetector, images: np.ndarray, score_threshold: float = 0.05, top_k: int = 20,
           iou_threshold: float = 0.5) -> list[dict]:
    """Run the detector on images and decode its outputs into boxes, scores and labels.

    Defined in :ref:`sec-detection-tiny` (Eq. :eq:`eq-center-targets`).

    Parameters
    ----------
    model : TinyDetector
    images : (B, H, W, 3) ndarray of float in [0, 1]
    score_threshold, top_k, iou_threshold
        As in :func:`coursekit.detection.centers.decode_centers`.

    Returns
    -------
    list of B dicts
        ``{"boxes": (D, 4) xyxy, "scores": (D,), "labels": (D,)}``, the input format of
        :func:`coursekit.metrics.detection.coco_evaluate`.

    Examples
    --------
    >>> dets = detect(TinyDetector(TinyDetectorConfig()), np.zeros((2, 32, 32, 3), np.float32))
    >>> len(dets), sorted(dets[0])
    (2, ['boxes', 'labels', 'scores'])
    """
    heat, box = evaluate(model, lambda m, b: m(b[0]), _to_tensor(images), batch_size=256)
    return decode_centers(heat, box, STRIDE, score_threshold, top_k, iou_threshold)


def train_tiny_detector(config: TinyDetectorConfig, images: np.ndarray, boxes, labels, generator: torch.Generator,
                        val=None, progress: bool = True) -> tuple[TinyDetector, History]:
    """Build, initialise and train a :class:`TinyDetector` with the book's training loop.

    Defined in :ref:`sec-detection-tiny`.

    Parameters
    ----------
    config : TinyDetectorConfig
    images : (B, H, W, 3) ndarray of float in [0, 1]
    boxes, labels : lists of B arrays
        ``xyxy`` boxes and classes per image (e.g. from :func:`coursekit.data.shapes_detection_set`).
    generator : torch.Generator
        Initial weights and batch order.
    val : (images, boxes, labels), optional
        Held-out scenes; then the history records their COCO AP50 after every epoch.
    progress : bool
        Show a progress bar.

    Returns
    -------
    model : TinyDetector
        Trained, in eval mode.
    history : History

    Examples
    --------
    >>> from coursekit.data import shapes_detection_set
    >>> im, bx, lb = shapes_detection_set(8, np.random.default_rng(0))
    >>> cfg = TinyDetectorConfig(epochs=1)
    >>> model, h = train_tiny_detector(cfg, im, bx, lb, torch.Generator().manual_seed(0), progress=False)
    >>> len(h.loss)
    1
    """
    check_generator(generator)
    x = _to_tensor(images)
    G = x.shape[-1] // STRIDE
    heat, reg, pos = center_targets(boxes, labels, config.num_classes, G, STRIDE)
    model = TinyDetector(config)
    init_parameters_(model, generator)
    model.reset_head_bias_()
    fit_config = FitConfig(epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
                           weight_decay=config.weight_decay, warmup_fraction=config.warmup_fraction)
    kwargs = {}
    if val is not None:
        from coursekit.metrics.detection import coco_evaluate

        v_images, v_boxes, v_labels = val
        gts = [{"boxes": b, "labels": lab} for b, lab in zip(v_boxes, v_labels)]

        def ap50(m, data):
            return coco_evaluate(detect(m, data[0].permute(0, 2, 3, 1).numpy()), gts, config.num_classes)["AP50"]

        kwargs = {"val": (_to_tensor(v_images),), "metric": ap50}
    history = fit(model, tiny_detector_loss, (x, torch.from_numpy(heat), torch.from_numpy(reg), torch.from_numpy(pos)),
                  fit_config, generator, progress=progress, desc="tiny detector", **kwargs)
    return model, history
