"""Run one exercise in its own process, with a time limit, a memory limit and no network.

Processes are forked from a multiprocessing *forkserver* that has imported NumPy, matplotlib, torch and
coursekit but run no student code: each exercise starts from that clean state in about 0.1 s instead of
the ~2 s a fresh interpreter spends importing. Inside the process (:func:`coursekit.grader.child.main`):

* ``setsid`` — its own process group, so a timeout kills it and anything it started;
* ``RLIMIT_AS`` — the address space may grow by at most ``memory_mb`` beyond the preloaded libraries;
* network — a new user + network namespace (``unshare(CLONE_NEWUSER | CLONE_NEWNET)``, the system call
  behind ``unshare -rn``) where the kernel allows it, and in every case ``socket`` creation disabled;
* fixed seeds — ``coursekit.seed_everything(0)``, ``PYTHONHASHSEED=0``, one BLAS/OpenMP thread.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass

from coursekit.grader import child

__all__ = ["Limits", "run_exercise"]

PRELOAD = ["coursekit.grader._preload", "coursekit.grader.child"]
_FIXED_ENV = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1",
              "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_lock = threading.Lock()
_ctx = None


@dataclass(frozen=True)
class Limits:
    """Per-exercise limits of a grading run."""

    timeout_s: float = 60.0
    memory_mb: int = 2048
    seed: int = 0


def _context():
    """The forkserver context, started once with the fixed environment (then the caller's is restored)."""
    global _ctx
    with _lock:
        if _ctx is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            saved = {k: os.environ.get(k) for k in _FIXED_ENV}
            os.environ.update(_FIXED_ENV)
            try:
                from multiprocessing import forkserver

                forkserver.ensure_running()
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            _ctx = ctx
        return _ctx


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def run_exercise(job: dict, limits: Limits) -> dict:
    """Grade one exercise in a fresh process; always returns a result dict (never raises for student code).

    ``job`` holds exercise_id, points, function, setup, helpers, source, references and private.
    The result has status, points, message, cases, used_reference, network and runtime_s.
    """
    ctx = _context()
    workdir = tempfile.mkdtemp(prefix="coursekit-grade-")
    job = dict(job, workdir=workdir, memory_mb=limits.memory_mb, seed=limits.seed)
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=child.main, args=(send, job), daemon=True)
    start = time.monotonic()
    result = None
    try:
        proc.start()
        send.close()
        if receive.poll(limits.timeout_s):
            try:
                result = receive.recv()
            except (EOFError, OSError):  # the process died without a word
                result = None
        timed_out = result is None and proc.exitcode is None and time.monotonic() - start >= limits.timeout_s
        _kill_group(proc)                             # also whatever the student's code started
        proc.join(10)
    finally:
        receive.close()
        shutil.rmtree(workdir, ignore_errors=True)
    runtime = time.monotonic() - start
    if result is None:
        if timed_out:
            msg = (f"stopped after {limits.timeout_s:g} s (the time limit): an infinite loop, or much too "
                   "slow?")
            status = "timeout"
        elif proc.exitcode is not None and proc.exitcode < 0:
            status, msg = "crashed", f"the process running your code was killed ({_signal_name(proc.exitcode)})."
        else:
            status, msg = "crashed", f"the process running your code ended (exit code {proc.exitcode}) before the check finished."
        result = {"status": status, "points": 0.0, "message": msg, "cases": [], "used_reference": False,
                  "network": ""}
    result["runtime_s"] = round(runtime, 3)
    return result


def _kill_group(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)          # the child called setsid(): pgid == pid
    except (ProcessLookupError, PermissionError):
        if proc.is_alive():
            proc.kill()
