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
from coursekit.metrics.depth import abs_rel, sq_rel, rmse, rmse_log, delta_accuracy, depth_metrics
from coursekit.metrics.detection import (
    match_detections,
    detection_pr_curve,
    ap_all_points,
    ap_interpolated,
    mean_average_precision,
    coco_evaluate,
    COCO_STAT_NAMES,
)
from coursekit.metrics.fairness import (
    group_confusion,
    group_rates,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    sufficiency_difference,
    calibration_by_group,
    ppv_from_rates,
    fpr_from_ppv,
)
from coursekit.metrics.flow import endpoint_error, angular_error, average_endpoint_error
from coursekit.metrics.generative import gaussian_stats, frechet_distance, fid_from_features, mmd_rbf
from coursekit.metrics.image import mse, psnr, ssim, ssim_map, ssim_gaussian
from coursekit.metrics.pose import COCO_KEYPOINT_SIGMAS, STICK_FIGURE_SIGMAS, pck, oks, limb_accuracy
from coursekit.metrics.segmentation import (
    confusion_matrix,
    iou_per_class,
    mean_iou,
    dice_per_class,
    dice_from_iou,
    pixel_accuracy,
    panoptic_quality,
)

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
    "abs_rel",
    "sq_rel",
    "rmse",
    "rmse_log",
    "delta_accuracy",
    "depth_metrics",
    "match_detections",
    "detection_pr_curve",
    "ap_all_points",
    "ap_interpolated",
    "mean_average_precision",
    "coco_evaluate",
    "COCO_STAT_NAMES",
    "group_confusion",
    "group_rates",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "sufficiency_difference",
    "calibration_by_group",
    "ppv_from_rates",
    "fpr_from_ppv",
    "endpoint_error",
    "angular_error",
    "average_endpoint_error",
    "gaussian_stats",
    "frechet_distance",
    "fid_from_features",
    "mmd_rbf",
    "mse",
    "psnr",
    "ssim",
    "ssim_map",
    "ssim_gaussian",
    "COCO_KEYPOINT_SIGMAS",
    "STICK_FIGURE_SIGMAS",
    "pck",
    "oks",
    "limb_accuracy",
    "confusion_matrix",
    "iou_per_class",
    "mean_iou",
    "dice_per_class",
    "dice_from_iou",
    "pixel_accuracy",
    "panoptic_quality",
]
