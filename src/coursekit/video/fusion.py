"""Two-stream networks: stacked optical flow as input, and late fusion of the streams' class scores (Chapter 16).

Simonyan and Zisserman's two-stream network classifies a video twice: a spatial stream sees one RGB frame
(appearance), a temporal stream sees L consecutive flow fields stacked as 2L channels (motion). Late fusion
averages the two streams' softmax scores (or trains a linear classifier on them).

References
----------
K. Simonyan and A. Zisserman, "Two-stream convolutional networks for action recognition in videos",
NeurIPS 2014.
C. Feichtenhofer, A. Pinz and A. Zisserman, "Convolutional two-stream network fusion for video action
recognition", CVPR 2016.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.numerics import softmax
from coursekit.core.validation import check_array, check_int

__all__ = ["stack_flow", "late_fusion"]


def stack_flow(flow, L: int | None = None, start: int = 0) -> np.ndarray:
    """Stack L consecutive flow fields into the 2L-channel input of the temporal stream.

    Defined in :ref:`sec-video-two-stream` (Eq. :eq:`eq-video-stack-flow`).

    Parameters
    ----------
    flow : (T-1, H, W, 2) ndarray of float
        Flow between consecutive frames, ``(dx, dy)`` per pixel.
    L : int, optional
        Number of fields (default: all from ``start``).
    start : int
        First field.

    Returns
    -------
    (2L, H, W) ndarray of float64
        Channels ``dx_start, dy_start, dx_start+1, dy_start+1, ...``.

    Examples
    --------
    >>> stack_flow(np.zeros((7, 16, 16, 2)), L=5).shape
    (10, 16, 16)
    """
    flow = check_array(flow, "flow", ndim=4, dtype_kind="fiu").astype(np.float64)
    if flow.shape[-1] != 2:
        raise ValueError(f"flow must have shape (T-1, H, W, 2), got {flow.shape}.")
    start = check_int(start, "start", minimum=0, maximum=flow.shape[0] - 1)
    L = flow.shape[0] - start if L is None else check_int(L, "L", maximum=flow.shape[0] - start)
    f = flow[start:start + L]                                          # (L, H, W, 2)
    return f.transpose(0, 3, 1, 2).reshape(2 * L, *flow.shape[1:3])   # (2L, H, W)


def late_fusion(logits, weights=None) -> np.ndarray:
    """Late fusion: the weighted average of each stream's softmax scores.

    Defined in :ref:`sec-video-two-stream` (Eq. :eq:`eq-video-late-fusion`).

    Parameters
    ----------
    logits : sequence of (B, K) ndarray of float
        One array of class logits per stream.
    weights : sequence of float, optional
        Non-negative weight per stream (normalised to sum 1; default equal).

    Returns
    -------
    (B, K) ndarray of float64
        Fused class probabilities; each row sums to 1.

    Examples
    --------
    >>> spatial = np.log(np.array([[0.5, 0.5]]))      # appearance cannot tell the two classes apart
    >>> temporal = np.log(np.array([[0.9, 0.1]]))
    >>> late_fusion([spatial, temporal]).round(3).tolist()
    [[0.7, 0.3]]
    """
    if isinstance(logits, np.ndarray) or len(logits) == 0:
        raise ValueError("logits must be a non-empty list of (B, K) arrays, one per stream.")
    arrays = [check_array(z, f"logits[{i}]", ndim=2, dtype_kind="fiu").astype(np.float64)
              for i, z in enumerate(logits)]
    if any(z.shape != arrays[0].shape for z in arrays):
        raise ValueError(f"every stream must give (B, K) logits of the same shape, got "
                         f"{[z.shape for z in arrays]}.")
    w = np.ones(len(arrays)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(arrays),) or np.any(w < 0) or w.sum() <= 0 or not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be {len(arrays)} non-negative numbers with a positive sum, got {weights!r}.")
    w = w / w.sum()
    return sum(wi * softmax(z, axis=-1) for wi, z in zip(w, arrays))   # (B, K)
