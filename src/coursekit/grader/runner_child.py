"""The untrusted side of ``coursekit grade``: runs inside the sandbox, calls the student's functions.

Started by :mod:`coursekit.grader.sandbox` as ``python -I runner_child.py`` inside bubblewrap, with the
judge on the other end of its standard input and output. It is a small fork server:

1. ``start`` — import what every exercise of the chapter needs (NumPy, matplotlib, the master's imports and
   the stripped copy of coursekit), then answer ``ready``;
   and run the master's setup cells (trusted code, run once);
2. ``exercise`` — fork a child in its own session that starts from the setup's namespace, runs the
   student's earlier definitions the exercise needs and the student's cell, then calls the student's function on every case
   (inputs rebuilt from data, outputs sent back as data: :func:`coursekit.grading_wire.call_case`). The child
   has its own address-space limit and time budget; when it is done, or out of time, it is killed with
   its whole session and every other process left in the sandbox, and the server answers ``done``.

Nothing here is trusted by the judge: every answer is checked and judged outside. This file decides no
verdict, holds no expected value and never sees a check. It uses only the standard library, NumPy and the
stripped coursekit, because the grader's own source is not visible in the sandbox.
"""

from __future__ import annotations

import os
import resource
import select
import signal
import sys
import time

MAX_JOB_BYTES = 1 << 30
DEVNULL = os.open(os.devnull, os.O_RDWR)


