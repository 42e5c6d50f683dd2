"""``coursekit grade``: autograde students' exercise notebooks against the master copies in ``solutions/``.

The flow (the instructors' page of the book, ``book/instructors.md``, tells it in full):

1. :mod:`~coursekit.grader.submission` reads a submission without ever writing to it, finds its master
   copy by the chapter of its exercise ids, and pairs every master exercise with the student's cell of
   the same id (tag ``exercise`` + metadata), never by position. Check cells always come from the master.
2. :mod:`~coursekit.grader.sandbox` runs each exercise in its own process (forked from a server that has
   only imported the libraries), with a time limit, a memory limit and no network;
   :mod:`~coursekit.grader.child` is the code that runs inside it.
3. :mod:`~coursekit.grader.report` writes ``score.json`` (schema :data:`SCHEMA_VERSION`), ``score.md`` and,
   for a batch, ``gradebook.csv``; :mod:`~coursekit.grader.cli` is the command line.

"""

from __future__ import annotations

SCHEMA_VERSION = 1

__all__ = ["SCHEMA_VERSION"]
