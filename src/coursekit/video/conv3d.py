"""3D convolutions for video: output shapes, costs, I3D inflation and SlowFast's two rates (Chapter 16).

A clip tensor is (B, C, T, H, W), PyTorch's layout for ``nn.Conv3d``. A 3D kernel (K_T, K_H, K_W) slides in
time as well as in space. I3D "inflates" a trained 2D kernel into 3D by repeating it K_T times along time and
dividing by K_T, so that on a static clip (every frame the same) the 3D network gives exactly the 2D network's
response. SlowFast runs two pathways: a slow one on every α-th frame with many channels, and a fast one on
all frames with β times fewer channels.

References
----------
D. Tran et al., "Learning spatiotemporal features with 3D convolutional networks", ICCV 2015 (C3D).
J. Carreira and A. Zisserman, "Quo vadis, action recognition?", CVPR 2017 (I3D, inflation).
D. Tran et al., "A closer look at spatiotemporal convolutions for action recognition", CVPR 2018 ((2+1)D).
C. Feichtenhofer et al., "SlowFast networks for video recognition", ICCV 2019.
"""

from __future__ import annotations

import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape

__all__ = ["conv3d_output_shape", "conv_cost", "inflate_conv2d_weight", "inflate_conv2d", "slowfast_pathways",
           "slowfast_channels"]


def _triple(value, name: str, minimum: int) -> tuple[int, int, int]:
    if isinstance(value, int):
        value = (value,) * 3
    if not (isinstance(value, (tuple, list)) and len(value) == 3):
        raise ValueError(f"{name} must be an int or a triple (t, h, w), got {value!r}.")
    return tuple(check_int(v, f"{name}[{i}]", minimum=minimum) for i, v in enumerate(value))


