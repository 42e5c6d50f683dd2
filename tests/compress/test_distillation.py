"""coursekit.compress.distillation: a student trained only on the soft targets ends close to its teacher."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from coursekit.compress.distillation import distill
from coursekit.training.loop import FitConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_student_learns_the_teachers_function():
    g = torch.Generator().manual_seed(0)
    teacher = nn.Linear(6, 4)
    X = torch.randn(512, 6, generator=g)
    y = torch.zeros(512, dtype=torch.long)                                   # labels unused with alpha = 1
    student = nn.Linear(6, 4)
    before = (student(X).argmax(1) == teacher(X).argmax(1)).float().mean()
    distill(student, teacher, X, y, FitConfig(epochs=30, batch_size=64, lr=3e-2), g, T=2.0, alpha=1.0)
    with torch.no_grad():
        agree = (student(X).argmax(1) == teacher(X).argmax(1)).float().mean()
    assert agree > 0.95 and agree > before


def test_teacher_is_not_updated_and_bad_input():
    g = torch.Generator().manual_seed(1)
    teacher, student = nn.Linear(3, 2), nn.Linear(3, 2)
    w = teacher.weight.clone()
    X, y = torch.randn(16, 3, generator=g), torch.randint(0, 2, (16,), generator=g)
    distill(student, teacher, X, y, FitConfig(epochs=2, batch_size=8), g)
    assert torch.equal(teacher.weight, w)
    with pytest.raises(ValueError, match="one row per example"):
        distill(student, teacher, X, y[:5], FitConfig(epochs=1), g)
    with pytest.raises(ValueError, match="T"):
        distill(student, teacher, X, y, FitConfig(epochs=1), g, T=0.0)
