"""Run a student's code in bubblewrap: one sandbox per submission, every process dies with it.

A :class:`Sandbox` starts :mod:`coursekit.grader.runner_child` inside ``bwrap`` (Debian's ``bubblewrap``,
the sandbox of Flatpak) and talks to it over two pipes. What the student's code gets:

* namespaces — its own PID, network (no interface but a loopback that is down), IPC, UTS and cgroup
  namespaces; ``--die-with-parent`` and ``--new-session``; killing ``bwrap`` kills every process inside;
* identity — when the grader runs as root, a fresh unprivileged uid/gid per sandbox (``setpriv``, no
  capabilities, ``no_new_privs``); otherwise a user namespace mapped to the instructor's own uid;
* files — a new root holding only ``/usr``, the Python installation and virtual environment (read-only),
  the stripped copy of coursekit (:mod:`coursekit.grader.strip`) mounted over the real package's path,
  and ``/scratch``, a private tmpfs of ``scratch_mb`` that is its only writable place and vanishes with
  the sandbox. Submissions, reports, masters, solutions/, private checks, the grader's source and the
  repository are simply not there;
* environment — cleared, then ``HOME=/scratch`` and a few fixed variables (no variable of the grader's);
* limits — ``RLIMIT_NPROC`` (processes *and* threads of the sandbox's uid), ``RLIMIT_FSIZE``,
  ``RLIMIT_CORE=0``; per exercise ``RLIMIT_AS`` (set by the runner before the student's code runs) and a
  time budget; and, because this machine has no writable cgroup v2 ``memory.max``, a watchdog here that
  sums the proportional memory (PSS) of every process of the sandbox and kills it above the limit. The
  rlimits bound the tree even between two looks of the watchdog: at most ``nproc`` processes of at most
  ``memory_mb`` each, and ``nproc`` is small.

:func:`self_test` runs the exact command once; ``coursekit grade`` refuses to run untrusted code when it
fails, unless ``--unsafe-no-sandbox`` (then the runner is a plain child process with the same limits but
no namespaces and a full view of the filesystem, and every report line says so).
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from coursekit import grading_wire as wire

__all__ = ["Limits", "Sandbox", "SandboxDied", "self_test", "isolation_text"]

RUNNER = Path(__file__).with_name("runner_child.py")
_uids = itertools.count()
_uid_lock = threading.Lock()
_UID_BASE = 0x5C000000        # unprivileged ids far above any account: 1543503872 + ...
FIXED_ENV = {"HOME": "/scratch", "TMPDIR": "/scratch", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
             "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/scratch/.matplotlib", "PYTHONHASHSEED": "0",
             "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
             "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class Limits:
    """Limits of a grading run (per exercise unless said otherwise)."""

    timeout_s: float = 60.0
    memory_mb: int = 2048
    seed: int = 0
    nproc: int = 64            # processes + threads of one sandbox
    scratch_mb: int = 64       # the private tmpfs, and the largest file the code may write
    output_mb: int = 64        # all outputs of one exercise


class SandboxDied(RuntimeError):
    """The sandbox stopped answering (its processes were killed, or the student's code killed the runner)."""


def isolation_text(unsafe: bool) -> str:
    """One sentence for the reports: how student code was isolated in this run."""
    if unsafe:
        return "UNSAFE: no sandbox (--unsafe-no-sandbox): student code ran with the grader's identity and files"
    who = "a fresh unprivileged uid" if os.geteuid() == 0 else "a user namespace"
    return (f"bubblewrap sandbox per submission ({who}; PID, network, IPC and UTS namespaces; read-only files "
            "without submissions, reports, masters or checks; private scratch tmpfs; rlimits and a memory "
            "watchdog); judged outside the sandbox")


def _next_uid() -> int:
    with _uid_lock:
        return _UID_BASE + ((os.getpid() & 0x3FFF) << 12) + (next(_uids) & 0xFFF)


def _user_processes(uid: int) -> int:
    n = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    n += 1 + max(0, len(os.listdir(f"/proc/{entry.name}/task")) - 1)
            except OSError:
                pass
    return n


def _ro_binds(paths: list[tuple[Path, str]]) -> list[str]:
    """Return the bwrap arguments that bind each (source, destination) read-only, creating parents readable by all."""
    args, made = [], {"/"}
    for src, dest in paths:
        parents = list(Path(dest).parents)[::-1][1:]
        for p in parents:
            if str(p) not in made:
                args += ["--perms", "0755", "--dir", str(p)]
                made.add(str(p))
        args += ["--ro-bind", str(src), dest]
        made.add(dest)
    return args


def _system_dirs() -> list[str]:
    """/usr, and /bin, /lib, /lib64, /sbin as on the host (symlinks into /usr on a merged-/usr system)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin", "lib32", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _python_paths() -> list[Path]:
    """The folders the interpreter needs: its installation and the virtual environment."""
    out = []
    # Resolved and as named: a virtual environment reached through a symlink is run by its unresolved path.
    candidates = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.executable).resolve().parent.parent,
                  Path(os.path.abspath(sys.prefix)), Path(os.path.abspath(sys.executable)).parent.parent}
    for p in candidates:
        if not str(p).startswith("/usr/") and str(p) != "/usr":
            out.append(p)
    out.sort()
    return [p for i, p in enumerate(out) if not any(str(p).startswith(str(q) + "/") for q in out[:i])]


def sandbox_command(package: Path, runner_dir: Path, limits: Limits, unsafe: bool = False,
                    uid: int | None = None) -> list[str]:
    """The command that starts the runner (inside bwrap unless ``unsafe``)."""
    import coursekit

    real_pkg = str(Path(coursekit.__file__).resolve().parent)
    python = [sys.executable, "-s", "-P", "-B"]
    limits_cmd = ["prlimit", f"--nproc={limits.nproc}", f"--fsize={limits.scratch_mb * 2**20}", "--core=0", "--"]
    if unsafe:
        return limits_cmd + python + [str(runner_dir / "runner_child.py"), str(package.parent)]
    binds = [(p, str(p)) for p in _python_paths()] + [(package, real_pkg), (runner_dir, "/opt/coursekit-runner")]
    cmd = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session"]
    if os.geteuid() == 0:
        cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-user", "--disable-userns"]
    cmd += _system_dirs() + _ro_binds(binds)
    cmd += ["--proc", "/proc", "--dev", "/dev", "--size", str(limits.scratch_mb * 2**20), "--perms", "1777",
            "--tmpfs", "/scratch", "--chdir", "/scratch", "--clearenv"]
    for k, v in dict(FIXED_ENV, COURSEKIT_SANDBOX="bwrap").items():
        cmd += ["--setenv", k, v]
    cmd += limits_cmd
    if os.geteuid() == 0:
        uid = _next_uid() if uid is None else uid
        cmd += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs", "--"]
    return cmd + python + ["/opt/coursekit-runner/runner_child.py"]


def copy_font_cache(destination: Path) -> None:
    """Copy matplotlib's font list (built once on this machine) for the runners.

    Each sandbox starts with an empty home, and rebuilding the list would cost every submission about half
    a second.
    """
    try:
        import matplotlib

        from matplotlib import font_manager  # noqa: F401  (builds the cache if it is missing)

        destination.mkdir(parents=True, exist_ok=True)
        for f in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
            shutil.copyfile(f, destination / f.name)
        os.chmod(destination, 0o755)
        for f in destination.iterdir():
            os.chmod(f, 0o644)
    except Exception:  # pragma: no cover - only a speed-up
        pass


def self_test() -> str | None:
    """``None`` when bubblewrap works here with the flags the grader uses, else one line saying why not."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)"
    for tool in ("prlimit", "setpriv"):
        if shutil.which(tool) is None:
            return f"{tool} (util-linux) is not installed"
    with tempfile.TemporaryDirectory(prefix="coursekit-selftest-") as tmp:
        pkg = Path(tmp) / "pkg" / "coursekit"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        for d in (Path(tmp), pkg.parent, pkg):
            os.chmod(d, 0o755)
        os.chmod(pkg / "__init__.py", 0o644)
        cmd = sandbox_command(pkg, Path(tmp), Limits())
        probe = ("import os, socket, sys\n"
                 "assert not os.path.exists(%r)\n"
                 "s = socket.socket()\n"
                 "try:\n    s.connect(('192.0.2.1', 9)); sys.exit(3)\n"
                 "except OSError:\n    pass\n"
                 "open('/scratch/ok', 'w').write('ok')\n"
                 "print('sandbox-ok', os.getpid())\n") % str(Path(tmp) / "secret")
        (Path(tmp) / "secret").write_text("the grader's files must not be visible")
        cmd = cmd[:cmd.index(sys.executable)] + [sys.executable, "-s", "-P", "-B", "-c", probe]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap failed its self-test ({type(exc).__name__})"
        if run.returncode != 0 or "sandbox-ok" not in run.stdout:
            why = (run.stderr.strip().splitlines() or [f"exit code {run.returncode}"])[-1][:200]
            return f"bubblewrap failed its self-test ({why})"
        if int(run.stdout.split()[-1]) > 50:            # a fresh PID namespace numbers from 1
            return "bubblewrap failed its self-test (no PID namespace)"
    return None


# ----------------------------------------------------------------------------- one sandbox

def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class Sandbox:
    """One running runner (normally inside bwrap) serving the exercises of one submission."""

    def __init__(self, package: Path, runner_dir: Path, limits: Limits, preload: list[str], setup: list[str],
                 unsafe: bool = False):
        self.limits, self.unsafe = limits, unsafe
        self.uid = _next_uid() if os.geteuid() == 0 and not unsafe else None
        cmd = sandbox_command(package, runner_dir, limits, unsafe, uid=self.uid)
        self.home = tempfile.mkdtemp(prefix="coursekit-unsafe-") if unsafe else None
        env = dict(FIXED_ENV, HOME=self.home, TMPDIR=self.home, MPLCONFIGDIR=self.home) if unsafe else {}
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, start_new_session=True, close_fds=True,
                                     cwd=tempfile.gettempdir())
        self.base_pss_kb = 0
        self._send({"op": "start", "preload": preload, "setup": setup, "seed": limits.seed}, [])
        reply = self._receive(time.monotonic() + 180.0, watch=False)
        if reply is None or reply[0].get("op") != "ready":
            self.close()
            raise SandboxDied("the sandbox did not start")
        self.base_pss_kb = self.tree_pss_kb()

    # -- pipes
    def _send(self, header: dict, blobs: list[bytes]) -> None:
        try:
            wire.write_frame(self.proc.stdin.fileno(), wire.pack(header, blobs))
        except (BrokenPipeError, OSError, ValueError):
            raise SandboxDied("the sandbox stopped") from None

    def _receive(self, deadline: float, watch: bool = True):
        """Return the next frame, or ``None`` at the deadline.

        Raises :class:`SandboxDied` if the sandbox is gone or the memory watchdog fired (then
        ``self.memory_exceeded`` is set).
        """
        fd = self.proc.stdout.fileno()
        import select

        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], min(left, 0.2))
            if ready:
                try:
                    data = wire.read_frame(fd, (self.limits.output_mb + 16) * 2**20 + (1 << 20),
                                           deadline + 10.0)
                except wire.WireError:
                    raise SandboxDied("the sandbox sent a message above the size limit") from None
                if data is None:
                    raise SandboxDied("the sandbox stopped")
                try:
                    return wire.unpack(data, len(data))
                except wire.WireError:
                    raise SandboxDied("the sandbox sent a malformed message") from None
            if watch and self.tree_pss_kb() > self.base_pss_kb + (self.limits.memory_mb + 256) * 1024:
                self.memory_exceeded = True
                self.close()
                raise SandboxDied("memory")

    def tree_pss_kb(self) -> int:
        """The proportional memory of every process of the sandbox (bwrap and all its descendants)."""
        import psutil

        try:
            procs = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            return 0
        return sum(_pss_kb(p.pid) for p in procs)

    def run(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        """Send one exercise and wait for its ``done`` frame (time budget plus a grace period).

        Returns ``(done_header, blobs)``; raises :class:`SandboxDied` (the caller starts a new sandbox).
        """
        self.memory_exceeded = False
        self._send(header, blobs)
        reply = self._receive(time.monotonic() + float(header["timeout_s"]) + 15.0)
        if reply is None:
            self.close()
            raise SandboxDied("timeout")
        return reply

    def close(self) -> None:
        """Kill the sandbox and wait until no process of it is left."""
        import psutil

        try:
            inside = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            inside = []
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for p in inside:                 # bwrap's death tears the PID namespace down; do not wait for it
            try:
                p.kill()
            except psutil.Error:
                pass
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
            pass
        psutil.wait_procs(inside, timeout=10)
        if self.uid is not None:         # nothing may be left running under the sandbox's uid
            for _ in range(200):
                if _user_processes(self.uid) == 0:
                    break
                time.sleep(0.05)
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
