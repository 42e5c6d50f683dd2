"""Checks of Chapter 18's exercises: fairness gaps, debiasing by projection, pointing game, counterfactual.

The exercises: demographic parity and equalised odds gaps, projecting out a bias direction, the pointing game,
the linear counterfactual and the bias direction of definitional pairs.

Each check runs the student's function on seeded inputs (generated scoring data with a known group bias,
generated embeddings, random maps and masks) and compares with the coursekit reference; :func:`review_with`
names the usual slips without revealing expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit.data.fairness import biased_embeddings, fairness_scores
from coursekit.explain.counterfactuals import linear_counterfactual
from coursekit.explain.localization import pointing_game
from coursekit.fairness.debias import bias_direction, project_out
from coursekit.grading import Case, Check, review_with
from coursekit.metrics.fairness import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    group_rates,
)

__all__ = ["CHECKS"]


def _decisions(rng, n, shift, base_rates, threshold=0.5):
    a, y, s = fairness_scores(n, rng, base_rates=base_rates, score_shift=shift)
    return y, (s > threshold).astype(np.int64), a


# ----------------------------------------------------------------------------- ch18.demographic_parity

def _dp_cases(rng):
    yield Case("hand-made: 4 people in 2 groups", (np.array([0, 1, 1, 0]), np.array([1, 1, 1, 0]), np.array([0, 0, 1, 1])))
    for n, shift, rates in [(400, 1.0, (0.3, 0.5)), (1000, -1.5, (0.5, 0.5)), (600, 0.0, (0.2, 0.7))]:
        yield Case(f"{n} generated decisions, score shift {shift}, base rates {rates}", _decisions(rng, n, shift, rates))
    y, p, a = _decisions(rng, 300, 0.5, (0.4, 0.4))
    yield Case("three groups labelled 'a', 'b', 'c'", (y, p, np.array(["a", "b", "c"])[rng.integers(0, 3, 300)]))


def _dp_on_truth(y, p, a):
    return demographic_parity_difference(y, y, a)


def _dp_ratio(y, p, a):
    return demographic_parity_ratio(y, p, a)


# ----------------------------------------------------------------------------- ch18.equalized_odds

def _eo_tpr_only(y, p, a):
    r = group_rates(y, p, a)
    return float(np.ptp(r["tpr"]))


def _eo_fpr_only(y, p, a):
    r = group_rates(y, p, a)
    return float(np.ptp(r["fpr"]))


def _eo_mean(y, p, a):
    r = group_rates(y, p, a)
    return float((np.ptp(r["tpr"]) + np.ptp(r["fpr"])) / 2)


def _eo_ratio(y, p, a):
    return equalized_odds_ratio(y, p, a)


# ----------------------------------------------------------------------------- ch18.project_out

def _project_cases(rng):
    yield Case("hand-made: remove the x axis from (3, 4)", (np.array([[3.0, 4.0]]), np.array([1.0, 0.0])))
    yield Case("hand-made: a direction that is not a unit vector", (np.array([[1.0, 2.0, 3.0]]), np.array([0.0, 0.0, 2.0])))
    for d in (8, 16):
        _, neutral, _, v = biased_embeddings(rng, dim=d)
        yield Case(f"40 generated {d}-d embeddings and a direction of length {2.5:.1f}", (neutral, 2.5 * v))


def _project_not_normalised(E, v):
    return E - np.outer(E @ v, v)


def _project_keep_only(E, v):
    u = v / np.linalg.norm(v)
    return np.outer(E @ u, u)


# ----------------------------------------------------------------------------- ch18.pointing_game

def _pointing_cases(rng):
    maps = np.zeros((2, 5, 5))
    maps[0, 1, 3] = maps[1, 4, 0] = 1.0
    masks = np.zeros((2, 5, 5), bool)
    masks[:, 0:2, 2:5] = True
    yield Case("hand-made: one peak on the object, one far away", (maps, masks, 0.0))
    yield Case("hand-made: peaks at distance 1 and 3.6, tolerance 1.5", (maps, masks, 1.5))
    for B, H, W, tol in [(12, 9, 13, 0.0), (20, 12, 8, 2.0)]:
        masks = np.zeros((B, H, W), bool)
        for b in range(B):
            r, c = rng.integers(0, H - 3), rng.integers(0, W - 3)
            masks[b, r:r + 3, c:c + rng.integers(1, 4)] = True
        maps = rng.random((B, H, W)) + masks * rng.uniform(0, 1.2, (B, 1, 1))
        yield Case(f"{B} random {H}×{W} maps and boxes, tolerance {tol}", (maps, masks, tol))


def _pointing_transposed(maps, masks, tolerance=0.0):
    flat = maps.reshape(len(maps), -1).argmax(1)
    r, c = np.divmod(flat, maps.shape[2])
    out = []
    for b in range(len(maps)):                               # (row, col) swapped when looking up the mask
        rows, cols = np.nonzero(masks[b])
        out.append(((rows - c[b]) ** 2 + (cols - r[b]) ** 2).min() <= tolerance ** 2)
    return np.array(out)


def _pointing_no_tolerance(maps, masks, tolerance=0.0):
    return pointing_game(maps, masks, 0.0)


# ----------------------------------------------------------------------------- ch18.linear_counterfactual

def _cf_cases(rng):
    yield Case("hand-made: w = (3, 4), b = -5, x = (0, 0), margin 0", (np.array([3.0, 4.0]), -5.0, np.array([0.0, 0.0]), 0.0))
    for d, N, margin in [(5, 1, 1.0), (8, 6, -0.5), (3, 10, 2.0)]:
        x = rng.normal(size=(N, d)) if N > 1 else rng.normal(size=d)
        yield Case(f"d = {d}, {N} point(s), margin {margin}", (rng.normal(size=d), float(rng.normal()), x, margin))


def _cf_unit_norm(w, b, x, margin=0.0):
    return x + np.multiply.outer((margin - (x @ w + b)) / np.linalg.norm(w), w)


def _cf_sign(w, b, x, margin=0.0):
    return x - np.multiply.outer((margin - (x @ w + b)) / (w @ w), w)


# ----------------------------------------------------------------------------- ch18.bias_direction

def _direction_cases(rng):
    yield Case("hand-made: two pairs that differ along x", (np.array([[[1.0, 2.0], [-1.0, 2.0]], [[3.0, -1.0], [1.0, -1.0]]]),))
    for d, P in [(6, 4), (16, 8), (24, 6)]:
        pairs, _, _, _ = biased_embeddings(rng, dim=d, n_pairs=P, noise=0.2)
        yield Case(f"{P} generated pairs in {d}-d", (pairs,))


def _direction_uncentred(pairs):
    X = pairs.reshape(-1, pairs.shape[2])
    v = np.linalg.svd(X, full_matrices=False)[2][0]
    return v if ((pairs[:, 0] - pairs[:, 1]) @ v).mean() >= 0 else -v


def _direction_flipped(pairs):
    return -bias_direction(pairs)


def _direction_judge(case, got, expected):
    g = np.asarray(got, dtype=np.float64) if np.ndim(got) else None
    if g is None or g.shape != expected.shape:
        return f"expected a unit vector of shape {expected.shape}, got shape {np.shape(got)}."
    if abs(np.linalg.norm(g) - 1) > 1e-6:
        return "return a unit vector (divide by its norm)."
    # 1e-6: SVD directions are exact to ~1e-12; the hand-made case has an exact answer
    if np.allclose(g, -expected, atol=1e-6):
        return "right line, wrong sign: orient it so that first words project higher than second words on average."
    if not np.allclose(g, expected, atol=1e-6):
        return "not the first principal direction of the pairs' centred vectors."
    return ""


CHECKS = [
    Check("ch18.demographic_parity", cases=_dp_cases, reference=demographic_parity_difference, atol=1e-12,
          review=review_with([(_dp_on_truth, "independence is about the decisions y_pred, not the true outcomes."),
                              (_dp_ratio, "return the difference max − min of the selection rates, not the ratio.")]),
          implements=(demographic_parity_difference, demographic_parity_ratio, group_rates),
          forbidden=("fairlearn.metrics.demographic_parity_difference", "fairlearn.metrics.MetricFrame")),
    Check("ch18.project_out", cases=_project_cases, reference=project_out, atol=1e-10,
          review=review_with([(_project_not_normalised, "normalise the direction to unit length first."),
                              (_project_keep_only, "return w minus its component along the direction, not the "
                                                   "component itself.")])),
    Check("ch18.pointing_game", cases=_pointing_cases, reference=pointing_game, atol=0,
          review=review_with([(_pointing_transposed, "argmax of a flattened (H, W) map gives row = i // W, column "
                                                     "= i % W; compare rows with rows."),
                              (_pointing_no_tolerance, "a peak within `tolerance` pixels of the mask is a hit too.")])),
    Check("ch18.linear_counterfactual", cases=_cf_cases, reference=linear_counterfactual, atol=1e-9,
          review=review_with([(_cf_unit_norm, "the step along w is divided by ‖w‖², not ‖w‖."),
                              (_cf_sign, "move towards the target score: the step is (margin − score) / ‖w‖².")])),
    Check("ch18.equalized_odds", cases=_dp_cases, reference=equalized_odds_difference, atol=1e-12,
          review=review_with([(_eo_tpr_only, "separation needs both rates: take the larger of the TPR gap and "
                                             "the FPR gap."),
                              (_eo_fpr_only, "separation needs both rates: the TPR gap matters too."),
                              (_eo_mean, "take the larger of the two gaps (the worst case), not their mean."),
                              (_eo_ratio, "return a difference of rates, not a ratio.")]),
          implements=(equalized_odds_difference, equalized_odds_ratio, group_rates),
          forbidden=("fairlearn.metrics.equalized_odds_difference", "fairlearn.metrics.MetricFrame")),
    Check("ch18.bias_direction", cases=_direction_cases, reference=bias_direction, judge=_direction_judge,
          review=review_with([(_direction_uncentred, "centre each pair on its own mean before the PCA: otherwise "
                                                     "the direction describes where the pairs are, not how their "
                                                     "words differ.")], atol=1e-6)),
]
