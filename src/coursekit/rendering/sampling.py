"""Where NeRF looks along a ray: stratified samples, and hierarchical samples from the weight PDF.

Chapter 9 (NeRF). Torch; randomness only from an explicit ``torch.Generator``.

References
----------
B. Mildenhall et al., "NeRF: Representing scenes as neural radiance fields for view synthesis", ECCV 2020,
sec. 4 and 5.2 (stratified and hierarchical volume sampling).
"""

from __future__ import annotations

import torch

from coursekit.core.validation import check_int, check_shape

__all__ = ["stratified_samples", "sample_pdf"]


def stratified_samples(near: torch.Tensor, far: torch.Tensor, S: int, generator=None) -> torch.Tensor:
    """One uniform sample in each of S equal bins of ``[near, far]`` (bin midpoints if no generator).

    Defined in :ref:`sec-nerf-sampling` (Eq. :eq:`eq-stratified`).

    Parameters
    ----------
    near, far : (R,) Tensor of float
    S : int
        Samples per ray.
    generator : torch.Generator, optional
        Jitters the samples inside their bins; ``None`` gives the deterministic midpoints.

    Returns
    -------
    (R, S) Tensor
        Increasing along each ray.

    Examples
    --------
    >>> stratified_samples(torch.zeros(1), torch.ones(1), 4).tolist()
    [[0.125, 0.375, 0.625, 0.875]]
    """
    R = check_shape(near, "R", "near")["R"]
    check_shape(far, "R", "far", R=R)
    S = check_int(S, "S")
    if generator is None:
        u = torch.full((R, S), 0.5, dtype=near.dtype)
    else:
        u = torch.rand(R, S, generator=generator, dtype=near.dtype)        # (R, S) position in each bin
    i = torch.arange(S, dtype=near.dtype)
    return near[:, None] + (far - near)[:, None] * (i + u) / S             # t_i, Eq. eq-stratified


def sample_pdf(bins: torch.Tensor, weights: torch.Tensor, n: int, generator=None, u=None) -> torch.Tensor:
    """Inverse-CDF samples from the piecewise-constant PDF that ``weights`` put on the intervals ``bins``.

    Defined in :ref:`sec-nerf-hierarchical` (Eq. :eq:`eq-inverse-cdf`).

    Parameters
    ----------
    bins : (R, M + 1) Tensor of float
        Increasing interval edges along each ray.
    weights : (R, M) Tensor of float
        Non-negative weight of each interval (normalised here; a tiny constant avoids 0/0).
    n : int
        Samples per ray.
    generator : torch.Generator, optional
        Uniform draws ``u``; ``None`` uses the evenly spaced ``u = (k + 0.5) / n``.
    u : (R, n) Tensor of float, optional
        The levels in [0, 1) to invert, given explicitly (then ``generator`` is not used).

    Returns
    -------
    (R, n) Tensor
        Sorted samples; not differentiated (``detach``), as in NeRF.

    Notes
    -----
    1. ``pdf = w / Σ w`` (plus 1e-5 per interval), ``cdf`` its running sum with a 0 in front.
    2. For each ``u``, find the interval k with ``cdf_k <= u < cdf_{k+1}`` (``searchsorted``).
    3. Interpolate linearly inside it: ``t = b_k + (u - cdf_k) / (cdf_{k+1} - cdf_k) (b_{k+1} - b_k)``.

    Examples
    --------
    >>> t = sample_pdf(torch.tensor([[0.0, 1.0, 2.0]]), torch.tensor([[0.0, 1.0]]), 2)
    >>> [round(x, 3) for x in t[0].tolist()]
    [1.25, 1.75]
    """
    R, M = check_shape(weights, "R M", "weights").values()
    check_shape(bins, "R M1", "bins", R=R, M1=M + 1)
    n = check_int(n, "n")
    if bool((weights < 0).any()):
        raise ValueError("weights must be non-negative.")
    w = weights.detach() + 1e-5
    pdf = w / w.sum(-1, keepdim=True)                                       # (R, M)
    cdf = torch.cat([torch.zeros_like(pdf[:, :1]), torch.cumsum(pdf, -1)], -1)   # (R, M + 1)
    cdf[:, -1] = 1.0
    if u is not None:
        check_shape(u, "R n", "u", R=R, n=n)
        u = u.to(w.dtype)
    elif generator is None:
        u = ((torch.arange(n, dtype=w.dtype) + 0.5) / n).expand(R, n).contiguous()
    else:
        u = torch.rand(R, n, generator=generator, dtype=w.dtype)
    k = torch.searchsorted(cdf, u, right=True).clamp(1, M) - 1              # (R, n) interval index
    c0, c1 = cdf.gather(1, k), cdf.gather(1, k + 1)
    b0, b1 = bins.detach().gather(1, k), bins.detach().gather(1, k + 1)
    t = b0 + (u - c0) / (c1 - c0).clamp_min(1e-12) * (b1 - b0)
    return torch.sort(t, dim=-1).values
