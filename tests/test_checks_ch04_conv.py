"""The graded checks of Chapter 4's convolution exercises: the reference passes, typical mistakes fail with a
hint that names the mistake (and no reference values), a stub is "not done"."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coursekit import grading
from coursekit.nn.conv_arithmetic import conv_output_size, receptive_field
from coursekit.nn.conv import im2col


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch04.conv_output_size", conv_output_size),
    ("ch04.im2col", lambda x, k, s, p: im2col(x, k, s, p)),
    ("ch04.receptive_field", receptive_field),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=2)
    assert result.passed and result.points == 2 and len(result.cases) >= 4
    stub = grading.run_check(eid, _stub, points=2)
    assert stub.status == "not-done" and stub.points == 0


def _failed_hints(result):
    assert not result.passed and result.points == 0
    return " ".join(c.hint for c in result.cases if not c.passed)


def test_output_size_ignoring_dilation_gets_the_dilation_hint():
    hints = _failed_hints(grading.run_check("ch04.conv_output_size",
                                            lambda n, k, s=1, p=0, d=1: (n + 2 * p - k) // s + 1))
    assert "ignores dilation" in hints


def test_output_size_rounding_up_gets_the_rounding_hint():
    hints = _failed_hints(grading.run_check(
        "ch04.conv_output_size", lambda n, k, s=1, p=0, d=1: math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1))
    assert "round the division down" in hints


def test_output_size_padding_one_side_gets_the_padding_hint():
    hints = _failed_hints(grading.run_check(
        "ch04.conv_output_size", lambda n, k, s=1, p=0, d=1: (n + p - d * (k - 1) - 1) // s + 1))
    assert "both sides" in hints


def test_im2col_with_kernel_major_rows_gets_the_order_hint():
    def kernel_major(x, k, s, p):                      # rows ordered (u, v, c) instead of (c, u, v)
        B, C = x.shape[:2]
        cols = im2col(x, k, s, p)                      # (B, C k k, L)
        return cols.reshape(B, C, k * k, -1).transpose(0, 2, 1, 3).reshape(B, C * k * k, -1)

    assert "wrong order: rows run over channels" in _failed_hints(grading.run_check("ch04.im2col", kernel_major))


def test_im2col_transposed_or_unpadded_gets_a_shape_hint():
    transposed = lambda x, k, s, p: im2col(x, k, s, p).transpose(0, 2, 1)       # noqa: E731
    assert "one window per column" in _failed_hints(grading.run_check("ch04.im2col", transposed))
    unpadded = lambda x, k, s, p: im2col(x, k, s, 0)                            # noqa: E731
    assert "padding" in _failed_hints(grading.run_check("ch04.im2col", unpadded))


def test_receptive_field_without_jumps_gets_the_stride_hint():
    no_jump = lambda layers: 1 + sum(d * (k - 1) for k, s, d in layers)        # noqa: E731
    assert "product of all earlier strides" in _failed_hints(grading.run_check("ch04.receptive_field", no_jump))


def test_receptive_field_without_dilation_gets_the_dilation_hint():
    def no_dilation(layers):
        r, j = 1, 1
        for k, s, d in layers:
            r, j = r + (k - 1) * j, j * s
        return r

    assert "ignores dilation" in _failed_hints(grading.run_check("ch04.receptive_field", no_dilation))


def test_hints_never_print_reference_values():
    result = grading.run_check("ch04.receptive_field", lambda layers: 0)
    cases = {"three 3×3 stride-1 layers": [(3, 1, 1)] * 3, "dilations 1, 2, 4": [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
             "7×7 stride 2, then 3×3 max pool stride 2": [(7, 2, 1), (3, 2, 1)]}
    hints = {c.label: c.hint for c in result.cases}
    for label, layers in cases.items():
        assert str(receptive_field(layers)) not in hints[label]
