"""PyTorch building blocks reused across models: batch normalisation written out, residual,
squeeze-and-excitation and Inception blocks (Chapter 4); later chapters add attention, positional
encodings, patch embeddings, normalisation layers and LoRA here.
"""

from coursekit.layers.attention import (
    scaled_dot_product_attention,
    split_heads,
    merge_heads,
    AttentionOutput,
    multi_head_attention,
    KVCache,
    MultiHeadAttention,
)
from coursekit.layers.attention_scores import (
    dot_product_scores,
    bilinear_scores,
    additive_scores,
    attention_numpy,
)
from coursekit.layers.blocks import (
    batch_norm2d,
    BatchNorm2d,
    se_block_forward,
    SEBlock,
    conv_bn,
    ResidualBlock,
    InceptionBlock,
)
from coursekit.layers.init import init_parameters_
from coursekit.layers.masks import causal_mask, padding_mask, prefix_lm_mask
from coursekit.layers.patches import (
    patchify,
    unpatchify,
    patch_embed,
    PatchEmbedding,
    prepend_tokens,
    sinusoidal_2d_positional_encoding,
    interpolate_position_embedding,
)
from coursekit.layers.positional import (
    sinusoidal_positional_encoding,
    sinusoidal_shift_matrix,
    SinusoidalPositionalEncoding,
    LearnedPositionalEncoding,
)
from coursekit.layers.swin import (
    window_partition,
    window_reverse,
    cyclic_shift,
    shifted_window_mask,
    relative_position_index,
    RelativePositionBias,
    PatchMerging,
)
from coursekit.layers.transformer import (
    TransformerBlock,
    DecoderBlock,
    TransformerEncoder,
    TransformerDecoder,
    EncoderDecoder,
)

__all__ = [
    "scaled_dot_product_attention",
    "split_heads",
    "merge_heads",
    "AttentionOutput",
    "multi_head_attention",
    "KVCache",
    "MultiHeadAttention",
    "dot_product_scores",
    "bilinear_scores",
    "additive_scores",
    "attention_numpy",
    "batch_norm2d",
    "BatchNorm2d",
    "se_block_forward",
    "SEBlock",
    "conv_bn",
    "ResidualBlock",
    "InceptionBlock",
    "init_parameters_",
    "causal_mask",
    "padding_mask",
    "prefix_lm_mask",
    "patchify",
    "unpatchify",
    "patch_embed",
    "PatchEmbedding",
    "prepend_tokens",
    "sinusoidal_2d_positional_encoding",
    "interpolate_position_embedding",
    "sinusoidal_positional_encoding",
    "sinusoidal_shift_matrix",
    "SinusoidalPositionalEncoding",
    "LearnedPositionalEncoding",
    "window_partition",
    "window_reverse",
    "cyclic_shift",
    "shifted_window_mask",
    "relative_position_index",
    "RelativePositionBias",
    "PatchMerging",
    "TransformerBlock",
    "DecoderBlock",
    "TransformerEncoder",
    "TransformerDecoder",
    "EncoderDecoder",
]
