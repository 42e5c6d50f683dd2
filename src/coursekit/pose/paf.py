"""Bottom-up multi-person pose: part affinity fields, line-integral limb scores and grouping.

Chapter 7 (Pose estimation). A bottom-up network sees the whole image once and outputs, besides K keypoint
heatmaps, one 2-D vector field per limb: the *part affinity field* (PAF), which at every pixel on a limb
holds the unit vector pointing along it. To decide which detected shoulder goes with which elbow, integrate
the field along the straight segment between the two candidates: the integral is close to 1 when the segment
follows a real limb and close to 0 (or negative) when it crosses background or another limb. One bipartite
matching per limb (the Hungarian algorithm, from ``scipy.optimize.linear_sum_assignment``: matching is taught
in Chapter 5) then pairs the candidates, and the pairs that share a keypoint are merged into people.

Coordinates follow :mod:`coursekit.pose.heatmaps`: ``(x, y)`` in image pixels, cell ``[i, j]`` of a map at
stride s centred at ``(s (j + 0.5), s (i + 0.5))``.

References
----------
Z. Cao, T. Simon, S.-E. Wei and Y. Sheikh, "Realtime Multi-Person 2D Pose Estimation using Part Affinity
Fields", CVPR 2017 (the field, its target and the line integral; one bipartite matching per limb).
H. W. Kuhn, "The Hungarian Method for the Assignment Problem", Naval Research Logistics Quarterly, 1955.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from coursekit.core.validation import check_array, check_fraction, check_int, check_positive
from coursekit.geometry.warp import bilinear_sample
from coursekit.pose.heatmaps import parabola_offset

__all__ = ["paf_targets", "paf_line_integral", "limb_scores", "distance_scores", "heatmap_peaks",
           "assemble_people", "group_people"]


def _check_skeleton(skeleton, K: int) -> list[tuple[int, int]]:
    try:
        limbs = [(int(i), int(j)) for i, j in skeleton]
    except (TypeError, ValueError):
        raise ValueError("skeleton must be a sequence of (i, j) keypoint index pairs.") from None
    if not limbs or any(not (0 <= i < K and 0 <= j < K) or i == j for i, j in limbs):
        raise ValueError(f"skeleton must hold pairs of distinct keypoint indices in [0, {K - 1}], got {limbs}.")
    return limbs


def paf_targets(keypoints, skeleton, shape, stride: int = 1, width: float = 1.0, visibility=None) -> np.ndarray:
    """Part-affinity-field targets: the unit limb direction on every cell within ``width`` of a limb.

    Defined in :ref:`sec-pose-paf` (Eq. :eq:`eq-pose-paf`).

    Parameters
    ----------
    keypoints : (P, K, 2) array_like of float
        ``(x, y)`` of P people in image pixels.
    skeleton : sequence of (int, int)
        E limbs as keypoint index pairs ``(i, j)``; the field points from i to j.
    shape : (int, int)
        The field's ``(rows, cols)``.
    stride : int
        Image pixels per cell (>= 1).
    width : float
        Half-width of a limb's support in *cells* (> 0): OpenPose's σ_l.
    visibility : (P, K) array_like, optional
        A limb with an unlabelled end (0) is left out.

    Returns
    -------
    (E, 2, H, W) ndarray of float64
        Channel 0 the x component, channel 1 the y component; zero off the limbs; where the limbs of several
        people overlap, their unit vectors are averaged (as in OpenPose).

    Notes
    -----
    1. Limb ends in cell units ``a = x_i / s``, ``b = x_j / s``; length ``ℓ = ‖b − a‖``, direction ``v = (b − a) / ℓ``.
    2. A cell centre q is on the limb when ``0 ≤ v · (q − a) ≤ ℓ`` and ``|v⊥ · (q − a)| ≤ width``.
    3. Sum v over the people whose limb covers q, divide by their number.

    Examples
    --------
    >>> f = paf_targets([[[0.5, 1.5], [4.5, 1.5]]], [(0, 1)], (3, 5), width=0.5)   # a horizontal limb on row 1
    >>> f[0, 0].tolist(), float(np.abs(f[0, 1]).max())
    ([[0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0]], 0.0)
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    check_array(kp, "keypoints", ndim=3, dtype_kind="f")
    if kp.shape[-1] != 2:
        raise ValueError(f"keypoints must have shape (P, K, 2), got {kp.shape}.")
    P, K = kp.shape[:2]
    limbs = _check_skeleton(skeleton, K)
    try:
        H, W = (check_int(n, "shape", minimum=1) for n in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape must be (rows, cols) of positive integers, got {shape!r}.") from None
    stride = check_int(stride, "stride", minimum=1)
    width = check_positive(width, "width")
    labelled = np.ones((P, K), bool) if visibility is None else np.asarray(visibility).reshape(P, K) > 0
    qx = np.arange(W) + 0.5                                                # (W,) cell centres
    qy = (np.arange(H) + 0.5)[:, None]                                     # (H, 1)
    fields = np.zeros((len(limbs), 2, H, W))
    for e, (i, j) in enumerate(limbs):
        count = np.zeros((H, W))
        for p in range(P):
            if not (labelled[p, i] and labelled[p, j]):
                continue
            a, b = kp[p, i] / stride, kp[p, j] / stride                     # 1. ends in cell units
            length = np.hypot(*(b - a))
            if length == 0:
                continue
            v = (b - a) / length
            along = v[0] * (qx - a[0]) + v[1] * (qy - a[1])                # (H, W) 2. v · (q − a)
            across = -v[1] * (qx - a[0]) + v[0] * (qy - a[1])              # (H, W)    v⊥ · (q − a)
            on = (along >= 0) & (along <= length) & (np.abs(across) <= width)
            fields[e, 0] += on * v[0]
            fields[e, 1] += on * v[1]
            count += on
        fields[e] /= np.maximum(count, 1)                                   # 3. average where limbs overlap
    return fields


def _alignment(field, starts, ends, stride: int, n_samples: int) -> np.ndarray:
    """``L(p(u_s)) · v`` at S points of each segment: (..., S). ``field`` is (2, H, W)."""
    d = ends - starts                                                      # (..., 2)
    length = np.linalg.norm(d, axis=-1, keepdims=True)                     # (..., 1)
    v = np.divide(d, length, out=np.zeros_like(d), where=length > 0)       # (..., 2) unit direction
    u = np.linspace(0.0, 1.0, n_samples)                                   # (S,) as in OpenPose
    pts = starts[..., None, :] + u[:, None] * d[..., None, :]              # (..., S, 2) image pixels
    # heatmap units, then shift by 0.5 because bilinear_sample puts cell centres at integers
    x, y = pts[..., 0] / stride - 0.5, pts[..., 1] / stride - 0.5
    L = bilinear_sample(np.moveaxis(field, 0, -1), x, y)                   # (..., S, 2) field at the points
    return (L * v[..., None, :]).sum(-1)                                   # (..., S)


def paf_line_integral(field, start, end, stride: int = 1, n_samples: int = 10) -> float:
    """The line integral of a limb's field along the segment from ``start`` to ``end``, by sampling.

    Defined in :ref:`sec-pose-paf` (Eq. :eq:`eq-pose-line-integral`).

    Parameters
    ----------
    field : (2, H, W) array_like of float
        One limb's part affinity field (x and y components).
    start, end : (2,) array_like of float
        Candidate keypoints ``(x, y)`` in image pixels.
    stride : int
        Image pixels per field cell.
    n_samples : int
        S, the number of equally spaced points from ``start`` to ``end`` (both included), >= 2.

    Returns
    -------
    float
        ``(1/S) Σ_s L(p(u_s)) · v`` with ``p(u) = (1 − u) start + u end`` and v the unit direction: about 1
        along a real limb, about 0 across empty space, negative against the limb's direction.

    Notes
    -----
    1. ``v = (end − start) / ‖end − start‖``.
    2. ``u_s = s / (S − 1)``, s = 0 … S − 1; the field is read at ``p(u_s)`` by bilinear interpolation.
    3. Average the dot products ``L(p(u_s)) · v`` (a Riemann sum of the integral over ``u ∈ [0, 1]``).

    Examples
    --------
    >>> f = paf_targets([[[0.5, 1.5], [4.5, 1.5]]], [(0, 1)], (3, 5), width=0.5)[0]
    >>> paf_line_integral(f, (0.5, 1.5), (4.5, 1.5)), paf_line_integral(f, (4.5, 1.5), (0.5, 1.5))
    (1.0, -1.0)
    """
    field = np.asarray(field, dtype=np.float64)
    check_array(field, "field", ndim=3, dtype_kind="f")
    if field.shape[0] != 2:
        raise ValueError(f"field must have shape (2, H, W) (x and y components), got {field.shape}.")
    start = np.asarray(start, dtype=np.float64).reshape(2)
    end = np.asarray(end, dtype=np.float64).reshape(2)
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    stride = check_int(stride, "stride", minimum=1)
    return float(_alignment(field, start, end, stride, n_samples).mean())


def limb_scores(field, starts, ends, stride: int = 1, n_samples: int = 10, threshold: float = 0.05,
                min_fraction: float = 0.8) -> np.ndarray:
    """Scores of every (start, end) candidate pair for one limb: the line integral, with OpenPose's test.

    Defined in :ref:`sec-pose-grouping` (Eq. :eq:`eq-pose-line-integral`).

    Parameters
    ----------
    field : (2, H, W) array_like of float
        The limb's part affinity field.
    starts : (M, 2) array_like of float
        Candidates of the limb's first keypoint, ``(x, y)`` in image pixels.
    ends : (N, 2) array_like of float
        Candidates of its second keypoint.
    stride, n_samples : int
        As in :func:`paf_line_integral`.
    threshold : float
        A sample supports the pair when its dot product exceeds this.
    min_fraction : float
        The pair is kept only if at least this fraction of its samples support it (OpenPose: 0.8);
        otherwise its score is 0. Guards against a segment that is aligned only near its ends.

    Returns
    -------
    (M, N) ndarray of float64
        The mean alignment (Eq. :eq:`eq-pose-line-integral`) of each pair, or 0.

    Examples
    --------
    >>> f = paf_targets([[[0.5, 1.5], [4.5, 1.5]]], [(0, 1)], (3, 5), width=0.5)[0]
    >>> limb_scores(f, [[0.5, 1.5]], [[4.5, 1.5], [0.5, 0.5]]).round(2).tolist()   # along, across the limb
    [[1.0, 0.0]]
    """
    field = np.asarray(field, dtype=np.float64)
    check_array(field, "field", ndim=3, dtype_kind="f")
    if field.shape[0] != 2:
        raise ValueError(f"field must have shape (2, H, W), got {field.shape}.")
    starts = check_array(np.asarray(starts, dtype=np.float64).reshape(-1, 2), "starts")
    ends = check_array(np.asarray(ends, dtype=np.float64).reshape(-1, 2), "ends")
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    stride = check_int(stride, "stride", minimum=1)
    min_fraction = check_fraction(min_fraction, "min_fraction")
    a = np.broadcast_to(starts[:, None], (len(starts), len(ends), 2))      # (M, N, 2)
    b = np.broadcast_to(ends[None, :], (len(starts), len(ends), 2))        # (M, N, 2)
    dots = _alignment(field, a, b, stride, n_samples)                      # (M, N, S)
    support = (dots > threshold).mean(-1)                                  # (M, N)
    return np.where(support >= min_fraction, dots.mean(-1), 0.0)


def distance_scores(starts, ends, scale: float) -> np.ndarray:
    """A grouping score without PAFs: ``max(0, 1 − d / scale)`` for candidates a distance d apart.

    Defined in :ref:`sec-pose-grouping`.

    Parameters
    ----------
    starts : (M, 2) array_like of float
    ends : (N, 2) array_like of float
    scale : float
        The distance (pixels) at which the score reaches 0 (> 0), e.g. a typical limb length times 2.

    Returns
    -------
    (M, N) ndarray of float64
        In [0, 1]: nearer pairs score higher. The baseline PAFs improve on.

    Examples
    --------
    >>> distance_scores([[0.0, 0.0]], [[3.0, 4.0], [30.0, 40.0]], scale=10.0).tolist()
    [[0.5, 0.0]]
    """
    starts = np.asarray(starts, dtype=np.float64).reshape(-1, 2)
    ends = np.asarray(ends, dtype=np.float64).reshape(-1, 2)
    scale = check_positive(scale, "scale")
    d = np.linalg.norm(starts[:, None] - ends[None], axis=-1)              # (M, N)
    return np.maximum(0.0, 1.0 - d / scale)


def heatmap_peaks(heatmap, *, threshold: float = 0.1, stride: int = 1):
    """Keypoint candidates: the local maxima of one heatmap above a threshold, refined to sub-pixels.

    Defined in :ref:`sec-pose-grouping`.

    Parameters
    ----------
    heatmap : (H, W) array_like of float
    threshold : float
        Peaks must be strictly higher than this.
    stride : int
        Image pixels per cell; the returned points are in image pixels.

    Returns
    -------
    scores : (M,) ndarray of float64
        Peak heights, highest first.
    points : (M, 2) ndarray of float64
        ``(x, y)`` of each peak, refined with Eq. :eq:`eq-pose-parabola` on the logarithm of the map.

    Notes
    -----
    A cell is a peak when it is ``>=`` all 8 neighbours (cells outside the map count as −∞) and above the
    threshold: non-maximum suppression in a 3×3 window. Unlike :func:`decode_heatmaps`, a map may have
    any number of peaks, one per person.

    Examples
    --------
    >>> from coursekit.pose.heatmaps import gaussian_heatmaps
    >>> h = gaussian_heatmaps([[[2.5, 2.5]], [[9.2, 5.5]]], (8, 12)).max(axis=0)[0]   # two people
    >>> scores, points = heatmap_peaks(h, threshold=0.5)
    >>> np.round(points, 6).tolist()
    [[2.5, 2.5], [9.2, 5.5]]
    """
    h = np.asarray(heatmap, dtype=np.float64)
    check_array(h, "heatmap", ndim=2, dtype_kind="f")
    stride = check_int(stride, "stride", minimum=1)
    H, W = h.shape
    padded = np.pad(h, 1, constant_values=-np.inf)                         # (H + 2, W + 2)
    neighbours = [padded[1 + di:1 + di + H, 1 + dj:1 + dj + W]
                  for di in (-1, 0, 1) for dj in (-1, 0, 1) if (di, dj) != (0, 0)]
    is_peak = (h > threshold) & np.all([h >= n for n in neighbours], axis=0)   # (H, W)
    i, j = np.nonzero(is_peak)
    order = np.argsort(-h[i, j], kind="stable")
    i, j = i[order], j[order]
    logs = np.log(np.maximum(padded, 1e-10))                               # -inf padding becomes log(1e-10)
    dx = np.where((j > 0) & (j < W - 1), parabola_offset(logs[i + 1, j], logs[i + 1, j + 1], logs[i + 1, j + 2]), 0.0)
    dy = np.where((i > 0) & (i < H - 1), parabola_offset(logs[i, j + 1], logs[i + 1, j + 1], logs[i + 2, j + 1]), 0.0)
    points = np.stack([stride * (j + 0.5 + dx), stride * (i + 0.5 + dy)], axis=-1).reshape(-1, 2)
    return h[i, j], points


def assemble_people(candidates, scores, skeleton, min_score: float = 0.1) -> np.ndarray:
    """Group keypoint candidates into people: one Hungarian matching per limb, then merge shared keypoints.

    Defined in :ref:`sec-pose-grouping` (Eq. :eq:`eq-pose-matching`).

    Parameters
    ----------
    candidates : sequence of K (M_k, 2) array_like of float
        The candidates of each keypoint type, ``(x, y)`` in image pixels (may be empty).
    scores : sequence of E (M_i, M_j) array_like of float
        For limb ``e = (i, j)`` of ``skeleton``, the score of every (candidate of i, candidate of j) pair,
        e.g. :func:`limb_scores` or :func:`distance_scores`.
    skeleton : sequence of (int, int)
        The E limbs.
    min_score : float
        Matched pairs scoring at most this are dropped.

    Returns
    -------
    (Q, K, 2) ndarray of float64
        The assembled people (those with at least two keypoints), NaN for the keypoints a person lacks,
        ordered by number of keypoints (most first).

    Notes
    -----
    1. For each limb, ``scipy.optimize.linear_sum_assignment`` finds the one-to-one pairing of the two
       candidate sets with the largest total score; pairs with score ``<= min_score`` are dropped.
    2. All kept pairs, highest score first, join their two candidates' groups (union-find), unless the
       merged group would hold two different candidates of the same keypoint type.
    3. Every group of two or more candidates is a person.

    Examples
    --------
    >>> cands = [np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[10.0, 5.0], [0.0, 5.0]])]
    >>> S = np.array([[0.1, 0.9], [0.8, 0.2]])      # candidate 0 of type 0 goes with candidate 1 of type 1
    >>> assemble_people(cands, [S], [(0, 1)]).tolist()
    [[[0.0, 0.0], [0.0, 5.0]], [[10.0, 0.0], [10.0, 5.0]]]
    """
    K = len(candidates)
    limbs = _check_skeleton(skeleton, K)
    cands = [np.asarray(c, dtype=np.float64).reshape(-1, 2) for c in candidates]
    if len(scores) != len(limbs):
        raise ValueError(f"need one score matrix per limb ({len(limbs)}), got {len(scores)}.")
    offset = np.concatenate([[0], np.cumsum([len(c) for c in cands])])    # node id = offset[k] + m
    kind = np.concatenate([np.full(len(c), k) for k, c in enumerate(cands)]).astype(int)
    pairs = []
    for (i, j), S in zip(limbs, scores):                                  # 1. one matching per limb
        S = np.asarray(S, dtype=np.float64)
        if S.shape != (len(cands[i]), len(cands[j])):
            raise ValueError(f"the scores of limb {(i, j)} must have shape {(len(cands[i]), len(cands[j]))}, "
                             f"got {S.shape}.")
        if S.size == 0:
            continue
        rows, cols = linear_sum_assignment(S, maximize=True)
        pairs += [(S[r, c], offset[i] + r, offset[j] + c) for r, c in zip(rows, cols) if S[r, c] > min_score]
    parent = list(range(len(kind)))
    members = [{n} for n in range(len(kind))]

    def root(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for _, a, b in sorted(pairs, key=lambda t: -t[0]):                    # 2. merge, best pairs first
        ra, rb = root(a), root(b)
        if ra == rb or {kind[n] for n in members[ra]} & {kind[n] for n in members[rb]}:
            continue                                                       # same group, or a conflict
        parent[rb] = ra
        members[ra] |= members[rb]
    groups = [members[n] for n in range(len(kind)) if root(n) == n and len(members[n]) >= 2]
    people = np.full((len(groups), K, 2), np.nan)
    for q, group in enumerate(groups):                                     # 3. one person per group
        for n in group:
            people[q, kind[n]] = cands[kind[n]][n - offset[kind[n]]]
    order = np.argsort([-len(g) for g in groups], kind="stable")
    return people[order].reshape(len(groups), K, 2)


def group_people(heatmaps, fields, skeleton, stride: int = 1, *, threshold: float = 0.1,
                 n_samples: int = 10, min_score: float = 0.1) -> np.ndarray:
    """The whole bottom-up decoder: peaks of every heatmap, PAF scores of every limb, assembly.

    Defined in :ref:`sec-pose-grouping`.

    Parameters
    ----------
    heatmaps : (K, H, W) array_like of float
    fields : (E, 2, H, W) array_like of float
        One part affinity field per limb of ``skeleton``.
    skeleton : sequence of (int, int)
    stride : int
        Image pixels per cell.
    threshold : float
        Peak threshold of :func:`heatmap_peaks`.
    n_samples : int
        Samples per line integral.
    min_score : float
        As in :func:`assemble_people`.

    Returns
    -------
    (Q, K, 2) ndarray of float64
        People in image pixels, NaN for missing keypoints.

    Examples
    --------
    >>> from coursekit.pose.heatmaps import gaussian_heatmaps
    >>> kp = np.array([[[4.5, 4.5], [4.5, 20.5]], [[20.5, 4.5], [12.5, 20.5]]])     # two people, K = 2
    >>> hm = gaussian_heatmaps(kp, (32, 32)).max(axis=0)
    >>> people = group_people(hm, paf_targets(kp, [(0, 1)], (32, 32)), [(0, 1)])
    >>> sorted(np.round(people, 3).tolist())
    [[[4.5, 4.5], [4.5, 20.5]], [[20.5, 4.5], [12.5, 20.5]]]
    """
    hm = np.asarray(heatmaps, dtype=np.float64)
    check_array(hm, "heatmaps", ndim=3, dtype_kind="f")
    fields = np.asarray(fields, dtype=np.float64)
    limbs = _check_skeleton(skeleton, hm.shape[0])
    if fields.shape != (len(limbs), 2) + hm.shape[1:]:
        raise ValueError(f"fields must have shape {(len(limbs), 2) + hm.shape[1:]} (one 2-channel field per limb, "
                         f"the heatmaps' size), got {fields.shape}.")
    candidates = [heatmap_peaks(h, threshold=threshold, stride=stride)[1] for h in hm]
    scores = [limb_scores(f, candidates[i], candidates[j], stride, n_samples) for f, (i, j) in zip(fields, limbs)]
    return assemble_people(candidates, scores, limbs, min_score)
