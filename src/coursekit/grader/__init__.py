"""``coursekit grade``: autograde students' exercise notebooks against the master copies in ``solutions/``.

The trust boundary (the instructors' page of the book, ``book/instructors.md``, tells it in full): the
student's code runs in a sandbox and only computes outputs; the grader's own process builds the inputs,
calls the references, judges, flags and writes the reports.

1. :mod:`~coursekit.grader.intake` reads submissions as hostile data (no symlink followed, limits before
   parsing, a JSON Schema) and :mod:`~coursekit.grader.submission` pairs every master exercise with the
   student's cell of the same id, keeping of earlier cells only the definitions an exercise needs.
2. :mod:`~coursekit.grader.judge` builds each exercise's cases, sends them as data
   (:mod:`coursekit.grading_wire`) to a bubblewrap sandbox per submission (:mod:`~coursekit.grader.sandbox`,
   running :mod:`~coursekit.grader.runner_child` over a copy of coursekit without the answers,
   :mod:`~coursekit.grader.strip`), and judges what comes back with the checks of
   :mod:`coursekit.grading`; :mod:`~coursekit.grader.shortcuts` and :mod:`~coursekit.grader.similarity`
   flag reference use, forbidden calls and copying.
3. :mod:`~coursekit.grader.report` writes ``score.json`` (schema :data:`SCHEMA_VERSION`), ``score.md`` and,
   for a batch, ``gradebook.csv``, atomically, after every sandbox is gone; :mod:`~coursekit.grader.cli` is
   the command line.
"""

from __future__ import annotations

SCHEMA_VERSION = 2

__all__ = ["SCHEMA_VERSION"]
