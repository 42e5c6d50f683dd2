"""Data for every chapter, offline and seeded.

Real photographs come from ``skimage.data`` and ``sklearn.datasets`` (they
ship inside the installed packages); everything else — shapes for detection,
scenes for NeRF, stick figures, point clouds, video clips, captions — is
generated here from an explicit ``rng`` in well under a second.
"""

from .images import (
    IMAGE_NAMES,
    load_image,
    rgb_to_gray,
    to_float,
    to_uint8,
    add_gaussian_noise,
    add_salt_and_pepper,
)

__all__ = [
    "IMAGE_NAMES",
    "load_image",
    "rgb_to_gray",
    "to_float",
    "to_uint8",
    "add_gaussian_noise",
    "add_salt_and_pepper",
]
