"""Object detection: box formats and conversions (Chapter 5).
"""

from coursekit.detection.anchors import anchor_shapes, grid_anchors, encode_boxes, decode_boxes, match_anchors
from coursekit.detection.boxes import masks_to_boxes, box_convert, box_area, box_iou, generalized_box_iou
from coursekit.detection.matching import linear_sum_assignment, detr_match_cost, hungarian_match
from coursekit.detection.nms import nms, batched_nms, soft_nms
from coursekit.detection.roi import roi_pool, roi_align
from coursekit._lazy import attach

# names of the modules that need torch: they load on first use (coursekit._lazy)
_LAZY = {
    "center_targets": "centers",
    "heatmap_focal_loss": "centers",
    "decode_centers": "centers",
    "sigmoid_focal_loss": "losses",
    "SigmoidFocalLoss": "losses",
    "yolo_loss": "losses",
    "yolo_loss_loops": "losses",
    "YOLOLoss": "losses",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

__all__ = [
    "anchor_shapes",
    "grid_anchors",
    "encode_boxes",
    "decode_boxes",
    "match_anchors",
    "masks_to_boxes",
    "box_convert",
    "box_area",
    "box_iou",
    "generalized_box_iou",
    "linear_sum_assignment",
    "detr_match_cost",
    "hungarian_match",
    "nms",
    "batched_nms",
    "soft_nms",
    "roi_pool",
    "roi_align",
    "center_targets",
    "heatmap_focal_loss",
    "decode_centers",
    "sigmoid_focal_loss",
    "SigmoidFocalLoss",
    "yolo_loss",
    "yolo_loss_loops",
    "YOLOLoss",
]
