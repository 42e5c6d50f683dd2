"""Plain data across the trust boundary: how inputs reach a student's function and outputs come back.

Only data crosses: ``None``, bools, ints, floats, strings, NumPy arrays of numbers / bools / strings,
NumPy scalars, tuples, lists and dicts of those, plus two described inputs rebuilt on the other side —
:class:`Seeded` (a ``np.random.Generator``) and :class:`Tensor` (a torch tensor). Arrays travel as ``.npy``
bytes read back with ``np.load(..., allow_pickle=False)``; everything else as tagged JSON. Nothing in a
message can run code when it is read, and every reader enforces limits (depth, number of items, bytes)
before it allocates, so a hostile message costs at most its own size.

This module is standalone (standard library and NumPy; torch only when a :class:`Tensor` is rebuilt): the
grader copies it next to :mod:`coursekit.grader.runner_child` into the sandbox.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass

import numpy as np

__all__ = ["Seeded", "Tensor", "Unsupported", "WireError", "encode", "decode", "pack", "unpack", "read_frame",
           "write_frame", "shift_blobs", "call_case", "MAX_DEPTH"]

MAX_DEPTH = 32            # nesting of tuples / lists / dicts
MAX_ITEMS = 200_000       # nodes in one message
MAX_STR = 1_000_000       # characters of one string
MAX_HEADER = 16 * 2**20   # bytes of the JSON part of a frame
_ARRAY_KINDS = "biufcUS"  # bool, ints, floats, complex, fixed-width strings: never objects or records


class WireError(ValueError):
    """A message that is not plain data, too large, too deep, or malformed."""


@dataclass(frozen=True)
class Seeded:
    """An input the student's function receives as ``np.random.default_rng(seed)``."""

    seed: int


@dataclass(frozen=True, eq=False)
class Tensor:
    """A torch tensor described as data: its values and whether it requires a gradient.

    As an input it is rebuilt with ``torch.from_numpy``; a torch tensor the student returns arrives as a
    ``Tensor`` whose ``array`` is a NumPy copy.
    """

    array: np.ndarray
    requires_grad: bool = False


@dataclass(frozen=True)
class Unsupported:
    """What a value that is not plain data (a generator, a model, a lambda) turns into, so a hint can name it."""

    type_name: str


# ----------------------------------------------------------------------------- values <-> JSON + blobs

def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def encode(value, max_bytes: int = 64 * 2**20, to_numpy=None) -> tuple[object, list[bytes]]:
    """``value`` as a JSON-able tree plus ``.npy`` blobs; :class:`WireError` beyond the limits.

    ``to_numpy(value)`` may turn a foreign array (a torch tensor) into ``(ndarray, requires_grad)``; it
    returns ``None`` for anything else. Values that are not plain data become :class:`Unsupported`.
    """
    blobs: list[bytes] = []
    state = {"items": 0, "bytes": 0}

    def blob(arr: np.ndarray) -> int:
        if arr.dtype.kind not in _ARRAY_KINDS:
            raise _Unsupported(f"array of dtype {arr.dtype}")
        data = _npy(arr)
        state["bytes"] += len(data)
        if state["bytes"] > max_bytes:
            raise WireError(f"the output is larger than {max_bytes // 2**20} MB")
        blobs.append(data)
        return len(blobs) - 1

    def enc(v, depth):
        state["items"] += 1
        if state["items"] > MAX_ITEMS:
            raise WireError(f"the output has more than {MAX_ITEMS} items")
        if depth > MAX_DEPTH:
            raise WireError(f"the output is nested more than {MAX_DEPTH} levels deep")
        if v is None:
            return ["none"]
        if type(v) is bool:
            return ["bool", v]
        if type(v) is int:
            return ["int", str(v)] if abs(v) < 10**300 else ["unsupported", "int (too large)"]
        if type(v) is float:
            return ["float", repr(v)]
        if type(v) is complex:
            return ["npscalar", blob(np.asarray(v))]
        if type(v) is str:
            if len(v) > MAX_STR:
                raise WireError(f"a string of the output is longer than {MAX_STR} characters")
            return ["str", v]
        if isinstance(v, np.generic):
            try:
                return ["npscalar", blob(np.asarray(v))]
            except _Unsupported as exc:
                return ["unsupported", str(exc)]
        if isinstance(v, np.ndarray):
            try:
                return ["nd", blob(np.asarray(v))]
            except _Unsupported as exc:
                return ["unsupported", str(exc)]
        if isinstance(v, Seeded):
            return ["seeded", str(int(v.seed))]
        if isinstance(v, Tensor):
            return ["tensor", blob(np.asarray(v.array)), bool(v.requires_grad)]
        if isinstance(v, (tuple, list)):      # a namedtuple arrives as a tuple
            return ["tuple" if isinstance(v, tuple) else "list", [enc(x, depth + 1) for x in v]]
        if isinstance(v, dict):               # an OrderedDict (a state_dict) as a dict
            return ["dict", [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in v.items()]]
        if to_numpy is not None:
            got = to_numpy(v)
            if got is not None:
                return ["tensor", blob(got[0]), bool(got[1])]
        return ["unsupported", _type_name(v)]

    return enc(value, 0), blobs


