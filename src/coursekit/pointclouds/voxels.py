"""Voxel grids: occupancy from a point cloud, and what a dense grid costs in memory.

Used by Chapter 8 (voxel grids and their O(R³) memory; why point-based networks exist).

References
----------
D. Maturana and S. Scherer, "VoxNet: A 3D Convolutional Neural Network for Real-Time Object Recognition",
IROS 2015. Z. Wu et al., "3D ShapeNets: A Deep Representation for Volumetric Shapes", CVPR 2015.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int, check_positive

__all__ = ["voxel_indices", "voxelize", "dense_grid_bytes"]


def voxel_indices(points: np.ndarray, resolution: int, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """The integer cell ``(i, j, l)`` of every point in an R×R×R grid over the cube [lo, hi]³.

    Defined in :ref:`sec-pc-voxels` (Eq. :eq:`eq-pc-voxel-index`).

    Parameters
    ----------
    points : (N, 3) ndarray of float
        Must lie inside [lo, hi]³ (the right boundary ``hi`` belongs to the last cell).
    resolution : int
        Cells R per axis.
    lo, hi : float
        The cube's extent.

    Returns
    -------
    (N, 3) ndarray of int64
        ``floor((p - lo) / s)`` with cell size ``s = (hi - lo) / R``, indexed ``[x, y, z]``.

    Examples
    --------
    >>> voxel_indices(np.array([[-1.0, 0.0, 1.0]]), 4).tolist()
    [[0, 2, 3]]
    """
    check_array(points, "points", ndim=2, dtype_kind="fiu", shape=(None, 3))
    R = check_int(resolution, "resolution")
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}.")
    P = points.astype(np.float64)
    if P.size and (P.min() < lo or P.max() > hi):
        raise ValueError(f"points must lie in [{lo}, {hi}]³, got coordinates in [{P.min():.3g}, {P.max():.3g}].")
    s = (hi - lo) / R                                      # cell size
    return np.minimum(np.floor((P - lo) / s), R - 1).astype(np.int64)   # (N, 3); hi goes to the last cell


def voxelize(points: np.ndarray, resolution: int, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """Occupancy grid: a cell is True when at least one point falls in it.

    Defined in :ref:`sec-pc-voxels` (Eq. :eq:`eq-pc-voxel-index`).

    Parameters
    ----------
    points : (N, 3) ndarray of float
    resolution : int
        R.
    lo, hi : float
        The cube [lo, hi]³ the grid covers.

    Returns
    -------
    (R, R, R) ndarray of bool
        Indexed ``[x, y, z]``; it holds R³ bytes whatever the number of points.

    Examples
    --------
    >>> voxelize(np.array([[0.1, 0.1, 0.1], [0.2, 0.2, 0.2], [-0.9, 0.0, 0.0]]), 2).sum()
    np.int64(2)
    """
    ijk = voxel_indices(points, resolution, lo, hi)        # (N, 3)
    grid = np.zeros((resolution,) * 3, dtype=bool)         # (R, R, R)
    grid[ijk[:, 0], ijk[:, 1], ijk[:, 2]] = True
    return grid


def dense_grid_bytes(resolution: int, channels: int = 1, itemsize: int = 4) -> int:
    """Bytes of a dense R×R×R grid with C channels: ``R³ · C · itemsize``.

    Defined in :ref:`sec-pc-voxels` (Eq. :eq:`eq-pc-voxel-memory`).

    Parameters
    ----------
    resolution : int
        R.
    channels : int
        C values per cell (1 for occupancy, 64 for a feature map of a 3D CNN).
    itemsize : int
        Bytes per value (4 for float32, 1 for bool).

    Returns
    -------
    int

    Examples
    --------
    >>> dense_grid_bytes(128, channels=64) / 2**20      # one float32 feature map, in MiB
    512.0
    """
    R = check_int(resolution, "resolution")
    C = check_int(channels, "channels")
    return int(R) ** 3 * C * int(check_positive(itemsize, "itemsize"))
