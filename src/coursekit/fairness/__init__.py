"""Fairness interventions: removing a bias direction from embeddings, and group-aware decision thresholds.

Chapter 18 (Explainability and fairness). The fairness *metrics* live in :mod:`coursekit.metrics.fairness`.
"""

from coursekit.fairness.debias import bias_direction, project_out, equalize_pairs, direct_bias
from coursekit.fairness.thresholds import group_thresholds, apply_thresholds

__all__ = [
    "bias_direction",
    "project_out",
    "equalize_pairs",
    "direct_bias",
    "group_thresholds",
    "apply_thresholds",
]
