"""Time one training step of the same MLP in coursekit's NumPy code and in torch.nn (Chapter 3).

``mlp_step_benchmark()`` is called by ``make bench`` (through ``benchmarks/run.py``); run this file on its
own to print the numbers. The step is forward + backward + SGD-with-momentum update of a 64-128-10 ReLU
MLP on a batch of 256 digit-sized inputs (8×8 = 64 pixels), in float64 on both sides (coursekit's MLP
computes in float64; float32 weights meeting its float64 loss gradient would make NumPy fall back from BLAS
to a slow mixed-type loop, which would measure the wrong thing).

Both run single-threaded by default (NumPy's OpenBLAS through ``threadpoolctl``, torch through
``torch.set_num_threads``): at these sizes a second thread only adds synchronisation, and on a loaded
2-core machine a spinning second thread made either side's step 50-100x slower in some of our runs,
which measured the neighbours rather than the code.
"""

from __future__ import annotations

import numpy as np

from coursekit.nn.mlp import MLP, mlp_to_torch, sgd_momentum_step
from coursekit.notebook.timing import median_times_interleaved


def mlp_step_benchmark(batch: int = 256, sizes=(64, 128, 10), repeats: int = 25, dtype=np.float64,
                       seed: int = 0, threads: int | None = 1) -> tuple[float, float]:
    """Median seconds of one forward + backward + SGD step: ``(numpy_seconds, torch_seconds)``.

    Both implementations start from the same weights and see the same batch. Timed in alternating blocks
    (:func:`coursekit.notebook.timing.median_times_interleaved`) so machine-load drift hits both equally.
    ``threads=None`` keeps the libraries' own thread settings; otherwise both are limited for the run.
    """
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(seed)
    net = MLP(sizes, activation="relu", init="kaiming", rng=rng)
    model = mlp_to_torch(net, dtype=torch.float32 if dtype == np.float32 else torch.float64)
    net.weights = [W.astype(dtype) for W in net.weights]
    net.biases = [b.astype(dtype) for b in net.biases]
    X = rng.standard_normal((batch, sizes[0])).astype(dtype)             # (B, 64)
    y = rng.integers(0, sizes[-1], batch)                                # (B,)
    params = net.parameters()
    vel = [np.zeros_like(p) for p in params]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def numpy_step():
        _, grads = net.loss_and_grads(X, y)
        sgd_momentum_step(params, grads, vel, lr=0.01, momentum=0.9)

    def torch_step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(Xt), yt).backward()
        opt.step()

    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        with threadpool_limits(threads, user_api="blas") if threads is not None else nullcontext():
            t_np, t_torch = median_times_interleaved([numpy_step, torch_step], repeats=repeats, block=5)
    finally:
        torch.set_num_threads(before)
    return t_np, t_torch


if __name__ == "__main__":
    t_np, t_torch = mlp_step_benchmark()
    print("MLP 64-128-10, batch 256, float64, 1 thread each: "
          f"NumPy {1e3 * t_np:.3f} ms, torch {1e3 * t_torch:.3f} ms, ratio {t_np / t_torch:.2f}")
