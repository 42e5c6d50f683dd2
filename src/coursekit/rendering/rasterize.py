"""A differentiable Gaussian rasteriser in PyTorch: depth sort, tile culling, front-to-back compositing.

Chapter 9 (3D Gaussian Splatting). Every op is a plain torch op, so autograd gives the gradients the
paper's CUDA kernels write by hand. Tiles make it fast: a Gaussian is only evaluated at the pixels of the
tiles its footprint touches, and the footprint is exactly the region where its opacity reaches 1/255,
so the tiled result equals the all-pairs one (:func:`rasterize_dense`, kept as the reference).

References
----------
B. Kerbl, G. Kopanas, T. Leimkühler and G. Drettakis, "3D Gaussian Splatting for Real-Time Radiance Field
Rendering", ACM TOG (SIGGRAPH) 2023, sec. 6 (the tile-based rasteriser).
T. Porter and T. Duff, "Compositing digital images", SIGGRAPH 1984 (the "over" operator).
"""

from __future__ import annotations

import math

import torch

from coursekit.core.validation import check_int, check_shape

__all__ = ["ALPHA_MIN", "ALPHA_MAX", "conic_and_radius", "gaussian_alpha", "composite", "rasterize",
           "rasterize_dense"]

ALPHA_MIN = 1.0 / 255.0      # contributions below this are skipped, as in the paper's rasteriser
ALPHA_MAX = 0.99             # opacity cap: light always survives a single Gaussian


def conic_and_radius(cov2d: torch.Tensor, opacity: torch.Tensor):
    """The inverse 2-D covariance ("conic") and the radius beyond which ``alpha < ALPHA_MIN``.

    Defined in :ref:`sec-gs-raster`.

    Parameters
    ----------
    cov2d : (N, 2, 2) Tensor of float
        Symmetric positive-definite 2-D covariances.
    opacity : (N,) Tensor of float
        Peak opacities in (0, 1).

    Returns
    -------
    conic : (N, 3) Tensor
        The entries ``(A, B, C)`` of ``Σ'^-1 = [[A, B], [B, C]]``.
    radius : (N,) Tensor
        ``sqrt(2 λ_max ln(o / ALPHA_MIN))`` (0 if ``o <= ALPHA_MIN``); not differentiated.

    Examples
    --------
    >>> conic, r = conic_and_radius(torch.eye(2)[None] * 4.0, torch.tensor([0.5]))
    >>> (conic + 0.0).tolist(), round(float(r[0]), 3)
    ([[0.25, 0.0, 0.25]], 6.228)
    """
    n = check_shape(cov2d, "N 2 2", "cov2d")["N"]
    check_shape(opacity, "N", "opacity", N=n)
    a, b, c = cov2d[:, 0, 0], cov2d[:, 0, 1], cov2d[:, 1, 1]
    det = a * c - b * b
    conic = torch.stack([c / det, -b / det, a / det], dim=-1)              # (N, 3)
    with torch.no_grad():
        mid = 0.5 * (a + c)
        lam = mid + torch.sqrt(torch.clamp_min(mid * mid - det, 0.0))      # (N,) largest eigenvalue
        log_ratio = torch.log(torch.clamp(opacity, max=ALPHA_MAX) / ALPHA_MIN)
        radius = torch.sqrt(2 * lam * torch.clamp_min(log_ratio, 0.0))
    return conic, radius


def gaussian_alpha(d: torch.Tensor, conic: torch.Tensor, opacity: torch.Tensor) -> torch.Tensor:
    """Opacity of a 2-D Gaussian at offsets ``d`` from its centre: ``min(0.99, o exp(-½ dᵀ Σ'^-1 d))``.

    Defined in :ref:`sec-gs-raster` (Eq. :eq:`eq-gs-alpha`).

    Parameters
    ----------
    d : (..., 2) Tensor of float
        Pixel centre minus projected Gaussian centre.
    conic : (..., 3) Tensor of float
        ``(A, B, C)`` of the inverse covariance, broadcastable against ``d``.
    opacity : (...) Tensor of float
        Peak opacity, broadcastable.

    Returns
    -------
    (...) Tensor
        Alpha, set to 0 where it is below ``ALPHA_MIN``.

    Examples
    --------
    >>> gaussian_alpha(torch.zeros(1, 2), torch.tensor([[1.0, 0.0, 1.0]]), torch.tensor([0.5])).tolist()
    [0.5]
    """
    dx, dy = d[..., 0], d[..., 1]
    power = -0.5 * (conic[..., 0] * dx * dx + 2 * conic[..., 1] * dx * dy + conic[..., 2] * dy * dy)
    alpha = torch.clamp(opacity * torch.exp(power), max=ALPHA_MAX)
    return torch.where(alpha < ALPHA_MIN, torch.zeros_like(alpha), alpha)


