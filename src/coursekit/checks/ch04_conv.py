"""Checks of Chapter 4's convolution exercises: output size, im2col, receptive field.

Each check runs the student's function on seeded random inputs (and, for im2col, crops of real
photographs); the judgement compares with the coursekit reference. A few *probe* cases, chosen to expose
the usual slips, let :func:`_add_hints` name them in the hint, never revealing the expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit.data.images import load_image
from coursekit.grading import Case, Check
from coursekit.nn.conv import im2col
from coursekit.nn.conv_arithmetic import conv_output_size, receptive_field, receptive_field_growth

__all__ = ["CHECKS"]


def _same(a, b) -> bool:
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == np.shape(b) and np.allclose(a, b)


def _answer_to(outcomes, args):
    """The student's output on the (probe) case with these arguments, or ``None``."""
    for o in outcomes:
        if o.case.args == args:
            return o.got
    return None


def _add_hints(outcomes, hints) -> None:
    """Append the diagnostic hints to every failed case the function answered."""
    if hints:
        for o in outcomes:
            if not o.result.passed and o.answer.kind == "returned":
                o.result.hint += " Hint: " + " ".join(hints)


# ----------------------------------------------------------------------------- ch04.conv_output_size

def _size_cases(rng: np.random.Generator):
    """``conv_output_size(size, kernel_size, stride, padding, dilation)``, Eq. (4.2)."""
    cases = [Case("same padding: 32, k=3, s=1, p=1, d=1", (32, 3, 1, 1, 1)),
             Case("stride 2 with a remainder: 10, k=3, s=2, p=0, d=1", (10, 3, 2, 0, 1)),
             Case("dilation 2: 32, k=3, s=1, p=0, d=2", (32, 3, 1, 0, 2)),
             Case("1×1 kernel, stride 3: 20, k=1, s=3, p=0, d=1", (20, 1, 3, 0, 1))]
    while len(cases) < 10:
        k, s, p, d = int(rng.choice([1, 3, 5, 7])), int(rng.integers(1, 4)), int(rng.integers(0, 4)), int(rng.integers(1, 4))
        size = int(rng.integers(8, 100))
        if size + 2 * p >= d * (k - 1) + 1:
            cases.append(Case(f"random: {size}, k={k}, s={s}, p={p}, d={d}", (size, k, s, p, d)))
    return cases


def _size_review(outcomes) -> None:
    hints = []
    if _same(_answer_to(outcomes, (32, 3, 1, 0, 2)), 30):
        hints.append("your answer ignores dilation: a dilated kernel spans d(k - 1) + 1 input pixels.")
    if _same(_answer_to(outcomes, (10, 3, 2, 0, 1)), 5):
        hints.append("a window must fit entirely: round the division down, not up.")
    if _same(_answer_to(outcomes, (32, 3, 1, 1, 1)), 31):
        hints.append("padding p is added on both sides of the input.")
    if _same(_answer_to(outcomes, (20, 1, 3, 0, 1)), 6):
        hints.append("count the first window too: the formula ends with + 1.")
    _add_hints(outcomes, hints)


# ----------------------------------------------------------------------------- ch04.im2col

