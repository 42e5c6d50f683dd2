"""coursekit.video.fusion: flow stacking layout and late fusion of softmax scores."""

import numpy as np
import pytest
from scipy.special import softmax

from coursekit.video.fusion import late_fusion, stack_flow


def test_stack_flow_interleaves_dx_dy_per_field():
    flow = np.random.default_rng(0).normal(size=(6, 5, 7, 2))
    s = stack_flow(flow, L=3, start=2)
    assert s.shape == (6, 5, 7)
    for l in range(3):
        np.testing.assert_array_equal(s[2 * l], flow[2 + l, ..., 0])
        np.testing.assert_array_equal(s[2 * l + 1], flow[2 + l, ..., 1])
    assert stack_flow(flow).shape == (12, 5, 7)


def test_late_fusion_is_the_weighted_mean_of_scipy_softmaxes():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    np.testing.assert_allclose(late_fusion([a, b]), 0.5 * softmax(a, 1) + 0.5 * softmax(b, 1), atol=1e-12)
    np.testing.assert_allclose(late_fusion([a, b], [1, 3]), 0.25 * softmax(a, 1) + 0.75 * softmax(b, 1),
                               atol=1e-12)
    np.testing.assert_allclose(late_fusion([a, b]).sum(1), 1.0, atol=1e-12)


def test_an_uninformative_stream_does_not_change_the_decision():
    rng = np.random.default_rng(2)
    temporal = rng.normal(size=(50, 4))
    flat = np.zeros((50, 4))                                   # a stream at chance: uniform scores
    assert np.array_equal(late_fusion([flat, temporal]).argmax(1), temporal.argmax(1))


@pytest.mark.parametrize("call, words", [
    (lambda: stack_flow(np.zeros((3, 4, 4, 3))), "T-1, H, W, 2"),
    (lambda: stack_flow(np.zeros((3, 4, 4, 2)), L=4), "L"),
    (lambda: late_fusion([]), "non-empty"),
    (lambda: late_fusion([np.zeros((2, 3)), np.zeros((2, 4))]), "same shape"),
    (lambda: late_fusion([np.zeros((2, 3))], weights=[-1]), "weights"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