def composite(alpha: torch.Tensor, colors: torch.Tensor, background: torch.Tensor):
    """Front-to-back "over" compositing along the last axis: ``C = Σ_i c_i α_i T_i + T_N · bg``.

    Defined in :ref:`sec-gs-raster` (Eq. :eq:`eq-gs-composite`).

    Parameters
    ----------
    alpha : (..., K) Tensor of float
        Opacities of K layers sorted front to back.
    colors : (..., K, 3) Tensor of float
    background : (3,) Tensor of float

    Returns
    -------
    rgb : (..., 3) Tensor
    T_final : (...) Tensor
        Transmittance left after all layers, ``Π (1 - α_i)``.

    Examples
    --------
    >>> rgb, T = composite(torch.tensor([0.5, 0.5]), torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]), torch.zeros(3))
    >>> rgb.tolist(), float(T)
    ([0.5, 0.25, 0.0], 0.25)
    """
    survive = torch.cumprod(1.0 - alpha, dim=-1)                           # (..., K) after layer i
    T = torch.cat([torch.ones_like(alpha[..., :1]), survive[..., :-1]], dim=-1)   # (..., K) before i
    rgb = ((alpha * T)[..., None, :] @ colors)[..., 0, :] + survive[..., -1:] * background
    return rgb, survive[..., -1]


def _check(xy, conic, depth, opacity, colors):
    n = check_shape(xy, "N 2", "xy")["N"]
    check_shape(conic, "N 3", "conic", N=n)
    check_shape(depth, "N", "depth", N=n)
    check_shape(opacity, "N", "opacity", N=n)
    check_shape(colors, "N 3", "colors", N=n)
    return n


def rasterize_dense(xy, conic, depth, opacity, colors, H: int, W: int, background=None):
    """All-pairs reference rasteriser: every Gaussian at every pixel, sorted by depth, composited.

    Defined in :ref:`sec-gs-raster`.

    Parameters
    ----------
    xy : (N, 2) Tensor
        Projected centres ``(x, y)`` in pixels.
    conic : (N, 3) Tensor
        Inverse 2-D covariances ``(A, B, C)``.
    depth : (N,) Tensor
        Depths; Gaussians with depth <= 0.01 (behind the camera) are skipped.
    opacity : (N,) Tensor
        Peak opacities in (0, 1).
    colors : (N, 3) Tensor
    H, W : int
    background : (3,) Tensor, optional
        Defaults to white.

    Returns
    -------
    (H, W, 3) Tensor

    Examples
    --------
    >>> img = rasterize_dense(torch.tensor([[2.0, 2.0]]), torch.tensor([[1.0, 0.0, 1.0]]),
    ...                       torch.ones(1), torch.tensor([0.5]), torch.zeros(1, 3), 4, 4)
    >>> round(float(img[1, 1, 0]), 4)   # pixel (1.5, 1.5): white behind a half-opaque black splat
    0.6106
    """
    _check(xy, conic, depth, opacity, colors)
    bg = torch.ones(3, dtype=xy.dtype) if background is None else background
    order = torch.argsort(depth.detach())
    order = order[depth.detach()[order] > 0.01]
    jj, ii = torch.meshgrid(torch.arange(W, dtype=xy.dtype) + 0.5, torch.arange(H, dtype=xy.dtype) + 0.5,
                            indexing="xy")
    pix = torch.stack([jj, ii], dim=-1).reshape(-1, 1, 2)                   # (H*W, 1, 2)
    alpha = gaussian_alpha(pix - xy[order], conic[order], opacity[order])   # (H*W, N)
    rgb, _ = composite(alpha, colors[order].expand(len(pix), -1, -1), bg)
    return rgb.reshape(H, W, 3)


