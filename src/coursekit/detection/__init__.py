"""Object detection: box formats and conversions (Chapter 5).
"""

from coursekit.detection.anchors import anchor_shapes, grid_anchors, encode_boxes, decode_boxes, match_anchors
from coursekit.detection.boxes import masks_to_boxes, box_convert, box_area, box_iou, generalized_box_iou
from coursekit.detection.nms import nms, batched_nms, soft_nms
from coursekit.detection.roi import roi_pool, roi_align

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
    "nms",
    "batched_nms",
    "soft_nms",
    "roi_pool",
    "roi_align",
]
