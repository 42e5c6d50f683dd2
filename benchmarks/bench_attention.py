"""Time and peak memory of naive vs tiled (online-softmax) attention, next to PyTorch's fused kernel.

Usage: ``python benchmarks/bench_attention.py`` (``make bench`` can call :func:`attention_benchmark`).

One head, d = 32, N queries attending to N keys, float64 NumPy for the two coursekit paths: naive attention
(``coursekit.layers.attention_scores.attention_numpy``, which builds the N × N scores) and tiled attention
(``coursekit.layers.flash.tiled_attention_numpy``, 64 × 64 tiles, never more than one tile of scores). Peak memory
is what ``tracemalloc`` sees NumPy allocate during one call (output included). ``F.scaled_dot_product_attention``
on the same float64 data is the library reference for time (its CPU memory is not traced). Times are medians of
interleaved blocks (``median_times_interleaved``), so all three see the same machine load.
"""

from __future__ import annotations

import numpy as np


def attention_benchmark(sizes=(256, 512, 1024, 2048, 4096), d: int = 32, repeats: int = 3,
                        seed: int = 0) -> list[dict]:
    """One row per N: ``N``, ``naive_ms``, ``tiled_ms``, ``sdpa_ms``, ``naive_peak_mib``, ``tiled_peak_mib``.

    Raises ``AssertionError`` if the tiled result differs from the naive one by more than 1e-10 (float64).
    """
    import torch
    import torch.nn.functional as F

    from coursekit.layers.attention_scores import attention_numpy
    from coursekit.layers.flash import peak_traced_bytes, tiled_attention_numpy
    from coursekit.notebook.timing import median_times_interleaved

    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        Q, K, V = (rng.normal(size=(n, d)) for _ in range(3))                       # (N, d) each
        q, k, v = (torch.from_numpy(a)[None] for a in (Q, K, V))                    # (1, N, d)
        naive, naive_peak = peak_traced_bytes(attention_numpy, Q, K, V)
        tiled, tiled_peak = peak_traced_bytes(tiled_attention_numpy, Q, K, V, 64, 64)
        diff = float(np.abs(naive - tiled).max())
        assert diff < 1e-10, f"tiled and naive attention disagree by {diff:.2g} at N = {n}"

        def sdpa(q=q, k=k, v=v):
            with torch.no_grad():
                return F.scaled_dot_product_attention(q, k, v)

        times = median_times_interleaved([lambda: attention_numpy(Q, K, V),
                                          lambda: tiled_attention_numpy(Q, K, V, 64, 64), sdpa],
                                         repeats=repeats, block=1)
        rows.append({"N": n, "naive_ms": 1e3 * times[0], "tiled_ms": 1e3 * times[1], "sdpa_ms": 1e3 * times[2],
                     "naive_peak_mib": naive_peak / 2**20, "tiled_peak_mib": tiled_peak / 2**20})
    return rows


def markdown_table(rows: list[dict]) -> str:
    """The rows as a Markdown table (what ``make bench`` writes into results.md)."""
    lines = ["| N | naive (ms) | tiled (ms) | SDPA (ms) | naive peak (MiB) | tiled peak (MiB) |",
             "|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['N']} | {r['naive_ms']:.1f} | {r['tiled_ms']:.1f} | {r['sdpa_ms']:.1f} | "
              f"{r['naive_peak_mib']:.1f} | {r['tiled_peak_mib']:.2f} |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table(attention_benchmark()))
