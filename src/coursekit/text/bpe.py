"""A tiny byte-level byte-pair encoding (BPE): train merges, encode text to ids, decode ids to text.

Chapter 10 (Attention and transformers), the section on tokenisation. Starting from the 256 bytes, BPE
repeatedly replaces the most frequent adjacent pair of tokens by a new token. Working on bytes (not
characters) makes every string encodable, and decoding concatenates bytes, so ``decode(encode(s)) == s`` for
every string ``s``. The package docstring (``coursekit.text``) states exactly what must agree with
HuggingFace ``tokenizers`` trained on the same corpus, and why.

References
----------
P. Gage, "A new algorithm for data compression", C Users Journal 12(2), 1994 (byte-pair encoding).
R. Sennrich, B. Haddow and A. Birch, "Neural machine translation of rare words with subword units", ACL 2016.
A. Radford et al., "Language models are unsupervised multitask learners", 2019 (byte-level BPE, GPT-2).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from coursekit.core.validation import check_int

__all__ = ["SPLIT_PATTERN", "pre_tokenize", "count_pairs", "merge_pair", "train_bpe", "BytePairEncoder"]

#: Pre-tokenisation: a word with its leading space, one digit, a run of punctuation, or whitespace.
#: Merges never cross these chunks (so "cat." does not become one token), and every character falls in
#: exactly one chunk, so joining the chunks gives the text back.
SPLIT_PATTERN = r" ?[A-Za-z]+| ?[0-9]| ?[^\sA-Za-z0-9]+|\s+"


def pre_tokenize(text: str, pattern: str = SPLIT_PATTERN) -> list[str]:
    """Cut ``text`` into the chunks that merges may not cross; raise if the chunks lose a character.

    Defined in :ref:`sec-attention-bpe` (Eq. :eq:`eq-attention-bpe-merge`).

    Examples
    --------
    >>> pre_tokenize("the cats see 12 dogs.")
    ['the', ' cats', ' see', ' 1', '2', ' dogs', '.']
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}.")
    chunks = re.findall(pattern, text)
    if "".join(chunks) != text:
        raise ValueError("the split pattern skips some characters of the text; it must match every character "
                         "(end it with an alternative such as '|\\s+|.').")
    return chunks


def count_pairs(words: dict[tuple[int, ...], int]) -> Counter:
    """Count adjacent pairs of tokens, each word weighted by how often it occurs.

    Defined in :ref:`sec-attention-bpe` (Eq. :eq:`eq-attention-bpe-merge`).

    Parameters
    ----------
    words : dict of tuple of int to int
        Each distinct word as its token ids, and its count in the corpus.

    Returns
    -------
    Counter
        ``(a, b) -> n``: every occurrence counts, overlaps included ((1, 1, 1) holds (1, 1) twice).

    Examples
    --------
    >>> sorted(count_pairs({(1, 2, 3): 2, (2, 3): 1}).items())
    [((1, 2), 2), ((2, 3), 3)]
    """
    counts: Counter = Counter()
    for ids, n in words.items():
        for pair in zip(ids, ids[1:]):
            counts[pair] += n
    return counts


def merge_pair(ids: tuple[int, ...] | list[int], pair: tuple[int, int], new_id: int) -> tuple[int, ...]:
    """Replace every occurrence of ``pair`` in ``ids`` by ``new_id``, scanning left to right.

    Defined in :ref:`sec-attention-bpe` (Eq. :eq:`eq-attention-bpe-merge`).

    Examples
    --------
    >>> merge_pair((1, 1, 1, 2), (1, 1), 9)      # left to right: (1, 1) then the lone 1
    (9, 1, 2)
    """
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return tuple(out)


