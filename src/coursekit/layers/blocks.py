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

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.numerics import sigmoid
from coursekit.core.validation import check_array, check_int, check_positive, check_shape
from coursekit.layers.init import init_parameters_

__all__ = ["batch_norm2d", "BatchNorm2d", "se_block_forward", "SEBlock", "conv_bn", "ResidualBlock",
           "InceptionBlock"]


def batch_norm2d(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, running_mean=None,
                 running_var=None, eps: float = 1e-5) -> torch.Tensor:
    """Batch normalisation of a feature map, one mean and variance per channel.

    Defined in :ref:`sec-batchnorm2d` (Eq. :eq:`eq-batchnorm2d`).

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

    Examples
    --------
    >>> x = torch.randn(8, 3, 5, 5, generator=torch.Generator().manual_seed(0))
    >>> y = batch_norm2d(x, torch.ones(3), torch.zeros(3))
    >>> bool(y.mean((0, 2, 3)).abs().max() < 1e-6), bool((y.var((0, 2, 3), unbiased=False) - 1).abs().max() < 1e-3)
    (True, True)
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError(f"x must be a float tensor of shape (B, C, H, W), got {type(x).__name__}.")
    C = check_shape(x, "B C H W", "x")["C"]
    check_shape(gamma, "C", "gamma", C=C)
    check_shape(beta, "C", "beta", C=C)
    if (running_mean is None) != (running_var is None):
        raise ValueError("pass running_mean and running_var together (inference), or neither (training).")
    check_positive(eps, "eps")
    if running_mean is None:
        if x.shape[0] * x.shape[2] * x.shape[3] < 2:
            raise ValueError(f"batch statistics need more than one value per channel, got x of shape "
                             f"{tuple(x.shape)}; use the running statistics for a single 1×1 input.")
        mu = x.mean(dim=(0, 2, 3))                                  # (C,) over batch and space
        var = x.var(dim=(0, 2, 3), unbiased=False)                  # (C,)
    else:
        check_shape(running_mean, "C", "running_mean", C=C)
        check_shape(running_var, "C", "running_var", C=C)
        mu, var = running_mean, running_var
    x_hat = (x - mu[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + eps)   # (B, C, H, W)
    return gamma[None, :, None, None] * x_hat + beta[None, :, None, None]


class BatchNorm2d(nn.Module):
    """Batch normalisation layer: the ``nn.Module`` twin of :func:`batch_norm2d`, with running statistics.

    Defined in :ref:`sec-batchnorm2d` (Eq. :eq:`eq-batchnorm2d`).

    Parameters
    ----------
    channels : int
        C, the number of channels normalised.
    eps : float
        Added to the variance.
    momentum : float
        Weight of the new batch in the running averages, ``r ← (1 - m) r + m · batch statistic``.

    Notes
    -----
    Owns γ (``weight``, starts at 1), β (``bias``, starts at 0) and the running mean and variance (start at
    0 and 1) under the names of ``torch.nn.BatchNorm2d``, so ``load_state_dict`` works both ways (apart
    from torch's ``num_batches_tracked``). In training mode ``forward`` normalises with the batch's
    statistics and updates the running averages with the *unbiased* variance, as torch does; in eval mode
    it normalises with the running averages.

    Examples
    --------
    >>> bn = BatchNorm2d(3)
    >>> y = bn(torch.randn(4, 3, 2, 2, generator=torch.Generator().manual_seed(0)))
    >>> y.shape, bool(bn.running_mean.abs().max() > 0)
    (torch.Size([4, 3, 2, 2]), True)
    """

    def __init__(self, channels: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        self.channels = check_int(channels, "channels")
        self.eps, self.momentum = check_positive(eps, "eps"), check_positive(momentum, "momentum")
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Scale 1, shift 0, running statistics (0, 1): nothing is drawn, ``generator`` is not used."""
        with torch.no_grad():
            self.weight.fill_(1.0)
            self.bias.zero_()
            self.running_mean.zero_()
            self.running_var.fill_(1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` (B, C, H, W); in training mode also update the running statistics."""
        if not self.training:
            return batch_norm2d(x, self.weight, self.bias, self.running_mean, self.running_var, self.eps)
        y = batch_norm2d(x, self.weight, self.bias, eps=self.eps)
        with torch.no_grad():
            n = x.shape[0] * x.shape[2] * x.shape[3]                 # values per channel
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(m * x.mean(dim=(0, 2, 3)))
            self.running_var.mul_(1 - m).add_(m * x.var(dim=(0, 2, 3), unbiased=False) * n / (n - 1))
        return y


def se_block_forward(x, W1, b1, W2, b2) -> np.ndarray:
    """Squeeze-and-excitation: rescale each channel by a gate computed from all channels' means.

    Defined in :ref:`sec-squeeze-excitation` (Eq. :eq:`eq-squeeze-excitation`).

    Parameters
    ----------
    x : (C, H, W) or (B, C, H, W) ndarray
        Feature map.
    W1 : (C/r, C) ndarray
        Weights of the squeeze layer (reduction ratio r).
    b1 : (C/r,) ndarray
        Its biases.
    W2 : (C, C/r) ndarray
        Weights of the excitation layer.
    b2 : (C,) ndarray
        Its biases.

    Returns
    -------
    ndarray of float64, the shape of ``x``

    Notes
    -----
    1. Squeeze: z_c = mean of channel c over H×W (global average pooling).
    2. Excite: s = sigmoid(W2 ReLU(W1 z + b1) + b2), one gate in (0, 1) per channel.
    3. Scale: channel c of the output is s_c x_c.

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
    s = sigmoid(h @ W2.T + b2)                                     # (..., C) gates in (0, 1)
    return x * s[..., None, None]                                   # (..., C, H, W)


class SEBlock(nn.Module):
    """Squeeze-and-excitation block: the ``nn.Module`` twin of :func:`se_block_forward`.

    Defined in :ref:`sec-squeeze-excitation` (Eq. :eq:`eq-squeeze-excitation`).

    Parameters
    ----------
    channels : int
        C, the channels of the feature map.
    reduction : int
        r, which must divide C: the squeeze layer has C/r units.

    Notes
    -----
    ``squeeze`` holds (W1, b1) and ``excite`` holds (W2, b2) of :func:`se_block_forward`; the tests hold the
    two equal in float64.

    References
    ----------
    J. Hu, L. Shen and G. Sun, "Squeeze-and-excitation networks", CVPR 2018.

    Examples
    --------
    >>> se = SEBlock(8, reduction=4)
    >>> se(torch.ones(2, 8, 5, 5)).shape, tuple(se.squeeze.weight.shape)
    (torch.Size([2, 8, 5, 5]), (2, 8))
    """

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        check_int(channels, "channels")
        check_int(reduction, "reduction")
        if channels % reduction:
            raise ValueError(f"reduction r must divide the number of channels, got C={channels}, r={reduction}.")
        self.channels = channels
        self.squeeze = nn.Linear(channels, channels // reduction)
        self.excite = nn.Linear(channels // reduction, channels)

    def gates(self, x: torch.Tensor) -> torch.Tensor:
        """The per-channel scales s, shape (B, C), each in (0, 1)."""
        check_shape(x, "B C H W", "x", C=self.channels)
        z = x.mean(dim=(2, 3))                                      # (B, C) squeeze
        return torch.sigmoid(self.excite(F.relu(self.squeeze(z))))  # (B, C) excite

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Rescale each channel of ``x`` (B, C, H, W) by its gate."""
        return x * self.gates(x)[:, :, None, None]                  # (B, C, H, W) scale


def conv_bn(c_in: int, c_out: int, k: int, stride: int = 1) -> nn.Sequential:
    """A k×k convolution without bias (padding k // 2) followed by batch normalisation.

    Defined in :ref:`sec-residual-blocks`.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    k : int
        Odd kernel size; padding k // 2 keeps H and W at stride 1.
    stride : int
        Stride of the convolution.

    Returns
    -------
    nn.Sequential
        ``Conv2d(c_in, c_out, k, stride, padding=k // 2, bias=False)``, ``BatchNorm2d(c_out)``.

    Notes
    -----
    The BN shift β makes a convolution bias redundant (BN subtracts the channel mean, bias included).

    Examples
    --------
    >>> conv_bn(3, 8, 3, stride=2)(torch.zeros(1, 3, 8, 8)).shape
    torch.Size([1, 8, 4, 4])
    """
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, stride, padding=k // 2, bias=False), nn.BatchNorm2d(c_out))


class ResidualBlock(nn.Module):
    """Basic residual block: y = ReLU(F(x) + shortcut(x)) with F = conv-BN-ReLU-conv-BN.

    Defined in :ref:`sec-residual-blocks` (Eq. :eq:`eq-residual-block`).

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    stride : int
        Stride of the first convolution (and of the projection shortcut).
    zero_init : bool
        Start the last BN's scale at 0 (Goyal et al.), also after :meth:`reset_parameters`.

    Notes
    -----
    The shortcut is the identity when shapes agree and a strided 1×1 convolution + BN (a *projection*)
    when ``stride > 1`` or the channel count changes. With ``zero_init=True`` the last BN's scale starts at
    0, so F(x) = 0 and the block starts as y = ReLU(x) (the identity on a non-negative input).

    References
    ----------
    K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image recognition", CVPR 2016.

    Examples
    --------
    >>> block = ResidualBlock(4, 8, stride=2)
    >>> block(torch.zeros(2, 4, 6, 6)).shape
    torch.Size([2, 8, 3, 3])
    """

    def __init__(self, c_in: int, c_out: int, stride: int = 1, zero_init: bool = True):
        super().__init__()
        self.c_in, self.c_out = check_int(c_in, "c_in"), check_int(c_out, "c_out")
        check_int(stride, "stride")
        self.conv1, self.conv2 = conv_bn(c_in, c_out, 3, stride), conv_bn(c_out, c_out, 3)
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else conv_bn(c_in, c_out, 1, stride)
        self.zero_init = zero_init
        if zero_init:
            nn.init.zeros_(self.conv2[1].weight)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Redraw the convolutions from ``generator`` (:func:`init_parameters_`), then re-apply ``zero_init``."""
        for part in (self.conv1, self.conv2, self.shortcut):
            init_parameters_(part, generator)
        if self.zero_init:
            nn.init.zeros_(self.conv2[1].weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``ReLU(F(x) + shortcut(x))`` for ``x`` (B, C_in, H, W)."""
        check_shape(x, "B C H W", "x", C=self.c_in)
        return F.relu(self.conv2(F.relu(self.conv1(x))) + self.shortcut(x))   # (B, C_out, H/s, W/s)


class InceptionBlock(nn.Module):
    """Inception module: 1×1, 1×1→3×3, 1×1→5×5 and 3×3-max-pool→1×1 branches, concatenated on channels.

    Defined in :ref:`sec-inception` (Eq. :eq:`eq-inception`).

    Parameters
    ----------
    c_in : int
        Input channels.
    c1, c3_reduce, c3, c5_reduce, c5, pool_proj : int
        Output channels of the 1×1 branch, of the 1×1 reduction and the 3×3 convolution, of the 1×1
        reduction and the 5×5 convolution, and of the 1×1 after the max-pool.

    Notes
    -----
    The 1×1 "reduce" convolutions cut the channels before the expensive 3×3 and 5×5 kernels. Every
    convolution has a bias and a ReLU, as in GoogLeNet. Output channels: c1 + c3 + c5 + pool_proj.

    References
    ----------
    C. Szegedy et al., "Going deeper with convolutions", CVPR 2015.

    Examples
    --------
    >>> InceptionBlock(8, 4, 2, 4, 2, 4, 4)(torch.zeros(1, 8, 5, 5)).shape
    torch.Size([1, 16, 5, 5])
    """

    def __init__(self, c_in: int, c1: int, c3_reduce: int, c3: int, c5_reduce: int, c5: int, pool_proj: int):
        super().__init__()
        for name, v in dict(c_in=c_in, c1=c1, c3_reduce=c3_reduce, c3=c3, c5_reduce=c5_reduce, c5=c5,
                            pool_proj=pool_proj).items():
            check_int(v, name)
        self.c_in = c_in

        def conv(a, b, k):
            return nn.Sequential(nn.Conv2d(a, b, k, padding=k // 2), nn.ReLU())

        self.branch1 = conv(c_in, c1, 1)
        self.branch3 = nn.Sequential(conv(c_in, c3_reduce, 1), conv(c3_reduce, c3, 3))
        self.branch5 = nn.Sequential(conv(c_in, c5_reduce, 1), conv(c5_reduce, c5, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), conv(c_in, pool_proj, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The four branches of ``x`` (B, C_in, H, W), concatenated along the channels."""
        check_shape(x, "B C H W", "x", C=self.c_in)
        branches = [self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)]
        return torch.cat(branches, dim=1)                           # (B, c1 + c3 + c5 + pool_proj, H, W)
