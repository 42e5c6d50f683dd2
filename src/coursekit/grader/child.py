"""The code that runs inside an exercise's process: sandbox itself, run setup + the student's cell, check.

:func:`main` is the process's target (see :mod:`coursekit.grader.sandbox`). It never lets anything a
student's code does escape: every outcome becomes a small result dict sent back over a pipe, and the
process ends with ``os._exit`` so that a student's thread or ``atexit`` hook cannot keep it alive.
"""

from __future__ import annotations

import ast
import functools
import importlib
import os
import resource
import socket
import sys
import time
import types

__all__ = ["main"]

_HINT_MAX = 400          # characters of one hint kept in a report
_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000


# ----------------------------------------------------------------------------- the sandbox

def _limit_memory(memory_mb: int) -> None:
    """Cap the address space at what the preloaded libraries already map plus ``memory_mb``."""
    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * resource.getpagesize()
    cap = mapped + memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _network_namespace() -> bool:
    """Move this process into a new user + network namespace (only a loopback, left down): no network."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
            return False
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:   # keep our own ids, so files can still be created
                f.write(text)
        return True
    except Exception:  # no ctypes, no libc.unshare, namespaces disabled by the kernel or a container
        return False


def _disable_sockets() -> None:
    def refuse(*args, **kwargs):
        raise OSError("network access is disabled during grading.")

    class NoSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            refuse()

    socket.socket = NoSocket
    socket.create_connection = refuse
    socket.socketpair = refuse
    socket.getaddrinfo = refuse


def _enter_sandbox(job: dict) -> str:
    os.setsid()                                        # own process group: a timeout kills it whole
    os.chdir(job["workdir"])
    os.environ["HOME"] = job["workdir"]
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p)]
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):                               # a student's prints never reach the report
        os.dup2(devnull, fd)
    _limit_memory(job["memory_mb"])
    network = "network-namespace" if _network_namespace() else "sockets-disabled"
    _disable_sockets()                                 # in both cases, as a second line
    import coursekit

    coursekit.seed_everything(job["seed"])
    return network


# ----------------------------------------------------------------------------- shortcut detection

class _Watch:
    """Counts how deep we are inside the student's function and whether a reference was called there."""

    def __init__(self):
        self.depth = 0
        self.used_reference = False

    def track(self, fn):
        @functools.wraps(fn)
        def student(*args, **kwargs):
            self.depth += 1
            try:
                return fn(*args, **kwargs)
            finally:
                self.depth -= 1
        return student

    def wrap_reference(self, dotted: str) -> None:
        module_name, name = dotted.rsplit(".", 1)
        original = getattr(importlib.import_module(module_name), name)

        @functools.wraps(original)
        def reference(*args, **kwargs):
            if self.depth > 0:
                self.used_reference = True
            return original(*args, **kwargs)

        for mod in list(sys.modules.values()):          # every coursekit module that holds it by name
            if getattr(mod, "__name__", "").startswith("coursekit"):
                for attr, value in list(vars(mod).items()):
                    if value is original:
                        setattr(mod, attr, reference)


# ----------------------------------------------------------------------------- grading one exercise

def _definitions_only(source: str) -> str | None:
    """Keep the imports, functions and classes of an earlier exercise cell (they cannot loop or exit)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    keep = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    tree.body = [n for n in tree.body if isinstance(n, keep)]
    return ast.unparse(tree)


def _cases(cases) -> list[dict]:
    out = []
    for c in cases:
        hint = str(getattr(c, "hint", ""))
        if len(hint) > _HINT_MAX:
            hint = hint[:_HINT_MAX] + " …"
        out.append({"label": str(getattr(c, "label", "")), "passed": bool(getattr(c, "passed", False)),
                    "hint": hint})
    return out


def _load_private(job: dict) -> list:
    """Compile the instructor's private check modules from memory (no file a student could read)."""
    modules = []
    private = job.pop("private")
    while private:
        name, source = private.pop()
        module = types.ModuleType(f"coursekit_private_checks.{name}")
        exec(compile(source, f"<private check {name}>", "exec"), module.__dict__)
        del source
        modules.append(module)
    return modules


