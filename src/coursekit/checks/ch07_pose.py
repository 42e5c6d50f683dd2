"""Checks of Chapter 7's exercises: PCK, a Gaussian heatmap target, sub-pixel peak refinement, OKS, a part
affinity field and its line-integral score.

The cases are stick figures from :mod:`coursekit.data.figures` and seeded random inputs; each check compares
with the coursekit reference, and a review names the usual slip (cell centres at ``j`` instead of
``j + 0.5``, ``k = σ`` instead of ``2σ``, nearest-neighbour instead of bilinear sampling, ...) without
revealing expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit import grading
from coursekit.data.figures import SKELETON, stick_figure_batch, stick_figure_crowd
from coursekit.geometry.warp import bilinear_sample
from coursekit.grading import Case, Check, review_with
from coursekit.metrics.pose import STICK_FIGURE_SIGMAS, oks, pck
from coursekit.pose.heatmaps import decode_heatmaps, gaussian_heatmaps, parabola_offset
from coursekit.pose.paf import limb_scores, paf_line_integral, paf_targets

__all__ = ["CHECKS"]


def _figures(rng, n, size=64):
    return stick_figure_batch(rng, n, size=size)


# ----------------------------------------------------------------------------- ch07.pck

def _pck_cases(rng):
    gt = np.array([[[0.0, 0.0], [10.0, 0.0], [20.0, 0.0]]])
    pred = gt + [[[3.0, 4.0], [0.0, 4.9], [6.0, 8.0]]]                   # errors 5 (= 0.1 · 50), 4.9, 10
    yield Case("hand-made: one person, an error exactly on the tolerance", (pred, gt, np.array([50.0]), 0.1))
    b = _figures(rng, 6)
    ref = np.maximum(b.boxes[:, 2] - b.boxes[:, 0], b.boxes[:, 3] - b.boxes[:, 1])
    for alpha, noise in [(0.1, 3.0), (0.05, 1.5), (0.2, 6.0)]:
        pred = b.keypoints + rng.normal(0, noise, b.keypoints.shape)
        yield Case(f"6 stick figures, keypoints off by ~{noise} px, alpha={alpha}", (pred, b.keypoints, ref, alpha))


def _pck_strict(pred, gt, ref, alpha):
    return float(np.mean(np.linalg.norm(pred - gt, axis=-1) < alpha * np.asarray(ref)[:, None]))


def _pck_one_ref(pred, gt, ref, alpha):
    return float(np.mean(np.linalg.norm(pred - gt, axis=-1) <= alpha * np.mean(ref)))


def _pck_squared(pred, gt, ref, alpha):
    return float(np.mean(((pred - gt) ** 2).sum(-1) <= alpha * np.asarray(ref)[:, None]))


# ----------------------------------------------------------------------------- ch07.gaussian_heatmap

def gaussian_heatmap_reference(x, y, shape, sigma, stride):
    """One keypoint's Gaussian target, (H, W): :func:`coursekit.pose.gaussian_heatmaps` for K = 1."""
    return gaussian_heatmaps(np.array([[float(x), float(y)]]), shape, sigma, stride)[0]


