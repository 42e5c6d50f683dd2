"""Time coursekit's im2col convolution against ``torch.nn.functional.conv2d`` on the same float32 layer.

Usage: ``python benchmarks/bench_conv.py`` (``make bench`` calls :func:`conv_benchmark`).

The layer is a typical early CNN layer: a batch of 8 maps of 16 channels, 32×32 pixels, to 32 channels with
3×3 kernels and padding 1 (a 0.04 GFLOP forward pass). Both sides run in float32 on the CPU with the same
inputs; torch uses its own thread pool (``torch.get_num_threads()``), NumPy's matmul its BLAS threads.
coursekit copies every 3×3 window into a column first (9× the input's memory) and then does one batched
matrix product; PyTorch's CPU kernel avoids most of that copy. The timings are medians of interleaved
blocks (``coursekit.notebook.timing.median_times_interleaved``), so both functions see the same machine load.
"""

from __future__ import annotations

import numpy as np


def conv_benchmark(B: int = 8, c_in: int = 16, c_out: int = 32, size: int = 32, k: int = 3, padding: int = 1,
                   repeats: int = 15, seed: int = 0) -> tuple[float, float]:
    """Median seconds of one forward pass: ``(coursekit im2col conv2d, torch F.conv2d)``.

    Raises ``AssertionError`` if the two results differ by more than 1e-4 (float32 sums of 144 products).
    """
    import torch
    import torch.nn.functional as F

    from coursekit.nn.conv import conv2d
    from coursekit.notebook.timing import median_times_interleaved

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, c_in, size, size)).astype(np.float32)                  # (B, C, H, W)
    w = (rng.normal(size=(c_out, c_in, k, k)) / np.sqrt(c_in * k * k)).astype(np.float32)
    b = rng.normal(size=c_out).astype(np.float32)
    xt, wt, bt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)

    def ours():
        return conv2d(x, w, b, padding=padding)

    def theirs():
        with torch.no_grad():
            return F.conv2d(xt, wt, bt, padding=padding)

    diff = float(np.abs(ours() - theirs().numpy()).max())
    assert diff < 1e-4, f"coursekit and torch disagree by {diff:.2g}"
    t_ours, t_torch = median_times_interleaved([ours, theirs], repeats=repeats, block=5)
    return t_ours, t_torch


if __name__ == "__main__":
    t_ours, t_torch = conv_benchmark()
    print(f"im2col conv2d {1e3 * t_ours:.2f} ms, torch F.conv2d {1e3 * t_torch:.2f} ms, "
          f"ratio {t_ours / t_torch:.1f}x")
