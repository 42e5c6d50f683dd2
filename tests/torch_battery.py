"""The torch battery: the checks every torch op of coursekit gets (CONTRIBUTING.md, "PyTorch: the training loop,
models and randomness").

Describe an op once as a :class:`TorchOp` and let :func:`battery` turn it into one pytest case per check:

- ``shape``: the output shape (and, for a module, its parameter count ``numel``);
- ``bad_input``: every listed bad call raises ``ValueError`` with the expected words;
- ``gradcheck``: ``torch.autograd.gradcheck`` in float64 against central differences;
- ``module``: the ``nn.Module`` twin gives the function's output;
- ``reference``: agreement with an implementation the op does not call (a NumPy twin, ``torch.nn.functional``,
  a hand-written composition), within a tolerance whose reason is written beside it.

A test module then needs two lines::

    @pytest.mark.parametrize("op, check", battery(OPS))
    def test_torch_battery(op, check):
        run_check(op, check)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import torch
from torch import nn

CHECKS = ("shape", "bad_input", "gradcheck", "module", "reference")


@dataclass
class TorchOp:
    """One torch op under test. Every callable receives the float64 inputs made by ``make``."""

    name: str
    make: Callable[[torch.Generator], tuple]       # the op's positional inputs, float64, from a seeded generator
    op: Callable                                   # op(*inputs) -> Tensor or ndarray (a function, or a module)
    shape: tuple | Callable[[tuple], tuple]        # the expected output shape, or shape(inputs)
    bad: list = field(default_factory=list)        # [(call: () -> None, words in the ValueError), ...]
    grad: tuple[int, ...] | None = None            # indices of the inputs gradcheck perturbs (None: no gradcheck)
    module: Callable[[tuple], tuple[nn.Module, tuple]] | None = None   # inputs -> (twin module, its inputs)
    reference: Callable | None = None              # reference(*inputs) -> Tensor or ndarray
    rtol: float = 0.0
    atol: float = 0.0
    why: str = ""                                  # the reason for (rtol, atol); required with a reference
    numel: int | None = None                       # parameter count of the module op (op must be a Module)

    def inputs(self, seed: int = 0) -> tuple:
        return self.make(torch.Generator().manual_seed(seed))


def battery(ops) -> list:
    """One ``pytest.param(op, check)`` per op and applicable check, with readable ids."""
    params = []
    for op in ops:
        applicable = {"shape": True, "bad_input": bool(op.bad), "gradcheck": op.grad is not None,
                      "module": op.module is not None, "reference": op.reference is not None}
        params += [pytest.param(op, check, id=f"{op.name}-{check}") for check in CHECKS if applicable[check]]
    return params


def as_array(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def assert_close(got, expected, *, rtol: float, atol: float, what: str) -> None:
    """Like ``np.testing.assert_allclose``, but the message names the op and says where and how much."""
    got, expected = as_array(got), as_array(expected)
    if got.shape != expected.shape:
        raise AssertionError(f"{what}: shape {got.shape}, expected {expected.shape}")
    err = np.abs(got - expected)
    bad = err > atol + rtol * np.abs(expected)
    if bad.any():
        i = np.unravel_index(np.argmax(np.where(bad, err, -1)), err.shape)
        raise AssertionError(f"{what}: {int(bad.sum())} of {bad.size} values differ beyond atol={atol}, "
                             f"rtol={rtol}; worst at {tuple(int(k) for k in i)}: got {got[i]:.6g}, expected "
                             f"{expected[i]:.6g} (|diff| {err[i]:.2e})")


def _shape(op: TorchOp, inputs: tuple) -> tuple:
    return tuple(op.shape(inputs)) if callable(op.shape) else tuple(op.shape)


def run_check(op: TorchOp, check: str) -> None:
    """Run one check of the battery on ``op``."""
    inputs = op.inputs()
    if check == "shape":
        out = op.op(*inputs)
        assert tuple(out.shape) == _shape(op, inputs), f"{op.name}: output shape {tuple(out.shape)}"
        assert out.dtype in (torch.float64, np.float64), f"{op.name}: float64 out expected, got {out.dtype}"
        if op.numel is not None:
            n = sum(p.numel() for p in op.op.parameters())
            assert n == op.numel, f"{op.name}: {n} parameters, the closed form says {op.numel}"
    elif check == "bad_input":
        for call, words in op.bad:
            with pytest.raises(ValueError, match=words):
                call()
    elif check == "gradcheck":
        leaves = [x.detach().clone().requires_grad_(i in op.grad) if isinstance(x, torch.Tensor) else x
                  for i, x in enumerate(inputs)]
        assert all(leaves[i].dtype == torch.float64 for i in op.grad), f"{op.name}: gradcheck needs float64"
        # gradcheck's defaults (eps 1e-6, atol 1e-5, rtol 1e-3): central differences in float64 are accurate to
        # ~eps² · f''' + 1e-16 / eps ≈ 1e-10 on smooth ops, far inside them; a wrong backward is off by O(1).
        assert torch.autograd.gradcheck(lambda *a: op.op(*a), tuple(leaves)), op.name
    elif check == "module":
        module, module_inputs = op.module(inputs)
        # Tolerance: the twin runs the same float64 operations, in the same order: equal to ~1e-15.
        assert_close(module(*module_inputs), op.op(*inputs), rtol=0, atol=1e-12,
                     what=f"{op.name}: module twin vs function")
    elif check == "reference":
        assert op.why, f"{op.name}: say why the reference tolerance is what it is"
        assert_close(op.op(*inputs), op.reference(*inputs), rtol=op.rtol, atol=op.atol,
                     what=f"{op.name} vs its reference ({op.why})")
    else:
        raise ValueError(f"unknown check {check!r}; one of {CHECKS}")


def functional(module: nn.Module, names: tuple[str, ...]) -> Callable:
    """``f(x, *params)``: ``module`` as a function of its input and of the named parameters (differentiable in both)."""

    def f(x, *params):
        return torch.func.functional_call(module, dict(zip(names, params)), (x,))

    return f


def randn(generator: torch.Generator, *shape, scale: float = 1.0, shift: float = 0.0) -> torch.Tensor:
    """A float64 N(shift, scale²) tensor from ``generator``."""
    return torch.randn(*shape, generator=generator, dtype=torch.float64) * scale + shift
