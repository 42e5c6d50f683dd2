"""Command line: ``python -m coursekit exercises`` regenerates the students' notebooks;
``python -m coursekit grade`` grades submissions (see :mod:`coursekit.grader.cli`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coursekit", description="Tools for the Vision by Building course.")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("exercises", help="regenerate exercises/ (stubs) from solutions/ (the single source)")
    ex.add_argument("--solutions", default="solutions", type=Path)
    ex.add_argument("--out", default="exercises", type=Path)
    from coursekit.grader.cli import add_parser as add_grade_parser

    add_grade_parser(sub)
    args = parser.parse_args(argv)

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
