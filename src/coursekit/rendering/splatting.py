"""3D Gaussian Splatting: the 59 parameters of a Gaussian, rendering a view, and fitting to images.

Chapter 9. A :class:`GaussianModel` holds N Gaussians, each with a centre (3), a rotation quaternion (4),
log-scales (3), an opacity logit (1) and degree-3 spherical-harmonic colour (16 × 3 = 48): 59 numbers.
:func:`render_gaussians` chains the chapter's steps (covariance → EWA projection → SH colour → tiled
rasteriser); :func:`fit_gaussians` optimises them with Adam on ``(1 − λ) L1 + λ D-SSIM`` and adaptive
density control (``coursekit.rendering.densify``). It keeps its own loop rather than
``coursekit.training.fit`` because densification changes the set of parameters during training and each
kind of parameter has its own learning rate, as in the paper.

References
----------
B. Kerbl, G. Kopanas, T. Leimkühler and G. Drettakis, "3D Gaussian Splatting for Real-Time Radiance Field
Rendering", ACM TOG (SIGGRAPH) 2023.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from coursekit.core.validation import check_array, check_generator, check_int, check_shape
from coursekit.rendering.densify import densify_and_prune
from coursekit.rendering.gaussians import covariance_3d, project_gaussians
from coursekit.rendering.losses import splat_loss
from coursekit.rendering.rasterize import conic_and_radius, rasterize
from coursekit.rendering.sh import rgb_to_sh_dc, sh_to_rgb

__all__ = ["PARAMS_PER_GAUSSIAN", "GaussianModel", "render_gaussians", "SplatConfig", "fit_gaussians"]

PARAMS_PER_GAUSSIAN = 3 + 4 + 3 + 1 + 16 * 3          # mean, quaternion, log-scale, opacity, SH: 59


class GaussianModel(nn.Module):
    """N anisotropic 3-D Gaussians with view-dependent colour (59 learnable numbers each).

    Defined in :ref:`sec-gs-covariance`.

    Parameters
    ----------
    means : (N, 3) Tensor of float
        Initial centres.
    rgb : (N, 3) Tensor of float
        Initial colours (set as the degree-0 SH coefficient; the higher degrees start at 0).
    scale : (N,) Tensor of float
        Initial isotropic standard deviation of each Gaussian.
    opacity : float
        Initial opacity of every Gaussian, in (0, 1).

    Examples
    --------
    >>> m = GaussianModel(torch.zeros(5, 3), torch.full((5, 3), 0.5), torch.full((5,), 0.1))
    >>> sum(p.numel() for p in m.parameters()) == 5 * PARAMS_PER_GAUSSIAN
    True
    """

    def __init__(self, means, rgb, scale, opacity: float = 0.1):
        super().__init__()
        n = check_shape(means, "N 3", "means")["N"]
        check_shape(rgb, "N 3", "rgb", N=n)
        check_shape(scale, "N", "scale", N=n)
        if not 0 < opacity < 1:
            raise ValueError(f"opacity must be in (0, 1), got {opacity}.")
        dt = means.dtype
        self.means = nn.Parameter(means.clone())                                        # (N, 3)
        self.quats = nn.Parameter(torch.tensor([1.0, 0, 0, 0], dtype=dt).repeat(n, 1))  # (N, 4)
        self.log_scales = nn.Parameter(torch.log(scale)[:, None].repeat(1, 3))         # (N, 3)
        self.opacity_logits = nn.Parameter(torch.full((n,), float(np.log(opacity / (1 - opacity))), dtype=dt))
        sh = torch.zeros(n, 16, 3, dtype=dt)
        sh[:, 0] = rgb_to_sh_dc(rgb)
        self.sh = nn.Parameter(sh)                                                       # (N, 16, 3)

    def __len__(self) -> int:
        return self.means.shape[0]

    def opacity(self) -> torch.Tensor:
        """Opacities ``sigmoid(logit)`` in (0, 1), shape (N,)."""
        return torch.sigmoid(self.opacity_logits)


def render_gaussians(model: GaussianModel, c2w, focal: float, H: int, W: int, background=None,
                     tile: int = 4, return_xy: bool = False):
    """Render one view of a :class:`GaussianModel`: the whole 3DGS forward pass.

    Defined in :ref:`sec-gs-raster`.

    Parameters
    ----------
    model : GaussianModel
    c2w : (4, 4) ndarray or Tensor of float
        Camera-to-world matrix (OpenGL convention).
    focal : float
        Focal length in pixels.
    H, W : int
    background : (3,) Tensor, optional
        Defaults to white.
    tile : int
        Tile side of the rasteriser.
    return_xy : bool
        Also return the projected centres (N, 2) with ``retain_grad`` set, for densification.

    Returns
    -------
    (H, W, 3) Tensor, or (image, xy)

    Notes
    -----
    Σ = R S Sᵀ Rᵀ → EWA projection ``J W Σ Wᵀ Jᵀ`` → conic and footprint → colour from SH at the viewing
    direction ``normalise(μ - o)`` → sort, cull to tiles, composite front to back.

    Examples
    --------
    >>> from coursekit.geometry.camera import look_at
    >>> m = GaussianModel(torch.zeros(1, 3), torch.tensor([[1.0, 0.0, 0.0]]), torch.full((1,), 0.3), 0.9)
    >>> img = render_gaussians(m, look_at((0.0, -3.0, 0.0)), 20.0, 16, 16)
    >>> img.shape, bool(img[8, 8, 0] > 0.9 and img[8, 8, 1] < 0.2), img[0, 0].tolist()
    (torch.Size([16, 16, 3]), True, [1.0, 1.0, 1.0])
    """
    if not isinstance(model, GaussianModel):
        raise ValueError(f"model must be a GaussianModel, got {type(model).__name__}.")
    dt = model.means.dtype
    c2w = torch.as_tensor(np.asarray(c2w) if not isinstance(c2w, torch.Tensor) else c2w, dtype=dt)
    check_shape(c2w, "4 4", "c2w")
    cov3d = covariance_3d(model.quats, model.log_scales)                    # (N, 3, 3)
    xy, depth, cov2d = project_gaussians(model.means, cov3d, c2w, focal, H, W)
    if return_xy:
        xy.retain_grad()
    opacity = model.opacity()
    conic, radius = conic_and_radius(cov2d, opacity)
    dirs = model.means - c2w[:3, 3]
    dirs = dirs / dirs.norm(dim=-1, keepdim=True)                           # (N, 3) viewing directions
    colors = sh_to_rgb(model.sh, dirs)                                      # (N, 3)
    img = rasterize(xy, conic, depth, opacity, colors, H, W, background, radius=radius, tile=tile)
    return (img, xy) if return_xy else img


@dataclass
class SplatConfig:
    """Settings of :func:`fit_gaussians` (defaults: the chapter's recipe, 32 × 32 views).

    Defined in :ref:`sec-gs-training`.

    Parameters
    ----------
    steps : int
        Optimisation steps, one training view each.
    lr_means, lr_sh, lr_opacity, lr_scales, lr_quats : float
        Adam learning rates per kind of parameter (higher SH degrees use ``lr_sh / 20``).
    lr_means_final : float
        The centres' rate decays exponentially from ``lr_means`` to this at the last step.
    sh_degree_every : int
        The SH degree in use grows by one every this many steps (0 first, 3 at most), as in the paper.
    lam : float
        λ of ``(1 − λ) L1 + λ D-SSIM``.
    densify_every : int
        Steps between two rounds of clone / split / prune.
    densify_until : int
        No densification after this step.
    grad_threshold : float
        Mean screen-space gradient norm above which a Gaussian is cloned (small) or split (large).
    size_threshold : float
        World-space scale separating "small" (clone) from "large" (split) Gaussians.
    min_opacity : float
        Gaussians below this opacity are pruned.
    max_gaussians : int
        Densification stops adding Gaussians beyond this count.

    Examples
    --------
    >>> SplatConfig().lam
    0.2
    """

    steps: int = 600
    lr_means: float = 2e-3
    lr_sh: float = 5e-3
    lr_opacity: float = 5e-2
    lr_scales: float = 5e-3
    lr_quats: float = 1e-3
    lr_means_final: float = 2e-5
    sh_degree_every: int = 150
    lam: float = 0.2
    densify_every: int = 100
    densify_until: int = 450
    grad_threshold: float = 3e-5
    size_threshold: float = 0.05
    min_opacity: float = 0.01
    max_gaussians: int = 5000


def _optimizer(model: GaussianModel, cfg: SplatConfig) -> torch.optim.Adam:
    return torch.optim.Adam([
        {"params": [model.means], "lr": cfg.lr_means},
        {"params": [model.quats], "lr": cfg.lr_quats},
        {"params": [model.log_scales], "lr": cfg.lr_scales},
        {"params": [model.opacity_logits], "lr": cfg.lr_opacity},
        {"params": [model.sh], "lr": cfg.lr_sh}], eps=1e-15)


def fit_gaussians(model: GaussianModel, images, c2w, focal: float, config: SplatConfig,
                  generator: torch.Generator, progress: bool = True):
    """Fit a :class:`GaussianModel` to posed images with Adam and adaptive density control (in place).

    Defined in :ref:`sec-gs-training` (Eq. :eq:`eq-gs-loss`).

    Parameters
    ----------
    model : GaussianModel
        Initial Gaussians; trained in place (its parameters are replaced when it densifies).
    images : (V, H, W, 3) ndarray of float
        Training views in [0, 1].
    c2w : (V, 4, 4) ndarray of float
        Their camera-to-world matrices.
    focal : float
    config : SplatConfig
    generator : torch.Generator
        Draws the view order and the positions of split Gaussians.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    dict
        ``loss`` (per step), ``count`` (Gaussians per step), ``seconds`` (wall time).

    Notes
    -----
    Each step renders one random training view, takes an Adam step on ``splat_loss``, and accumulates the
    norm of the gradient of each Gaussian's projected centre. The centres' rate decays exponentially and the
    SH degree in use grows by one every ``sh_degree_every`` steps, both as in the paper. Every ``densify_every`` steps (until
    ``densify_until``), :func:`~coursekit.rendering.densify.densify_and_prune` clones, splits and prunes,
    and the optimiser restarts on the new parameters. The SH coefficients of degree >= 1 use a 20 times
    smaller rate, as in the paper.

    Examples
    --------
    >>> from coursekit.geometry.camera import look_at
    >>> m = GaussianModel(torch.zeros(3, 3), torch.full((3, 3), 0.5), torch.full((3,), 0.3), 0.5)
    >>> imgs = np.zeros((1, 12, 12, 3), dtype=np.float32)
    >>> log = fit_gaussians(m, imgs, look_at((0.0, -3.0, 1.0))[None], 15.0, SplatConfig(steps=4),
    ...                     torch.Generator().manual_seed(0), progress=False)
    >>> len(log["loss"]), log["loss"][-1] < log["loss"][0]
    (4, True)
    """
    from tqdm.auto import tqdm

    check_array(images, "images", ndim=4, dtype_kind="f")
    V, H, W = check_shape(images, "V H W 3", "images").values()
    check_shape(c2w, "V 4 4", "c2w", V=V)
    check_generator(generator)
    check_int(config.steps, "config.steps")
    dt = model.means.dtype
    imgs = torch.as_tensor(images, dtype=dt)
    poses = torch.as_tensor(c2w, dtype=dt)
    opt = _optimizer(model, config)
    grad_sum = torch.zeros(len(model), dtype=dt)
    seen = torch.zeros(len(model), dtype=dt)
    log = {"loss": [], "count": []}
    start = time.perf_counter()
    decay = (config.lr_means_final / config.lr_means) ** (1.0 / max(config.steps - 1, 1))
    for step in tqdm(range(config.steps), desc="3DGS", disable=not progress):
        opt.param_groups[0]["lr"] = config.lr_means * decay**step
        degree = min(3, step // config.sh_degree_every)
        v = int(torch.randint(V, (1,), generator=generator))
        img, xy = render_gaussians(model, poses[v], focal, H, W, return_xy=True)
        loss = splat_loss(img, imgs[v], config.lam)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        model.sh.grad[:, 1:] /= 20.0                       # higher SH degrees learn 20x slower
        model.sh.grad[:, (degree + 1) ** 2:] = 0.0          # and only once their degree is switched on
        opt.step()
        with torch.no_grad():
            g = xy.grad.norm(dim=-1)
            grad_sum += g
            seen += (g > 0).to(dt)
        log["loss"].append(loss.item())
        log["count"].append(len(model))
        if (step + 1) % config.densify_every == 0 and step + 1 <= config.densify_until:
            densify_and_prune(model, grad_sum / seen.clamp_min(1), config.grad_threshold,
                              config.size_threshold, config.min_opacity, config.max_gaussians, generator)
            opt = _optimizer(model, config)
            grad_sum = torch.zeros(len(model), dtype=dt)
            seen = torch.zeros(len(model), dtype=dt)
    log["seconds"] = time.perf_counter() - start
    return log
