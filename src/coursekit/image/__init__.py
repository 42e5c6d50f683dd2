"""Image processing in NumPy, Chapters 1 and 2.

Sampling and quantisation, point operations, filters, edges, corners, morphology, the Fourier and cosine
transforms, JPEG, Hough transforms and template matching. Images are NumPy arrays indexed
``image[row, col]``; points and coordinates are ``(x, y)`` = (column, row). See CONTRIBUTING.md
("Conventions") for the dtype and scale conventions.
"""

from coursekit.image.components import row_runs, touching_runs, union_find, connected_components
from coursekit.image.corners import harris_response, harris_corners
from coursekit.image.dct import dct_matrix, dct2, idct2, dct_basis_images, block_dct, block_idct
from coursekit.image.derivatives import sobel, laplacian, laplacian_of_gaussian
from coursekit.image.edges import (
    gradient_magnitude_direction,
    non_max_suppression,
    hysteresis_threshold,
    canny,
)
from coursekit.image.entropy import (
    zigzag_indices,
    zigzag,
    inverse_zigzag,
    run_length_encode,
    run_length_decode,
    estimate_bits,
)
from coursekit.image.filters import (
    PAD_MODES,
    pad_index,
    pad,
    correlate2d,
    convolve2d,
    gaussian_kernel1d,
    gaussian_blur,
    box_filter,
)
from coursekit.image.fourier import (
    dft_matrix,
    dft2,
    idft2,
    magnitude_spectrum,
    circular_convolve,
    convolution_theorem,
    gaussian_transfer,
    frequency_filter,
)
from coursekit.image.hough import (
    hough_lines_accumulator,
    hough_line_peaks,
    circle_offsets,
    hough_circles_accumulator,
    hough_circles,
    find_peaks,
)
from coursekit.image.hough_segments import walk_line, probabilistic_hough_lines
from coursekit.image.intensity import (
    negative,
    log_transform,
    gamma_correct,
    histogram,
    equalize_hist,
    otsu_threshold,
    between_class_variance,
    threshold,
)
from coursekit.image.jpeg import (
    LUMINANCE_TABLE,
    CHROMINANCE_TABLE,
    rgb_to_ycbcr,
    ycbcr_to_rgb,
    subsample_420,
    upsample_420,
    quality_table,
    quantize_coefficients,
    dequantize_coefficients,
    jpeg_compress,
)
from coursekit.image.morphology import square, disk, cross, erode, dilate, opening, closing, boundary
from coursekit.image.nonlinear import median_filter, bilateral_filter
from coursekit.image.pyramids import (
    PYRAMID_KERNEL,
    pyr_down,
    pyr_up,
    gaussian_pyramid,
    laplacian_pyramid,
    reconstruct_from_laplacian,
)
from coursekit.image.sampling import sample, quantize, upsample_nearest, zone_plate
from coursekit.image.template import window_sums, cross_correlation, match_template
from coursekit.image.thresholds import (
    multi_otsu_thresholds,
    isodata_threshold,
    li_threshold,
    triangle_threshold,
)

__all__ = [
    "row_runs",
    "touching_runs",
    "union_find",
    "connected_components",
    "harris_response",
    "harris_corners",
    "dct_matrix",
    "dct2",
    "idct2",
    "dct_basis_images",
    "block_dct",
    "block_idct",
    "sobel",
    "laplacian",
    "laplacian_of_gaussian",
    "gradient_magnitude_direction",
    "non_max_suppression",
    "hysteresis_threshold",
    "canny",
    "zigzag_indices",
    "zigzag",
    "inverse_zigzag",
    "run_length_encode",
    "run_length_decode",
    "estimate_bits",
    "PAD_MODES",
    "pad_index",
    "pad",
    "correlate2d",
    "convolve2d",
    "gaussian_kernel1d",
    "gaussian_blur",
    "box_filter",
    "dft_matrix",
    "dft2",
    "idft2",
    "magnitude_spectrum",
    "circular_convolve",
    "convolution_theorem",
    "gaussian_transfer",
    "frequency_filter",
    "hough_lines_accumulator",
    "hough_line_peaks",
    "circle_offsets",
    "hough_circles_accumulator",
    "hough_circles",
    "find_peaks",
    "walk_line",
    "probabilistic_hough_lines",
    "negative",
    "log_transform",
    "gamma_correct",
    "histogram",
    "equalize_hist",
    "otsu_threshold",
    "between_class_variance",
    "threshold",
    "LUMINANCE_TABLE",
    "CHROMINANCE_TABLE",
    "rgb_to_ycbcr",
    "ycbcr_to_rgb",
    "subsample_420",
    "upsample_420",
    "quality_table",
    "quantize_coefficients",
    "dequantize_coefficients",
    "jpeg_compress",
    "square",
    "disk",
    "cross",
    "erode",
    "dilate",
    "opening",
    "closing",
    "boundary",
    "median_filter",
    "bilateral_filter",
    "PYRAMID_KERNEL",
    "pyr_down",
    "pyr_up",
    "gaussian_pyramid",
    "laplacian_pyramid",
    "reconstruct_from_laplacian",
    "sample",
    "quantize",
    "upsample_nearest",
    "zone_plate",
    "window_sums",
    "cross_correlation",
    "match_template",
    "multi_otsu_thresholds",
    "isodata_threshold",
    "li_threshold",
    "triangle_threshold",
]
