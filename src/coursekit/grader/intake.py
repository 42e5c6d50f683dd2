"""Read submissions as hostile data: no symlink followed, limits before parsing, one clear line per problem.

Every file is opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked with ``fstat`` before a byte is read: a
symbolic link, a FIFO, a device, a socket or a directory is refused with one line (and a FIFO cannot block
the grader, nor ``/dev/zero`` fill its memory). Then, in order: at most :data:`MAX_BYTES` are read; the
nesting depth is measured on the raw bytes (:data:`MAX_DEPTH`); the JSON is parsed; it is validated against
:data:`NOTEBOOK_SCHEMA` (JSON Schema, compiled by ``fastjsonschema``): cells are objects, a cell's source is a string or
a list of strings, tags are strings, and no code cell is larger than :data:`MAX_CELL_CHARS`. A problem costs
only its own file: :class:`SubmissionError` carries the line for the report, and a batch goes on.

Student folders are walked the same way (``os.scandir`` on directory descriptors opened with
``O_NOFOLLOW``), so a link inside a folder is reported, never followed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["SubmissionError", "Submission", "read_notebook", "find_notebooks", "NOTEBOOK_SCHEMA", "MAX_BYTES",
           "MAX_DEPTH", "MAX_CELL_CHARS"]

MAX_BYTES = 10 * 2**20          # a notebook with its figures is well below this
MAX_DEPTH = 64                  # nbformat needs about 6 levels
MAX_CELL_CHARS = 256 * 1024     # one code cell
MAX_WALK = 2000                 # entries looked at in one student's folder
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)

NOTEBOOK_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["cells", "nbformat"],
    "properties": {
        "nbformat": {"type": "integer"},
        "cells": {
            "type": "array", "maxItems": 5000,
            "items": {
                "type": "object",
                "required": ["cell_type"],
                "properties": {
                    "cell_type": {"type": "string"},
                    "id": {"type": "string", "maxLength": 200},
                    "source": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                    "metadata": {
                        "type": "object",
                        "properties": {
                            "tags": {"type": "array", "items": {"type": "string", "maxLength": 200}},
                            "exercise": {"type": "object", "properties": {
                                "id": {"type": "string", "maxLength": 200},
                                "points": {"type": "number"}}},
                        },
                    },
                },
            },
        },
    },
}
_validator = None


class SubmissionError(ValueError):
    """A notebook cannot be graded; the message is one line for the report."""


@dataclass
class Submission:
    """A student's notebook as read (the file is only read, never written)."""

    path: Path
    sha256: str
    nb: dict
    mtime_ns: int = 0
    links: int = 1
    notes: list[str] = field(default_factory=list)

    @property
    def cells(self) -> list[dict]:
        """The notebook's cells (already checked against :data:`NOTEBOOK_SCHEMA`)."""
        return self.nb["cells"]

    def chapters(self) -> set[str]:
        """The chapters named by the exercise ids of the cells tagged ``exercise`` or ``check``."""
        out = set()
        for c in self.cells:
            tags = c.get("metadata", {}).get("tags", [])
            eid = c.get("metadata", {}).get("exercise", {}).get("id")
            if ("exercise" in tags or "check" in tags) and isinstance(eid, str) and "." in eid:
                out.add(eid.split(".", 1)[0])
        return out


_KINDS = [(stat.S_ISDIR, "is a directory, not a notebook"), (stat.S_ISFIFO, "is a FIFO (named pipe), not a notebook"),
          (stat.S_ISCHR, "is a device, not a notebook"), (stat.S_ISBLK, "is a device, not a notebook"),
          (stat.S_ISSOCK, "is a socket, not a notebook")]


def _open(path: Path, dir_fd: int | None = None) -> int:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    name = path.name if dir_fd is not None else str(path)
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SubmissionError("is a symbolic link: submit the notebook file itself, not a link to one.") from None
        if exc.errno == errno.ENOENT:
            raise SubmissionError("does not exist.") from None
        raise SubmissionError(f"cannot be read ({exc.strerror or type(exc).__name__}).") from None


def _read_limited(fd: int) -> tuple[bytes, os.stat_result]:
    st = os.fstat(fd)
    for test, line in _KINDS:
        if test(st.st_mode):
            raise SubmissionError(line + ".")
    if not stat.S_ISREG(st.st_mode):
        raise SubmissionError("is not a regular file.")
    if st.st_size > MAX_BYTES:
        raise SubmissionError(f"is {st.st_size / 2**20:.1f} MB; the grader reads notebooks up to "
                              f"{MAX_BYTES // 2**20} MB (clear the outputs and submit again).")
    chunks, total = [], 0
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        total += len(chunk)
        if total > MAX_BYTES:
            raise SubmissionError(f"is larger than {MAX_BYTES // 2**20} MB; the grader reads notebooks up to that.")
        chunks.append(chunk)
    return b"".join(chunks), st


def json_depth(data: bytes) -> int:
    """The nesting depth of the arrays and objects of a JSON text, measured without parsing it."""
    skeleton = _STRING.sub(b'""', data)
    b = np.frombuffer(skeleton, dtype=np.uint8)
    step = (np.isin(b, (ord("["), ord("{"))).astype(np.int64) - np.isin(b, (ord("]"), ord("}"))).astype(np.int64))
    return int(np.cumsum(step).max()) if step.size else 0


