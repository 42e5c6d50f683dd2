"""coursekit.models.efficientnet: compound scaling against its closed form and Tan & Le's FLOPs budget."""

from __future__ import annotations

import math

import pytest

from coursekit import models



def test_compound_scaling_spends_about_twice_the_flops_per_unit_of_phi():
    s = models.compound_scaling(1.0)
    # Tan & Le's constraint alpha·beta²·gamma² ≈ 2 (their grid search: 1.2, 1.1, 1.15 gives 1.92)
    assert 1.9 < s.flops < 2.0
    for phi in (0.0, 0.5, 2.0, 7.0):
        s = models.compound_scaling(phi)
        assert math.isclose(s.flops, s.depth * s.width ** 2 * s.resolution ** 2, rel_tol=1e-12)
        assert math.isclose(s.depth, 1.2 ** phi, rel_tol=1e-12)
    assert models.compound_scaling(0.0) == (1.0, 1.0, 1.0, 1.0)


def test_compound_scaling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="phi"):
        models.compound_scaling(-1.0)
    with pytest.raises(ValueError, match="beta must be >= 1"):
        models.compound_scaling(1.0, beta=0.9)


