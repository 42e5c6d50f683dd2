"""The Hungarian method written in coursekit equals scipy.optimize.linear_sum_assignment; DETR's cost."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_lsa

from coursekit.detection.boxes import box_convert, generalized_box_iou
from coursekit.detection.matching import detr_match_cost, hungarian_match, linear_sum_assignment


@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (3, 7), (7, 3), (25, 25), (10, 40), (60, 12)])
def test_assignment_equals_scipy(rng, shape):
    for _ in range(4):
        C = rng.normal(size=shape)                      # continuous costs: the optimum is unique (a.s.)
        r, c = linear_sum_assignment(C)
        rs, cs = scipy_lsa(C)
        np.testing.assert_array_equal(r, rs)
        np.testing.assert_array_equal(c, cs)


def test_assignment_with_ties_reaches_scipys_optimal_cost(rng):
    for _ in range(10):
        C = rng.integers(0, 4, size=(8, 9)).astype(float)         # many ties: assignments may differ
        r, c = linear_sum_assignment(C)
        rs, cs = scipy_lsa(C)
        assert len(set(c)) == len(c) == 8
        assert C[r, c].sum() == C[rs, cs].sum()


def test_assignment_maximize_and_brute_force(rng):
    C = rng.random((5, 5))
    best = max(itertools.permutations(range(5)), key=lambda p: sum(C[i, p[i]] for i in range(5)))
    assert linear_sum_assignment(C, maximize=True)[1].tolist() == list(best)


def test_detr_cost_is_the_weighted_sum_of_its_three_terms(rng):
    N, M, K = 6, 3, 4
    logits = rng.normal(size=(N, K + 1))
    pred = np.c_[rng.uniform(0.2, 0.8, (N, 2)), rng.uniform(0.05, 0.3, (N, 2))]
    gt = np.c_[rng.uniform(0.2, 0.8, (M, 2)), rng.uniform(0.05, 0.3, (M, 2))]
    labels = rng.integers(0, K, M)
    C = detr_match_cost(logits, pred, labels, gt)
    prob = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    for i in range(N):
        for j in range(M):
            giou = generalized_box_iou(box_convert(pred[i:i + 1], "cxcywh", "xyxy"), box_convert(gt[j:j + 1], "cxcywh", "xyxy"))
            ref = -prob[i, labels[j]] + 5 * np.abs(pred[i] - gt[j]).sum() - 2 * giou[0, 0]
            assert C[i, j] == pytest.approx(ref, abs=1e-12)


def test_hungarian_match_recovers_a_shuffled_set(rng):
    gt = np.c_[rng.uniform(0.2, 0.8, (5, 2)), rng.uniform(0.05, 0.2, (5, 2))]
    labels = rng.integers(0, 3, 5)
    perm = rng.permutation(8)
    pred = np.r_[gt, rng.uniform(0.3, 0.6, (3, 4)) * [1, 1, 0.3, 0.3]][perm]    # 5 exact copies + 3 decoys
    logits = np.full((8, 4), -3.0)
    logits[np.argsort(perm)[:5], labels] = 3.0
    pred_idx, gt_idx = hungarian_match(detr_match_cost(logits, pred, labels, gt))
    assert gt_idx.tolist() == list(range(5))
    np.testing.assert_array_equal(pred[pred_idx], gt)


def test_matching_rejects_bad_input():
    with pytest.raises(ValueError, match="at least as many predictions"):
        hungarian_match(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="no object"):
        detr_match_cost(np.zeros((2, 3)), np.zeros((2, 4)), np.array([2]), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="2-D"):
        linear_sum_assignment(np.zeros(3))
