"""The ``coursekit`` command line.

``coursekit doctor`` says what this installation can do (Python, extras, torch build, grading sandbox);
``coursekit exercises`` regenerates the students' notebooks from the solved ones; ``coursekit grade`` grades
submissions (see :mod:`coursekit.grader.cli`). ``coursekit --version`` prints the library's version.
"""

from __future__ import annotations

import argparse
import platform
import sys
from importlib import metadata
from pathlib import Path

import coursekit

__all__ = ["main", "doctor", "SUPPORTED_PYTHONS", "EXTRAS"]

DIST = "vision-by-building"
SUPPORTED_PYTHONS = ((3, 11), (3, 12), (3, 13))
#: import name -> (distribution, the extra that installs it; "" for the base set)
EXTRAS = {
    "numpy": ("numpy", ""), "scipy": ("scipy", ""), "matplotlib": ("matplotlib", ""),
    "ipywidgets": ("ipywidgets", ""), "tqdm": ("tqdm", ""), "skimage": ("scikit-image", ""),
    "sklearn": ("scikit-learn", ""), "torch": ("torch", "torch"), "psutil": ("psutil", "grade"),
    "copydetect": ("copydetect", "grade"), "fastjsonschema": ("fastjsonschema", "grade"),
    "myst_nb": ("myst-nb", "book"),          # coursekit.notebook.glue: the chapters' numbers in the prose
}
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def doctor(out=None) -> int:
    """Print what this installation can do; return 0 when the base set works, else 1.

    Parameters
    ----------
    out : file-like, optional
        Where to print (default: standard output).

    Returns
    -------
    int
        The exit status of ``coursekit doctor``.
    """
    out = out or sys.stdout

    def say(text: str) -> None:
        print(text, file=out)

    ok = True
    py = sys.version_info[:2]
    say(f"coursekit {coursekit.__version__} ({Path(coursekit.__file__).parent})")
    supported = ", ".join(f"{a}.{b}" for a, b in SUPPORTED_PYTHONS)
    note = "supported" if py in SUPPORTED_PYTHONS else f"NOT supported (use {supported})"
    say(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}: {note}")
    for module, (dist, extra) in EXTRAS.items():
        version = _version(dist)
        where = "base" if not extra else f"[{extra}]"
        if version:
            say(f"  {dist:<16} {version:<14} {where}")
        else:
            ok = ok and bool(extra)
            say(f"  {dist:<16} {'MISSING':<14} {where}: pip install \"{DIST}{f'[{extra}]' if extra else ''}\"")
    torch_version = _version("torch")
    if torch_version:
        cuda = "+cu" in torch_version or any(r.startswith("nvidia") for r in metadata.requires("torch") or [])
        say(f"torch {torch_version}: {'CUDA' if cuda else 'CPU'} build")
        if cuda:
            say(f"  The book needs no GPU; the CPU build is far smaller: pip install torch --index-url {CPU_INDEX}")
    elif platform.system() == "Darwin" and platform.machine() == "x86_64":
        say("torch: torch 2.13 has no wheel for Intel Macs; chapters 1-3 work without it. For chapters 4 on, "
            "use Colab (the launch button on each page) or a Linux machine.")
    else:
        say(f"torch: not installed; chapters 4 on need it: pip install \"{DIST}[torch]\" (on Linux first "
            f"pip install torch --index-url {CPU_INDEX}).")
    say("check cells in the exercise notebooks: work here (no sandbox needed)")
    say(f"coursekit grade: {_grading_status()}")
    return 0 if ok else 1


def _grading_status() -> str:
    from coursekit.grader.platform_support import unsupported_reason

    why = unsupported_reason()
    if why:
        return why
    try:
        from coursekit.grader.sandbox import self_test
    except ImportError as exc:  # pragma: no cover - the [grade] extra is missing
        return f"needs the [grade] extra ({exc.name} is missing): pip install \"{DIST}[grade]\""
    problem = self_test()
    return f"sandbox unavailable: {problem}" if problem else "sandbox works (bubblewrap)"


def _existing_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is not a folder")
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the ``coursekit`` command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = argparse.ArgumentParser(prog="coursekit", description="Tools for the Vision by Building course.")
    parser.add_argument("--version", action="version", version=f"coursekit {coursekit.__version__} "
                        f"(Python {platform.python_version()})", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help="what to do")
    sub.add_parser("doctor", help="check this installation: Python, extras, torch build, grading sandbox",
                   description="Say what this installation can do and what to install for the rest.")
    ex = sub.add_parser("exercises", help="regenerate exercises/ (stubs) from solutions/ (the single source)",
                        description="Write a student copy of every solved notebook: exercise cells become stubs.")
    ex.add_argument("--solutions", default="solutions", type=_existing_dir,
                    help="folder of the solved notebooks (default: solutions/)")
    ex.add_argument("--out", default="exercises", type=Path,
                    help="where the student notebooks go (default: exercises/); stale ones are removed")
    from coursekit.grader.cli import add_parser as add_grade_parser

    add_grade_parser(sub)
    args = parser.parse_args(argv)

    if args.command == "doctor":
        return doctor()
    if args.command == "exercises":
        from coursekit.exercises import write_exercises

        for path in write_exercises(args.solutions, args.out):
            print(f"wrote {path}")
        return 0
    if args.command == "grade":
        from coursekit.grader.cli import run

        return run(args)
    return 2  # pragma: no cover - argparse already rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
