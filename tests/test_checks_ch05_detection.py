"""The graded checks of Chapter 5: the reference earns full points, a stub is "not done", and typical
mistakes fail with a hint that names them (and no expected values)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_lsa

from coursekit import grading
from coursekit.checks import ch05_detection as ch05
from coursekit.detection.anchors import encode_boxes
from coursekit.detection.boxes import box_iou
from coursekit.detection.matching import linear_sum_assignment
from coursekit.detection.nms import nms
from coursekit.grading import Status


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch05.box_iou", box_iou),
    ("ch05.encode_boxes", encode_boxes),
    ("ch05.nms", nms),
    ("ch05.average_precision", ch05.average_precision_reference),
    ("ch05.roi_align", ch05.roi_align_reference),
    ("ch05.linear_assignment", linear_sum_assignment),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=3)
    assert result.status is Status.PASSED and result.points == 3 and len(result.cases) >= 4, result.report()
    assert grading.run_check(eid, _stub).status is Status.NOT_DONE


def _fails_with(eid, fn, words):
    result = grading.run_check(eid, fn)
    assert result.status is Status.FAILED, result.report()
    assert words in result.report(), result.report()
    return result


def test_iou_mistakes_are_named():
    _fails_with("ch05.box_iou", ch05._iou_union_no_minus, "counted twice")
    _fails_with("ch05.box_iou", ch05._iou_no_clip, "clip the overlap")
    _fails_with("ch05.box_iou", ch05._iou_plus_one, "no + 1")


def test_encoding_mistakes_are_named():
    _fails_with("ch05.encode_boxes", ch05._encode_not_normalised, "divide the centre offsets")
    _fails_with("ch05.encode_boxes", ch05._encode_no_log, "log-ratios")
    _fails_with("ch05.encode_boxes", ch05._encode_corners, "centres")


def test_nms_mistakes_are_named():
    _fails_with("ch05.nms", ch05._nms_ge, "strictly greater")
    _fails_with("ch05.nms", ch05._nms_once, "only with the boxes you kept")
    _fails_with("ch05.nms", lambda b, s, t: np.sort(nms(b, s, t)), "decreasing score")


def test_ap_mistakes_are_named():
    _fails_with("ch05.average_precision", ch05._ap_no_envelope, "envelope")
    _fails_with("ch05.average_precision", ch05._ap_unsorted, "decreasing score")
    _fails_with("ch05.average_precision", ch05._ap_recall_by_detections, "n_gt")


def test_roi_align_mistakes_are_named():
    _fails_with("ch05.roi_align", ch05._roi_no_shift, "u - 0.5")
    _fails_with("ch05.roi_align", ch05._roi_rounded, "do not round")


def test_assignment_accepts_any_optimal_answer_and_names_greedy():
    assert grading.run_check("ch05.linear_assignment", scipy_lsa).passed      # other tie-breaking is fine

    def greedy(C):
        used, cols = set(), []
        for row in C:
            j = min((c for c in range(C.shape[1]) if c not in used), key=lambda c: row[c])
            used.add(j)
            cols.append(j)
        return np.arange(C.shape[0]), np.array(cols)

    _fails_with("ch05.linear_assignment", greedy, "greedy")
    _fails_with("ch05.linear_assignment", lambda C: (np.zeros(min(C.shape), int), np.zeros(min(C.shape), int)),
                "one-to-one")


def test_hints_never_print_reference_values():
    result = grading.run_check("ch05.average_precision", ch05._ap_no_envelope)
    assert f"{34 / 45:.4f}" not in result.report() and "0.7555" not in result.report()
