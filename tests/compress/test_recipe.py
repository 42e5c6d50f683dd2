"""Chapter 14's compression recipe, as the chapter runs it: a 64-256-256-10 MLP on the 8×8 digits keeps its accuracy
under int8 weights and 50% magnitude pruning, falls off a cliff at 95%, and a 16-unit student distilled on the
unlabelled training images beats the same student trained on 100 labels."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.compress.distillation import distill
from coursekit.compress.prune import prune_model
from coursekit.compress.quantize import fake_quantize_model
from coursekit.data.digits import load_digits_split
from coursekit.layers.init import init_parameters_
from coursekit.training.loop import FitConfig, fit

pytestmark = [pytest.mark.usefixtures("one_torch_thread"), pytest.mark.slow]   # ~25 s wall on a busy machine


def _mlp(widths, generator):
    mods = []
    for a, b in zip(widths[:-1], widths[1:]):
        mods += [nn.Linear(a, b), nn.ReLU()]
    return init_parameters_(nn.Sequential(*mods[:-1]), generator)


@pytest.fixture(scope="module")
def recipe():
    d = load_digits_split(8)
    X_tr, X_te = d.X_train.flatten(1), d.X_test.flatten(1)
    g = torch.Generator().manual_seed(0)
    teacher = _mlp([64, 256, 256, 10], g)
    fit(teacher, lambda m, b: F.cross_entropy(m(b[0]), b[1]), (X_tr, d.y_train),
        FitConfig(epochs=15, batch_size=64, lr=3e-3, weight_decay=1e-4, warmup_fraction=0.1), g, progress=False)

    def acc(net):
        with torch.no_grad():
            return float((net(X_te).argmax(1) == d.y_test).float().mean())

    return teacher, acc, X_tr, d.y_train


def test_int8_keeps_the_accuracy_and_per_channel_asymmetric_survives_2_bits(recipe):
    teacher, acc, _, _ = recipe
    base = acc(teacher)
    assert base > 0.95
    for sym in (True, False):
        for per_channel in (True, False):
            assert abs(acc(fake_quantize_model(teacher, 8, sym, per_channel)) - base) <= 0.01
    assert acc(fake_quantize_model(teacher, 2, False, True)) > acc(fake_quantize_model(teacher, 2, True, False)) + 0.2


def test_pruning_is_free_at_half_and_a_cliff_at_95_percent(recipe):
    teacher, acc, _, _ = recipe
    base = acc(teacher)
    assert acc(prune_model(teacher, 0.5)) >= base - 0.01
    assert acc(prune_model(teacher, 0.95)) < base - 0.3


def test_distilled_student_beats_the_student_of_100_labels(recipe):
    teacher, acc, X_tr, y_tr = recipe
    results = {}
    for name, (X, y, alpha, epochs) in {"labels": (X_tr[:100], y_tr[:100], 0.0, 120),
                                        "soft": (X_tr, y_tr, 1.0, 20)}.items():
        student = _mlp([64, 16, 10], torch.Generator().manual_seed(1))
        distill(student, teacher, X, y, FitConfig(epochs=epochs, batch_size=64, lr=1e-2, warmup_fraction=0.1),
                torch.Generator().manual_seed(2), T=4.0, alpha=alpha)
        results[name] = acc(student)
    assert results["soft"] > results["labels"] + 0.05
