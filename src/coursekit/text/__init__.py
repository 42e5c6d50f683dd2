"""Text for the transformer chapters: a byte-pair encoder, language-model helpers and decoding.

Chapter 10 (Attention and transformers) trains a tiny byte-pair encoding (BPE) on a generated corpus, turns
the token stream into teacher-forcing windows, measures a bigram baseline, and decodes from the tiny GPT of
``coursekit.models.gpt``: greedy, beam search, temperature, top-k and top-p sampling, with and without a
KV cache. Chapter 15 reuses the tokenizer and the decoders for captions.

What the BPE must agree on with HuggingFace ``tokenizers`` (the test-time oracle, never imported here):
trained on the same ASCII corpus, with the same pre-tokenisation (``text.bpe.SPLIT_PATTERN`` as a
``Split(..., behavior="isolated")`` pre-tokenizer) and the same number of merges, ``BpeTrainer`` learns the
same merges, as strings, in the same order, and so splits any text of that alphabet into the same tokens.
Three things make that hold: both count a pair once per occurrence inside a pre-token, weighted by how often
the pre-token occurs (overlaps included: "aaa" holds ("a", "a") twice); both merge left to right; and both
break a tie between equally frequent pairs towards the pair whose (left, right) ids are smallest, with base
symbols ordered by code (bytes here, characters there, the same order for ASCII) and merged tokens after
them in the order they were made. The token *ids* differ — HF numbers only the characters it saw, we number
all 256 bytes — and on non-ASCII text the alphabets differ (bytes vs characters), so nothing is claimed there.
"""

from coursekit.text.bpe import (
    SPLIT_PATTERN,
    pre_tokenize,
    count_pairs,
    merge_pair,
    train_bpe,
    BytePairEncoder,
)
from coursekit._lazy import attach

# names of the modules that need torch: they load on first use (coursekit._lazy)
_LAZY = {
    "top_k_filter": "decoding",
    "top_p_filter": "decoding",
    "next_token_distribution": "decoding",
    "generate": "decoding",
    "beam_search": "decoding",
    "lm_windows": "lm",
    "lm_loss": "lm",
    "lm_eval_loss": "lm",
    "train_language_model": "lm",
    "bigram_log_probs": "lm",
    "bigram_nll": "lm",
    "residual_distribution": "speculative",
    "verify_draft": "speculative",
    "speculative_sample": "speculative",
    "SpeculativeResult": "speculative",
    "speculative_decode": "speculative",
    "BigramLM": "speculative",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

__all__ = [
    "SPLIT_PATTERN",
    "pre_tokenize",
    "count_pairs",
    "merge_pair",
    "train_bpe",
    "BytePairEncoder",
    "top_k_filter",
    "top_p_filter",
    "next_token_distribution",
    "generate",
    "beam_search",
    "lm_windows",
    "lm_loss",
    "lm_eval_loss",
    "train_language_model",
    "bigram_log_probs",
    "bigram_nll",
    "residual_distribution",
    "verify_draft",
    "speculative_sample",
    "SpeculativeResult",
    "speculative_decode",
    "BigramLM",
]
