"""Tests for coursekit.data.text (Chapters 10 and 15)."""

import re

import numpy as np
import pytest

from coursekit.data.shapes import COLOR_NAMES, COLORS, SHAPE_NAMES
from coursekit.data.text import RELATIONS, VQA_ANSWERS, arithmetic_corpus, arithmetic_problems, caption_pairs, grammar_corpus, vqa_pairs


def test_text_generators_are_deterministic():
    for gen in (lambda r: grammar_corpus(20, r), lambda r: arithmetic_corpus(20, r)):
        assert gen(np.random.default_rng(0)) == gen(np.random.default_rng(0))
        assert gen(np.random.default_rng(0)) != gen(np.random.default_rng(1))
    a, b = caption_pairs(5, np.random.default_rng(0)), caption_pairs(5, np.random.default_rng(0))
    assert np.array_equal(a.images, b.images) and a.captions == b.captions


def test_grammar_sentences_agree_in_number():
    from coursekit.data.text import _PLURALS, _VERBS, _VERBS_PLURAL
    for line in grammar_corpus(300, np.random.default_rng(0)).splitlines():
        words = line.rstrip(".").split()
        v = next(k for k, w in enumerate(words) if w in _VERBS + _VERBS_PLURAL)
        plural_subject = words[v - 1] in _PLURALS
        assert (words[v] in _VERBS_PLURAL) == plural_subject, line
        assert words[0] in (("the", "some") if plural_subject else ("the", "a")), line


def test_arithmetic_answers_are_correct():
    q, a = arithmetic_problems(200, np.random.default_rng(0), max_operand=999, ops="+-*")
    for x, y in zip(q, a):
        m = re.fullmatch(r"(\d+)([+\-*])(\d+)=", x)
        u, op, v = int(m[1]), m[2], int(m[3])
        assert int(y) == {"+": u + v, "-": u - v, "*": u * v}[op]
    assert all(re.fullmatch(r"\d+[+-]\d+=-?\d+", l) for l in arithmetic_corpus(50, np.random.default_rng(1)).splitlines())


def test_captions_name_what_is_drawn_and_where():
    d = caption_pairs(60, np.random.default_rng(0), noise=0.0)
    assert d.images.shape == (60, 32, 32, 3)
    pat = re.compile(r"a (\w+) (\w+)(?: (left of|right of|above|below) a (\w+) (\w+))?")
    for img, cap, sh, co, rel in zip(d.images, d.captions, d.shapes, d.colors, d.relations):
        m = pat.fullmatch(cap)
        assert m, cap
        assert m[1] == COLOR_NAMES[co[0]] and m[2] == SHAPE_NAMES[sh[0]]
        # every named colour appears in the image
        for k in range(1 + (rel >= 0)):
            assert np.any(np.all(np.isclose(img, COLORS[co[k]]), axis=-1))
        if rel >= 0:
            assert m[3] == RELATIONS[rel]
            # check the relation from the pixels: centroid of each colour's pixels
            if co[0] != co[1]:
                c = [np.argwhere(np.all(np.isclose(img, COLORS[co[k]]), axis=-1)).mean(0) for k in (0, 1)]
                dy, dx = c[1] - c[0]
                want = ("left of" if dx > 0 else "right of") if abs(dx) > abs(dy) else ("above" if dy > 0 else "below")
                assert m[3] == want, cap


def test_vqa_answers_are_consistent_with_the_image_attributes():
    d = vqa_pairs(80, np.random.default_rng(0))
    assert len(d.questions) == len(d.answers) == 80
    assert [VQA_ANSWERS[i] for i in d.answer_ids] == d.answers
    assert set(d.answers) > {"yes", "no"}
    for q, a in zip(d.questions, d.answers):
        if q.startswith("what shape"):
            assert a in SHAPE_NAMES
        elif q.startswith("what color"):
            assert a in COLOR_NAMES
        elif q.startswith("is there"):
            assert a in ("yes", "no")
        else:
            assert a in ("one", "two")


@pytest.mark.parametrize("call", [
    lambda: grammar_corpus(0, np.random.default_rng(0)),
    lambda: arithmetic_problems(5, np.random.default_rng(0), ops="/"),
    lambda: arithmetic_problems(5, np.random.default_rng(0), max_operand=0),
    lambda: caption_pairs(5, np.random.default_rng(0), size=8),
    lambda: vqa_pairs(5, "seed"),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
