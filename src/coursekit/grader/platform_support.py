"""Where ``coursekit grade`` can run: its sandbox needs Linux (bubblewrap, ``prlimit``, ``/proc``).

The exercise notebooks' check cells (:mod:`coursekit.grading`) need no sandbox and work on Linux, macOS and
Windows; only the batch grader, which runs untrusted code, is Linux-only. On any other system it stops
before grading with one line saying so (exit status 3), never with every exercise scored 0.
"""

from __future__ import annotations

import shutil
import sys

__all__ = ["unsupported_reason", "NOT_LINUX"]

NOT_LINUX = ("coursekit grade runs student code in a Linux sandbox (bubblewrap), which {system} does not have: "
             "grade on Linux, in CI (the workflow in templates/student-repo/) or in a Linux container; "
             "the notebooks' check cells work here.")


def unsupported_reason(unsafe: bool = False, platform: str | None = None) -> str | None:
    """``None`` when the grader can run here, else one line saying why not and what to use instead.

    Parameters
    ----------
    unsafe : bool
        ``--unsafe-no-sandbox`` was given: bubblewrap is not needed, but ``prlimit`` (util-linux) still is.
    platform : str, optional
        ``sys.platform`` to judge (default: this interpreter's).

    Returns
    -------
    str or None
        The reason, or ``None``.

    Examples
    --------
    >>> unsupported_reason(platform="win32").startswith("coursekit grade runs student code in a Linux sandbox")
    True
    """
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        system = {"darwin": "macOS", "win32": "Windows", "cygwin": "Cygwin"}.get(platform, platform)
        return NOT_LINUX.format(system=system)
    if unsafe and shutil.which("prlimit") is None:
        return "coursekit grade needs prlimit (util-linux) to limit student code, even with --unsafe-no-sandbox."
    return None
