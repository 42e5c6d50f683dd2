"""Object detection: box formats and conversions (Chapter 5).
"""

from coursekit.detection.boxes import masks_to_boxes

__all__ = [
    "masks_to_boxes",
]
