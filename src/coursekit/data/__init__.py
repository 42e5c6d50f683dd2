"""Data for every chapter, offline and seeded.

Real photographs come from ``skimage.data`` and ``sklearn.datasets`` (they
ship inside the installed packages); everything else — shapes for detection,
scenes for NeRF, stick figures, point clouds, video clips, captions — is
generated here from an explicit ``rng`` in well under a second.

This package holds generators only, no lesson code: it may import the lesson packages (the camera from
``coursekit.geometry``, boxes from ``coursekit.detection``), never the other way round.

Procedural generators (all take ``rng: np.random.Generator``, except ``render``; each call at
its default size takes well under 0.1 s on 2 CPU cores):

==========================  =======  ==========================================================
Generator                   Chapter  Returns
==========================  =======  ==========================================================
``blobs``                   3        ``X (n, 2)``, ``y (n,)``
``two_moons``               3        ``X (n, 2)``, ``y (n,)`` in {0, 1}
``spirals``                 3        ``X (n, 2)``, ``y (n,)``
``imbalanced_blobs``        3, 5     ``X (n, 2)``, ``y (n,)`` with a rare positive class
``gaussian_mixture``        3        ``GaussianMixtureSample`` (X, z, weights, means, covariances)
``linear_regression``       3        ``X (n, D)``, ``y (n,)``, true ``w (D,)``, ``b``
``sine_regression``         3        ``x (n, 1)``, ``y (n,)``
``adding_problem``          3        ``X (n, T, 2)``, ``y (n,)``
``copy_task``               3        token ids ``X (n, T)``, ``Y (n, T)``
``two_d_mixture``           17       ``(n, 2)`` samples of a named toy distribution
``fairness_scores``         18       group ``a (n,)``, label ``y (n,)``, ``score (n,)``
``shapes_scene``            5, 6     ``ShapesScene``: image, boxes, labels, masks, semantic, depth
``shapes_dataset``          5, 6     ``ShapesDataset``: stacked maps, per-image box/label/mask lists
``shapes_detection_set``    5        ``images (B, H, W, 3)``, per-image ``boxes`` and ``labels`` lists
``shape_images``            17, 18   ``images (B, H, W[, 3])``, ``labels (B,)``, ``colors (B,)``
``stick_figures``           7        ``StickFigures``: image, keypoints (P, 13, 2), visibility
``stick_figure_batch``      7        ``StickFigureBatch``: grey images (B, H, W), keypoints (B, 13, 2)
``stick_figure_crowd``      7        ``StickFigures`` of overlapping full-size people
``sample_primitive``        8        ``points (N, 3)``, ``normals (N, 3)``, rotation ``(3, 3)``
``point_cloud_dataset``     8        ``X (B, N, 3)``, ``y (B,)``, ``normals (B, N, 3)``
``render``                  9        ``rgb (H, W, 3)``, ``depth (H, W)`` of a ray-traced scene
``views``                   9        ``SceneViews``: images, depths, c2w (n, 4, 4), focal, K
``grammar_corpus``          10       ``str`` of sentences, one per line
``arithmetic_corpus``       10       ``str`` of lines like ``"12+7=19"``
``reversal_pairs``          10       ``SequencePairs``: src (B, M), src_lengths (B,), tgt (B, M + 2)
``caption_pairs``           15       ``CaptionedImages``: images (B, H, W, 3), captions
``vqa_pairs``               15       ``VQASet``: images, questions, answers, answer ids
``moving_shapes_clip``      16       ``MovingShapesClip``: frames (T, H, W[, 3]), flow (T-1, H, W, 2)
``texture_motion_clip``     16       ``frames (T, H, W)``, exact ``flow (T-1, H, W, 2)``
``action_clips``            16       ``X (B, T, H, W)``, ``y (B,)``
==========================  =======  ==========================================================

Helpers: ``load_digits_split``, ``segment_distance``, ``random_rotation``, ``primitive_distance``,
``default_scene``, ``random_scene``, ``arithmetic_problems``; constants ``SHAPE_NAMES``, ``COLOR_NAMES``, ``COLORS``, ``KEYPOINT_NAMES``,
``SKELETON``, ``PRIMITIVES``, ``ACTION_NAMES``, ``RELATIONS``, ``VQA_ANSWERS``, ``TOY_2D_NAMES``.
"""

