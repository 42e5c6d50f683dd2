"""Checks of Chapter 4's convolution exercises: output size, im2col, receptive field.

Each ``check_<name>(student, rng)`` compares the student's function with the coursekit reference on
seeded random inputs from ``rng`` (and, for im2col, crops of real photographs), then runs a few
diagnostic cases that recognise the usual slips and name them in the hint, never revealing the
expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit import grading
from coursekit.nn.conv_arithmetic import conv_output_size, receptive_field
from coursekit.nn.conv import im2col
from coursekit.data.images import load_image

__all__ = ["check_conv_output_size", "check_im2col", "check_receptive_field"]


def _call(student, *args):
    """The student's answer, or None if it raised (NotImplementedError passes through)."""
    return grading.call_student(student, *args)[0]


def _same(a, b) -> bool:
    try:
        a = np.asarray(a, dtype=np.float64)
    except Exception:
        return False
    return a.shape == np.shape(b) and np.allclose(a, b)


def _add_hints(results, hints):
    """Append the diagnostic hints to every failed case."""
    if hints:
        for r in results:
            if not r.passed and r.hint != grading._NOT_DONE:
                r.hint += " Hint: " + " ".join(hints)
    return results


def check_conv_output_size(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``conv_output_size(size, kernel_size, stride, padding, dilation)``, Eq. (4.2)."""
    cases = [("same padding: 32, k=3, s=1, p=1, d=1", (32, 3, 1, 1, 1), {}),
             ("stride 2 with a remainder: 10, k=3, s=2, p=0, d=1", (10, 3, 2, 0, 1), {}),
             ("dilation 2: 32, k=3, s=1, p=0, d=2", (32, 3, 1, 0, 2), {}),
             ("1×1 kernel, stride 3: 20, k=1, s=3, p=0, d=1", (20, 1, 3, 0, 1), {})]
    while len(cases) < 10:
        k, s, p, d = int(rng.choice([1, 3, 5, 7])), int(rng.integers(1, 4)), int(rng.integers(0, 4)), int(rng.integers(1, 4))
        size = int(rng.integers(8, 100))
        if size + 2 * p >= d * (k - 1) + 1:
            cases.append((f"random: {size}, k={k}, s={s}, p={p}, d={d}", (size, k, s, p, d), {}))
    results = grading.compare_cases(student, conv_output_size, cases, atol=0)
    hints = []
    if _same(_call(student, 32, 3, 1, 0, 2), 30):
        hints.append("your answer ignores dilation: a dilated kernel spans d(k - 1) + 1 input pixels.")
    if _same(_call(student, 10, 3, 2, 0, 1), 5):
        hints.append("a window must fit entirely: round the division down, not up.")
    if _same(_call(student, 32, 3, 1, 1, 1), 31):
        hints.append("padding p is added on both sides of the input.")
    if _same(_call(student, 20, 1, 3, 0, 1), 6):
        hints.append("count the first window too: the formula ends with + 1.")
    return _add_hints(results, hints)


def _im2col4(x, kernel_size, stride, padding):
    return im2col(x, kernel_size, stride, padding)


def check_im2col(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``im2col(x, kernel_size, stride, padding)`` for (B, C, H, W) inputs in torch's unfold layout, Eq. (4.3)."""
    camera = load_image("camera")[180:212, 220:252].astype(np.float64) / 255   # (32, 32) the cameraman's head
    coins = load_image("coins")[100:124, 100:130].astype(np.float64) / 255     # (24, 30)
    cases = [
        ("one 5×5 channel, k=3, s=1, p=0", (rng.normal(size=(1, 1, 5, 5)), 3, 1, 0), {}),
        ("B=2, C=3, 7×6, k=3, s=1, p=1", (rng.normal(size=(2, 3, 7, 6)), 3, 1, 1), {}),
        ("B=1, C=2, 9×9, k=3, s=2, p=1", (rng.normal(size=(1, 2, 9, 9)), 3, 2, 1), {}),
        ("B=2, C=4, 8×10, k=2, s=2, p=0", (rng.normal(size=(2, 4, 8, 10)), 2, 2, 0), {}),
        ("B=1, C=2, 6×7, k=5, s=3, p=2", (rng.normal(size=(1, 2, 6, 7)), 5, 3, 2), {}),
        ("camera crop 32×32, k=3, s=2, p=1", (camera[None, None], 3, 2, 1), {}),
        ("coins and camera crops as 2 channels, k=5, s=1, p=2",
         (np.stack([coins, camera[:24, :30]])[None], 5, 1, 2), {}),
    ]
    results = grading.compare_cases(student, _im2col4, cases, atol=1e-12)
    hints = []
    x = rng.normal(size=(1, 2, 6, 5))
    ref = im2col(x, 3, 1, 1)                                             # (1, 18, 30)
    got = _call(student, x.copy(), 3, 1, 1)
    try:
        got = np.asarray(got, dtype=np.float64)
    except Exception:
        got = None
    if got is not None:
        if got.shape == ref.shape[::-1] or got.shape == (1, 30, 18):
            hints.append("put one window per column: shape (B, C*k*k, H_out*W_out).")
        elif got.shape == im2col(x, 3, 1, 0).shape:
            hints.append("the output has the size of an unpadded input: add the zero padding first.")
        elif got.shape == ref.shape and not np.allclose(got, ref):
            if np.allclose(np.sort(got, axis=1), np.sort(ref, axis=1)):
                hints.append("each column holds the right values in the wrong order: rows run over channels "
                             "first, then kernel rows, then kernel columns.")
            elif np.allclose(np.sort(got, axis=2), np.sort(ref, axis=2)):
                hints.append("the columns are in the wrong order: window (i, j) goes to column i*W_out + j.")
    return _add_hints(results, hints)


def _to_list(layers):
    return [tuple(int(v) for v in layer) for layer in layers]


def check_receptive_field(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``receptive_field(layers)`` for (kernel, stride, dilation) layers, Eq. (4.11)."""
    cases = [("three 3×3 stride-1 layers", ([(3, 1, 1)] * 3,), {}),
             ("7×7 stride 2, then 3×3 max pool stride 2", ([(7, 2, 1), (3, 2, 1)],), {}),
             ("dilations 1, 2, 4", ([(3, 1, 1), (3, 1, 2), (3, 1, 4)],), {}),
             ("one 1×1 layer", ([(1, 1, 1)],), {})]
    for n in range(4):
        L = int(rng.integers(2, 7))
        layers = [(int(rng.choice([1, 2, 3, 5, 7])), int(rng.integers(1, 3)), int(rng.integers(1, 3))) for _ in range(L)]
        cases.append((f"random stack of {L} layers #{n + 1}", (layers,), {}))
    results = grading.compare_cases(lambda layers: student(_to_list(layers)), receptive_field, cases, atol=0)
    hints = []
    if _same(_call(student, [(3, 2, 1), (3, 2, 1)]), 5):
        hints.append("after a stride-s layer, neighbouring units are s input pixels apart: each new layer "
                     "adds (k' - 1) times the product of all earlier strides.")
    if _same(_call(student, [(3, 1, 2)]), 3):
        hints.append("your answer ignores dilation: use the effective kernel d(k - 1) + 1.")
    if _same(_call(student, [(3, 1, 1), (3, 1, 1)]), 6):
        hints.append("a single pixel already sees itself: start from r = 1 and add k' - 1 per layer.")
    return _add_hints(results, hints)


# The coursekit function each exercise re-implements: the grader gives 0 to a student's function that
# calls it ("used the reference implementation"). Exercise id -> dotted name (or a tuple of names).
REFERENCES = {
    "ch04.conv_output_size": "coursekit.nn.conv_arithmetic.conv_output_size",
    "ch04.receptive_field": ("coursekit.nn.conv_arithmetic.receptive_field", "coursekit.nn.conv_arithmetic.receptive_field_growth"),
    "ch04.im2col": "coursekit.nn.conv.im2col",
}
