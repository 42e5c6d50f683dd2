"""Volume rendering: NeRF's quadrature weights, and why they are front-to-back alpha compositing.

Chapter 9 (NeRF). :func:`volume_weights` is the NumPy reference the chapter derives; :func:`alpha_composite`
is the "over" operator applied one sample at a time (a plain loop); :func:`volume_render` is the batched
torch version that NeRF trains through. The tests hold all three equal.

References
----------
N. Max, "Optical models for direct volume rendering", IEEE TVCG 1995.
B. Mildenhall et al., "NeRF: Representing scenes as neural radiance fields for view synthesis", ECCV 2020,
sec. 4 (Eq. 3).
T. Porter and T. Duff, "Compositing digital images", SIGGRAPH 1984.
"""

from __future__ import annotations

import numpy as np
import torch

from coursekit.core.validation import check_array, check_shape

__all__ = ["volume_weights", "alpha_composite", "volume_render"]


def volume_weights(sigma: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Rendering weights ``w_i = T_i (1 − exp(−σ_i δ_i))`` with ``T_i = exp(−Σ_{j<i} σ_j δ_j)``.

    Defined in :ref:`sec-nerf-volume-rendering` (Eq. :eq:`eq-nerf-weights`).

    Parameters
    ----------
    sigma : (R, S) ndarray of float
        Density at each of S samples along R rays; >= 0.
    delta : (R, S) ndarray of float
        Distance between consecutive samples; >= 0.

    Returns
    -------
    (R, S) ndarray of float64
        Weights; each row sums to ``1 − T_{S+1} <= 1`` (the rest is background).

    Examples
    --------
    >>> volume_weights(np.array([[0.0, np.inf]]), np.array([[1.0, 1.0]])).tolist()
    [[0.0, 1.0]]
    """
    sigma = np.asarray(sigma, dtype=np.float64)                             # inf allowed: an opaque wall
    if sigma.ndim != 2 or np.isnan(sigma).any():
        raise ValueError(f"sigma must be a 2-D (R, S) array without NaN, got shape {sigma.shape}.")
    delta = check_array(np.asarray(delta, dtype=np.float64), "delta", shape=sigma.shape)
    if np.any(sigma < 0) or np.any(delta < 0):
        raise ValueError("sigma and delta must be non-negative.")
    with np.errstate(invalid="ignore"):
        tau = np.where(sigma == 0, 0.0, sigma * delta)                      # (R, S) optical thickness
    alpha = 1.0 - np.exp(-tau)                                              # (R, S) opacity of segment i
    T = np.exp(-np.concatenate([np.zeros_like(tau[:, :1]), np.cumsum(tau, -1)[:, :-1]], -1))  # (R, S)
    return T * alpha


def alpha_composite(alpha: np.ndarray, colors: np.ndarray, background) -> np.ndarray:
    """Front-to-back "over" compositing, one sample at a time: ``C ← C + T α_i c_i``, ``T ← T (1 − α_i)``.

    Defined in :ref:`sec-nerf-volume-rendering` (Eq. :eq:`eq-over`).

    Parameters
    ----------
    alpha : (R, S) ndarray of float
        Opacities in [0, 1], front to back.
    colors : (R, S, 3) ndarray of float
    background : (3,) array_like of float

    Returns
    -------
    (R, 3) ndarray of float64

    Examples
    --------
    >>> alpha_composite(np.array([[0.5, 1.0]]), np.array([[[1.0, 0, 0], [0, 0, 1.0]]]), np.ones(3)).tolist()
    [[0.5, 0.0, 0.5]]
    """
    alpha = check_array(np.asarray(alpha, dtype=np.float64), "alpha", ndim=2)
    colors = check_array(np.asarray(colors, dtype=np.float64), "colors", shape=(*alpha.shape, 3))
    C = np.zeros((alpha.shape[0], 3))
    T = np.ones((alpha.shape[0], 1))                                        # light still reaching us
    for i in range(alpha.shape[1]):
        C += T * alpha[:, i:i + 1] * colors[:, i]
        T *= 1.0 - alpha[:, i:i + 1]
    return C + T * np.asarray(background, dtype=np.float64)


def volume_render(sigma: torch.Tensor, rgb: torch.Tensor, t: torch.Tensor, far: torch.Tensor,
                  background: torch.Tensor):
    """Batched, differentiable volume rendering of R rays with S samples each.

    Defined in :ref:`sec-nerf-volume-rendering` (Eqs. :eq:`eq-nerf-weights` and :eq:`eq-nerf-color`).

    Parameters
    ----------
    sigma : (R, S) Tensor of float
        Densities, >= 0.
    rgb : (R, S, 3) Tensor of float
        Colours at the samples.
    t : (R, S) Tensor of float
        Increasing sample positions along each ray.
    far : (R,) Tensor of float
        End of each ray's interval (the last sample's segment ends there).
    background : (3,) Tensor of float

    Returns
    -------
    color : (R, 3) Tensor
        ``Σ w_i c_i + (1 − Σ w_i) · background``.
    depth : (R,) Tensor
        Expected termination distance ``Σ w_i t_i`` (of the surface part).
    weights : (R, S) Tensor
        ``w_i``, for hierarchical sampling.

    Examples
    --------
    >>> c, d, w = volume_render(torch.tensor([[0.0, 1e9]]), torch.ones(1, 2, 3) * 0.2,
    ...                         torch.tensor([[1.0, 2.0]]), torch.tensor([3.0]), torch.ones(3))
    >>> [round(x, 4) for x in c[0].tolist()], w.tolist()
    ([0.2, 0.2, 0.2], [[0.0, 1.0]])
    """
    R, S = check_shape(sigma, "R S", "sigma").values()
    check_shape(rgb, "R S 3", "rgb", R=R, S=S)
    check_shape(t, "R S", "t", R=R, S=S)
    check_shape(far, "R", "far", R=R)
    delta = torch.cat([t[:, 1:] - t[:, :-1], far[:, None] - t[:, -1:]], dim=-1)   # (R, S)
    tau = sigma * delta
    alpha = 1.0 - torch.exp(-tau)                                           # (R, S)
    T = torch.exp(-torch.cat([torch.zeros_like(tau[:, :1]), torch.cumsum(tau, -1)[:, :-1]], -1))
    weights = T * alpha                                                     # (R, S) Eq. eq-nerf-weights
    acc = weights.sum(-1)                                                   # (R,)
    color = (weights[..., None] * rgb).sum(-2) + (1 - acc)[:, None] * background
    return color, (weights * t).sum(-1), weights