def _heatmap_cases(rng):
    yield Case("a keypoint on a cell centre, stride 1", (4.5, 2.5, (6, 8), 1.0, 1))
    yield Case("a keypoint between cells, stride 1", (3.2, 5.9, (9, 7), 1.5, 1))
    b = _figures(rng, 1)
    for k, stride, sigma in [(0, 4, 1.0), (5, 4, 2.0), (11, 2, 1.5)]:
        x, y = b.keypoints[0, k]
        yield Case(f"a stick figure's keypoint {k} on a 64×64 image, stride {stride}, sigma {sigma}",
                   (float(x), float(y), (64 // stride, 64 // stride), sigma, stride))


def _hm(x, y, shape, sigma, stride, cx_shift=0.5, sigma2=2.0, swap=False):
    H, W = shape
    u, v = x / stride, y / stride
    if swap:
        u, v = v, u
    j, i = np.meshgrid(np.arange(W) + cx_shift, np.arange(H) + cx_shift)
    return np.exp(-((j - u) ** 2 + (i - v) ** 2) / (sigma2 * sigma ** 2))


_HEATMAP_MISTAKES = [
    (lambda x, y, s, sg, st: _hm(x, y, s, sg, st, cx_shift=0.0),
     "cell [i, j] has its centre at (j + 0.5, i + 0.5) in cell units, not at (j, i)."),
    (lambda x, y, s, sg, st: _hm(x * st, y * st, s, sg, st),
     "divide the keypoint's pixel coordinates by the stride (do not multiply)."),
    (lambda x, y, s, sg, st: _hm(x, y, s, sg, 1),
     "the keypoint is in image pixels: divide by the stride to get cell units."),
    (lambda x, y, s, sg, st: _hm(x, y, s, sg, st, sigma2=1.0),
     "the exponent is -d² / (2 σ²): check the factor 2."),
    (lambda x, y, s, sg, st: _hm(x, y, s, sg, st, swap=True),
     "x runs along columns (the second array axis), y along rows."),
]


# ----------------------------------------------------------------------------- ch07.refine_peak

def refine_peak_reference(heatmap):
    """(x, y) of one heatmap's argmax refined by a parabola on the raw values, in cell units (stride 1)."""
    coords, _ = decode_heatmaps(np.asarray(heatmap, dtype=np.float64)[None], 1, refine="parabola")
    return coords[0]


def _peak_cases(rng):
    h = gaussian_heatmaps(np.array([[6.5, 4.5]]), (10, 12), 1.5)[0]
    yield Case("a peak exactly on a cell centre", (h,))
    for sigma in (1.0, 2.0):
        c = np.array([[rng.uniform(3, 13), rng.uniform(3, 9)]])
        yield Case(f"a Gaussian peak at a random sub-pixel position, sigma {sigma}",
                   (gaussian_heatmaps(c, (12, 16), sigma)[0],))
    c = np.array([[rng.uniform(3, 13), rng.uniform(3, 9)]])
    noisy = gaussian_heatmaps(c, (12, 16), 1.2)[0] + rng.normal(0, 0.01, (12, 16))
    yield Case("a noisy peak (values below 0 included)", (noisy,))
    yield Case("a peak in the first column (no left neighbour)",
               (gaussian_heatmaps(np.array([[0.8, 5.3]]), (10, 10), 1.0)[0],))


def _peak(h, centre=0.5, flip=False, log=False, swap=False):
    h = np.log(np.maximum(h, 1e-10)) if log else h
    H, W = h.shape
    i, j = np.unravel_index(np.argmax(h), h.shape)
    dx = parabola_offset(h[i, j - 1], h[i, j], h[i, j + 1]) if 0 < j < W - 1 else 0.0
    dy = parabola_offset(h[i - 1, j], h[i, j], h[i + 1, j]) if 0 < i < H - 1 else 0.0
    if flip:
        dx, dy = -dx, -dy
    out = np.array([j + centre + dx, i + centre + dy], dtype=np.float64)
    return out[::-1] if swap else out


def _peak_judge(case, got, expected) -> str:
    """A tuple ``(x, y)`` is as good as an array."""
    if isinstance(got, (tuple, list)) and len(got) == 2:
        try:
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            pass
    return grading.compare(got, expected, atol=1e-9)


_PEAK_MISTAKES = [
    (lambda h: _peak(h, centre=0.0), "a cell's centre is at j + 0.5: add 0.5 to the argmax's column and row."),
    (lambda h: _peak(h, flip=True), "the vertex lies towards the *higher* neighbour: check the sign of δ."),
    (lambda h: _peak(h, swap=True), "return (x, y) = (column, row)."),
    (lambda h: _peak(h, log=True), "fit the parabola to the heatmap's values themselves (not their logarithm)."),
]


# ----------------------------------------------------------------------------- ch07.oks

def oks_reference(pred, gt, visibility, area, sigmas):
    """OKS of one predicted person against one true person: :func:`coursekit.metrics.pose.oks`."""
    return float(oks(pred, gt, visibility, area, sigmas)[0, 0])


def _oks_cases(rng):
    gt = np.zeros((13, 2))
    pred = gt.copy()
    pred[0, 0] = 0.052 * 20 * np.sqrt(2 * np.log(2))                   # half credit for the nose
    yield Case("hand-made: the nose off by 1.22 px, area 400", (pred, gt, np.full(13, 2), 400.0, STICK_FIGURE_SIGMAS))
    f = stick_figure_crowd(rng, n_people=2)
    for p, noise in enumerate((1.0, 3.0)):
        box = f.boxes[p]
        area = float((box[2] - box[0]) * (box[3] - box[1]))
        vis = np.full(13, 2)
        vis[rng.choice(13, 3, replace=False)] = [0, 1, 1]               # one unlabelled, two hidden
        yield Case(f"a stick figure, keypoints off by ~{noise} px, some unlabelled (0) or hidden (1)",
                   (f.keypoints[p] + rng.normal(0, noise, (13, 2)), f.keypoints[p], vis, area, STICK_FIGURE_SIGMAS))
    sig = rng.uniform(0.03, 0.1, 5)
    g5 = rng.uniform(0, 50, (5, 2))
    yield Case("5 keypoints with their own sigmas", (g5 + rng.normal(0, 2, (5, 2)), g5, np.full(5, 2), 900.0, sig))


def _oks_formula(pred, gt, vis, area, sigmas, k_factor=2.0, scale_power=1.0, count_all=False, visible_only=False):
    k = k_factor * np.asarray(sigmas)
    d2 = ((np.asarray(pred) - gt) ** 2).sum(-1)
    s2 = area ** scale_power
    e = np.exp(-d2 / (2 * s2 * k ** 2))
    used = (np.asarray(vis) == 2) if visible_only else (np.asarray(vis) > 0)
    if count_all:
        return float((e * used).sum() / len(e))
    return float(e[used].mean())


_OKS_MISTAKES = [
    (lambda *a: _oks_formula(*a, k_factor=1.0), "COCO's k_i is 2 σ_i, not σ_i."),
    (lambda *a: _oks_formula(*a, scale_power=0.5), "s² is the area itself (square pixels); do not take its square root."),
    (lambda *a: _oks_formula(*a, count_all=True), "average over the labelled keypoints (visibility > 0) only."),
    (lambda *a: _oks_formula(*a, visible_only=True), "hidden keypoints (visibility 1) are labelled: they count."),
]


# ----------------------------------------------------------------------------- ch07.paf_field

def paf_field_reference(a, b, shape, width):
    """One limb's part affinity field at stride 1, (2, H, W): :func:`coursekit.pose.paf_targets` for one person."""
    kp = np.array([[np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)]])   # (1, 2, 2)
    return paf_targets(kp, [(0, 1)], shape, 1, width)[0]


def _paf_cases(rng):
    yield Case("a horizontal limb along row 2", ((1.5, 2.5), (8.5, 2.5), (5, 10), 0.5))
    yield Case("a diagonal limb", ((1.0, 1.0), (9.0, 7.0), (10, 12), 1.0))
    f = stick_figure_crowd(rng, size=48, n_people=1)
    for e in rng.choice(len(SKELETON), 3, replace=False):
        i, j = SKELETON[e]
        yield Case(f"limb {SKELETON[e]} of a stick figure on a 48×48 map, width 1.5",
                   (tuple(f.keypoints[0, i]), tuple(f.keypoints[0, j]), (48, 48), 1.5))


def _paf(a, b, shape, width, centre=0.5, signed=False, no_ends=False):
    a, b = np.asarray(a, float), np.asarray(b, float)
    H, W = shape
    qx, qy = np.meshgrid(np.arange(W) + centre, np.arange(H) + centre)
    L = np.hypot(*(b - a))
    v = (b - a) / L
    along = v[0] * (qx - a[0]) + v[1] * (qy - a[1])
    across = -v[1] * (qx - a[0]) + v[0] * (qy - a[1])
    on = across <= width if signed else np.abs(across) <= width
    if not no_ends:
        on &= (along >= 0) & (along <= L)
    return np.stack([on * v[0], on * v[1]])


_PAF_MISTAKES = [
    (lambda a, b, s, w: _paf(a, b, s, w, centre=0.0), "cell [i, j] has its centre at (j + 0.5, i + 0.5)."),
    (lambda a, b, s, w: _paf(a, b, s, w, signed=True), "the distance across the limb is |v⊥ · (q − a)|: "
                                                       "cells on both sides count."),
    (lambda a, b, s, w: _paf(a, b, s, w, no_ends=True), "a cell is on the limb only between its ends: "
                                                        "0 ≤ v · (q − a) ≤ ℓ."),
    (lambda a, b, s, w: _paf(a, b, s, w)[::-1], "channel 0 is the x component, channel 1 the y component."),
]


# ----------------------------------------------------------------------------- ch07.limb_score

def limb_score_reference(field, a, b, n_samples):
    """:func:`coursekit.pose.paf_line_integral` at stride 1."""
    return paf_line_integral(field, a, b, 1, n_samples)


def _score_cases(rng):
    f = stick_figure_crowd(rng, size=48, n_people=2, max_iou=0.3)
    fields = paf_targets(f.keypoints, SKELETON, (48, 48), 1, width=1.0)
    e = int(rng.integers(len(SKELETON)))
    i, j = SKELETON[e]
    kp = f.keypoints
    yield Case(f"limb {SKELETON[e]}: its true ends", (fields[e], tuple(kp[0, i]), tuple(kp[0, j]), 10))
    yield Case(f"limb {SKELETON[e]}: reversed", (fields[e], tuple(kp[0, j]), tuple(kp[0, i]), 10))
    yield Case(f"limb {SKELETON[e]}: the first person's start, the second person's end",
               (fields[e], tuple(kp[0, i]), tuple(kp[1, j]), 8))
    smooth = np.stack([np.cos(np.arange(48) / 7.0)[None, :] * np.ones((48, 1)),
                       np.sin(np.arange(48) / 5.0)[:, None] * np.ones((1, 48))])
    yield Case("a smooth random-looking field, 15 samples",
               (smooth, tuple(rng.uniform(5, 43, 2)), tuple(rng.uniform(5, 43, 2)), 15))


def _score(field, a, b, n, shift=0.5, nearest=False, normalise=True, inner=False):
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    v = d / np.linalg.norm(d) if normalise else d
    u = (np.arange(n) + 0.5) / n if inner else np.linspace(0, 1, n)
    p = a + u[:, None] * d
    x, y = p[:, 0] - shift, p[:, 1] - shift
    if nearest:
        H, W = field.shape[1:]
        r = np.clip(np.round(y).astype(int), 0, H - 1)
        c = np.clip(np.round(x).astype(int), 0, W - 1)
        L = field[:, r, c].T
    else:
        L = bilinear_sample(np.moveaxis(field, 0, -1), x, y)
    return float((L @ v).mean())


_SCORE_MISTAKES = [
    (lambda f, a, b, n: _score(f, a, b, n, shift=0.0), "cell centres are at j + 0.5: sample the field at "
                                                      "(x − 0.5, y − 0.5) in bilinear_sample's convention."),
    (lambda f, a, b, n: _score(f, a, b, n, nearest=True), "read the field by bilinear interpolation, not at the "
                                                         "nearest cell."),
    (lambda f, a, b, n: _score(f, a, b, n, normalise=False), "dot with the *unit* direction (b − a) / ‖b − a‖."),
    (lambda f, a, b, n: _score(f, a, b, n, inner=True), "the samples are equally spaced from a to b, both "
                                                       "ends included (np.linspace(0, 1, n_samples))."),
]


CHECKS = [
    Check("ch07.pck", cases=_pck_cases, reference=pck, atol=1e-12,
          review=review_with([(_pck_strict, "a keypoint exactly at distance α · ref counts as correct (≤, not <)."),
                               (_pck_one_ref, "each person has its own reference length ref[p]."),
                               (_pck_squared, "compare the distance, not its square, with α · ref.")], atol=1e-12)),
    Check("ch07.gaussian_heatmap", cases=_heatmap_cases, reference=gaussian_heatmap_reference, atol=1e-9,
          implements=(gaussian_heatmaps,), review=review_with(_HEATMAP_MISTAKES)),
    Check("ch07.refine_peak", cases=_peak_cases, reference=refine_peak_reference, judge=_peak_judge,
          implements=(decode_heatmaps, parabola_offset), review=review_with(_PEAK_MISTAKES)),
    Check("ch07.oks", cases=_oks_cases, reference=oks_reference, atol=1e-9,
          implements=(oks,), review=review_with(_OKS_MISTAKES),
          forbidden=("pycocotools.cocoeval.COCOeval.computeOks",)),
    Check("ch07.paf_field", cases=_paf_cases, reference=paf_field_reference, atol=1e-9,
          implements=(paf_targets,), review=review_with(_PAF_MISTAKES)),
    Check("ch07.limb_score", cases=_score_cases, reference=limb_score_reference, atol=1e-9,
          implements=(paf_line_integral, limb_scores), review=review_with(_SCORE_MISTAKES)),
]