def _schema_line(err) -> str:
    where = "/".join(str(p) for p in err.path[1:]) or "the top level"
    what = {"type": f"should be of type {err.definition.get('type')}", "required": "lacks a required key",
            "maxItems": "has too many items", "maxLength": "is too long",
            "anyOf": "should be a string or a list of strings"}.get(err.rule, "is malformed")
    return f"not a valid notebook: {where} {what}."


def parse_notebook(data: bytes) -> dict:
    """The notebook in ``data``, checked against the limits and :data:`NOTEBOOK_SCHEMA`."""
    if not data.strip():
        raise SubmissionError("the file is empty: save the notebook in Jupyter and submit it again.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionError("not a notebook: the file is not text (UTF-8).") from None
    depth = json_depth(data)
    if depth > MAX_DEPTH:
        raise SubmissionError(f"not a notebook: its JSON is nested {depth} levels deep (a notebook needs "
                              f"about 6; the grader reads at most {MAX_DEPTH}).")
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        what = "not a notebook" if not text.lstrip().startswith("{") else "invalid JSON"
        raise SubmissionError(f"{what}: the file is not valid notebook JSON (line {exc.lineno}, column "
                              f"{exc.colno}: {exc.msg}).") from None
    except (RecursionError, MemoryError, ValueError):
        raise SubmissionError("not a notebook: its JSON cannot be read.") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise SubmissionError("not a notebook: the JSON has no list of 'cells'.")
    fmt = nb.get("nbformat")
    if fmt != 4:
        raise SubmissionError(f"unknown notebook format (nbformat={str(fmt)[:20]}); the grader reads nbformat 4: "
                              "open and save the notebook in a current Jupyter.")
    global _validator
    if _validator is None:
        import fastjsonschema

        _validator = fastjsonschema.compile(NOTEBOOK_SCHEMA)
    try:
        _validator(nb)
    except Exception as err:                        # fastjsonschema.JsonSchemaValueException
        raise SubmissionError(_schema_line(err) if hasattr(err, "rule") else "not a valid notebook.") from None
    for i, cell in enumerate(nb["cells"]):
        src = cell.get("source", "")
        cell["source"] = src = "".join(src) if isinstance(src, list) else src
        cell.setdefault("metadata", {})
        if cell["cell_type"] == "code" and len(src) > MAX_CELL_CHARS:
            raise SubmissionError(f"code cell {i + 1} holds {len(src) / 2**20:.1f} MB of code; the grader reads "
                                  f"code cells up to {MAX_CELL_CHARS // 1024} KB.")
    return nb


def read_notebook(path: Path, dir_fd: int | None = None) -> Submission:
    """Open, read and parse one submitted notebook; :class:`SubmissionError` with one line on any problem."""
    fd = _open(Path(path), dir_fd)
    try:
        data, st = _read_limited(fd)
    finally:
        os.close(fd)
    sub = Submission(Path(path), hashlib.sha256(data).hexdigest(), parse_notebook(data), st.st_mtime_ns, st.st_nlink)
    if st.st_nlink > 1:
        sub.notes.append(f"the file has {st.st_nlink} hard links (it is shared with another path).")
    return sub


def find_notebooks(directory: Path) -> tuple[list[tuple[Path, Submission | SubmissionError]], list[str]]:
    """Every ``*.ipynb`` below ``directory`` read with :func:`read_notebook`, without following links.

    Returns ``([(path, submission or error)], problems)``; hidden folders and ``.ipynb_checkpoints`` are
    skipped; links are reported in ``problems``.
    """
    directory = Path(directory)
    found, problems, seen = [], [], [0]
    try:
        top = os.open(str(directory), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        what = "is a symbolic link" if exc.errno in (errno.ELOOP, errno.ENOTDIR) and directory.is_symlink() else \
            f"cannot be read ({exc.strerror})"
        return [], [f"{directory}: {what}; not graded."]

    def walk(fd: int, rel: Path, depth: int) -> None:
        try:
            entries = sorted(os.scandir(fd), key=lambda e: e.name)
        except OSError:
            problems.append(f"{directory / rel}: cannot be listed.")
            return
        for e in entries:
            seen[0] += 1
            if seen[0] > MAX_WALK:
                problems.append(f"{directory}: more than {MAX_WALK} entries; the rest was not looked at.")
                return
            path = directory / rel / e.name
            if e.is_symlink():
                if e.name.endswith(".ipynb") or not e.name.startswith("."):
                    problems.append(f"{path}: is a symbolic link; links are never followed, submit the file itself.")
                continue
            if e.is_dir(follow_symlinks=False):
                if e.name.startswith(".") or depth >= 8:
                    continue
                try:
                    sub = os.open(e.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
                except OSError:
                    problems.append(f"{path}: cannot be read.")
                    continue
                try:
                    walk(sub, rel / e.name, depth + 1)
                finally:
                    os.close(sub)
            elif e.name.endswith(".ipynb"):
                try:
                    found.append((path, read_notebook(path, dir_fd=fd)))
                except SubmissionError as exc:
                    found.append((path, exc))

    try:
        walk(top, Path(), 0)
    finally:
        os.close(top)
    return found, problems
