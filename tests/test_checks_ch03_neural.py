"""The graded checks of Chapter 3's neural exercises: the reference passes, typical mistakes fail with a hint
that names the mistake (and no reference values), a stub is "not done"."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.nn.mlp import linear_backward
from coursekit.nn.normalization import batchnorm_forward
from coursekit.nn.recurrent import lstm_cell_forward
from coursekit.core.numerics import sigmoid


def _stub(*args, **kwargs):
    raise NotImplementedError


def _bn_train(X, gamma, beta, eps=1e-5):
    return batchnorm_forward(X, gamma, beta, np.zeros(X.shape[1]), np.ones(X.shape[1]), eps=eps)[0]


@pytest.mark.parametrize("eid,reference", [
    ("ch03.linear_backward", linear_backward),
    ("ch03.batchnorm_train_forward", _bn_train),
    ("ch03.lstm_cell_forward", lstm_cell_forward),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=3)
    assert result.passed and result.points == 3 and len(result.cases) >= 3
    stub = grading.run_check(eid, _stub, points=3)
    assert stub.status == "not-done" and stub.points == 0


def test_transposed_weight_gradient_gets_the_shape_hint():
    result = grading.run_check("ch03.linear_backward", lambda dY, X, W: (dY @ W.T, dY.T @ X, dY.sum(0)))
    assert not result.passed and any("shape of W" in c.hint for c in result.cases)


def test_averaged_bias_gradient_gets_the_sum_hint():
    result = grading.run_check("ch03.linear_backward", lambda dY, X, W: (dY @ W.T, X.T @ dY, dY.mean(0)))
    assert not result.passed and any("gradients add up" in c.hint for c in result.cases)


def test_unbiased_variance_in_batchnorm_gets_the_biased_variance_hint():
    def unbiased(X, gamma, beta, eps=1e-5):
        return gamma * (X - X.mean(0)) / np.sqrt(X.var(0, ddof=1) + eps) + beta

    result = grading.run_check("ch03.batchnorm_train_forward", unbiased)
    assert not result.passed and any("divide by B, not B - 1" in c.hint for c in result.cases)


def test_batchnorm_without_eps_gets_the_eps_hint():
    def no_eps(X, gamma, beta, eps=1e-5):
        return gamma * (X - X.mean(0)) / np.sqrt(X.var(0)) + beta

    result = grading.run_check("ch03.batchnorm_train_forward", no_eps)
    assert not result.passed and any("add eps" in c.hint for c in result.cases)


def test_batchnorm_over_the_wrong_axis_gets_the_axis_hint():
    def per_row(X, gamma, beta, eps=1e-5):
        return gamma * (X - X.mean(1, keepdims=True)) / np.sqrt(X.var(1, keepdims=True) + eps) + beta

    result = grading.run_check("ch03.batchnorm_train_forward", per_row)
    assert not result.passed and any("axis 0" in c.hint for c in result.cases)


def test_lstm_with_the_cs231n_gate_order_gets_the_gate_order_hint():
    def ifog(x, h, c, W_ih, W_hh, b_ih, b_hh):          # a common layout: i, f, o, g
        a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
        i, f, o, g = np.split(a, 4, axis=1)
        c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * np.tanh(c_new), c_new

    result = grading.run_check("ch03.lstm_cell_forward", ifog)
    assert not result.passed and any("i, f, o, g" in c.hint and "i, f, g, o" in c.hint for c in result.cases)


def test_lstm_output_without_tanh_gets_the_output_hint():
    def no_tanh(x, h, c, W_ih, W_hh, b_ih, b_hh):
        h_ref, c_new = lstm_cell_forward(x, h, c, W_ih, W_hh, b_ih, b_hh)
        H = h.shape[1]
        o = sigmoid((x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)[:, 3 * H:])
        return o * c_new, c_new

    result = grading.run_check("ch03.lstm_cell_forward", no_tanh)
    assert not result.passed and any("o * tanh(c')" in c.hint for c in result.cases)


def test_hints_never_print_reference_values():
    result = grading.run_check("ch03.linear_backward", lambda dY, X, W: (dY @ W.T, X.T @ dY, dY.mean(0)))
    report = result.report()
    rng = grading.rng_for("ch03.linear_backward")
    dY, X, W = rng.standard_normal((4, 2)), rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    for v in linear_backward(dY, X, W)[2]:
        assert f"{v:.3g}" not in report and f"{v:.4f}" not in report
