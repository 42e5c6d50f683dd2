"""Human pose estimation (Chapter 7): keypoint heatmaps and their sub-pixel decoding, the training losses of
heatmap and coordinate regression with intermediate supervision, part affinity fields with line-integral
limb scores and Hungarian grouping of many people, and the cost of top-down versus bottom-up pipelines.

Keypoints are ``(x, y)`` in image pixels with pixel centres at half-integers (the stick figures'
convention, see :mod:`coursekit.pose.heatmaps`). The metrics (PCK, OKS, limb accuracy) are in
:mod:`coursekit.metrics.pose`, the heatmap network in :mod:`coursekit.models.heatmap_net`.
"""

from coursekit.pose.heatmaps import gaussian_heatmaps, parabola_offset, decode_heatmaps, REFINEMENTS
from coursekit.pose.paf import (
    paf_targets,
    paf_line_integral,
    limb_scores,
    distance_scores,
    heatmap_peaks,
    assemble_people,
    group_people,
)
from coursekit.pose.pipelines import crop_person, pipeline_cost
from coursekit._lazy import attach

# names of the modules that need torch: they load on first use (coursekit._lazy)
_LAZY = {
    "heatmap_loss": "losses",
    "coordinate_loss": "losses",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

__all__ = [
    "gaussian_heatmaps",
    "parabola_offset",
    "decode_heatmaps",
    "REFINEMENTS",
    "paf_targets",
    "paf_line_integral",
    "limb_scores",
    "distance_scores",
    "heatmap_peaks",
    "assemble_people",
    "group_people",
    "crop_person",
    "pipeline_cost",
    "heatmap_loss",
    "coordinate_loss",
]
