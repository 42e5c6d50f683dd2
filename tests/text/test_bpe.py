"""coursekit.text.bpe: lossless round trips on any text, and the same merges and tokens as HuggingFace
``tokenizers`` (BpeTrainer) trained on the same corpus with the same pre-tokenisation and number of merges."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coursekit.data.text import arithmetic_corpus, grammar_corpus
from coursekit.text.bpe import SPLIT_PATTERN, BytePairEncoder, count_pairs, merge_pair, pre_tokenize, train_bpe


def _hf_train(text: str, n_merges: int):
    """HF's BPE with our pre-tokenisation; vocab_size = alphabet + merges (HF counts the characters it saw)."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers   # the oracle, pinned 0.23.3

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated")
    trainer = trainers.BpeTrainer(vocab_size=len(set(text)) + n_merges, show_progress=False, special_tokens=[])
    tok.train_from_iterator([text], trainer)
    merges = json.loads(tok.to_str())["model"]["merges"]
    return tok, [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in merges]


def _merge_strings(bpe: BytePairEncoder):
    return [(bpe.vocab[a].decode(), bpe.vocab[b].decode()) for (a, b), _ in bpe.merges]


@pytest.mark.parametrize("n_sentences, seed, n_merges", [(2000, 0, 40), (2000, 0, 150), (60, 3, 80), (15, 4, 30)])
def test_merges_and_tokens_equal_huggingface_on_the_grammar_corpus(n_sentences, seed, n_merges):
    text = grammar_corpus(n_sentences, np.random.default_rng(seed))
    ours = train_bpe(text, n_merges)
    tok, theirs = _hf_train(text, n_merges)
    assert _merge_strings(ours) == theirs                      # the same merges, in the same order
    held_out = grammar_corpus(40, np.random.default_rng(100 + seed))
    assert ours.tokens(held_out) == tok.encode(held_out).tokens


def test_merges_equal_huggingface_when_many_pairs_tie():
    """Short random texts over 2-7 symbols: ties and overlapping pairs ("aaa") are everywhere."""
    rng = np.random.default_rng(0)
    for _ in range(60):
        symbols = list("ab c\n.d")[: rng.integers(2, 8)]
        text = "".join(rng.choice(symbols, size=rng.integers(5, 200)))
        n = int(rng.integers(1, 40))
        ours = train_bpe(text, n)
        tok, theirs = _hf_train(text, n)
        assert _merge_strings(ours) == theirs, repr(text)
        assert ours.tokens(text) == tok.encode(text).tokens


def test_arithmetic_corpus_keeps_digits_apart_like_huggingface():
    text = arithmetic_corpus(500, np.random.default_rng(1))
    ours = train_bpe(text, 20)
    tok, theirs = _hf_train(text, 20)
    assert _merge_strings(ours) == theirs
    assert all(not any(c.isdigit() for c in ours.vocab[i].decode()) or len(ours.vocab[i].strip()) == 1
               for _, i in ours.merges)                        # a token never holds two digits


@pytest.mark.parametrize("text", [
    "the cats see a dog.\nsome children draw the foxes slowly.",
    "12+7=19\n88-91=-3",
    "naïve café, Zürich — 東京 🙂\t\ttabs and  two spaces\r\n",
    "",
    "\x00\x01 control bytes \x7f",
])
def test_encode_then_decode_gives_the_text_back(text):
    bpe = train_bpe(grammar_corpus(300, np.random.default_rng(0)), 60)
    ids = bpe.encode(text)
    assert bpe.decode(ids) == text
    assert all(0 <= i < max(bpe.vocab) + 1 for i in ids)


def test_round_trip_on_random_unicode_strings():
    rng = np.random.default_rng(2)
    bpe = train_bpe(grammar_corpus(200, np.random.default_rng(1)), 40)
    for _ in range(50):
        code_points = rng.integers(1, 0x2FFFF, size=rng.integers(0, 30))
        text = "".join(chr(c) for c in code_points if not 0xD800 <= c <= 0xDFFF)   # no lone surrogates
        assert bpe.decode(bpe.encode(text)) == text


def test_merges_compress_the_training_text():
    text = grammar_corpus(500, np.random.default_rng(0))
    n_bytes = len(text.encode())
    lengths = [len(train_bpe(text, n).encode(text)) for n in (0, 10, 40, 100)]
    assert lengths[0] == n_bytes and lengths == sorted(lengths, reverse=True) and lengths[-1] < n_bytes / 3


def test_count_pairs_counts_overlaps_and_weights_words():
    assert count_pairs({(1, 1, 1): 2, (1, 2): 5}) == {(1, 1): 4, (1, 2): 5}


def test_merge_pair_scans_left_to_right_without_overlap():
    assert merge_pair((1, 1, 1, 1), (1, 1), 7) == (7, 7)
    assert merge_pair((1, 1, 1), (1, 1), 7) == (7, 1)
    assert merge_pair((2, 1, 3), (1, 1), 7) == (2, 1, 3)


def test_training_stops_when_no_pair_is_left():
    bpe = train_bpe("ab ab", 50)                               # "ab", " ab": two merges make every chunk one token
    assert len(bpe.merges) == 2 and bpe.vocab_size == 258


def test_bad_input_raises_a_clear_error():
    with pytest.raises(ValueError, match="skips some characters"):
        pre_tokenize("a-b", pattern=r"[a-z]+")
    with pytest.raises(ValueError, match="n_merges"):
        train_bpe("abc", -1)
    bpe = train_bpe("abc", 1)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        bpe.decode([999])
    with pytest.raises(ValueError, match="str"):
        bpe.encode(b"bytes")
    with pytest.raises(ValueError, match="not valid Unicode"):
        bpe.encode("lone \ud800 surrogate")