class _Unsupported(Exception):
    pass


def _type_name(v) -> str:
    t = type(v)
    mod = getattr(t, "__module__", "") or ""
    name = getattr(t, "__qualname__", "") or getattr(t, "__name__", "object")
    return f"{mod}.{name}" if mod not in ("builtins", "") else str(name)


def decode(tree, blobs: list[bytes], rebuild: bool = False):
    """The value of an :func:`encode` tree.

    ``rebuild=True`` (the student's side) turns :class:`Seeded` into a ``np.random.Generator`` and
    :class:`Tensor` into a torch tensor.
    """
    count = [0]

    def arr(i) -> np.ndarray:
        if type(i) is not int or not 0 <= i < len(blobs):
            raise WireError("bad array reference")
        try:
            a = np.load(io.BytesIO(blobs[i]), allow_pickle=False)
        except Exception as exc:
            raise WireError(f"unreadable array ({type(exc).__name__})") from None
        if not isinstance(a, np.ndarray) or a.dtype.kind not in _ARRAY_KINDS:
            raise WireError("an array of an unsupported dtype")
        return a

    def dec(node, depth):
        count[0] += 1
        if count[0] > MAX_ITEMS or depth > MAX_DEPTH + 1:
            raise WireError("message too large or too deep")
        if type(node) is not list or not node or type(node[0]) is not str:
            raise WireError("malformed message")
        tag, rest = node[0], node[1:]
        try:
            if tag == "none":
                return None
            if tag == "bool":
                if type(rest[0]) is not bool:
                    raise WireError("malformed bool")
                return rest[0]
            if tag == "int":
                if type(rest[0]) is not str or len(rest[0]) > 310:
                    raise WireError("malformed int")
                return int(rest[0])
            if tag == "float":
                if type(rest[0]) is not str or len(rest[0]) > 40:
                    raise WireError("malformed float")
                return float(rest[0])
            if tag == "str":
                if type(rest[0]) is not str:
                    raise WireError("malformed string")
                return rest[0]
            if tag == "nd":
                return arr(rest[0])
            if tag == "npscalar":
                a = arr(rest[0])
                if a.ndim != 0:
                    raise WireError("malformed scalar")
                return a[()]
            if tag == "seeded":
                seed = int(rest[0])
                return np.random.default_rng(seed) if rebuild else Seeded(seed)
            if tag == "tensor":
                a, grad = arr(rest[0]), bool(rest[1])
                if not rebuild:
                    return Tensor(a, grad)
                import torch

                return torch.from_numpy(np.array(a)).requires_grad_(grad)
            if tag in ("tuple", "list"):
                if type(rest[0]) is not list:
                    raise WireError("malformed sequence")
                items = [dec(x, depth + 1) for x in rest[0]]
                return tuple(items) if tag == "tuple" else items
            if tag == "dict":
                if type(rest[0]) is not list:
                    raise WireError("malformed dict")
                out = {}
                for pair in rest[0]:
                    if type(pair) is not list or len(pair) != 2:
                        raise WireError("malformed dict")
                    k = dec(pair[0], depth + 1)
                    try:
                        out[k] = dec(pair[1], depth + 1)
                    except TypeError:
                        raise WireError("a dict key that is not hashable") from None
                return out
            if tag == "unsupported":
                return Unsupported(str(rest[0])[:200])
        except (IndexError, ValueError, OverflowError) as exc:
            if isinstance(exc, WireError):
                raise
            raise WireError(f"malformed {tag}") from None
        raise WireError(f"unknown tag {tag[:20]!r}")

    return dec(tree, 0)


def shift_blobs(tree, offset: int):
    """The same encoded tree with its array references moved by ``offset`` (to concatenate messages)."""
    if not isinstance(tree, list) or not tree:
        return tree
    tag = tree[0]
    if tag in ("nd", "npscalar"):
        return [tag, tree[1] + offset]
    if tag == "tensor":
        return [tag, tree[1] + offset, tree[2]]
    if tag in ("tuple", "list"):
        return [tag, [shift_blobs(x, offset) for x in tree[1]]]
    if tag == "dict":
        return [tag, [[shift_blobs(k, offset), shift_blobs(v, offset)] for k, v in tree[1]]]
    return tree


# ----------------------------------------------------------------------------- frames on a pipe

