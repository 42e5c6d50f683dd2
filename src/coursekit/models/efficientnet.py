"""EfficientNet's compound scaling rule: depth, width and resolution grown together by one coefficient φ.

Chapter 4 (architectures).

References
----------
M. Tan and Q. V. Le, "EfficientNet: rethinking model scaling for CNNs", ICML 2019.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = ["Scaling", "compound_scaling"]


class Scaling(NamedTuple):
    """Multipliers of EfficientNet's compound scaling for one coefficient φ.

    Defined in :ref:`sec-compound-scaling` (Eq. :eq:`eq-compound-scaling`).

    Parameters
    ----------
    depth, width, resolution : float
        α^φ, β^φ and γ^φ: the factors on the number of layers, of channels and on the input side.
    flops : float
        (α β² γ²)^φ, the factor on the compute.

    Examples
    --------
    >>> Scaling(1.2, 1.1, 1.15, 1.92).width
    1.1
    """

    depth: float
    width: float
    resolution: float
    flops: float


def compound_scaling(phi: float, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15) -> Scaling:
    """EfficientNet's compound scaling: depth α^φ, width β^φ, resolution γ^φ, FLOPs ≈ (α β² γ²)^φ.

    Defined in :ref:`sec-compound-scaling` (Eq. :eq:`eq-compound-scaling`).

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