def conv3d_output_shape(input_shape, out_channels: int, kernel_size, stride=1, padding=0) -> tuple[int, ...]:
    """The shape (B, C_out, T', H', W') of a 3D convolution: ``⌊(n + 2p − k) / s⌋ + 1`` on each axis.

    Defined in :ref:`sec-video-conv3d` (Eq. :eq:`eq-video-conv3d-shape`).

    Parameters
    ----------
    input_shape : (int, int, int, int, int)
        (B, C, T, H, W).
    out_channels : int
        C_out.
    kernel_size, stride, padding : int or (int, int, int)
        Per axis (t, h, w), as ``nn.Conv3d``.

    Returns
    -------
    tuple of int
        ``nn.Conv3d(C, C_out, kernel_size, stride, padding)(x).shape``.

    Examples
    --------
    >>> conv3d_output_shape((2, 3, 16, 112, 112), 64, (3, 7, 7), (1, 2, 2), (1, 3, 3))
    (2, 64, 16, 56, 56)
    """
    if not (isinstance(input_shape, (tuple, list)) and len(input_shape) == 5):
        raise ValueError(f"input_shape must be (B, C, T, H, W), got {input_shape!r}.")
    B, C = (check_int(v, n) for v, n in zip(input_shape[:2], ("B", "C")))
    out_channels = check_int(out_channels, "out_channels")
    k = _triple(kernel_size, "kernel_size", 1)
    s = _triple(stride, "stride", 1)
    p = _triple(padding, "padding", 0)
    out = []
    for n, kk, ss, pp, axis in zip(input_shape[2:], k, s, p, "THW"):
        n = check_int(n, axis)
        if n + 2 * pp < kk:
            raise ValueError(f"the kernel ({kk}) is longer than the padded {axis} axis ({n} + 2·{pp}).")
        out.append((n + 2 * pp - kk) // ss + 1)
    return (B, out_channels, *out)


def conv_cost(c_in: int, c_out: int, kernel_size, out_size) -> dict[str, int]:
    """Parameters and multiply-accumulates of one convolution (bias included in the parameters).

    Defined in :ref:`sec-video-conv3d` (Eq. :eq:`eq-video-conv3d-cost`).

    Parameters
    ----------
    c_in, c_out : int
    kernel_size : tuple of int
        (K_H, K_W) for 2D, (K_T, K_H, K_W) for 3D.
    out_size : tuple of int
        The output's spatial (and temporal) size, same length as ``kernel_size``.

    Returns
    -------
    dict
        ``{"params": c_out·(c_in·∏K + 1), "macs": c_out·c_in·∏K·∏out}``.

    Examples
    --------
    >>> conv_cost(64, 64, (3, 3, 3), (8, 56, 56))["params"], conv_cost(64, 64, (3, 3), (56, 56))["params"]
    (110656, 36928)
    """
    c_in, c_out = check_int(c_in, "c_in"), check_int(c_out, "c_out")
    if not (isinstance(kernel_size, (tuple, list)) and isinstance(out_size, (tuple, list))
            and len(kernel_size) == len(out_size) and len(kernel_size) in (1, 2, 3)):
        raise ValueError(f"kernel_size and out_size must be tuples of the same length (1-3), got "
                         f"{kernel_size!r} and {out_size!r}.")
    k = 1
    for i, v in enumerate(kernel_size):
        k *= check_int(v, f"kernel_size[{i}]")
    n = 1
    for i, v in enumerate(out_size):
        n *= check_int(v, f"out_size[{i}]")
    return {"params": c_out * (c_in * k + 1), "macs": c_out * c_in * k * n}


def inflate_conv2d_weight(weight: torch.Tensor, K_T: int) -> torch.Tensor:
    """I3D inflation: repeat a 2D kernel K_T times along time and divide by K_T.

    Defined in :ref:`sec-video-inflation` (Eq. :eq:`eq-video-inflation`).

    Parameters
    ----------
    weight : (C_out, C_in, K_H, K_W) Tensor
        A trained ``nn.Conv2d`` weight.
    K_T : int
        Temporal kernel size (>= 1).

    Returns
    -------
    (C_out, C_in, K_T, K_H, K_W) Tensor
        ``W_3D[:, :, τ] = W / K_T`` for every τ: summed over time it is W again, so a clip of identical
        frames gives the 2D response at every time step (away from zero-padded ends of the clip).

    Examples
    --------
    >>> w = inflate_conv2d_weight(torch.ones(4, 3, 3, 3), 3)
    >>> tuple(w.shape), float(w.sum(2).max())
    ((4, 3, 3, 3, 3), 1.0)
    """
    check_shape(weight, "C_out C_in K_H K_W", name="weight")
    K_T = check_int(K_T, "K_T")
    return weight.unsqueeze(2).repeat(1, 1, K_T, 1, 1) / K_T          # (C_out, C_in, K_T, K_H, K_W)


def inflate_conv2d(conv: nn.Conv2d, K_T: int, temporal_stride: int = 1) -> nn.Conv3d:
    """An ``nn.Conv3d`` whose weight is the inflated weight of ``conv`` and whose bias is its bias.

    Defined in :ref:`sec-video-inflation` (Eq. :eq:`eq-video-inflation`).

    Parameters
    ----------
    conv : nn.Conv2d
        Without groups > 1 or dilation (the book's convolutions).
    K_T : int
        Temporal kernel size; the temporal padding is K_T // 2, so T is kept for odd K_T.
    temporal_stride : int
        Stride in time.

    Returns
    -------
    nn.Conv3d
        Same dtype as ``conv``. Use ``padding_mode="replicate"`` semantics by padding the clip yourself if
        the ends of the clip must also give the 2D response; zero padding (the default) mixes in empty frames.

    Examples
    --------
    >>> c3 = inflate_conv2d(nn.Conv2d(3, 8, 3, padding=1), 3)
    >>> c3.kernel_size, c3.padding
    ((3, 3, 3), (1, 1, 1))
    """
    if not isinstance(conv, nn.Conv2d) or conv.groups != 1 or conv.dilation != (1, 1):
        raise ValueError("conv must be an nn.Conv2d with groups=1 and dilation=1.")
    if isinstance(conv.padding, str):
        raise ValueError("conv must use numeric padding, not 'same'/'valid'.")
    K_T = check_int(K_T, "K_T")
    temporal_stride = check_int(temporal_stride, "temporal_stride")
    out = nn.Conv3d(conv.in_channels, conv.out_channels, (K_T, *conv.kernel_size),
                    stride=(temporal_stride, *conv.stride), padding=(K_T // 2, *conv.padding),
                    bias=conv.bias is not None, device=conv.weight.device, dtype=conv.weight.dtype)
    with torch.no_grad():
        out.weight.copy_(inflate_conv2d_weight(conv.weight, K_T))
        if conv.bias is not None:
            out.bias.copy_(conv.bias)
    return out


def slowfast_pathways(x: torch.Tensor, alpha: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample a clip for SlowFast: the slow pathway sees every α-th frame, the fast pathway all of them.

    Defined in :ref:`sec-video-slowfast` (Eq. :eq:`eq-video-slowfast`).

    Parameters
    ----------
    x : (B, C, T, H, W) Tensor
        The clip; T must be a multiple of α.
    alpha : int
        Frame-rate ratio α between the pathways (8 in the paper).

    Returns
    -------
    slow : (B, C, T / α, H, W) Tensor
        Frames 0, α, 2α, ...
    fast : (B, C, T, H, W) Tensor
        The clip itself.

    Examples
    --------
    >>> slow, fast = slowfast_pathways(torch.zeros(1, 3, 32, 8, 8), alpha=8)
    >>> slow.shape[2], fast.shape[2]
    (4, 32)
    """
    sizes = check_shape(x, "B C T H W")
    alpha = check_int(alpha, "alpha")
    if sizes["T"] % alpha:
        raise ValueError(f"T = {sizes['T']} must be a multiple of alpha = {alpha}.")
    return x[:, :, ::alpha], x                                       # (B, C, T/α, H, W), (B, C, T, H, W)


def slowfast_channels(slow_channels: int, beta: float = 1 / 8) -> int:
    """Width of the fast pathway: β times the slow pathway's channels (β = 1/8 in the paper).

    Defined in :ref:`sec-video-slowfast` (Eq. :eq:`eq-video-slowfast`).

    Parameters
    ----------
    slow_channels : int
    beta : float
        Channel ratio, in (0, 1].

    Returns
    -------
    int
        ``round(β · slow_channels)``, at least 1.

    Examples
    --------
    >>> slowfast_channels(64), slowfast_channels(2048)
    (8, 256)
    """
    slow_channels = check_int(slow_channels, "slow_channels")
    if not (isinstance(beta, (int, float)) and 0 < beta <= 1):
        raise ValueError(f"beta must be a number in (0, 1], got {beta!r}.")
    return max(1, round(beta * slow_channels))
