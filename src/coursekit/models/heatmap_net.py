"""A small multi-stage heatmap network for keypoints (a pocket convolutional pose machine), and the
coordinate-regression network it is compared with, on Chapter 7's stick figures.

``HeatmapNet`` cuts the image into 4×4 patches (a stride-4 convolution), mixes them with dilated 3×3
convolutions whose receptive field covers the whole 64×64 figure, and predicts K heatmaps at stride 4. Each
further stage sees the shared features *and* the previous stage's heatmaps, so it can use the positions of
the other joints to fix a doubtful one (a wrist is where the elbow's arm ends), and adds a correction to those
heatmaps (CPM's stages output new maps instead; starting from the previous answer is what lets a second stage
help within a few seconds of training). Every stage is supervised (:func:`coursekit.pose.heatmap_loss`). ``CoordinateNet`` has the same stem and body but regresses the 2K
numbers directly through a fully connected layer, as DeepPose does.

References
----------
S.-E. Wei, V. Ramakrishna, T. Kanade and Y. Sheikh, "Convolutional Pose Machines", CVPR 2016.
A. Toshev and C. Szegedy, "DeepPose: Human Pose Estimation via Deep Neural Networks", CVPR 2014.
F. Yu and V. Koltun, "Multi-Scale Context Aggregation by Dilated Convolutions", ICLR 2016.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from coursekit.core.validation import check_int, check_positive, check_shape
from coursekit.pose.heatmaps import decode_heatmaps, gaussian_heatmaps
from coursekit.pose.losses import coordinate_loss, heatmap_loss
from coursekit.training.loop import FitConfig, History, evaluate, fit

__all__ = ["HeatmapNetConfig", "HeatmapNet", "CoordinateNet", "train_pose_net", "predict_keypoints"]


@dataclass
class HeatmapNetConfig:
    """Settings of :class:`HeatmapNet` (and of :class:`CoordinateNet`, which ignores ``stages`` and ``sigma``).

    Defined in :ref:`sec-pose-stages`.

    Parameters
    ----------
    in_channels : int
        Image channels (1 for the grey stick figures).
    num_keypoints : int
        K, the number of heatmaps.
    channels : int
        Width C of every convolution.
    stages : int
        S, the number of prediction stages (1 = no refinement).
    dilations : tuple of int
        Dilation of each 3×3 convolution of the body and of every refinement stage.
    sigma : float
        Width of the Gaussian targets, in heatmap cells (4 image pixels each).
    image_size : int
        H = W of the input (a multiple of 4); :class:`CoordinateNet` needs it for its linear layer.

    Examples
    --------
    >>> HeatmapNetConfig().stride
    4
    """

    in_channels: int = 1
    num_keypoints: int = 13
    channels: int = 16
    stages: int = 2
    dilations: tuple = (1, 2, 4)
    sigma: float = 1.0
    image_size: int = 64

    stride = 4                                                            # the patch stem's step (fixed)

    def __post_init__(self):
        check_int(self.in_channels, "in_channels", minimum=1)
        check_int(self.num_keypoints, "num_keypoints", minimum=1)
        check_int(self.channels, "channels", minimum=1)
        check_int(self.stages, "stages", minimum=1)
        check_positive(self.sigma, "sigma")
        check_int(self.image_size, "image_size", minimum=4)
        if self.image_size % self.stride:
            raise ValueError(f"image_size must be a multiple of {self.stride}, got {self.image_size}.")
        if not self.dilations or any(check_int(d, "dilations", minimum=1) < 1 for d in self.dilations):
            raise ValueError(f"dilations must be a non-empty tuple of positive integers, got {self.dilations!r}.")
        self.dilations = tuple(int(d) for d in self.dilations)


def _conv_bn_relu(c_in: int, c_out: int, dilation: int = 1) -> nn.Sequential:
    """3×3 convolution ("same" padding, any dilation), batch norm, ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU())


