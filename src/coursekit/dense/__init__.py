"""Dense prediction: one answer per pixel — segmentation (semantic, instance, panoptic) and monocular depth.

Chapter 6 (Segmentation and depth). ``tasks`` writes the three segmentation tasks as label formats,
``transposed`` builds learnable upsampling from scratch (equal to ``torch.nn.ConvTranspose2d``), ``atrous``
covers dilated convolutions, ``blocks`` the encoder-decoder pieces with add (FCN) and concat (U-Net) skips,
``losses`` soft Dice next to cross-entropy, ``maskformer`` segmentation as mask classification, and ``depth``
the scale-and-shift-invariant loss of MiDaS. The metrics live in :mod:`coursekit.metrics.segmentation` and
:mod:`coursekit.metrics.depth`, the tiny U-Net in :mod:`coursekit.models.unet`.
"""

from coursekit.dense.atrous import atrous_span, dilate_kernel, atrous_coverage
from coursekit.dense.maskformer import (
    masks_from_semantic,
    mask_matching_cost,
    match_masks,
    mask_classification_loss,
    mask_classification_inference,
)
from coursekit.dense.tasks import (
    semantic_from_instances,
    panoptic_from_semantic_instances,
    split_panoptic,
    instances_by_components,
)
from coursekit.dense.transposed import (
    conv_transpose_output_size,
    conv_transpose2d_loops,
    conv_transpose2d,
    conv_transpose2d_backward,
    bilinear_kernel,
    transposed_overlap,
)
from coursekit._lazy import attach

# names of the modules that need torch: they load on first use (coursekit._lazy)
_LAZY = {
    "ConvBlock": "blocks",
    "Down": "blocks",
    "Up": "blocks",
    "merge_skip": "blocks",
    "align_scale_shift": "depth",
    "ssi_loss": "depth",
    "ssi_loss_torch": "depth",
    "scale_invariant_log_loss": "depth",
    "soft_dice_loss": "losses",
    "SoftDiceLoss": "losses",
    "ce_dice_loss": "losses",
    "gradient_share_by_class": "losses",
    "segmentation_tensors": "train",
    "predict_labels": "train",
    "train_segmenter": "train",
    "DEFAULT_SEGMENTATION_FIT": "train",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

__all__ = [
    "atrous_span",
    "dilate_kernel",
    "atrous_coverage",
    "masks_from_semantic",
    "mask_matching_cost",
    "match_masks",
    "mask_classification_loss",
    "mask_classification_inference",
    "semantic_from_instances",
    "panoptic_from_semantic_instances",
    "split_panoptic",
    "instances_by_components",
    "conv_transpose_output_size",
    "conv_transpose2d_loops",
    "conv_transpose2d",
    "conv_transpose2d_backward",
    "bilinear_kernel",
    "transposed_overlap",
    "ConvBlock",
    "Down",
    "Up",
    "merge_skip",
    "align_scale_shift",
    "ssi_loss",
    "ssi_loss_torch",
    "scale_invariant_log_loss",
    "soft_dice_loss",
    "SoftDiceLoss",
    "ce_dice_loss",
    "gradient_share_by_class",
    "segmentation_tensors",
    "predict_labels",
    "train_segmenter",
    "DEFAULT_SEGMENTATION_FIT",
]
