"""Small plotting helpers shared by the chapters (matplotlib; colour-blind-safe colormaps).

Plotting is not the lesson, so these stay thin; they exist so that a chapter cell does not repeat the
same ten lines of matplotlib.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["decision_regions"]


def decision_regions(ax, predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray, title: str,
                     lim=((-1.6, 2.6), (-1.2, 1.7)), steps: int = 120, cmap: str = "cividis"):
    """Shade the class a 2-D classifier predicts at every grid point, and overlay the data.

    Parameters
    ----------
    ax : matplotlib Axes
    predict : callable
        Maps an (M, 2) array of points to (M,) integer labels.
    X : (N, 2) ndarray
        The data points; ``y`` (N,) their labels.
    title : str
    lim : ((x_min, x_max), (y_min, y_max))
        The plotted window.
    steps : int
        Grid points per axis (``steps**2`` predictions).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1])
    >>> decision_regions(ax, lambda Q: (Q.sum(1) > 1).astype(int), X, y, "toy", steps=10)
    >>> ax.get_title()
    'toy'
    >>> plt.close(fig)
    """
    gx, gy = np.meshgrid(np.linspace(*lim[0], steps), np.linspace(*lim[1], steps))   # (steps, steps) each
    Z = np.asarray(predict(np.c_[gx.ravel(), gy.ravel()])).reshape(gx.shape)         # (steps, steps)
    ax.contourf(gx, gy, Z, levels=np.arange(Z.max() + 2) - 0.5, cmap=cmap, alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, s=10, edgecolors="k", linewidths=0.3)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