def _run_private(modules, exercise_id: str, student) -> tuple[list[dict], str]:
    """Cases of the private checks; ``(cases, status)`` where status may be "not-done"."""
    from coursekit.grading import rng_for

    name = exercise_id.split(".", 1)[1]
    cases = []
    for module in modules:
        check = getattr(module, f"check_{name}", None)
        if check is None:
            continue
        try:
            got = _cases(check(student, rng_for(exercise_id)))
        except NotImplementedError:
            return [], "not-done"
        except BaseException as exc:   # never a traceback or message from inside a private check
            got = [{"label": "additional check", "passed": False,
                    "hint": f"stopped with {type(exc).__name__} while running your function."}]
        cases += [dict(c, label="additional check: " + c["label"]) for c in got]
    return cases, ""


def _grade(job: dict) -> dict:
    from coursekit.grading import find_check, run_check

    eid, fname = job["exercise_id"], job["function"]
    result = {"status": "error", "points": 0.0, "message": "", "cases": [], "used_reference": False}
    find_check(eid)                                    # import the check modules before wrapping references
    private = _load_private(job)
    watch = _Watch()
    for dotted in job["references"]:
        watch.wrap_reference(dotted)
    ns: dict = {"__name__": "__main__"}
    for i, src in enumerate(job["setup"]):
        try:
            exec(compile(src, f"<master setup cell {i + 1}>", "exec"), ns)
        except BaseException as exc:
            result["message"] = f"the master notebook's setup code failed ({type(exc).__name__}); tell your instructor."
            return result
    for src in job["helpers"]:                         # the student's earlier functions, e.g. mse for psnr
        defs = _definitions_only(src)
        try:
            exec(compile(defs, "<your earlier exercise>", "exec"), ns) if defs else None
        except BaseException:
            pass
    try:
        code = compile(job["source"], f"<your cell {eid}>", "exec")
    except SyntaxError as exc:
        result["message"] = f"syntax error in your cell, line {exc.lineno}: {exc.msg}."
        return result
    try:
        exec(code, ns)
    except SystemExit:
        result["message"] = "your cell called sys.exit() / exit(); remove that call."
        return result
    except BaseException as exc:
        result["message"] = f"running your cell raised {type(exc).__name__}: {str(exc)[:_HINT_MAX]}"
        return result
    fn = ns.get(fname)
    if not callable(fn):
        result["message"] = f"your cell does not define the function {fname}(...)."
        return result
    student = watch.track(fn)
    try:
        checked = run_check(eid, student, job["points"])
        cases = _cases(checked.cases)
        status = {"graded": "passed" if checked.passed else "failed"}.get(checked.status, checked.status)
        message = checked.message
        if private and status in ("passed", "failed"):
            more, private_status = _run_private(private, eid, student)
            cases += more
            if private_status:
                status, message = private_status, "not done yet: the function still raises NotImplementedError."
            elif not all(c["passed"] for c in cases):
                status = "failed"
    except SystemExit:
        result["message"] = "your function called sys.exit() while being checked; remove that call."
        return result
    except BaseException as exc:
        result["message"] = f"your function raised {type(exc).__name__} while being checked."
        return result
    result.update(status=status, message=message, cases=cases,
                  points=float(job["points"]) if status == "passed" else 0.0)
    result["used_reference"] = watch.used_reference
    return result


def main(conn, job: dict) -> None:
    """Process target: grade one exercise and send the result dict over ``conn``."""
    start = time.monotonic()
    try:
        network = _enter_sandbox(job)
    except BaseException as exc:
        conn.send({"status": "error", "points": 0.0, "cases": [], "used_reference": False, "network": "",
                   "message": f"the grading sandbox could not start ({type(exc).__name__}: {exc})."})
        os._exit(0)
    try:
        result = _grade(job)
    except BaseException as exc:  # a grader bug must still cost only this exercise
        result = {"status": "error", "points": 0.0, "cases": [], "used_reference": False,
                  "message": f"internal grader error ({type(exc).__name__}); tell your instructor."}
    result["network"] = network
    result["child_runtime_s"] = time.monotonic() - start
    try:
        conn.send(result)
    finally:
        os._exit(0)