def _stem_and_body(config: HeatmapNetConfig) -> nn.Sequential:
    C = config.channels
    return nn.Sequential(
        nn.Conv2d(config.in_channels, C, kernel_size=4, stride=4, bias=False),   # 4×4 patches -> one cell
        nn.BatchNorm2d(C), nn.ReLU(),
        *[_conv_bn_relu(C, C, d) for d in config.dilations])


class HeatmapNet(nn.Module):
    """S-stage heatmap network: shared features F, then ``H¹ = head(F)``, ``Hᵗ = Hᵗ⁻¹ + gₜ([F, Hᵗ⁻¹])``.

    Defined in :ref:`sec-pose-stages` (Eq. :eq:`eq-pose-stages`).

    Parameters
    ----------
    config : HeatmapNetConfig

    Notes
    -----
    Input ``(B, C_in, H, W)``; output ``(B, S, K, H/4, W/4)``, the heatmaps of every stage (the last is
    the prediction; the others exist for intermediate supervision).

    Examples
    --------
    >>> net = HeatmapNet(HeatmapNetConfig(channels=8, stages=2))
    >>> net(torch.zeros(2, 1, 64, 64)).shape
    torch.Size([2, 2, 13, 16, 16])
    """

    def __init__(self, config: HeatmapNetConfig):
        super().__init__()
        if not isinstance(config, HeatmapNetConfig):
            raise ValueError(f"config must be a HeatmapNetConfig, got {type(config).__name__}.")
        self.config = config
        C, K = config.channels, config.num_keypoints
        self.features = _stem_and_body(config)
        self.head = nn.Conv2d(C, K, 1)
        self.refine = nn.ModuleList([
            nn.Sequential(_conv_bn_relu(C + K, C, config.dilations[0]),
                          *[_conv_bn_relu(C, C, d) for d in config.dilations[1:]], nn.Conv2d(C, K, 1))
            for _ in range(config.stages - 1)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_shape(x, "B C H W", "x", C=self.config.in_channels)
        f = self.features(x)                                              # (B, C, H/4, W/4)
        h = self.head(f)                                                  # (B, K, H/4, W/4) stage 1
        out = [h]
        for stage in self.refine:
            h = h + stage(torch.cat([f, h], dim=1))                       # (B, K, H/4, W/4) stage t
            out.append(h)
        return torch.stack(out, dim=1)                                    # (B, S, K, H/4, W/4)


class CoordinateNet(nn.Module):
    """Direct coordinate regression: the same stem and body, then flatten and one linear layer to 2K numbers.

    Defined in :ref:`sec-pose-regression`.

    Parameters
    ----------
    config : HeatmapNetConfig
        ``stages`` and ``sigma`` are not used.

    Notes
    -----
    Output ``(B, K, 2)``: ``(x, y)`` divided by the image size, so about [0, 1].

    Examples
    --------
    >>> net = CoordinateNet(HeatmapNetConfig(channels=8))
    >>> net(torch.zeros(3, 1, 64, 64)).shape
    torch.Size([3, 13, 2])
    """

    def __init__(self, config: HeatmapNetConfig):
        super().__init__()
        if not isinstance(config, HeatmapNetConfig):
            raise ValueError(f"config must be a HeatmapNetConfig, got {type(config).__name__}.")
        self.config = config
        cells = (config.image_size // config.stride) ** 2
        self.features = _stem_and_body(config)
        self.head = nn.Linear(config.channels * cells, 2 * config.num_keypoints)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.config.image_size
        check_shape(x, "B C H W", "x", C=self.config.in_channels, H=s, W=s)
        f = self.features(x).flatten(1)                                   # (B, C · H/4 · W/4)
        return self.head(f).view(len(x), -1, 2) + 0.5                     # (B, K, 2) centred on the image


def train_pose_net(model: nn.Module, images: np.ndarray, keypoints: np.ndarray, fit_config: FitConfig,
                   generator: torch.Generator, *, visibility: np.ndarray | None = None, progress: bool = True,
                   desc: str = "pose net") -> History:
    """Train a :class:`HeatmapNet` on Gaussian targets, or a :class:`CoordinateNet` on coordinates, with ``fit``.

    Defined in :ref:`sec-pose-training`.

    Parameters
    ----------
    model : HeatmapNet or CoordinateNet
        Initialised (e.g. ``init_parameters_(model, generator)``); trained in place.
    images : (B, H, W) or (B, C, H, W) ndarray of float
    keypoints : (B, K, 2) ndarray of float
        ``(x, y)`` in pixels.
    fit_config : FitConfig
    generator : torch.Generator
    visibility : (B, K) ndarray, optional
        Keypoints with 0 get weight 0.
    progress : bool
    desc : str

    Returns
    -------
    History

    Notes
    -----
    HeatmapNet: the targets are :func:`coursekit.pose.gaussian_heatmaps` at stride 4 with the config's σ,
    the loss :func:`coursekit.pose.heatmap_loss` over all stages. CoordinateNet: the targets are the
    coordinates divided by the image size, the loss :func:`coursekit.pose.coordinate_loss` (L1).
    """
    X = torch.as_tensor(np.asarray(images, dtype=np.float32))
    X = X[:, None] if X.ndim == 3 else X                                  # (B, C, H, W)
    cfg = model.config
    check_shape(X, "B C H W", "images", C=cfg.in_channels)
    kp = np.asarray(keypoints, dtype=np.float64)
    check_shape(kp, "B K 2", "keypoints", B=len(X), K=cfg.num_keypoints)
    vis = np.full(kp.shape[:2], 2) if visibility is None else np.asarray(visibility)
    w = torch.as_tensor((vis > 0).astype(np.float32))                     # (B, K)
    if isinstance(model, HeatmapNet):
        hw = (X.shape[2] // cfg.stride, X.shape[3] // cfg.stride)
        T = torch.as_tensor(gaussian_heatmaps(kp, hw, cfg.sigma, cfg.stride).astype(np.float32))  # (B, K, h, w)
        loss = lambda m, batch: heatmap_loss(m(batch[0]), batch[1], batch[2])
    elif isinstance(model, CoordinateNet):
        T = torch.as_tensor((kp / np.array([X.shape[3], X.shape[2]])).astype(np.float32))         # (B, K, 2)
        loss = lambda m, batch: coordinate_loss(m(batch[0]), batch[1], batch[2])
    else:
        raise ValueError(f"model must be a HeatmapNet or a CoordinateNet, got {type(model).__name__}.")
    return fit(model, loss, (X, T, w), fit_config, generator, progress=progress, desc=desc)


def predict_keypoints(model: nn.Module, images: np.ndarray, *, stage: int = -1,
                      refine: str = "log-parabola", batch_size: int = 256):
    """Keypoints ``(x, y)`` in pixels predicted by a trained :class:`HeatmapNet` or :class:`CoordinateNet`.

    Defined in :ref:`sec-pose-training`.

    Parameters
    ----------
    model : HeatmapNet or CoordinateNet
    images : (B, H, W) or (B, C, H, W) ndarray of float
    stage : int
        Which stage's heatmaps to decode (HeatmapNet only); default the last.
    refine : str
        The sub-pixel refinement of :func:`coursekit.pose.decode_heatmaps`.
    batch_size : int

    Returns
    -------
    coords : (B, K, 2) ndarray of float64
    scores : (B, K) ndarray of float64
        The heatmap peaks (HeatmapNet), or ones (CoordinateNet, which has no confidence).
    """
    X = torch.as_tensor(np.asarray(images, dtype=np.float32))
    X = X[:, None] if X.ndim == 3 else X                                  # (B, C, H, W)
    if isinstance(model, HeatmapNet):
        maps = evaluate(model, lambda m, b: m(b[0])[:, stage], X, batch_size=batch_size)   # (B, K, h, w)
        return decode_heatmaps(maps.double().numpy(), model.config.stride, refine=refine)
    if isinstance(model, CoordinateNet):
        out = evaluate(model, lambda m, b: m(b[0]), X, batch_size=batch_size).double().numpy()   # (B, K, 2)
        coords = out * np.array([X.shape[3], X.shape[2]])
        return coords, np.ones(coords.shape[:2])
    raise ValueError(f"model must be a HeatmapNet or a CoordinateNet, got {type(model).__name__}.")
