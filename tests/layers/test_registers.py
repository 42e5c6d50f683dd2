"""coursekit.layers.registers: registers join every sequence, change what the input tokens attend to, and leave."""

from __future__ import annotations

import pytest
import torch

from coursekit.layers.gqa import GroupedQueryAttention
from coursekit.layers.registers import RegisterTokens, append_registers, drop_registers

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_append_then_drop_round_trips_and_registers_are_shared():
    x = torch.randn(3, 5, 4, generator=torch.Generator().manual_seed(0))
    reg = torch.randn(2, 4, generator=torch.Generator().manual_seed(1))
    y = append_registers(x, reg)
    assert y.shape == (3, 7, 4)
    assert torch.equal(y[:, :5], x) and torch.equal(y[1, 5:], reg) and torch.equal(y[0, 5:], y[2, 5:])
    assert torch.equal(drop_registers(y, 2), x)
    assert torch.equal(drop_registers(x, 0), x)


def test_registers_change_the_input_tokens_outputs_and_receive_gradients():
    g = torch.Generator().manual_seed(2)
    att = GroupedQueryAttention(8, 2, generator=g)
    reg = RegisterTokens(3, 8, generator=g)
    x = torch.randn(2, 4, 8, generator=g)
    with_reg = reg.drop(att(reg.append(x)))
    assert with_reg.shape == x.shape
    assert not torch.allclose(with_reg, att(x))                   # the tokens now also attend to the registers
    with_reg.pow(2).sum().backward()
    assert reg.registers.grad is not None and reg.registers.grad.abs().sum() > 0
    assert RegisterTokens(0, 8).append(x).shape == x.shape


def test_bad_input():
    with pytest.raises(ValueError, match="registers"):
        append_registers(torch.zeros(2, 3, 4), torch.zeros(2, 5))
    with pytest.raises(ValueError, match="N >= 1"):
        drop_registers(torch.zeros(2, 3, 4), 3)
    with pytest.raises(ValueError, match="n_registers"):
        RegisterTokens(-1, 4)
