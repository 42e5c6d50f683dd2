"""Convolutional networks in PyTorch: BatchNorm, residual, SE and Inception blocks, LeNet → VGG → ResNet
sketches, EfficientNet's compound scaling, and a small CNN trained on scikit-learn's digits.

Chapter 4 (Convolutional neural networks), the sections on networks. The layers themselves (convolution
by im2col, pooling, output sizes) are in the chapter's first half; here they come from ``torch.nn``.

References
----------
Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied to document recognition",
Proc. IEEE 86(11), 1998 (LeNet-5).
S. Ioffe and C. Szegedy, "Batch normalization", ICML 2015.
C. Szegedy et al., "Going deeper with convolutions", CVPR 2015 (Inception).
K. Simonyan and A. Zisserman, "Very deep convolutional networks for large-scale image recognition", ICLR 2015.
K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image recognition", CVPR 2016.
P. Goyal et al., "Accurate, large minibatch SGD", 2017 (zero-initialised last BN of a residual block).
J. Hu, L. Shen and G. Sun, "Squeeze-and-excitation networks", CVPR 2018.
M. Tan and Q. V. Le, "EfficientNet: rethinking model scaling for CNNs", ICML 2019.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._validate import check_array, check_positive

__all__ = [
    "batch_norm2d", "se_block_forward", "ResidualBlock", "SEBlock", "InceptionBlock", "SmallCNN", "LeNet5",
    "VGGSketch", "ResNetSketch", "count_parameters", "count_weight_layers", "init_parameters_",
    "Scaling", "compound_scaling", "DigitsSplit", "load_digits_split", "DigitsConfig", "TrainResult",
    "accuracy", "train_digits",
]


def batch_norm2d(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, running_mean=None,
                 running_var=None, eps: float = 1e-5) -> torch.Tensor:
    """Batch normalisation of a feature map, one mean and variance per channel.

    Parameters
    ----------
    x : (B, C, H, W) tensor
    gamma, beta : (C,) tensor
        The learned scale and shift of each channel.
    running_mean, running_var : (C,) tensor, optional
        Inference mode: normalise with these stored statistics instead of the batch's.
    eps : float

    Returns
    -------
    (B, C, H, W) tensor

    Notes
    -----
    In training mode the statistics of channel c pool all B·H·W values of that channel (the biased
    variance, as ``nn.BatchNorm2d`` uses for normalising); at inference the running averages are used, so
    a prediction does not depend on the other images of the batch.

    Defined in Chapter 4, Eq. (4.13).

    Examples
    --------
    >>> x = torch.randn(8, 3, 5, 5, generator=torch.Generator().manual_seed(0))
    >>> y = batch_norm2d(x, torch.ones(3), torch.zeros(3))
    >>> bool(y.mean((0, 2, 3)).abs().max() < 1e-6), bool((y.var((0, 2, 3), unbiased=False) - 1).abs().max() < 1e-3)
    (True, True)
    """
    if x.ndim != 4 or gamma.shape != (x.shape[1],) or beta.shape != (x.shape[1],):
        raise ValueError(f"expected x of shape (B, C, H, W) and gamma, beta of shape (C,), got "
                         f"{tuple(x.shape)}, {tuple(gamma.shape)}, {tuple(beta.shape)}.")
    if running_mean is None:
        mu = x.mean(dim=(0, 2, 3))                                  # (C,) over batch and space
        var = x.var(dim=(0, 2, 3), unbiased=False)                  # (C,)
    else:
        mu, var = running_mean, running_var
    x_hat = (x - mu[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + eps)   # (B, C, H, W)
    return gamma[None, :, None, None] * x_hat + beta[None, :, None, None]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))                           # = 1 / (1 + e^-z), without overflow


def se_block_forward(x, W1, b1, W2, b2) -> np.ndarray:
    """Squeeze-and-excitation: rescale each channel by a gate computed from all channels' means.

    Parameters
    ----------
    x : (C, H, W) or (B, C, H, W) ndarray
        Feature map.
    W1 : (C/r, C) ndarray, b1 : (C/r,) ndarray
        The squeeze layer (reduction ratio r).
    W2 : (C, C/r) ndarray, b2 : (C,) ndarray
        The excitation layer.

    Returns
    -------
    ndarray of float64, the shape of ``x``

    Notes
    -----
    1. Squeeze: z_c = mean of channel c over H×W (global average pooling).
    2. Excite: s = sigmoid(W2 ReLU(W1 z + b1) + b2), one gate in (0, 1) per channel.
    3. Scale: channel c of the output is s_c x_c.

    Defined in Chapter 4, Eq. (4.15).

    References
    ----------
    J. Hu, L. Shen and G. Sun, "Squeeze-and-excitation networks", CVPR 2018.

    Examples
    --------
    >>> x = np.ones((2, 3, 3))
    >>> y = se_block_forward(x, np.zeros((1, 2)), np.zeros(1), np.zeros((2, 1)), np.zeros(2))
    >>> y[:, 0, 0]                                   # every gate is sigmoid(0) = 1/2
    array([0.5, 0.5])
    """
    x = check_array(np.asarray(x, dtype=np.float64), "x", ndim=(3, 4))
    C = x.shape[-3]
    W1, W2 = np.asarray(W1, dtype=np.float64), np.asarray(W2, dtype=np.float64)
    b1, b2 = np.asarray(b1, dtype=np.float64), np.asarray(b2, dtype=np.float64)
    if W1.ndim != 2 or W1.shape[1] != C or b1.shape != (W1.shape[0],) or W2.shape != (C, W1.shape[0]) \
            or b2.shape != (C,):
        raise ValueError(f"for C = {C} channels expected W1 (C/r, C), b1 (C/r,), W2 (C, C/r), b2 (C,); got "
                         f"{W1.shape}, {b1.shape}, {W2.shape}, {b2.shape}.")
    z = x.mean(axis=(-2, -1))                                       # (..., C) squeeze
    h = np.maximum(z @ W1.T + b1, 0.0)                              # (..., C/r)
    s = _sigmoid(h @ W2.T + b2)                                     # (..., C) gates in (0, 1)
    return x * s[..., None, None]                                   # (..., C, H, W)


class SEBlock(nn.Module):
    """Squeeze-and-excitation block (the ``nn.Module`` twin of :func:`se_block_forward`).

    Defined in Chapter 4, Eq. (4.15).
    """

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        if channels < 1 or reduction < 1 or channels % reduction:
            raise ValueError(f"reduction r must divide the number of channels, got C={channels}, r={reduction}.")
        self.squeeze = nn.Linear(channels, channels // reduction)
        self.excite = nn.Linear(channels // reduction, channels)

    def gates(self, x: torch.Tensor) -> torch.Tensor:
        """The per-channel scales s, shape (B, C), each in (0, 1)."""
        z = x.mean(dim=(2, 3))                                      # (B, C)
        return torch.sigmoid(self.excite(F.relu(self.squeeze(z))))  # (B, C)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gates(x)[:, :, None, None]                  # (B, C, H, W)


def _conv_bn(c_in: int, c_out: int, k: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, stride, padding=k // 2, bias=False), nn.BatchNorm2d(c_out))


class ResidualBlock(nn.Module):
    """Basic residual block: y = ReLU(F(x) + shortcut(x)) with F = conv-BN-ReLU-conv-BN.

    The shortcut is the identity when shapes agree and a strided 1×1 convolution + BN (a *projection*)
    when ``stride > 1`` or the channel count changes. With ``zero_init=True`` the last BN's scale starts at
    0, so F(x) = 0 and the block starts as y = ReLU(x) (the identity on a non-negative input).

    Defined in Chapter 4, Eq. (4.14).
    """

    def __init__(self, c_in: int, c_out: int, stride: int = 1, zero_init: bool = True):
        super().__init__()
        self.conv1, self.conv2 = _conv_bn(c_in, c_out, 3, stride), _conv_bn(c_out, c_out, 3)
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else _conv_bn(c_in, c_out, 1, stride)
        self.zero_init = zero_init
        if zero_init:
            nn.init.zeros_(self.conv2[1].weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv2(F.relu(self.conv1(x))) + self.shortcut(x))


class InceptionBlock(nn.Module):
    """Inception module: 1×1, 1×1→3×3, 1×1→5×5 and 3×3-max-pool→1×1 branches, concatenated on channels.

    The 1×1 "reduce" convolutions cut the channels before the expensive 3×3 and 5×5 kernels. Every
    convolution has a bias and a ReLU, as in GoogLeNet. Output channels: c1 + c3 + c5 + pool_proj.

    Defined in Chapter 4, Eq. (4.16).
    """

    def __init__(self, c_in: int, c1: int, c3_reduce: int, c3: int, c5_reduce: int, c5: int, pool_proj: int):
        super().__init__()

        def conv(a, b, k):
            return nn.Sequential(nn.Conv2d(a, b, k, padding=k // 2), nn.ReLU())

        self.branch1 = conv(c_in, c1, 1)
        self.branch3 = nn.Sequential(conv(c_in, c3_reduce, 1), conv(c3_reduce, c3, 3))
        self.branch5 = nn.Sequential(conv(c_in, c5_reduce, 1), conv(c5_reduce, c5, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), conv(c_in, pool_proj, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)]
        return torch.cat(branches, dim=1)                           # (B, c1 + c3 + c5 + pool_proj, H, W)


class SmallCNN(nn.Module):
    """Three conv-BN-ReLU layers (a 2×2 max-pool after the first) and a global-average-pooling + linear
    head, so CAM applies.

    ``features`` maps (B, 1, H, W) to the last feature map A of shape (B, C2, H/2, W/2); the logits are
    ``head(A.mean((2, 3)))``. The receptive field of A is 12 input pixels, enough to see most of a digit
    upsampled to 16×16 (with only two convolutions it would be 8, and global pooling would discard too much
    of the layout).

    Defined in Chapter 4, Eq. (4.18).
    """

    def __init__(self, channels: tuple[int, int] = (16, 32), num_classes: int = 10, in_channels: int = 1):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(_conv_bn(in_channels, c1, 3), nn.ReLU(), nn.MaxPool2d(2),
                                      _conv_bn(c1, c2, 3), nn.ReLU(), _conv_bn(c2, c2, 3), nn.ReLU())
        self.head = nn.Linear(c2, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        A = self.features(x)                                        # (B, C2, H/2, W/2)
        return self.head(A.mean(dim=(2, 3)))                        # (B, K) logits


class LeNet5(nn.Module):
    """LeNet-5 on a 32×32 grey image: C1 6@5×5, S2 avg-pool, C3 16@5×5, S4, C5 120@5×5, F6 84, 10 outputs.

    A sketch: tanh and plain average pooling, C3 fully connected to S2 (LeCun et al. used a sparse
    connection table, 1,516 weights instead of 2,416) and a linear output instead of RBF units.
    """

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5),
                                      nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(16, 120, 5), nn.Tanh())
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))                    # (B, 1, 32, 32) -> (B, K)


class VGGSketch(nn.Module):
    """VGG-style: stages of 3×3 conv + ReLU, each closed by a 2×2 max-pool, then two fully connected layers.

    ``stages`` lists (number of convolutions, channels) per stage; the input side must be divisible by
    2 ** len(stages).
    """

    def __init__(self, stages=((1, 16), (2, 32), (2, 64)), in_channels: int = 1, in_size: int = 32,
                 hidden: int = 128, num_classes: int = 10):
        super().__init__()
        layers, c = [], in_channels
        for n_convs, width in stages:
            for _ in range(n_convs):
                layers += [nn.Conv2d(c, width, 3, padding=1), nn.ReLU()]
                c = width
            layers.append(nn.MaxPool2d(2))
        side = in_size // 2 ** len(stages)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c * side * side, hidden), nn.ReLU(),
                                        nn.Linear(hidden, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class ResNetSketch(nn.Module):
    """CIFAR-style ResNet: a 3×3 stem, three stages of ``n`` residual blocks (widths doubling, stride 2 at
    each new stage with a projection shortcut), global average pooling and a linear head.

    Depth 6n + 2 weight layers on the main path (n = 3 is ResNet-20).
    """

    def __init__(self, n: int = 3, widths=(16, 32, 64), in_channels: int = 1, num_classes: int = 10):
        super().__init__()
        blocks, c = [], widths[0]
        for i, width in enumerate(widths):
            for j in range(n):
                blocks.append(ResidualBlock(c, width, stride=2 if i > 0 and j == 0 else 1))
                c = width
        self.stem = nn.Sequential(_conv_bn(in_channels, widths[0], 3), nn.ReLU())
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)).mean(dim=(2, 3)))


def count_parameters(model: nn.Module) -> int:
    """Number of learnable scalars, sum(p.numel()) over the model's parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_weight_layers(model: nn.Module) -> int:
    """Depth as papers count it: convolutions and linear layers, not counting projection shortcuts."""
    return sum(isinstance(m, (nn.Conv2d, nn.Linear)) and "shortcut" not in name
               for name, m in model.named_modules())


