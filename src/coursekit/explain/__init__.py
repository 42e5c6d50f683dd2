"""Explainability: gradient saliency, SmoothGrad, CAM and Grad-CAM, and the randomisation sanity check.

Chapter 4 (what a CNN looks at) and Chapter 18.
"""

from coursekit.explain.attention import attention_rollout, mean_attention_distance
from coursekit._lazy import attach

# names of the modules that need torch: they load on first use (coursekit._lazy)
_LAZY = {
    "gradient_saliency": "saliency",
    "smoothgrad": "saliency",
    "cam_map": "saliency",
    "grad_cam_map": "saliency",
    "class_activation_map": "saliency",
    "grad_cam": "saliency",
    "upsample_maps": "saliency",
    "spearman_rank_correlation": "sanity",
    "parameter_layers": "sanity",
    "randomize_layers": "sanity",
    "SanityResult": "sanity",
    "randomization_sanity_check": "sanity",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

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
