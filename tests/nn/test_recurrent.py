"""RNN and LSTM cells of Chapter 3 against torch.nn (weights copied), and gradients through time."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.nn.recurrent import (
    input_gradient_norms,
    lstm_cell_forward,
    lstm_forward,
    params_from_torch,
    rnn_cell_forward,
    rnn_forward,
    rnn_state_jacobian_norms,
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# float64 on both sides, same formulas (sigmoid via tanh here, via exp in torch): a few ulps per step,
# growing at most linearly over T = 12 steps of contractive updates; 1e-12 leaves a wide margin and a
# gate-order mix-up changes values at the 1e-1 level.
ATOL = 1e-12


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


def test_lstm_cell_equals_torch_lstmcell(rng):
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(5, 4, dtype=torch.float64)
    x, h, c = rng.standard_normal((3, 5)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    h1, c1 = lstm_cell_forward(x, h, c, *params_from_torch(cell))
    h1_t, c1_t = cell(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
    np.testing.assert_allclose(h1, h1_t.detach().numpy(), atol=ATOL)
    np.testing.assert_allclose(c1, c1_t.detach().numpy(), atol=ATOL)


def test_unrolled_lstm_equals_torch_lstm(rng):
    torch.manual_seed(1)
    lstm = torch.nn.LSTM(3, 6, batch_first=True, dtype=torch.float64)
    X, h0, c0 = rng.standard_normal((2, 12, 3)), rng.standard_normal((2, 6)), rng.standard_normal((2, 6))
    H_all, (hT, cT) = lstm_forward(X, h0, c0, *params_from_torch(lstm))
    out, (hT_t, cT_t) = lstm(torch.from_numpy(X), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    np.testing.assert_allclose(H_all, out.detach().numpy(), atol=ATOL)
    np.testing.assert_allclose(hT, hT_t[0].detach().numpy(), atol=ATOL)
    np.testing.assert_allclose(cT, cT_t[0].detach().numpy(), atol=ATOL)


def test_lstm_matches_a_float32_torch_lstm_to_single_precision(rng):
    torch.manual_seed(2)
    lstm = torch.nn.LSTM(3, 6, batch_first=True)            # float32, the default
    X = rng.standard_normal((2, 12, 3)).astype(np.float32)
    H_all, _ = lstm_forward(X.astype(np.float64), np.zeros((2, 6)), np.zeros((2, 6)), *params_from_torch(lstm))
    out, _ = lstm(torch.from_numpy(X))
    # float32 rounding (~6e-8 relative) per operation on values of size <= 1, accumulated over 12 steps.
    np.testing.assert_allclose(H_all, out.detach().numpy(), atol=1e-5)


def test_gate_order_is_i_f_g_o(rng):
    # Only the forget gate's bias is large and negative: the cell forgets c completely, c' = i * g.
    H, D = 2, 1
    W_ih, W_hh, b_hh = np.zeros((4 * H, D)), np.zeros((4 * H, H)), np.zeros(4 * H)
    b_ih = np.zeros(4 * H)
    b_ih[H:2 * H] = -50.0
    _, c1 = lstm_cell_forward(np.zeros((1, D)), np.zeros((1, H)), np.full((1, H), 7.0), W_ih, W_hh, b_ih, b_hh)
    np.testing.assert_allclose(c1, 0.0, atol=1e-20)


def test_rnn_equals_torch_rnn_and_rnncell(rng):
    torch.manual_seed(3)
    rnn = torch.nn.RNN(4, 5, batch_first=True, dtype=torch.float64)
    X, h0 = rng.standard_normal((3, 9, 4)), rng.standard_normal((3, 5))
    H_all, hT = rnn_forward(X, h0, *params_from_torch(rnn))
    out, hT_t = rnn(torch.from_numpy(X), torch.from_numpy(h0)[None])
    np.testing.assert_allclose(H_all, out.detach().numpy(), atol=ATOL)
    np.testing.assert_allclose(hT, hT_t[0].detach().numpy(), atol=ATOL)
    cell = torch.nn.RNNCell(4, 5, dtype=torch.float64)
    h1 = rnn_cell_forward(X[:, 0], h0, *params_from_torch(cell))
    np.testing.assert_allclose(h1, cell(torch.from_numpy(X[:, 0]), torch.from_numpy(h0)).detach().numpy(), atol=ATOL)


def test_state_jacobian_norms_match_torch_autograd(rng):
    T, D, H = 8, 2, 4
    W_ih, W_hh = rng.standard_normal((H, D)), 0.9 * rng.standard_normal((H, H)) / np.sqrt(H)
    b_ih, b_hh = 0.1 * rng.standard_normal(H), np.zeros(H)
    X, h0 = rng.standard_normal((T, D)), rng.standard_normal(H)
    norms = rnn_state_jacobian_norms(X, h0, W_ih, W_hh, b_ih, b_hh)
    # Oracle: autograd through the unrolled torch computation, from h_t (t = 2 here) to h_T.
    hs, _ = rnn_forward(X[None], h0[None], W_ih, W_hh, b_ih, b_hh)
    Wi, Wh, bi, bh = (torch.from_numpy(a) for a in (W_ih, W_hh, b_ih, b_hh))
    Xt = torch.from_numpy(X)

    def from_h2(h):
        for s in range(2, T):
            h = torch.tanh(Xt[s] @ Wi.T + bi + h @ Wh.T + bh)
        return h

    J = torch.autograd.functional.jacobian(from_h2, torch.from_numpy(hs[0, 1]))   # ∂h_T/∂h_2
    assert abs(norms[2] - torch.linalg.matrix_norm(J, 2).item()) < 1e-12
    assert norms[-1] == 1.0 and norms.shape == (T + 1,)


def test_gradients_vanish_geometrically_below_the_spectral_norm_bound(rng):
    T, H = 30, 16
    Q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    for scale in (0.5, 0.9, 1.5):
        W_hh = scale * Q                                     # every singular value equals `scale`
        norms = rnn_state_jacobian_norms(0.5 * rng.standard_normal((T, 1)), np.zeros(H),
                                         rng.standard_normal((H, 1)), W_hh, np.zeros(H), np.zeros(H))

        bound = scale ** np.arange(T, -1, -1)                # ‖W_hh‖^(T - t), since tanh' <= 1
        assert np.all(norms <= bound * (1 + 1e-9))
    assert norms[0] < 1.5 ** T                               # saturation tames the explosion


def test_input_gradient_norms_last_step_matches_the_closed_form(gen):
    torch.manual_seed(4)
    rnn = torch.nn.RNN(2, 5, batch_first=True, dtype=torch.float64)
    X = torch.randn(7, 2, generator=gen, dtype=torch.float64)
    norms = input_gradient_norms(rnn, X)
    W_ih, W_hh, b_ih, b_hh = params_from_torch(rnn)
    hT = rnn_forward(X.numpy()[None], np.zeros((1, 5)), W_ih, W_hh, b_ih, b_hh)[1][0]
    # ∂h_T/∂x_T = diag(1 - h_T²) W_ih
    assert abs(norms[-1] - np.linalg.norm((1 - hT ** 2)[:, None] * W_ih)) < 1e-12
    assert norms.shape == (7,)


def test_lstm_with_open_forget_gate_carries_gradient_further_than_an_rnn(gen):
    torch.manual_seed(5)
    T = 60
    rnn = torch.nn.RNN(1, 16, batch_first=True, dtype=torch.float64)
    lstm = torch.nn.LSTM(1, 16, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        lstm.bias_ih_l0[16:32] = 3.0                         # forget gate σ(3) ≈ 0.95: remember
    X = torch.randn(T, 1, generator=gen, dtype=torch.float64)
    r, l = input_gradient_norms(rnn, X), input_gradient_norms(lstm, X)
    assert l[0] / l[-1] > 100 * r[0] / r[-1]                 # orders of magnitude apart in practice


def test_bad_inputs_raise_clear_errors(rng):
    x, h = np.ones((2, 3)), np.ones((2, 4))
    with pytest.raises(ValueError, match="W_ih"):
        rnn_cell_forward(x, h, np.ones((4, 2)), np.ones((4, 4)), np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match="batch size"):
        rnn_cell_forward(x, np.ones((3, 4)), np.ones((4, 3)), np.ones((4, 4)), np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match="c must have the shape"):
        lstm_cell_forward(x, h, np.ones((2, 5)), np.ones((16, 3)), np.ones((16, 4)), np.ones(16), np.ones(16))
    with pytest.raises(ValueError, match="W_hh"):    # RNN-sized weights given to an LSTM
        lstm_cell_forward(x, h, h, np.ones((16, 3)), np.ones((4, 4)), np.ones(16), np.ones(16))
    with pytest.raises(ValueError, match="3-D"):
        rnn_forward(np.ones((2, 3)), h, np.ones((4, 3)), np.ones((4, 4)), np.ones(4), np.ones(4))
