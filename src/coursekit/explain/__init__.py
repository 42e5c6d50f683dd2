"""Explainability: gradient saliency, SmoothGrad, CAM and Grad-CAM, and the randomisation sanity check.

Chapter 4 (what a CNN looks at) and Chapter 18.
"""

from coursekit.explain.saliency import (
    cam_map,
    class_activation_map,
    grad_cam,
    grad_cam_map,
    gradient_saliency,
    smoothgrad,
    upsample_maps,
)
from coursekit.explain.sanity import (
    SanityResult,
    parameter_layers,
    randomization_sanity_check,
    randomize_layers,
    spearman_rank_correlation,
)

__all__ = [
    "gradient_saliency",
    "smoothgrad",
    "cam_map",
    "grad_cam_map",
    "class_activation_map",
    "grad_cam",
    "upsample_maps",
    "spearman_rank_correlation",
    "parameter_layers",
    "randomize_layers",
    "SanityResult",
    "randomization_sanity_check",
]