def pack(header: dict, blobs: list[bytes] = ()) -> bytes:
    """One frame: the JSON header and the blobs, each preceded by its length."""
    head = json.dumps(dict(header, n_blobs=len(blobs)), allow_nan=False).encode()
    parts = [struct.pack("<Q", len(head)), head]
    for b in blobs:
        parts += [struct.pack("<Q", len(b)), b]
    return b"".join(parts)


def unpack(data: bytes, max_bytes: int) -> tuple[dict, list[bytes]]:
    """Split a frame made by :func:`pack`; :class:`WireError` if it is malformed or above ``max_bytes``."""
    if len(data) > max_bytes:
        raise WireError(f"message larger than {max_bytes} bytes")
    view = memoryview(data)
    pos = 0

    def take(n):
        nonlocal pos
        if n < 0 or pos + n > len(data):
            raise WireError("truncated message")
        out = view[pos:pos + n]
        pos += n
        return out

    (n,) = struct.unpack("<Q", take(8))
    if n > MAX_HEADER:
        raise WireError("header too large")
    try:
        header = json.loads(bytes(take(n)))
    except (ValueError, RecursionError):
        raise WireError("malformed header") from None
    if not isinstance(header, dict) or type(header.get("n_blobs")) is not int or not 0 <= header["n_blobs"] <= MAX_ITEMS:
        raise WireError("malformed header")
    blobs = []
    for _ in range(header["n_blobs"]):
        (m,) = struct.unpack("<Q", take(8))
        blobs.append(bytes(take(m)))
    if pos != len(data):
        raise WireError("trailing bytes after the message")
    return header, blobs


def write_frame(fd: int, data: bytes) -> None:
    """Write one length-prefixed frame to a file descriptor."""
    import os

    out = memoryview(struct.pack("<Q", len(data)) + data)
    while out:
        n = os.write(fd, out)
        out = out[n:]


def read_frame(fd: int, max_bytes: int, deadline: float | None = None) -> bytes | None:
    """Read one frame written by :func:`write_frame`.

    Returns ``None`` at end of file or when ``deadline`` (``time.monotonic()``) passes; raises
    :class:`WireError` if the announced length exceeds ``max_bytes``.
    """
    import os
    import select
    import time

    def read_exact(n):
        chunks, got = [], 0
        while got < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    return None
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    head = read_exact(8)
    if head is None:
        return None
    (n,) = struct.unpack("<Q", head)
    if n > max_bytes:
        raise WireError(f"message of {n} bytes is above the limit of {max_bytes}")
    return read_exact(n)


# ----------------------------------------------------------------------------- calling the student's function

REFERENCE_REMOVED = "[coursekit: reference removed while grading]"
_MESSAGE_MAX = 300


def _torch_to_numpy(v):
    """``(ndarray, requires_grad)`` for a torch tensor, else ``None`` (torch is never imported here)."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and isinstance(v, torch.Tensor):
        return v.detach().cpu().numpy().copy(), bool(v.requires_grad)
    return None


def call_case(fn, args_tree, kwargs_tree, blobs: list[bytes], max_bytes: int) -> tuple[dict, list[bytes]]:
    """Call ``fn`` on one case's inputs (rebuilt from data) and describe what happened as data.

    Returns ``(answer, answer_blobs)`` with ``answer["kind"]`` one of ``"returned"`` (plus ``"value"``),
    ``"raised"`` (plus ``"type"`` and ``"message"``), ``"not-done"`` (``NotImplementedError``) or
    ``"reference"`` (the function reached a reference whose body the grader removed; plus ``"message"``).
    """
    args = decode(args_tree, blobs, rebuild=True)
    kwargs = decode(kwargs_tree, blobs, rebuild=True)
    try:
        value = fn(*args, **kwargs)
    except NotImplementedError:
        return {"kind": "not-done"}, []
    except RecursionError:
        return {"kind": "raised", "type": "RecursionError", "message": "maximum recursion depth exceeded"}, []
    except Exception as exc:
        message = _safe_str(exc)
        if REFERENCE_REMOVED in message:
            return {"kind": "reference", "message": message}, []
        return {"kind": "raised", "type": _safe_str(type(exc).__name__), "message": message}, []
    try:
        tree, out = encode(value, max_bytes=max_bytes, to_numpy=_torch_to_numpy)
    except WireError as exc:
        return {"kind": "raised", "type": "OutputRefused", "message": str(exc)}, []
    except Exception as exc:  # a student's object that breaks when looked at
        return {"kind": "raised", "type": "OutputRefused",
                "message": f"your output could not be read ({type(exc).__name__})"}, []
    return {"kind": "returned", "value": tree}, out


def _safe_str(obj) -> str:
    try:
        text = str(obj)
    except Exception:
        text = "(no message)"
    if not isinstance(text, str):
        text = "(no message)"
    return text if len(text) <= _MESSAGE_MAX else text[:_MESSAGE_MAX] + " …"
