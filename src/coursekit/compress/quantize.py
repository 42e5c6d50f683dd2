"""Uniform integer quantisation: scale and zero point, symmetric or asymmetric, per tensor or per channel.

Chapter 14 (Transformer advances). A float x is stored as an integer q = clamp(round(x / s) + z, q_min, q_max) and
read back as x̂ = s (q − z). Symmetric quantisation fixes z = 0 and a range [−max|x|, max|x|]; asymmetric
quantisation maps [min x, max x] onto the whole integer range with a zero point. One (s, z) for a whole tensor is
*per-tensor*; one per output row of a weight matrix is *per-channel*, which protects rows of small weights from
a few large ones. :func:`fake_quantize_model` replaces every ``nn.Linear`` weight by its quantised-and-restored
copy, so the accuracy cost can be measured with ordinary float code.

References
----------
B. Jacob et al., "Quantization and training of neural networks for efficient integer-arithmetic-only inference",
CVPR 2018 (affine quantisation with a zero point).
R. Krishnamoorthi, "Quantizing deep convolutional networks for efficient inference: a whitepaper", arXiv 2018
(per-channel vs per-tensor, symmetric vs asymmetric).
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import torch
from torch import nn

from coursekit.core.validation import check_int

__all__ = ["QuantizedTensor", "quantize", "dequantize", "fake_quantize", "fake_quantize_model"]


class QuantizedTensor(NamedTuple):
    """Integers q and the parameters that read them back, x̂ = scale · (q − zero_point).

    Attributes
    ----------
    q : Tensor of int64
        Same shape as the original tensor, values in [q_min, q_max].
    scale : Tensor of float
        Shape () per tensor, or the original shape with 1 on every axis but the channel axis.
    zero_point : Tensor of int64
        Broadcastable like ``scale``; 0 for symmetric quantisation.
    bits : int

    Examples
    --------
    >>> quantize(torch.tensor([0.0, 2.0]), bits=4).q.tolist()
    [0, 7]
    """

    q: torch.Tensor
    scale: torch.Tensor
    zero_point: torch.Tensor
    bits: int


def quantize(x: torch.Tensor, bits: int = 8, symmetric: bool = True, axis: int | None = None) -> QuantizedTensor:
    """Quantise: q = clamp(round(x / s) + z, q_min, q_max), s and z from the range of x (per tensor or channel).

    Defined in :ref:`sec-advances-quantization` (Eq. :eq:`eq-advances-quantize`).

    Parameters
    ----------
    x : Tensor of float
    bits : int
        b, 2 … 16.
    symmetric : bool
        True: signed integers in [−(2^(b−1) − 1), 2^(b−1) − 1], s = max|x| / (2^(b−1) − 1), z = 0.
        False: unsigned integers in [0, 2^b − 1], s = (max x − min x) / (2^b − 1), z = round(−min x / s),
        with the range widened to include 0 so that 0 is stored exactly.
    axis : int, optional
        The channel axis for per-channel quantisation (0 = output rows of an ``nn.Linear`` weight); None for
        one scale for the whole tensor.

    Returns
    -------
    QuantizedTensor

    Notes
    -----
    Rounding is to the nearest integer, ties to even (``torch.round``). A range of zero width gets s = 1.

    Examples
    --------
    >>> qt = quantize(torch.tensor([-1.0, 0.0, 0.5, 1.0]), bits=8)
    >>> qt.q.tolist(), round(float(qt.scale), 6)
    ([-127, 0, 64, 127], 0.007874)
    """
    if not isinstance(x, torch.Tensor) or not x.dtype.is_floating_point or x.numel() == 0:
        raise ValueError(f"x must be a non-empty float tensor, got {getattr(x, 'dtype', type(x).__name__)}.")
    b = check_int(bits, "bits", minimum=2, maximum=16)
    if axis is None:
        lo, hi = x.min(), x.max()                                          # () the whole tensor's range
    else:
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(f"axis must be an axis of x (ndim {x.ndim}), got {axis}.")
        others = [a for a in range(x.ndim) if a != axis % x.ndim]
        lo, hi = x.amin(dim=others, keepdim=True), x.amax(dim=others, keepdim=True)   # (1, .., C, .., 1)
    if symmetric:
        q_max = 2 ** (b - 1) - 1
        q_min = -q_max
        scale = torch.maximum(lo.abs(), hi.abs()) / q_max                   # s = max|x| / (2^(b-1) - 1)
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        zero = torch.zeros_like(scale, dtype=torch.int64)
    else:
        q_min, q_max = 0, 2 ** b - 1
        lo, hi = torch.clamp(lo, max=0.0), torch.clamp(hi, min=0.0)        # the range contains 0
        scale = (hi - lo) / (q_max - q_min)                                 # s = (max - min) / (2^b - 1)
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        zero = torch.round(-lo / scale).to(torch.int64)                     # z: the integer that stores 0.0
    q = torch.clamp(torch.round(x / scale) + zero, q_min, q_max).to(torch.int64)
    return QuantizedTensor(q, scale, zero, b)


def dequantize(qt: QuantizedTensor) -> torch.Tensor:
    """Dequantise: x̂ = s · (q − z).

    Defined in :ref:`sec-advances-quantization` (Eq. :eq:`eq-advances-quantize`).

    Parameters
    ----------
    qt : QuantizedTensor

    Returns
    -------
    Tensor of the scale's dtype

    Examples
    --------
    >>> dequantize(quantize(torch.tensor([0.0, 0.5, 2.55]), symmetric=False)).tolist()   # s = 0.01 (float32)
    [0.0, 0.5, 2.549999952316284]
    """
    return qt.scale * (qt.q - qt.zero_point).to(qt.scale.dtype)


def fake_quantize(x: torch.Tensor, bits: int = 8, symmetric: bool = True, axis: int | None = None) -> torch.Tensor:
    """dequantize(quantize(x)): the float tensor that the integers represent; its error is at most s/2 in range.

    Defined in :ref:`sec-advances-quantization` (Eq. :eq:`eq-advances-quantize`).

    Parameters
    ----------
    x, bits, symmetric, axis
        As :func:`quantize`.

    Returns
    -------
    Tensor
        The shape and dtype of ``x``.

    Examples
    --------
    >>> x = torch.linspace(-1, 1, 101)
    >>> bool((fake_quantize(x, bits=4) - x).abs().max() <= 1 / 7 / 2 + 1e-7)    # s = 1/7 for 4 bits
    True
    """
    return dequantize(quantize(x, bits, symmetric, axis))


def fake_quantize_model(model: nn.Module, bits: int = 8, symmetric: bool = True,
                        per_channel: bool = True) -> nn.Module:
    """A deep copy of ``model`` whose ``nn.Linear`` and ``nn.Conv2d`` weights are replaced by their quantised values.

    Defined in :ref:`sec-advances-quantization` (Eq. :eq:`eq-advances-quantize`).

    Parameters
    ----------
    model : nn.Module
    bits : int
    symmetric : bool
    per_channel : bool
        One scale per output channel (axis 0 of the weight) or one per weight tensor.

    Returns
    -------
    nn.Module
        The copy; biases and everything else stay float (as in int8 inference, where biases are int32).

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(4, 3))
    >>> q = fake_quantize_model(net, bits=2)
    >>> len(torch.unique(q[0].weight[0])) <= 3                        # 2 bits symmetric: {-s, 0, s}
    True
    """
    out = copy.deepcopy(model)
    with torch.no_grad():
        for m in out.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                m.weight.copy_(fake_quantize(m.weight, bits, symmetric, 0 if per_channel else None))
    return out