from coursekit.data.fairness import fairness_scores, biased_embeddings
from coursekit.data.figures import (
    KEYPOINT_NAMES,
    SKELETON,
    StickFigures,
    stick_figures,
    segment_distance,
    StickFigureBatch,
    stick_figure_batch,
    stick_figure_crowd,
)
from coursekit.data.images import (
    IMAGE_NAMES,
    load_image,
    rgb_to_gray,
    to_float,
    to_uint8,
    add_gaussian_noise,
    add_salt_and_pepper,
)
from coursekit.data.pointclouds import (
    PRIMITIVES,
    PRIMITIVE_SIZES,
    random_rotation,
    sample_primitive,
    primitive_distance,
    point_cloud_dataset,
    primitive_mesh,
)
from coursekit.data.scenes3d import Scene, default_scene, random_scene, render, SceneViews, views, ring_views
from coursekit.data.sequence_pairs import PAD, BOS, EOS, SequencePairs, reversal_pairs
from coursekit.data.sequences import adding_problem, copy_task
from coursekit.data.shapes import (
    SHAPE_NAMES,
    COLOR_NAMES,
    COLORS,
    ShapesScene,
    shapes_scene,
    ShapesDataset,
    shapes_dataset,
    shape_images,
    shapes_detection_set,
)
from coursekit.data.tabular import (
    blobs,
    two_moons,
    spirals,
    imbalanced_blobs,
    GaussianMixtureSample,
    gaussian_mixture,
    TOY_2D_NAMES,
    two_d_mixture,
    linear_regression,
    sine_regression,
)
from coursekit.data.text import (
    grammar_corpus,
    arithmetic_corpus,
    arithmetic_problems,
    RELATIONS,
    CaptionedImages,
    caption_pairs,
    VQA_ANSWERS,
    VQASet,
    vqa_pairs,
)
from coursekit.data.video import (
    MovingShapesClip,
    moving_shapes_clip,
    texture_motion_clip,
    ACTION_NAMES,
    action_clips,
)
from coursekit._lazy import attach

# names of the modules that need torch: they load on first use (coursekit._lazy)
_LAZY = {
    "DigitsSplit": "digits",
    "load_digits_split": "digits",
    "DigitScenes": "xai_scenes",
    "digit_scenes": "xai_scenes",
    "STROKE_CONCEPTS": "xai_scenes",
    "stroke_concepts": "xai_scenes",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

__all__ = [
    "fairness_scores",
    "biased_embeddings",
    "KEYPOINT_NAMES",
    "SKELETON",
    "StickFigures",
    "stick_figures",
    "segment_distance",
    "StickFigureBatch",
    "stick_figure_batch",
    "stick_figure_crowd",
    "IMAGE_NAMES",
    "load_image",
    "rgb_to_gray",
    "to_float",
    "to_uint8",
    "add_gaussian_noise",
    "add_salt_and_pepper",
    "PRIMITIVES",
    "PRIMITIVE_SIZES",
    "random_rotation",
    "sample_primitive",
    "primitive_distance",
    "point_cloud_dataset",
    "primitive_mesh",
    "Scene",
    "default_scene",
    "random_scene",
    "render",
    "SceneViews",
    "views",
    "ring_views",
    "PAD",
    "BOS",
    "EOS",
    "SequencePairs",
    "reversal_pairs",
    "adding_problem",
    "copy_task",
    "SHAPE_NAMES",
    "COLOR_NAMES",
    "COLORS",
    "ShapesScene",
    "shapes_scene",
    "ShapesDataset",
    "shapes_dataset",
    "shape_images",
    "shapes_detection_set",
    "blobs",
    "two_moons",
    "spirals",
    "imbalanced_blobs",
    "GaussianMixtureSample",
    "gaussian_mixture",
    "TOY_2D_NAMES",
    "two_d_mixture",
    "linear_regression",
    "sine_regression",
    "grammar_corpus",
    "arithmetic_corpus",
    "arithmetic_problems",
    "RELATIONS",
    "CaptionedImages",
    "caption_pairs",
    "VQA_ANSWERS",
    "VQASet",
    "vqa_pairs",
    "MovingShapesClip",
    "moving_shapes_clip",
    "texture_motion_clip",
    "ACTION_NAMES",
    "action_clips",
    "DigitsSplit",
    "load_digits_split",
    "DigitScenes",
    "digit_scenes",
    "STROKE_CONCEPTS",
    "stroke_concepts",
]