@dataclass
class BytePairEncoder:
    """A trained byte-level BPE: the ordered merges and the pre-tokenisation pattern.

    Defined in :ref:`sec-attention-bpe` (Eq. :eq:`eq-attention-bpe-merge`).

    Attributes
    ----------
    merges : list of ((int, int), int)
        Merge r replaces the pair of ids by the new id; earlier merges have priority when encoding.
    pattern : str
        The pre-tokenisation regular expression (:data:`SPLIT_PATTERN`).
    vocab : dict of int to bytes
        Id → bytes: 0 … 255 are the bytes, then one entry per distinct merged token.

    Examples
    --------
    >>> bpe = train_bpe("low lower lowest " * 5, n_merges=4)
    >>> bpe.tokens("lowly")
    ['low', 'l', 'y']
    >>> bpe.decode(bpe.encode("naïve café")) == "naïve café"     # any text round-trips
    True
    """

    merges: list
    pattern: str = SPLIT_PATTERN
    vocab: dict = field(init=False, repr=False)

    def __post_init__(self):
        self.vocab = {i: bytes([i]) for i in range(256)}
        for (a, b), new_id in self.merges:
            self.vocab[new_id] = self.vocab[a] + self.vocab[b]
        self._ranks = {pair: (rank, new_id) for rank, (pair, new_id) in enumerate(self.merges)}

    @property
    def vocab_size(self) -> int:
        """Number of ids in use: 256 bytes plus the distinct merged tokens."""
        return len(self.vocab)

    def _encode_chunk(self, chunk: str) -> list[int]:
        ids = tuple(chunk.encode("utf-8"))
        while len(ids) > 1:
            ranked = [self._ranks[p] for p in zip(ids, ids[1:]) if p in self._ranks]
            if not ranked:
                break
            rank, new_id = min(ranked)                                   # the earliest-learned merge first
            ids = merge_pair(ids, self.merges[rank][0], new_id)
        return list(ids)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``: pre-tokenise, then apply the merges in the order they were learned."""
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"text is not valid Unicode ({exc.reason}); it cannot be turned into bytes.") from None
        memo: dict[str, list[int]] = {}                                  # a corpus repeats its words
        out: list[int] = []
        for chunk in pre_tokenize(text, self.pattern):
            if chunk not in memo:
                memo[chunk] = self._encode_chunk(chunk)
            out += memo[chunk]
        return out

    def decode(self, ids) -> str:
        """The text of ``ids``: concatenate their bytes and read them as UTF-8.

        Ids that split a multi-byte character (possible when a model generates them) decode to U+FFFD.
        """
        try:
            data = b"".join(self.vocab[int(i)] for i in ids)
        except KeyError as exc:
            raise ValueError(f"id {exc.args[0]} is not in the vocabulary (0 … {max(self.vocab)}).") from None
        return data.decode("utf-8", errors="replace")

    def tokens(self, text: str) -> list[str]:
        """The tokens of ``text`` as strings, to look at a segmentation."""
        return [self.vocab[i].decode("utf-8", errors="replace") for i in self.encode(text)]


def train_bpe(text: str, n_merges: int, pattern: str = SPLIT_PATTERN) -> BytePairEncoder:
    """Learn ``n_merges`` byte-pair merges on ``text``.

    Defined in :ref:`sec-attention-bpe` (Eq. :eq:`eq-attention-bpe-merge`).

    Parameters
    ----------
    text : str
        The training corpus.
    n_merges : int
        Number of merges (>= 0); fewer if no pair is left to merge.
    pattern : str
        Pre-tokenisation regex; merges never cross its chunks.

    Returns
    -------
    BytePairEncoder

    Notes
    -----
    1. Pre-tokenise and count the distinct chunks; each chunk starts as its UTF-8 bytes (ids 0 … 255).
    2. Count adjacent pairs over the chunks, weighted by the chunk counts (:func:`count_pairs`).
    3. Take the most frequent pair; break ties towards the smallest (left id, right id).
    4. Give the merged bytes a new id (or the existing id if that byte string already is a token), record
       the merge, replace the pair in every chunk (:func:`merge_pair`); repeat from 2.

    Working with distinct chunks and their counts, not the raw text, is what makes training fast: the
    corpus of Chapter 10 has thousands of words but a few dozen distinct ones.

    Examples
    --------
    >>> bpe = train_bpe("aaabdaaabac", n_merges=3, pattern=r".")     # one chunk per character: no merges
    >>> bpe.merges
    []
    >>> bpe = train_bpe("aaabdaaabac", n_merges=3, pattern=r".+")     # the whole string is one chunk
    >>> [bpe.vocab[new] for _, new in bpe.merges]                     # 'ab' beats 'aaa' on a tie: smaller ids
    [b'aa', b'ab', b'aaab']
    """
    n_merges = check_int(n_merges, "n_merges", minimum=0)
    words = {tuple(w.encode("utf-8")): n for w, n in Counter(pre_tokenize(text, pattern)).items()}
    vocab = {i: bytes([i]) for i in range(256)}
    ids_of = {b: i for i, b in vocab.items()}
    merges = []
    for _ in range(n_merges):
        counts = count_pairs(words)
        if not counts:
            break
        pair = max(counts, key=lambda p: (counts[p], -p[0], -p[1]))     # most frequent; ties: smallest ids
        merged = vocab[pair[0]] + vocab[pair[1]]
        if merged not in ids_of:
            ids_of[merged] = len(vocab)
            vocab[ids_of[merged]] = merged
        merges.append((pair, ids_of[merged]))
        new_words: dict = {}
        for w, n in words.items():
            key = merge_pair(w, pair, ids_of[merged])
            new_words[key] = new_words.get(key, 0) + n
        words = new_words
    return BytePairEncoder(merges, pattern)
