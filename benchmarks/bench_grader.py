"""Time `coursekit grade`: one solved chapter, and a batch of 20 submissions with ``--jobs 2``.

Usage: ``python benchmarks/bench_grader.py`` (``make bench`` calls :func:`run`). The batch is made of 20
copies of chapter 1 (solved, stub and half-solved in turn), so it exercises the same paths as a class.
Each timing is one wall-clock run of the whole command, as an instructor waits for it: the bubblewrap
self-test, one sandbox per submission (each imports the libraries the chapter's setup needs once), the
judgement and the similarity flags. The machine is shared: expect swings between runs.

The table puts the sandboxed grader (issue 8) next to the figures of the previous, unsandboxed one
(issue 3: one forked process per exercise, judged in the same process as the student's code), measured on
the same kind of 2-core machine.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_CHAPTER_S = 30.0
OLD_CHAPTER_S = 2.3      # issue 3's grader: one solved chapter 2, --jobs 2
OLD_BATCH_S = 8.1        # issue 3's grader: 20 chapter-1 submissions, --jobs 2


def _grade(argv: list[str]) -> float:
    from coursekit.__main__ import main

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["grade", *argv, "--master", str(ROOT / "solutions")])
    if code != 0:
        raise RuntimeError(f"coursekit grade {' '.join(argv)} exited {code}")
    return time.perf_counter() - start


def time_one_chapter(chapter: str = "02_image_processing.ipynb", jobs: int = 2) -> float:
    """Seconds to grade one solved chapter (the target is 30 s on 2 cores)."""
    with tempfile.TemporaryDirectory() as out:
        return _grade([str(ROOT / "solutions" / chapter), "--out", out, "--jobs", str(jobs)])


def time_batch(n: int = 20, jobs: int = 2) -> float:
    """Seconds to grade ``n`` students' chapter-1 notebooks with ``--jobs``."""
    solved = json.loads((ROOT / "solutions" / "01_foundations.ipynb").read_text())
    stub = json.loads((ROOT / "exercises" / "01_foundations.ipynb").read_text())
    half = json.loads(json.dumps(stub))
    for cell, sol in zip(half["cells"], solved["cells"]):
        if "exercise" in cell["metadata"].get("tags", []) and cell["metadata"]["exercise"]["points"] <= 2:
            cell["source"] = sol["source"]
    with tempfile.TemporaryDirectory() as tmp:
        dirs = []
        for i in range(n):
            d = Path(tmp) / f"student{i:02d}"
            d.mkdir()
            (d / "01_foundations.ipynb").write_text(json.dumps((solved, stub, half)[i % 3]))
            dirs.append(str(d))
        return _grade([*dirs, "--out", str(Path(tmp) / "grades"), "--jobs", str(jobs)])


def run() -> str:
    """Both timings as a small Markdown section (for ``benchmarks/results.md``)."""
    chapter = time_one_chapter()
    batch = time_batch()
    verdict = "within" if chapter <= TARGET_CHAPTER_S else "OVER"
    return "\n".join([
        "## Grader (`coursekit grade`)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; one run each.",
        "",
        "| task | sandboxed grader (s) | previous grader, not sandboxed (s) |",
        "|---|---:|---:|",
        f"| one solved chapter (02_image_processing, 10 exercises, --jobs 2) | {chapter:.1f} ({verdict} the "
        f"{TARGET_CHAPTER_S:g} s target) | {OLD_CHAPTER_S:g} |",
        f"| batch of 20 chapter-1 submissions (80 exercises), --jobs 2 | {batch:.1f} | {OLD_BATCH_S:g} |",
        "",
        "The difference is the price of the trust boundary: each submission gets a sandbox of its own, whose "
        "runner imports NumPy, matplotlib and the chapter's setup (which imports torch through "
        "`coursekit.data`) before its first exercise — about 1–3 s of CPU per submission that the previous "
        "grader paid once per run — and every exercise's outputs travel as data to be judged outside.",
        "",
    ])


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    print(run())