def init_parameters_(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Re-draw every weight from PyTorch's default initialisation, using only ``generator``; in place.

    Conv and linear weights and biases ~ U(-1/√fan_in, 1/√fan_in) (what ``reset_parameters`` draws);
    BatchNorm back to scale 1, shift 0 and running statistics (0, 1); a :class:`ResidualBlock` built with
    ``zero_init`` gets its last BN scale set to 0 again.
    """
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            bound = 1.0 / math.sqrt(m.weight[0].numel())            # fan_in = C_in · k · k (or D_in)
            with torch.no_grad():
                m.weight.uniform_(-bound, bound, generator=generator)
                if m.bias is not None:
                    m.bias.uniform_(-bound, bound, generator=generator)
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_parameters()                                    # deterministic: no random draw
    for m in model.modules():
        if isinstance(m, ResidualBlock) and m.zero_init:
            nn.init.zeros_(m.conv2[1].weight)
    return model


class Scaling(NamedTuple):
    """Multipliers of EfficientNet's compound scaling for one coefficient φ."""

    depth: float
    width: float
    resolution: float
    flops: float


def compound_scaling(phi: float, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15) -> Scaling:
    """EfficientNet's compound scaling: depth α^φ, width β^φ, resolution γ^φ, FLOPs ≈ (α β² γ²)^φ.

    Parameters
    ----------
    phi : float
        The compound coefficient (≥ 0): how many "doublings" of compute to spend.
    alpha, beta, gamma : float
        Per-dimension bases (≥ 1); Tan and Le's grid search found 1.2, 1.1, 1.15 with α β² γ² ≈ 2.

    Returns
    -------
    Scaling
        ``(depth, width, resolution, flops)`` multipliers.

    Notes
    -----
    A convolution's FLOPs grow linearly with depth but quadratically with width (input and output
    channels) and with resolution (H and W), hence the squares.

    Defined in Chapter 4, Eq. (4.17).

    Examples
    --------
    >>> s = compound_scaling(1.0)
    >>> round(s.flops, 4), round(s.depth, 2)
    (1.9203, 1.2)
    """
    if not (isinstance(phi, (int, float, np.number)) and math.isfinite(phi) and phi >= 0):
        raise ValueError(f"phi must be a finite number >= 0, got {phi!r}.")
    for name, v in (("alpha", alpha), ("beta", beta), ("gamma", gamma)):
        if not v >= 1.0:
            raise ValueError(f"{name} must be >= 1 (a dimension never shrinks), got {v!r}.")
    return Scaling(alpha ** phi, beta ** phi, gamma ** phi, (alpha * beta ** 2 * gamma ** 2) ** phi)


# ----------------------------------------------------------------------------- training on digits

class DigitsSplit(NamedTuple):
    X_train: torch.Tensor   # (B, 1, S, S) float32 in [0, 1]
    y_train: torch.Tensor   # (B,) int64
    X_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split(size: int = 16, test_size: float = 0.25, seed: int = 0) -> DigitsSplit:
    """scikit-learn's 1,797 8×8 digits, scaled to [0, 1], bilinearly resized to ``size``×``size`` and split
    into a stratified train/test pair fixed by ``seed``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if int(size) != size or size < 4:
        raise ValueError(f"size must be an integer >= 4, got {size!r}.")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}.")
    d = load_digits()
    X = torch.tensor(d.images / 16.0, dtype=torch.float32)[:, None]   # (1797, 1, 8, 8)
    if size != 8:
        X = F.interpolate(X, size=(int(size), int(size)), mode="bilinear", align_corners=False)
    y = torch.tensor(d.target, dtype=torch.int64)
    i_tr, i_te = train_test_split(np.arange(len(y)), test_size=test_size, random_state=seed, stratify=d.target)
    return DigitsSplit(X[i_tr], y[i_tr], X[i_te], y[i_te])


@dataclass
class DigitsConfig:
    """Settings of :func:`train_digits`; the defaults train in a few seconds on 2 cores."""

    size: int = 16
    channels: tuple[int, int] = (16, 32)
    epochs: int = 8
    batch_size: int = 64
    lr: float = 1e-2           # the peak of the one-cycle schedule
    weight_decay: float = 1e-4
    test_size: float = 0.25
    split_seed: int = 0


class TrainResult(NamedTuple):
    model: SmallCNN
    accuracy: float          # test accuracy after the last epoch
    history: dict            # lists per epoch: "loss", "train_accuracy", "test_accuracy"


@torch.no_grad()
def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Fraction of ``X`` (B, C, H, W) that ``model`` (in eval mode) labels as ``y`` (B,)."""
    was_training = model.training
    model.eval()
    correct = sum(int((model(X[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
                  for i in range(0, len(y), batch_size))
    model.train(was_training)
    return correct / len(y)


def train_digits(config: DigitsConfig, generator: torch.Generator, progress: bool = True) -> TrainResult:
    """Train :class:`SmallCNN` on the digits with Adam, cross-entropy and a one-cycle learning rate (warm up
    to ``config.lr``, then anneal to ~0, which also lets the BatchNorm running statistics settle).

    Every random draw (initial weights, batch order) comes from ``generator``. Returns the model (in eval
    mode), its test accuracy and the per-epoch history.
    """
    from tqdm.auto import tqdm

    check_positive(config.epochs, "epochs")
    check_positive(config.batch_size, "batch_size")
    data = load_digits_split(config.size, config.test_size, config.split_seed)
    model = init_parameters_(SmallCNN(config.channels), generator)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    n_batches = math.ceil(len(data.y_train) / config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.epochs * n_batches)
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    n = len(data.y_train)
    bar = tqdm(range(config.epochs), desc="digits CNN", disable=not progress)
    for _ in bar:
        model.train()
        perm = torch.randperm(n, generator=generator)              # (n,) a new batch order each epoch
        total = 0.0
        for i in range(0, n, config.batch_size):
            idx = perm[i:i + config.batch_size]
            loss = F.cross_entropy(model(data.X_train[idx]), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            total += loss.item() * len(idx)
        history["loss"].append(total / n)
        history["train_accuracy"].append(accuracy(model, data.X_train, data.y_train))
        history["test_accuracy"].append(accuracy(model, data.X_test, data.y_test))
        bar.set_postfix(loss=f"{total / n:.3f}", test_acc=f"{history['test_accuracy'][-1]:.3f}")
    model.eval()
    return TrainResult(model, history["test_accuracy"][-1], history)
