"""Dense prediction: one answer per pixel — segmentation (semantic, instance, panoptic) and monocular depth.

Chapter 6 (Segmentation and depth). ``tasks`` writes the three segmentation tasks as label formats,
``transposed`` builds learnable upsampling from scratch (equal to ``torch.nn.ConvTranspose2d``), ``atrous``
covers dilated convolutions, ``blocks`` the encoder-decoder pieces with add (FCN) and concat (U-Net) skips,
``losses`` soft Dice next to cross-entropy, ``maskformer`` segmentation as mask classification, and ``depth``
the scale-and-shift-invariant loss of MiDaS. The metrics live in :mod:`coursekit.metrics.segmentation` and
:mod:`coursekit.metrics.depth`, the tiny U-Net in :mod:`coursekit.models.unet`.
"""

from coursekit.dense.atrous import atrous_span, dilate_kernel, atrous_coverage
from coursekit.dense.blocks import ConvBlock, Down, Up, merge_skip
from coursekit.dense.depth import align_scale_shift, ssi_loss, ssi_loss_torch, scale_invariant_log_loss
from coursekit.dense.losses import soft_dice_loss, SoftDiceLoss, ce_dice_loss, gradient_share_by_class
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
from coursekit.dense.train import (
    segmentation_tensors,
    predict_labels,
    train_segmenter,
    DEFAULT_SEGMENTATION_FIT,
)
from coursekit.dense.transposed import (
    conv_transpose_output_size,
    conv_transpose2d_loops,
    conv_transpose2d,
    conv_transpose2d_backward,
    bilinear_kernel,
    transposed_overlap,
)

__all__ = [
    "atrous_span",
    "dilate_kernel",
    "atrous_coverage",
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
    "masks_from_semantic",
    "mask_matching_cost",
    "match_masks",
    "mask_classification_loss",
    "mask_classification_inference",
    "semantic_from_instances",
    "panoptic_from_semantic_instances",
    "split_panoptic",
    "instances_by_components",
    "segmentation_tensors",
    "predict_labels",
    "train_segmenter",
    "DEFAULT_SEGMENTATION_FIT",
    "conv_transpose_output_size",
    "conv_transpose2d_loops",
    "conv_transpose2d",
    "conv_transpose2d_backward",
    "bilinear_kernel",
    "transposed_overlap",
]