def rasterize(xy, conic, depth, opacity, colors, H: int, W: int, background=None, radius=None,
              tile: int = 4):
    """Tile-culled differentiable rasteriser: equal to :func:`rasterize_dense`, much less work.

    Defined in :ref:`sec-gs-raster` (Eqs. :eq:`eq-gs-alpha` and :eq:`eq-gs-composite`).

    Parameters
    ----------
    xy, conic, depth, opacity, colors, H, W, background
        As in :func:`rasterize_dense`.
    radius : (N,) Tensor, optional
        Footprint radii from :func:`conic_and_radius`; needed for culling (computed here from the conic
        if omitted).
    tile : int
        Side of a square tile in pixels.

    Returns
    -------
    (H, W, 3) Tensor

    Notes
    -----
    1. Sort the Gaussians front to back by depth (not differentiated; it only orders the sum).
    2. For every tile, list the Gaussians whose footprint box (centre ± radius) overlaps it, in depth
       order; all lists laid end to end form M (tile, Gaussian) pairs.
    3. For each of the P pixels of a tile and each pair, alpha (P, M); the transmittance before each pair
       is ``exp`` of the running sum of ``log(1 - alpha)`` restarted at the start of its tile's list.
    4. Sum the weighted colours of each tile's pairs (``index_add``), add the background times the light
       left, and un-tile the image.

    Examples
    --------
    >>> args = (torch.tensor([[2.0, 2.0]]), torch.tensor([[1.0, 0.0, 1.0]]), torch.ones(1),
    ...         torch.tensor([0.5]), torch.zeros(1, 3), 4, 4)
    >>> torch.allclose(rasterize(*args, tile=2), rasterize_dense(*args))
    True
    """
    _check(xy, conic, depth, opacity, colors)
    H, W, tile = check_int(H, "H"), check_int(W, "W"), check_int(tile, "tile")
    bg = torch.ones(3, dtype=xy.dtype) if background is None else background
    if radius is None:
        A, B, C = conic.detach().unbind(-1)
        det = A * C - B * B
        _, radius = conic_and_radius(torch.stack([C, -B, -B, A], -1).reshape(-1, 2, 2) / det[:, None, None],
                                     opacity.detach())
    th, tw = math.ceil(H / tile), math.ceil(W / tile)
    with torch.no_grad():
        order = torch.argsort(depth)                                        # (N,) front to back
        c, r = xy[order], radius[order]
        visible = (depth[order] > 0.01) & (r > 0)
        x0, x1 = torch.floor((c[:, 0] - r) / tile), torch.floor((c[:, 0] + r) / tile)
        y0, y1 = torch.floor((c[:, 1] - r) / tile), torch.floor((c[:, 1] + r) / tile)
        ty, tx = torch.meshgrid(torch.arange(th), torch.arange(tw), indexing="ij")
        tx, ty = tx.reshape(-1), ty.reshape(-1)                             # (T,) tile coordinates
        hits = (visible[None] & (tx[:, None] >= x0) & (tx[:, None] <= x1)
                & (ty[:, None] >= y0) & (ty[:, None] <= y1))                # (T, N) in depth order
        t_id, g = hits.nonzero(as_tuple=True)                               # (M,) pairs, by tile then depth
        gid = order[g]                                                      # (M,) Gaussian of each pair
        counts = torch.bincount(t_id, minlength=th * tw)
        start = (torch.cumsum(counts, 0) - counts)[t_id]                    # (M,) first pair of its tile
    jj, ii = torch.meshgrid(torch.arange(tile, dtype=xy.dtype), torch.arange(tile, dtype=xy.dtype),
                            indexing="xy")
    px = (tx[t_id] * tile).to(xy.dtype)[None] + jj.reshape(-1, 1) + 0.5    # (P, M) pixel centres
    py = (ty[t_id] * tile).to(xy.dtype)[None] + ii.reshape(-1, 1) + 0.5
    dx, dy = px - xy[gid, 0], py - xy[gid, 1]                               # (P, M)
    A, B, C = conic[gid, 0], conic[gid, 1], conic[gid, 2]                   # (M,) each
    power = -0.5 * (A * dx * dx + 2 * B * dx * dy + C * dy * dy)
    alpha = torch.clamp(opacity[gid] * torch.exp(power), max=ALPHA_MAX)   # (P, M) Eq. eq-gs-alpha
    alpha = torch.where(alpha < ALPHA_MIN, torch.zeros_like(alpha), alpha)
    # front-to-back transmittance inside each tile's run of pairs: exclusive cumulative sums of
    # log(1 - alpha), restarted at each tile (float64 sums, so that long runs lose no precision)
    log_keep = torch.log1p(-alpha).double()                                # (P, M)
    excl = torch.cumsum(log_keep, dim=1) - log_keep                         # (P, M) sum over pairs before
    T = torch.exp(excl - excl[:, start]).to(xy.dtype)                       # (P, M) T_i within the tile
    w = alpha * T                                                           # (P, M) weights
    P = tile * tile
    rgb = torch.zeros(P, th * tw, 3, dtype=xy.dtype).index_add(1, t_id, w[..., None] * colors[gid])
    T_end = torch.exp(torch.zeros(P, th * tw, dtype=torch.float64).index_add(1, t_id, log_keep))
    rgb = (rgb + T_end.to(xy.dtype)[..., None] * bg).transpose(0, 1)        # (T, P, 3)
    img = rgb.reshape(th, tw, tile, tile, 3).permute(0, 2, 1, 3, 4).reshape(th * tile, tw * tile, 3)
    return img[:H, :W]
