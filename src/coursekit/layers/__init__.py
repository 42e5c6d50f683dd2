"""PyTorch building blocks reused across models: batch normalisation written out, residual,
squeeze-and-excitation and Inception blocks (Chapter 4); later chapters add attention, positional
encodings, patch embeddings, normalisation layers and LoRA here.
"""

from coursekit.layers.blocks import batch_norm2d, se_block_forward, ResidualBlock, SEBlock, InceptionBlock

__all__ = [
    "batch_norm2d",
    "se_block_forward",
    "ResidualBlock",
    "SEBlock",
    "InceptionBlock",
]
