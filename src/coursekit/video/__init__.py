"""Video (Chapter 16): optical flow, 3D convolutions, two streams, tubelets and space-time attention.

Lucas–Kanade and Horn–Schunck flow and the flow colour wheel; 3D convolution shapes and costs, I3D inflation
and SlowFast sampling; two-stream late fusion; tubelet embedding; joint and divided space-time attention.
"""

from coursekit.video.flow import (
    spatiotemporal_gradients,
    warp_with_flow,
    brightness_constancy_residual,
    lucas_kanade_step,
    horn_schunck_step,
    lucas_kanade,
    horn_schunck,
    HS_AVERAGE_KERNEL,
)
from coursekit.video.flow_color import hsv_to_rgb, flow_to_rgb, flow_color_wheel
from coursekit.video.fusion import stack_flow, late_fusion
from coursekit._lazy import attach

# names of the modules that need torch: they load on first use (coursekit._lazy)
_LAZY = {
    "conv3d_output_shape": "conv3d",
    "conv_cost": "conv3d",
    "inflate_conv2d_weight": "conv3d",
    "inflate_conv2d": "conv3d",
    "slowfast_pathways": "conv3d",
    "slowfast_channels": "conv3d",
    "joint_attention": "spacetime",
    "temporal_attention": "spacetime",
    "spatial_attention": "spacetime",
    "space_time_mask": "spacetime",
    "space_time_attention_pairs": "spacetime",
    "SpaceTimeAttention": "spacetime",
    "tubelets": "tubelets",
    "tubelet_embed": "tubelets",
    "TubeletEmbedding": "tubelets",
    "tubelet_count": "tubelets",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

__all__ = [
    "spatiotemporal_gradients",
    "warp_with_flow",
    "brightness_constancy_residual",
    "lucas_kanade_step",
    "horn_schunck_step",
    "lucas_kanade",
    "horn_schunck",
    "HS_AVERAGE_KERNEL",
    "hsv_to_rgb",
    "flow_to_rgb",
    "flow_color_wheel",
    "stack_flow",
    "late_fusion",
    "conv3d_output_shape",
    "conv_cost",
    "inflate_conv2d_weight",
    "inflate_conv2d",
    "slowfast_pathways",
    "slowfast_channels",
    "joint_attention",
    "temporal_attention",
    "spatial_attention",
    "space_time_mask",
    "space_time_attention_pairs",
    "SpaceTimeAttention",
    "tubelets",
    "tubelet_embed",
    "TubeletEmbedding",
    "tubelet_count",
]