def _im2col_cases(rng: np.random.Generator):
    """``im2col(x, kernel_size, stride, padding)`` for (B, C, H, W) inputs in torch's unfold layout, Eq. (4.3)."""
    camera = load_image("camera")[180:212, 220:252].astype(np.float64) / 255   # (32, 32) the cameraman's head
    coins = load_image("coins")[100:124, 100:130].astype(np.float64) / 255     # (24, 30)
    yield Case("one 5×5 channel, k=3, s=1, p=0", (rng.normal(size=(1, 1, 5, 5)), 3, 1, 0))
    yield Case("B=2, C=3, 7×6, k=3, s=1, p=1", (rng.normal(size=(2, 3, 7, 6)), 3, 1, 1))
    yield Case("B=1, C=2, 9×9, k=3, s=2, p=1", (rng.normal(size=(1, 2, 9, 9)), 3, 2, 1))
    yield Case("B=2, C=4, 8×10, k=2, s=2, p=0", (rng.normal(size=(2, 4, 8, 10)), 2, 2, 0))
    yield Case("B=1, C=2, 6×7, k=5, s=3, p=2", (rng.normal(size=(1, 2, 6, 7)), 5, 3, 2))
    yield Case("camera crop 32×32, k=3, s=2, p=1", (camera[None, None], 3, 2, 1))
    yield Case("coins and camera crops as 2 channels, k=5, s=1, p=2", (np.stack([coins, camera[:24, :30]])[None], 5, 1, 2))
    yield Case("probe: 2 channels 6×5, k=3, s=1, p=1", (rng.normal(size=(1, 2, 6, 5)), 3, 1, 1), probe=True)


def _im2col_review(outcomes) -> None:
    probe = next(o for o in outcomes if o.case.probe)
    x = probe.case.args[0]
    ref = probe.expected                                                  # (1, 18, 30)
    got = probe.got
    try:
        got = np.asarray(got, dtype=np.float64) if isinstance(got, np.ndarray) else None
    except (TypeError, ValueError):
        got = None
    hints = []
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
    _add_hints(outcomes, hints)


# ----------------------------------------------------------------------------- ch04.receptive_field

_PROBES = ([(3, 2, 1), (3, 2, 1)], [(3, 1, 2)], [(3, 1, 1), (3, 1, 1)])


def _rf_cases(rng: np.random.Generator):
    """``receptive_field(layers)`` for (kernel, stride, dilation) layers, Eq. (4.11)."""
    yield Case("three 3×3 stride-1 layers", ([(3, 1, 1)] * 3,))
    yield Case("7×7 stride 2, then 3×3 max pool stride 2", ([(7, 2, 1), (3, 2, 1)],))
    yield Case("dilations 1, 2, 4", ([(3, 1, 1), (3, 1, 2), (3, 1, 4)],))
    yield Case("one 1×1 layer", ([(1, 1, 1)],))
    for n in range(4):
        L = int(rng.integers(2, 7))
        layers = [(int(rng.choice([1, 2, 3, 5, 7])), int(rng.integers(1, 3)), int(rng.integers(1, 3))) for _ in range(L)]
        yield Case(f"random stack of {L} layers #{n + 1}", (layers,))
    for layers in _PROBES:
        yield Case(f"probe: {layers}", (layers,), probe=True)


def _rf_review(outcomes) -> None:
    hints = []
    if _same(_answer_to([o for o in outcomes if o.case.probe], (_PROBES[0],)), 5):
        hints.append("after a stride-s layer, neighbouring units are s input pixels apart: each new layer "
                     "adds (k' - 1) times the product of all earlier strides.")
    if _same(_answer_to([o for o in outcomes if o.case.probe], (_PROBES[1],)), 3):
        hints.append("your answer ignores dilation: use the effective kernel d(k - 1) + 1.")
    if _same(_answer_to([o for o in outcomes if o.case.probe], (_PROBES[2],)), 6):
        hints.append("a single pixel already sees itself: start from r = 1 and add k' - 1 per layer.")
    _add_hints(outcomes, hints)


CHECKS = [
    Check("ch04.conv_output_size", cases=_size_cases, reference=conv_output_size, atol=0, review=_size_review),
    Check("ch04.im2col", cases=_im2col_cases, reference=im2col, atol=1e-12, review=_im2col_review,
          forbidden=("torch.nn.functional.unfold", "torch.nn.Unfold", "skimage.util.view_as_windows")),
    Check("ch04.receptive_field", cases=_rf_cases, reference=receptive_field, atol=0, review=_rf_review,
          implements=(receptive_field, receptive_field_growth)),
]
