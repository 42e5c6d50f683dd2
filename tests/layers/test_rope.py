"""coursekit.layers.rope: RoPE is a rotation (the block-diagonal R_m), and the scores depend only on m − n."""

from __future__ import annotations

import pytest
import torch

from coursekit.layers.rope import apply_rope, rope_angles, rope_rotation_matrix
from torch_battery import TorchOp, battery, randn, run_check

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _by_matrix(x, positions=None):
    N, d = x.shape[-2:]
    rows = [x[..., m, :] @ rope_rotation_matrix(m, d).T for m in range(N)]
    return torch.stack(rows, dim=-2)


OPS = [
    TorchOp("apply_rope", make=lambda g: (randn(g, 2, 3, 5, 8),), op=apply_rope, shape=(2, 3, 5, 8),
            bad=[(lambda: apply_rope(torch.zeros(4, 5)), "even"),
                 (lambda: apply_rope(torch.zeros(4, 6), torch.arange(3)), "positions must have shape"),
                 (lambda: apply_rope(torch.zeros(6)), "float tensor")],
            grad=(0,), reference=_by_matrix, atol=1e-12,
            why="the explicit block-diagonal rotation, built entry by entry: the same float64 cos/sin, summed"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


def test_rotation_matrix_is_orthogonal_and_composes():
    R3, R5, R8 = (rope_rotation_matrix(m, 6) for m in (3, 5, 8))
    torch.testing.assert_close(R3.T @ R3, torch.eye(6, dtype=torch.float64))
    torch.testing.assert_close(R3 @ R5, R8)                                # R_m R_n = R_{m+n}


@pytest.mark.parametrize("d", [2, 8, 64])
def test_scores_depend_only_on_the_offset(d):
    g = torch.Generator().manual_seed(d)
    q, k = torch.randn(d, generator=g, dtype=torch.float64), torch.randn(d, generator=g, dtype=torch.float64)
    positions = torch.arange(40)
    Q = apply_rope(q.expand(40, d), positions)                             # the same q at every position m
    K = apply_rope(k.expand(40, d), positions)
    S = Q @ K.T                                                            # S[m, n]
    # Property: S[m, n] = S[m + s, n + s] for every shift s (a Toeplitz matrix), to float64 rounding.
    for offset in range(-39, 40):
        diag = torch.diagonal(S, offset)
        assert (diag - diag[0]).abs().max() < 1e-12, offset
    # ... and it does depend on the offset (otherwise position would be lost)
    assert torch.diagonal(S, 0)[0] != pytest.approx(torch.diagonal(S, 5)[0])


def test_rope_preserves_norm_and_position_zero():
    x = torch.randn(7, 10, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    y = apply_rope(x)
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1))
    torch.testing.assert_close(y[0], x[0])


def test_angles_follow_the_formula():
    a = rope_angles(torch.tensor([2]), 6, base=10000.0)[0]
    expected = torch.tensor([2.0, 2.0 * 10000 ** (-2 / 6), 2.0 * 10000 ** (-4 / 6)], dtype=torch.float64)
    torch.testing.assert_close(a, expected)
    with pytest.raises(ValueError, match="1-D"):
        rope_angles(torch.zeros(2, 2), 4)