def _no_ptrace() -> None:
    """Make the server non-dumpable: a child cannot open its file descriptors through /proc or ptrace it."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)          # PR_SET_DUMPABLE = 4
    except Exception:
        pass


def _preload(modules: list[str]) -> list[str]:
    import importlib

    os.environ.setdefault("MPLBACKEND", "Agg")
    fonts = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mpl")   # the grader's font list
    target = os.environ.get("MPLCONFIGDIR")
    if target and os.path.isdir(fonts):
        import shutil

        os.makedirs(target, exist_ok=True)
        for name in os.listdir(fonts):
            shutil.copyfile(os.path.join(fonts, name), os.path.join(target, name))
    failed = []
    for name in ["numpy", "matplotlib", "matplotlib.pyplot", "coursekit", "coursekit.grading", *modules]:
        try:
            importlib.import_module(name)
        except Exception:                                # the exercise that needs it reports the error
            failed.append(name)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    return failed


def _vm_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


# ----------------------------------------------------------------------------- inside the exercise's child

def _run_exercise(job: dict, blobs: list[bytes], result_fd: int) -> None:
    """The child: run the code, call the function on every case, write one frame to ``result_fd``."""
    from coursekit import grading_wire as wire

    answers, out_blobs, error = [], [], None
    try:
        error = _execute(job, blobs, answers, out_blobs)
    except BaseException as exc:  # noqa: BLE001 - nothing may escape the child
        error = {"kind": "internal", "message": f"{type(exc).__name__}"}
    frame = wire.pack({"op": "answers", "answers": answers, "error": error}, out_blobs)
    try:
        wire.write_frame(result_fd, frame)
    finally:
        os._exit(0)


def _seed(seed: int) -> None:
    """Seed Python's, NumPy's legacy and — if it is loaded — torch's global generators.

    As ``coursekit.seed_everything`` does, without importing torch for chapters that do not use it.
    """
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def _setup(sources: list[str], seed: int) -> tuple[dict, str]:
    """Run the master's setup cells once, in the server: every exercise's child starts from their namespace."""
    from coursekit import grading

    grading.check = lambda *args, **kwargs: None           # a check call left in a cell runs outside, by the judge
    _seed(seed)
    ns: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    for i, src in enumerate(sources):
        try:
            exec(compile(src, f"<master setup cell {i + 1}>", "exec"), ns)
        except BaseException as exc:  # noqa: BLE001
            return ns, f"{type(exc).__name__}"
    return ns, ""


_BASE: dict = {"ns": {}, "error": "not started"}


def _execute(job: dict, blobs: list[bytes], answers: list, out_blobs: list) -> dict | None:
    from coursekit import grading_wire as wire

    if _BASE["error"]:
        return {"kind": "setup", "message": _BASE["error"]}
    _seed(int(job["seed"]))
    ns = _BASE["ns"]                                     # this child's own copy (fork), shared with nobody
    if job["helpers"]:
        try:
            exec(compile(job["helpers"], "<your earlier exercise cells>", "exec"), ns)
        except SyntaxError:
            pass                                         # that cell's own exercise reports it
        except SystemExit:
            return {"kind": "exit", "message": "an earlier exercise cell this one needs called sys.exit()."}
        except BaseException as exc:  # noqa: BLE001
            return {"kind": "helpers", "message": f"{type(exc).__name__}: {wire._safe_str(exc)}"}
    try:
        code = compile(job["source"], f"<your cell {job['exercise_id']}>", "exec")
    except SyntaxError as exc:
        return {"kind": "syntax", "message": f"syntax error in your cell, line {exc.lineno}: {exc.msg}."}
    except (ValueError, MemoryError, RecursionError) as exc:
        return {"kind": "syntax", "message": f"your cell cannot be compiled ({type(exc).__name__})."}
    try:
        exec(code, ns)
    except SystemExit:
        return {"kind": "exit", "message": "your cell called sys.exit() / exit(); remove that call."}
    except BaseException as exc:  # noqa: BLE001
        return {"kind": "cell", "message": f"running your cell raised {type(exc).__name__}: {wire._safe_str(exc)}"}
    fn = ns.get(job["function"])
    if not callable(fn):
        return {"kind": "no-function", "message": f"your cell does not define the function {job['function']}(...)."}
    for args_tree, kwargs_tree in job["cases"]:
        try:
            head, more = wire.call_case(fn, args_tree, kwargs_tree, blobs, int(job["max_output_bytes"]))
        except SystemExit:
            return {"kind": "exit", "message": "your function called sys.exit() while being checked; remove that call."}
        except BaseException as exc:  # noqa: BLE001 - e.g. KeyboardInterrupt raised on purpose
            head, more = {"kind": "raised", "type": type(exc).__name__, "message": wire._safe_str(exc)}, []
        if head.get("kind") == "returned":
            head["value"] = wire.shift_blobs(head["value"], len(out_blobs))
        answers.append(head)
        out_blobs += more
        if head.get("kind") == "not-done":
            break
    return None


# ----------------------------------------------------------------------------- the server

def _in_own_sandbox() -> bool:
    """Whether this runs inside bubblewrap, unprivileged, in a fresh PID namespace.

    Only there does ``kill(-1)`` reach nothing but the sandbox's own processes. Never true with
    ``--unsafe-no-sandbox``.
    """
    if os.environ.get("COURSEKIT_SANDBOX") != "bwrap" or os.geteuid() == 0:
        return False
    try:
        with open("/proc/self/status") as f:
            nspid = next(line for line in f if line.startswith("NSpid:"))
    except (OSError, StopIteration):
        return False
    return len(nspid.split()) == 2          # one PID level seen: ours is the namespace's own /proc


def _kill_everything_else(child: int) -> None:
    """SIGKILL the exercise's session and, inside the sandbox, every other process it may have left.

    Inside the sandbox this is ``kill(-1)``: every process of the sandbox's own unprivileged user except this
    server (bwrap's init is not ours to signal). Outside a sandbox only the child's session is killed.
    """
    sandboxed = _in_own_sandbox()

    def kill_all():
        for target, sig in ((-child, signal.SIGKILL), (child, signal.SIGKILL)):
            try:
                os.kill(target, sig)
            except (ProcessLookupError, PermissionError):
                pass
        if sandboxed:
            try:
                os.kill(-1, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    kill_all()
    for _ in range(500):                     # reap our own children
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.01)
            kill_all()


def _serve_exercise(job: dict, blobs: list[bytes], base_vm: int, out_fd: int, in_fd: int) -> None:
    from coursekit import grading_wire as wire

    scratch = os.path.join(os.environ["HOME"], f"ex{job['index']}")
    os.makedirs(scratch, exist_ok=True)
    r, w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:                                         # the child
        try:
            os.setsid()
            os.close(r)
            for fd in (in_fd, out_fd):
                os.close(fd)
            for fd in (0, 1, 2):
                os.dup2(DEVNULL, fd)
            os.chdir(scratch)
            os.environ["HOME"] = scratch
            cap = base_vm + int(job["memory_mb"]) * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            _run_exercise(job, blobs, w)
        finally:
            os._exit(0)
    os.close(w)
    deadline = start + float(job["timeout_s"])
    status, data = "ok", None
    try:
        data = wire.read_frame(r, int(job["max_answer_bytes"]), deadline)
    except wire.WireError:
        status = "too-large"
    if data is None and status == "ok":
        status = "timeout" if time.monotonic() >= deadline else "died"
    os.close(r)
    signal_name, exitcode = "", None
    if status == "died":                                 # give it a moment to be reaped with its real cause
        for _ in range(100):
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                if os.WIFSIGNALED(code):
                    signal_name = signal.Signals(os.WTERMSIG(code)).name
                else:
                    exitcode = os.WEXITSTATUS(code)
                break
            time.sleep(0.01)
    _kill_everything_else(pid)
    import shutil

    shutil.rmtree(scratch, ignore_errors=True)
    header = {"op": "done", "status": status, "signal": signal_name, "exitcode": exitcode,
              "runtime_s": round(time.monotonic() - start, 3)}
    wire.write_frame(out_fd, wire.pack(header, [data] if data is not None else []))


def main() -> None:
    """Serve ``start`` and ``exercise`` requests on standard input until it closes."""
    in_fd, out_fd = os.dup(0), os.dup(1)
    for fd in (0, 1, 2):
        os.dup2(DEVNULL, fd)
    _no_ptrace()
    if len(sys.argv) > 1:                                # --unsafe-no-sandbox: the stripped copy comes first
        sys.path.insert(0, sys.argv[1])
    from coursekit import grading_wire as wire

    base_vm = 0
    while True:
        data = wire.read_frame(in_fd, MAX_JOB_BYTES)
        if data is None:
            break
        header, blobs = wire.unpack(data, MAX_JOB_BYTES)
        if header.get("op") == "start":
            failed = _preload(header.get("preload", []))
            _BASE["ns"], _BASE["error"] = _setup(header.get("setup", []), int(header.get("seed", 0)))
            base_vm = _vm_bytes()
            wire.write_frame(out_fd, wire.pack({"op": "ready", "failed": failed, "pid": os.getpid()}))
        elif header.get("op") == "exercise":
            _serve_exercise(header, blobs, base_vm, out_fd, in_fd)
        else:
            break
    os._exit(0)


if __name__ == "__main__":
    # the protocol needs select on pipes; guard against being imported by a student's `import runner_child`
    select.select([], [], [], 0)
    main()
