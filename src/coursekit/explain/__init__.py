"""Explainability: gradient saliency, SmoothGrad, CAM and Grad-CAM, and the randomisation sanity check.

Chapter 4 (what a CNN looks at) and Chapter 18.
"""

from coursekit.explain.attention import attention_rollout, mean_attention_distance
from coursekit.explain.localization import map_peaks, pointing_game, energy_in_mask
from coursekit._lazy import attach

# names of the modules that need torch: they load on first use (coursekit._lazy)
_LAZY = {
    "concept_bottleneck_loss": "concepts",
    "concept_accuracy": "concepts",
    "intervene": "concepts",
    "linear_counterfactual": "counterfactuals",
    "target_margin": "counterfactuals",
    "Counterfactual": "counterfactuals",
    "gradient_counterfactual": "counterfactuals",
    "prototype_similarity": "prototypes",
    "prototype_logits": "prototypes",
    "PrototypeHead": "prototypes",
    "push_prototypes": "prototypes",
    "nearest_examples": "prototypes",
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
    "compare_maps": "sanity",
    "data_randomization_test": "sanity",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

__all__ = [
    "attention_rollout",
    "mean_attention_distance",
    "map_peaks",
    "pointing_game",
    "energy_in_mask",
    "concept_bottleneck_loss",
    "concept_accuracy",
    "intervene",
    "linear_counterfactual",
    "target_margin",
    "Counterfactual",
    "gradient_counterfactual",
    "prototype_similarity",
    "prototype_logits",
    "PrototypeHead",
    "push_prototypes",
    "nearest_examples",
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
    "compare_maps",
    "data_randomization_test",
]
