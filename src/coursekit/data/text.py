"""Generated text and text-image pairs for the language and multimodal chapters.

A grammar corpus and arithmetic strings for a tiny GPT, and captioned shape images and visual questions
for tiny multimodal models. Used by Chapter 10 (a tiny BPE and a tiny GPT trained on a generated corpus) and
Chapter 15 (a tiny CLIP, zero-shot classification and retrieval, a captioner, toy VQA).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coursekit.core.validation import check_int, check_nonnegative, check_rng
from coursekit.data.shapes import COLOR_NAMES, SHAPE_NAMES, _background, _compose

__all__ = [
    "grammar_corpus", "arithmetic_corpus", "arithmetic_problems", "RELATIONS", "CaptionedImages",
    "caption_pairs", "VQA_ANSWERS", "VQASet", "vqa_pairs",
]

_NOUNS = ("cat", "dog", "bird", "fox", "robot", "child", "teacher", "camera")
_PLURALS = ("cats", "dogs", "birds", "foxes", "robots", "children", "teachers", "cameras")
_ADJS = ("small", "big", "red", "quiet", "happy", "tall", "clever")
_VERBS = ("sees", "likes", "follows", "finds", "draws", "watches")
_VERBS_PLURAL = ("see", "like", "follow", "find", "draw", "watch")
_ADVS = ("today", "again", "slowly", "at night")


def grammar_corpus(n_sentences: int, rng: np.random.Generator) -> str:
    """Sentences from a small probabilistic grammar with number agreement, one per line.

    Grammar: ``S -> NP VP "."``; ``NP -> Det (Adj) Noun``; ``VP -> Verb NP (Adv)``.
    A plural subject ("the cats") takes a plural verb ("see"), so a model must carry
    information across the adjective: the lesson of attention over a context.

    Parameters
    ----------
    n_sentences : int
    rng : np.random.Generator

    Returns
    -------
    str
        ``n_sentences`` lines joined by newlines (lower case, about 30 characters each).

    Used in Chapter 10.

    Examples
    --------
    >>> text = grammar_corpus(3, np.random.default_rng(0))
    >>> len(text.splitlines()), text.endswith(".")
    (3, True)
    """
    n_sentences = check_int(n_sentences, "n_sentences")
    check_rng(rng)

    def noun_phrase():
        plural = rng.random() < 0.4
        i = rng.integers(len(_NOUNS))
        noun = _PLURALS[i] if plural else _NOUNS[i]
        det = ("the", "some")[rng.integers(2)] if plural else ("the", "a")[rng.integers(2)]
        adj = _ADJS[rng.integers(len(_ADJS))] + " " if rng.random() < 0.5 else ""
        return f"{det} {adj}{noun}", plural

    lines = []
    for _ in range(n_sentences):
        subj, plural = noun_phrase()
        i = rng.integers(len(_VERBS))
        verb = _VERBS_PLURAL[i] if plural else _VERBS[i]    # the cats see / the cat sees
        obj, _ = noun_phrase()
        adv = " " + _ADVS[rng.integers(len(_ADVS))] if rng.random() < 0.3 else ""
        lines.append(f"{subj} {verb} {obj}{adv}.")
    return "\n".join(lines)


def arithmetic_problems(n: int, rng: np.random.Generator, max_operand: int = 99, ops: str = "+-"):
    """Random integer sums/differences as question and answer strings.

    Parameters
    ----------
    n : int
    rng : np.random.Generator
    max_operand : int
        Operands are uniform in ``0 .. max_operand``.
    ops : str
        Operators to draw from, any of ``"+-*"``.

    Returns
    -------
    questions : list of str
        e.g. ``"12+7="``.
    answers : list of str
        e.g. ``"19"`` (may be negative).

    Used in Chapter 10 (does a tiny GPT learn to carry?).

    Examples
    --------
    >>> q, a = arithmetic_problems(2, np.random.default_rng(0), max_operand=9, ops="+")
    >>> all(eval(x[:-1]) == int(y) for x, y in zip(q, a))
    True
    """
    n = check_int(n, "n")
    check_rng(rng)
    max_operand = check_int(max_operand, "max_operand", minimum=1)
    if not ops or any(o not in "+-*" for o in ops):
        raise ValueError(f"ops must be a non-empty string of '+', '-', '*', got {ops!r}.")
    a = rng.integers(0, max_operand + 1, size=n)
    b = rng.integers(0, max_operand + 1, size=n)
    op = [ops[i] for i in rng.integers(0, len(ops), size=n)]
    value = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}
    return ([f"{x}{o}{y}=" for x, o, y in zip(a, op, b)],
            [str(value[o](int(x), int(y))) for x, o, y in zip(a, op, b)])


def arithmetic_corpus(n: int, rng: np.random.Generator, max_operand: int = 99, ops: str = "+-") -> str:
    """:func:`arithmetic_problems` written out as ``"12+7=19"`` lines, one problem per line.

    Parameters
    ----------
    n : int
        Number of problems.
    rng : np.random.Generator
        Draws the operands and operators.
    max_operand : int
        Operands are drawn from ``0..max_operand``.
    ops : str
        The operators to draw from, among ``"+-*"``.

    Returns
    -------
    str
        ``n`` lines ``"<a><op><b>=<result>"`` joined by newlines.

    Examples
    --------
    >>> arithmetic_corpus(2, np.random.default_rng(0), max_operand=9).count("=")
    2
    """
    q, a = arithmetic_problems(n, rng, max_operand, ops)
    return "\n".join(x + y for x, y in zip(q, a))


RELATIONS = ("left of", "right of", "above", "below")


def _two_objects(rng, size, noise):
    """Place one or two non-overlapping shapes; return image, objects and the relation."""
    n_obj = 1 + int(rng.random() < 0.75)
    while True:
        objs = []
        for _ in range(n_obj):
            r = rng.uniform(0.12, 0.2) * size
            m = 1.1 * r
            objs.append(dict(shape=SHAPE_NAMES[rng.integers(len(SHAPE_NAMES))],
                             color=int(rng.integers(len(COLOR_NAMES))),
                             cx=rng.uniform(m, size - m), cy=rng.uniform(m, size - m),
                             radius=r, angle=0.0, depth=1.0))
        if n_obj == 1:
            break
        a, b = objs
        dx, dy = b["cx"] - a["cx"], b["cy"] - a["cy"]
        apart = np.hypot(dx, dy) > 1.1 * (a["radius"] + b["radius"]) + 1
        clear = max(abs(dx), abs(dy)) > 1.5 * min(abs(dx), abs(dy))     # an unambiguous relation
        if apart and clear and (a["shape"], a["color"]) != (b["shape"], b["color"]):
            break
    image, _, _ = _compose(objs, _background(rng, size, size))
    image = np.clip(image + noise * rng.standard_normal(image.shape), 0.0, 1.0)
    relation = None
    if n_obj == 2:
        dx, dy = objs[1]["cx"] - objs[0]["cx"], objs[1]["cy"] - objs[0]["cy"]
        # the relation of object 0 to object 1 (y points down: smaller y is "above")
        relation = ("left of" if dx > 0 else "right of") if abs(dx) > abs(dy) else ("above" if dy > 0 else "below")
    return image, objs, relation


def _phrase(o) -> str:
    return f"a {COLOR_NAMES[o['color']]} {o['shape']}"


@dataclass
class CaptionedImages:
    """Images of one or two shapes and their captions.

    Attributes
    ----------
    images : (B, H, W, 3) ndarray of float64 in [0, 1]
    captions : list of str
        "a red circle" or "a red circle left of a blue square".
    shapes, colors : (B, 2) ndarray of int64
        Shape / colour index of objects 0 and 1 (-1 where there is no second object).
    relations : (B,) ndarray of int64
        Index into :data:`RELATIONS` (-1 for single-object images).

    Examples
    --------
    >>> pairs = caption_pairs(4, np.random.default_rng(0))
    >>> pairs.images.shape, len(pairs.captions)
    ((4, 32, 32, 3), 4)
    """

    images: np.ndarray
    captions: list
    shapes: np.ndarray
    colors: np.ndarray
    relations: np.ndarray


def caption_pairs(n: int, rng: np.random.Generator, size: int = 32, noise: float = 0.03) -> CaptionedImages:
    """Image–caption pairs built from procedural shapes (a quarter single-object, the rest pairs).

    Parameters
    ----------
    n : int
        Number of pairs B.
    rng : np.random.Generator
    size : int
        Image side (>= 24).
    noise : float

    Returns
    -------
    CaptionedImages

    Notes
    -----
    Two objects never overlap, differ in shape or colour, and are placed so that one of
    the horizontal or vertical offsets is at least 1.5 times the other, so the relation
    in the caption is unambiguous.

    Used in Chapter 15 (a tiny CLIP, zero-shot prompts "a photo of a red circle", a captioner).

    Examples
    --------
    >>> d = caption_pairs(4, np.random.default_rng(0))
    >>> d.images.shape, all(c.startswith("a ") for c in d.captions)
    ((4, 32, 32, 3), True)
    """
    n = check_int(n, "n")
    check_rng(rng)
    size = check_int(size, "size", minimum=24)
    noise = check_nonnegative(noise, "noise")
    images = np.empty((n, size, size, 3))
    captions = []
    shapes = -np.ones((n, 2), dtype=np.int64)
    colors = -np.ones((n, 2), dtype=np.int64)
    relations = -np.ones(n, dtype=np.int64)
    for b in range(n):
        images[b], objs, rel = _two_objects(rng, size, noise)
        for k, o in enumerate(objs):
            shapes[b, k] = SHAPE_NAMES.index(o["shape"])
            colors[b, k] = o["color"]
        if rel is None:
            captions.append(_phrase(objs[0]))
        else:
            relations[b] = RELATIONS.index(rel)
            captions.append(f"{_phrase(objs[0])} {rel} {_phrase(objs[1])}")
    return CaptionedImages(images=images, captions=captions, shapes=shapes, colors=colors,
                           relations=relations)


#: The closed answer vocabulary of :func:`vqa_pairs` (answer ids index into it).
VQA_ANSWERS = SHAPE_NAMES + COLOR_NAMES + ("yes", "no", "one", "two")


@dataclass
class VQASet:
    """Images, questions and answers (a classification over :data:`VQA_ANSWERS`).

    Attributes
    ----------
    images : (B, H, W, 3) ndarray of float64
    questions : list of str
    answers : list of str
    answer_ids : (B,) ndarray of int64

    Examples
    --------
    >>> vqa = vqa_pairs(4, np.random.default_rng(0))
    >>> vqa.images.shape, len(vqa.questions), vqa.answer_ids.shape
    ((4, 32, 32, 3), 4, (4,))
    """

    images: np.ndarray
    questions: list
    answers: list
    answer_ids: np.ndarray


def vqa_pairs(n: int, rng: np.random.Generator, size: int = 32, noise: float = 0.03) -> VQASet:
    """Toy visual question answering on procedural shapes.

    Question templates (one drawn per image): "what shape is the <colour> object?",
    "what color is the <shape>?", "is there a <shape>?", "how many objects are there?".
    Templates about one object only use an attribute that identifies it uniquely.

    Parameters
    ----------
    n : int
        Number of image-question pairs.
    rng : np.random.Generator
        Draws the scenes, the templates and the pixel noise.
    size : int
        Side of the square images in pixels.
    noise : float
        Standard deviation of the Gaussian pixel noise.

    Returns
    -------
    VQASet

    Used in Chapter 15 (a toy VQA model with a frozen vision encoder and a prefix-LM).

    Examples
    --------
    >>> d = vqa_pairs(6, np.random.default_rng(0))
    >>> len(d.questions), all(a in VQA_ANSWERS for a in d.answers)
    (6, True)
    """
    n = check_int(n, "n")
    check_rng(rng)
    size = check_int(size, "size", minimum=24)
    noise = check_nonnegative(noise, "noise")
    images = np.empty((n, size, size, 3))
    questions, answers = [], []
    for b in range(n):
        images[b], objs, _ = _two_objects(rng, size, noise)
        present = {o["shape"] for o in objs}
        kind = rng.integers(4)
        o = objs[rng.integers(len(objs))]
        col = COLOR_NAMES[o["color"]]
        if kind == 0 and sum(p["color"] == o["color"] for p in objs) == 1:
            q, a = f"what shape is the {col} object?", o["shape"]
        elif kind == 1 and sum(p["shape"] == o["shape"] for p in objs) == 1:
            q, a = f"what color is the {o['shape']}?", col
        elif kind == 2:
            s = SHAPE_NAMES[rng.integers(len(SHAPE_NAMES))]
            q, a = f"is there a {s}?", "yes" if s in present else "no"
        else:
            q, a = "how many objects are there?", ("one", "two")[len(objs) - 1]
        questions.append(q)
        answers.append(a)
    return VQASet(images=images, questions=questions, answers=answers,
                  answer_ids=np.array([VQA_ANSWERS.index(a) for a in answers], dtype=np.int64))
