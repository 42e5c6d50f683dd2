"""Explainability: gradient saliency, SmoothGrad, CAM and Grad-CAM, and the randomisation sanity check.

Chapter 4 (what a CNN looks at) and Chapter 18.
"""

from coursekit.explain.attention import attention_rollout, mean_attention_distance
from coursekit.explain.saliency import (
    gradient_saliency,
    smoothgrad,
    cam_map,
    grad_cam_map,
    class_activation_map,
    grad_cam,
    upsample_maps,
)
from coursekit.explain.sanity import (
    spearman_rank_correlation,
    parameter_layers,
    randomize_layers,
    SanityResult,
    randomization_sanity_check,
)

__all__ = [
    "attention_rollout",
    "mean_attention_distance",
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
