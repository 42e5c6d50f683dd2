"""Metrics, one module per task.

Image quality (MSE, PSNR, SSIM) and classification (precision, recall, ROC and PR curves, AP); later
chapters add detection, segmentation, depth, pose, flow, generative and
fairness metrics here.
"""

from coursekit.metrics.classification import (
    confusion_counts,
    precision_recall_f1,
    threshold_counts,
    roc_curve,
    auc_trapezoid,
    roc_auc,
    precision_recall_curve,
    average_precision,
    average_precision_11pt,
)
from coursekit.metrics.detection import (
    match_detections,
    detection_pr_curve,
    ap_all_points,
    ap_interpolated,
    mean_average_precision,
    coco_evaluate,
    COCO_STAT_NAMES,
)
from coursekit.metrics.image import mse, psnr, ssim

__all__ = [
    "confusion_counts",
    "precision_recall_f1",
    "threshold_counts",
    "roc_curve",
    "auc_trapezoid",
    "roc_auc",
    "precision_recall_curve",
    "average_precision",
    "average_precision_11pt",
    "match_detections",
    "detection_pr_curve",
    "ap_all_points",
    "ap_interpolated",
    "mean_average_precision",
    "coco_evaluate",
    "COCO_STAT_NAMES",
    "mse",
    "psnr",
    "ssim",
]
