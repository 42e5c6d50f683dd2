"""A tiny NeRF: an MLP from (position, direction) to (density, colour), rendered by volume rendering.

Chapter 9. :class:`TinyNeRF` is the network; :func:`render_rays` is the whole NeRF forward pass (clip the
ray to the scene's box, stratified samples, a coarse pass without gradients, hierarchical samples from
its weights, the fine pass, volume rendering); :func:`train_nerf` fits it to posed images with the book's
training loop ``coursekit.training.fit``, mini-batches of rays drawn from all training views.
One network serves both passes (as in mip-NeRF) instead of the paper's two, which halves the work.

References
----------
B. Mildenhall et al., "NeRF: Representing scenes as neural radiance fields for view synthesis", ECCV 2020.
J. T. Barron et al., "Mip-NeRF: a multiscale representation for anti-aliasing neural radiance fields",
ICCV 2021 (one network for coarse and fine samples).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from coursekit.core.validation import check_array, check_generator, check_int, check_shape
from coursekit.rendering.encoding import encoding_dim, positional_encoding
from coursekit.rendering.rays import pixel_rays, ray_box
from coursekit.rendering.sampling import sample_pdf, stratified_samples
from coursekit.rendering.volume import volume_render
from coursekit.training.loop import FitConfig, fit

__all__ = ["NeRFConfig", "TinyNeRF", "render_rays", "render_image", "views_to_rays", "train_nerf"]


@dataclass
class NeRFConfig:
    """Architecture and sampling of :class:`TinyNeRF` (defaults: the chapter's recipe).

    Defined in :ref:`sec-nerf-model`.

    Parameters
    ----------
    L_xyz, L_dir : int
        Frequencies of the positional encoding of positions and of directions.
    width : int
        Hidden width of the MLP.
    depth : int
        Hidden layers before the density output.
    n_coarse, n_fine : int
        Stratified samples per ray, and extra samples drawn from the coarse weights.
    box_lo, box_hi : tuple of float
        The axis-aligned box that contains the scene; rays are sampled only inside it and positions are
        rescaled to [-1, 1] before encoding.
    background : tuple of float
        Colour behind the scene (the renders' white).

    Examples
    --------
    >>> NeRFConfig().n_coarse + NeRFConfig().n_fine
    32
    """

    L_xyz: int = 6
    L_dir: int = 3
    width: int = 48
    depth: int = 2
    n_coarse: int = 16
    n_fine: int = 16
    box_lo: tuple = (-1.6, -1.6, -0.05)
    box_hi: tuple = (1.6, 1.6, 1.3)
    background: tuple = (1.0, 1.0, 1.0)


class TinyNeRF(nn.Module):
    """``F(γ(x), γ(d)) → (σ, c)``: density from position only, colour from position and direction.

    Defined in :ref:`sec-nerf-model` (Eq. :eq:`eq-nerf-mlp`).

    Parameters
    ----------
    config : NeRFConfig, optional
    generator : torch.Generator, optional
        Seeds the initial weights (default: seed 0).

    Examples
    --------
    >>> m = TinyNeRF(NeRFConfig(width=16, depth=1))
    >>> sigma, rgb = m(torch.zeros(5, 3), torch.tensor([[0.0, 0.0, 1.0]] * 5))
    >>> sigma.shape, rgb.shape, bool((sigma >= 0).all() and (rgb > 0).all() and (rgb < 1).all())
    (torch.Size([5]), torch.Size([5, 3]), True)
    """

    def __init__(self, config: NeRFConfig | None = None, generator: torch.Generator | None = None):
        super().__init__()
        self.config = c = NeRFConfig() if config is None else config
        check_int(c.width, "config.width")
        check_int(c.depth, "config.depth")
        layers, d_in = [], encoding_dim(3, c.L_xyz)
        for _ in range(c.depth):
            layers += [nn.Linear(d_in, c.width), nn.ReLU()]
            d_in = c.width
        self.trunk = nn.Sequential(*layers)
        self.sigma_head = nn.Linear(c.width, 1)
        self.color_head = nn.Sequential(nn.Linear(c.width + encoding_dim(3, c.L_dir), c.width // 2), nn.ReLU(),
                                        nn.Linear(c.width // 2, 3))
        g = torch.Generator().manual_seed(0) if generator is None else generator
        for m in self.modules():
            if isinstance(m, nn.Linear):
                bound = 1.0 / np.sqrt(m.in_features)
                with torch.no_grad():
                    m.weight.uniform_(-bound * np.sqrt(3), bound * np.sqrt(3), generator=g)
                    m.bias.zero_()
        self.register_buffer("lo", torch.tensor(c.box_lo, dtype=torch.float32))
        self.register_buffer("hi", torch.tensor(c.box_hi, dtype=torch.float32))

    def forward(self, x: torch.Tensor, d: torch.Tensor):
        """Density (N,) >= 0 and colour (N, 3) in (0, 1) at points ``x`` (N, 3) seen along ``d`` (N, 3)."""
        n = check_shape(x, "N 3", "x")["N"]
        check_shape(d, "N 3", "d", N=n)
        x01 = 2 * (x - self.lo) / (self.hi - self.lo) - 1                  # (N, 3) box → [-1, 1]
        h = self.trunk(positional_encoding(x01, self.config.L_xyz))        # (N, width)
        sigma = nn.functional.softplus(self.sigma_head(h)[:, 0] - 1.0)     # (N,) density
        rgb = torch.sigmoid(self.color_head(torch.cat([h, positional_encoding(d, self.config.L_dir)], -1)))
        return sigma, rgb


def render_rays(model: TinyNeRF, origins: torch.Tensor, directions: torch.Tensor, generator=None,
                fine: bool = True):
    """Render R rays with a :class:`TinyNeRF`: coarse samples, then hierarchical ones, then compositing.

    Defined in :ref:`sec-nerf-model`.

    Parameters
    ----------
    model : TinyNeRF
    origins, directions : (R, 3) Tensor of float
        Ray origins and unit directions.
    generator : torch.Generator, optional
        Jitters the stratified samples and draws the hierarchical ones (training); ``None`` uses bin
        midpoints and evenly spaced CDF levels (rendering, deterministic).
    fine : bool
        Add the hierarchical pass (``False``: coarse samples only).

    Returns
    -------
    color : (R, 3) Tensor
    depth : (R,) Tensor
    weights : (R, S) Tensor
    t : (R, S) Tensor
        The sample positions used for the returned rendering.

    Notes
    -----
    1. Clip each ray to the scene box (:func:`~coursekit.rendering.rays.ray_box`); a ray that misses it
       renders the background (its weights and samples are returned as zeros).
    2. ``n_coarse`` stratified samples; evaluate the MLP without gradients; volume-render the weights.
    3. ``n_fine`` samples from the PDF of those weights (inverse CDF), merged with the coarse ones.
    4. Evaluate the MLP at all samples (with gradients) and volume-render the colour.
    """
    c = model.config
    R = check_shape(origins, "R 3", "origins")["R"]
    check_shape(directions, "R 3", "directions", R=R)
    bg = torch.tensor(c.background, dtype=origins.dtype)
    near, far = ray_box(origins, directions, c.box_lo, c.box_hi)
    hit = far > near                                                        # (R,) rays that cross the box
    S = c.n_coarse + (c.n_fine if fine else 0)
    color = bg.expand(R, 3).clone()                                         # misses show the background
    depth, w_all, t_all = (torch.zeros(R, dtype=origins.dtype), torch.zeros(R, S, dtype=origins.dtype),
                           torch.zeros(R, S, dtype=origins.dtype))
    if not bool(hit.any()):
        return color, depth, w_all, t_all
    o, d, near, far = origins[hit], directions[hit], near[hit], far[hit]
    t = stratified_samples(near, far, c.n_coarse, generator)                # (r, Sc)
    if fine and c.n_fine > 0:
        with torch.no_grad():
            x = o[:, None] + t[..., None] * d[:, None]                      # (r, Sc, 3)
            sigma, rgb = model(x.reshape(-1, 3), d.repeat_interleave(t.shape[1], 0))
            _, _, w = volume_render(sigma.reshape(t.shape), rgb.reshape(*t.shape, 3), t, far, bg)
            mids = 0.5 * (t[:, 1:] + t[:, :-1])
            bins = torch.cat([near[:, None], mids, far[:, None]], -1)      # (r, Sc + 1) interval edges
            t_fine = sample_pdf(bins, w, c.n_fine, generator)               # (r, Sf)
            t = torch.sort(torch.cat([t, t_fine], -1), -1).values           # (r, Sc + Sf)
    x = o[:, None] + t[..., None] * d[:, None]                              # (r, S, 3)
    sigma, rgb = model(x.reshape(-1, 3), d.repeat_interleave(t.shape[1], 0))
    col, dep, w = volume_render(sigma.reshape(t.shape), rgb.reshape(*t.shape, 3), t, far, bg)
    color = color.index_put((hit,), col)
    depth = depth.index_put((hit,), dep)
    return color, depth, w_all.index_put((hit,), w), t_all.index_put((hit,), t)


def views_to_rays(K: np.ndarray, c2w: np.ndarray, H: int, W: int, images: np.ndarray | None = None):
    """All rays (and their pixel colours) of V posed views, flattened, as float32 tensors.

    Defined in :ref:`sec-nerf-model`.

    Parameters
    ----------
    K : (3, 3) ndarray of float
    c2w : (V, 4, 4) ndarray of float
    H, W : int
    images : (V, H, W, 3) ndarray of float, optional

    Returns
    -------
    tuple of Tensor
        ``(origins, directions)`` of shape (V H W, 3) each, plus ``colors`` (V H W, 3) if images are given.

    Examples
    --------
    >>> K = np.array([[8.0, 0, 4], [0, 8.0, 4], [0, 0, 1]])
    >>> [r.shape for r in views_to_rays(K, np.eye(4)[None], 8, 8)]
    [torch.Size([64, 3]), torch.Size([64, 3])]
    """
    V = check_shape(c2w, "V 4 4", "c2w")["V"]
    rays = [pixel_rays(K, c2w[v], H, W) for v in range(V)]
    out = [torch.tensor(np.stack([r[k] for r in rays]).reshape(-1, 3), dtype=torch.float32) for k in (0, 1)]
    if images is not None:
        check_array(images, "images", shape=(V, H, W, 3))
        out.append(torch.tensor(images.reshape(-1, 3), dtype=torch.float32))
    return tuple(out)


def render_image(model: TinyNeRF, K: np.ndarray, c2w: np.ndarray, H: int, W: int, chunk: int = 4096):
    """Render one view (deterministic samples, no gradients).

    Defined in :ref:`sec-nerf-model`.

    Parameters
    ----------
    model : TinyNeRF
    K : (3, 3) ndarray of float
    c2w : (4, 4) ndarray of float
    H, W : int
    chunk : int
        Rays per forward pass.

    Returns
    -------
    rgb : (H, W, 3) ndarray of float64
    depth : (H, W) ndarray of float64

    Examples
    --------
    >>> from coursekit.geometry.camera import look_at
    >>> K = np.array([[8.0, 0, 4], [0, 8.0, 4], [0, 0, 1]])
    >>> rgb, depth = render_image(TinyNeRF(NeRFConfig(width=8, depth=1)), K, look_at((0.0, -4.0, 2.0)), 8, 8)
    >>> rgb.shape, depth.shape
    ((8, 8, 3), (8, 8))
    """
    o, d = views_to_rays(K, np.asarray(c2w)[None], H, W)
    cols, deps = [], []
    with torch.no_grad():
        for i in range(0, len(o), chunk):
            c, z, _, _ = render_rays(model, o[i:i + chunk], d[i:i + chunk])
            cols.append(c)
            deps.append(z)
    return (torch.cat(cols).reshape(H, W, 3).double().clamp(0, 1).numpy(),
            torch.cat(deps).reshape(H, W).double().numpy())


def train_nerf(model: TinyNeRF, K: np.ndarray, c2w: np.ndarray, images: np.ndarray, config: FitConfig,
               generator: torch.Generator, progress: bool = True):
    """Fit a :class:`TinyNeRF` to posed images: MSE on mini-batches of rays with ``coursekit.training.fit``.

    Defined in :ref:`sec-nerf-model` (Eq. :eq:`eq-nerf-loss`).

    Parameters
    ----------
    model : TinyNeRF
        Trained in place.
    K : (3, 3) ndarray of float
    c2w : (V, 4, 4) ndarray of float
    images : (V, H, W, 3) ndarray of float
    config : FitConfig
        Epochs over all rays, rays per batch, learning rate.
    generator : torch.Generator
        Batch order, sample jitter and hierarchical draws.
    progress : bool

    Returns
    -------
    coursekit.training.loop.History

    Examples
    --------
    >>> from coursekit.geometry.camera import look_at
    >>> K = np.array([[4.0, 0, 2], [0, 4.0, 2], [0, 0, 1]])
    >>> m = TinyNeRF(NeRFConfig(width=8, depth=1, n_coarse=4, n_fine=4))
    >>> h = train_nerf(m, K, look_at((0.0, -4.0, 2.0))[None], np.ones((1, 4, 4, 3)),
    ...                FitConfig(epochs=2, batch_size=8), torch.Generator().manual_seed(0), progress=False)
    >>> len(h.loss), len(h.lr)
    (2, 4)
    """
    check_generator(generator)
    V, H, W = check_shape(images, "V H W 3", "images").values()
    data = views_to_rays(K, c2w, H, W, images)

    def loss_fn(m, batch):
        o, d, target = batch
        color, _, _, _ = render_rays(m, o, d, generator)
        return ((color - target) ** 2).mean()                              # Eq. eq-nerf-loss

    return fit(model, loss_fn, data, config, generator, progress=progress, desc="NeRF")
