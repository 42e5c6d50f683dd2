"""Make copying visible: each exercise's code against the coursekit reference and against every classmate.

Uses ``copydetect`` (winnowing over normalised tokens, the method of MOSS; Schleimer, Wilkerson and Aiken,
SIGMOD 2003): names, strings and numbers are normalised away, so renaming variables or rewording comments
does not hide a copy, and the exercise's stub (its signature and docstring, which everyone starts from) is
passed as boilerplate so it never counts as shared.

A pair is flagged when at least :data:`THRESHOLD` of one side's fingerprinted code is found in the other
*and* the shared part is at least :data:`MIN_SHARED` normalised characters long (spaces and comments
dropped, every name replaced by one letter: ``V=V.V(V/V+0.5)`` is 14 characters) — a one-line exercise is
written the same way by honest students and is never flagged. A flag costs no points:
it is a note for a human in ``score.json``, ``score.md`` and the gradebook.
"""

from __future__ import annotations

import inspect
import io
from dataclasses import dataclass

__all__ = ["THRESHOLD", "MIN_SHARED", "NOISE", "GUARANTEE", "Fingerprints", "similar_pairs", "reference_source"]

THRESHOLD = 0.8      # share of a side's fingerprinted code found in the other
MIN_SHARED = 60      # normalised characters in common, at least (about two lines of code)
NOISE = 15           # k-gram length in normalised characters: shorter matches are noise
GUARANTEE = 20       # matches this long are always found (window = GUARANTEE - NOISE + 1)
# copydetect's defaults (25, 30) suit whole files; an exercise cell is 50-200 normalised characters, where
# they missed a pasted reference with two lines changed (72 %) while (15, 20) finds it (88 %) and still
# leaves two honest, different solutions far apart (36 %). Measured on chapters 1-4 (tests/test_grader_hostile.py).


def _fingerprint(code: str, boilerplate=None):
    from copydetect import CodeFingerprint

    return CodeFingerprint("cell.py", NOISE, GUARANTEE - NOISE + 1, boilerplate=boilerplate,
                           language="python", fp=io.StringIO(code))


@dataclass
class Fingerprints:
    """Fingerprints of one exercise's code, with its stub removed as boilerplate."""

    stub: str

    def __post_init__(self):
        self._boiler = list(_fingerprint(self.stub).hashes) if self.stub.strip() else []

    def of(self, code: str):
        """The fingerprints of ``code``, or ``None`` when it cannot be tokenised."""
        try:
            return _fingerprint(code, self._boiler)
        except Exception:           # code pygments cannot tokenise: nothing to compare
            return None


def _compare(a, b) -> tuple[float, int]:
    from copydetect import compare_files

    if a is None or b is None or not len(a.hashes) or not len(b.hashes):
        return 0.0, 0
    overlap, sims, _ = compare_files(a, b)
    return float(max(sims)), int(overlap)


def similar_pairs(stub: str, codes: dict[str, str], reference: str = "") -> tuple[dict[str, float], list[tuple[str, str, float]]]:
    """Flags of one exercise: ``({key: similarity to the reference}, [(key1, key2, similarity)])``.

    ``codes`` maps a submission key to the student's exercise cell; only pairs above :data:`THRESHOLD` and
    sharing at least :data:`MIN_SHARED` characters are returned.
    """
    fp = Fingerprints(stub)
    prints = {k: fp.of(c) for k, c in codes.items() if c and c.strip()}
    ref_hits: dict[str, float] = {}
    if reference.strip():
        ref = fp.of(reference)
        for k, f in prints.items():
            sim, shared = _compare(f, ref)
            if sim >= THRESHOLD and shared >= MIN_SHARED:
                ref_hits[k] = round(sim, 2)
    pairs = []
    keys = sorted(prints)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            sim, shared = _compare(prints[a], prints[b])
            if sim >= THRESHOLD and shared >= MIN_SHARED:
                pairs.append((a, b, round(sim, 2)))
    return ref_hits, pairs


def reference_source(objects) -> str:
    """The source of the coursekit objects an exercise re-implements (read by the trusted grader only)."""
    parts = []
    for obj in objects:
        try:
            parts.append(inspect.getsource(obj))
        except (OSError, TypeError):
            pass
    return "\n\n".join(parts)
