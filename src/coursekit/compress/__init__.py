"""Model compression: int8 quantisation, magnitude pruning and knowledge distillation.

Chapter 14 (Transformer advances), the section on making a trained model smaller: symmetric and asymmetric
quantisation per tensor or per channel with the error measured, magnitude pruning at a chosen sparsity, and a
student trained to match a teacher's softened outputs (the loss itself is Chapter 3's
``coursekit.training.losses.distillation_loss_torch``).
"""

from coursekit._lazy import attach

# names of the modules that need torch: they load on first use (coursekit._lazy)
_LAZY = {
    "distill": "distillation",
    "magnitude_mask": "prune",
    "prune_model": "prune",
    "sparsity": "prune",
    "QuantizedTensor": "quantize",
    "quantize": "quantize",
    "dequantize": "quantize",
    "fake_quantize": "quantize",
    "fake_quantize_model": "quantize",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

__all__ = [
    "distill",
    "magnitude_mask",
    "prune_model",
    "sparsity",
    "QuantizedTensor",
    "quantize",
    "dequantize",
    "fake_quantize",
    "fake_quantize_model",
]
