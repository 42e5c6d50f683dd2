"""Renumber a chapter's equation labels to page order and rewrite coursekit's citations to match.

Sphinx numbers a chapter's display equations (N.1), (N.2), … in the order they appear, and coursekit
docstrings cite those numbers ("Defined in Chapter 2, Eq. (2.5)."). When sections move or an equation
is added, run

    python tools/renumber_equations.py 2

It relabels `$$ … $$ (eq-2-K)` to `eq-2-1 … eq-2-M` in page order (and every {eq}`eq-2-K` reference),
and rewrites "Eq. (2.K)" / "Eqs. (2.K) and (2.J)" in src/coursekit accordingly. Everything is computed
first and written only if every citation resolves. `tests/test_repository.py` checks the result.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    n = int(argv[1])
    nb_path = next((ROOT / "book").glob(f"{n:02d}_*.ipynb"))
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    labels = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            labels += re.findall(rf"\$\$\s*\((eq-{n}-\d+)\)", "".join(cell["source"]))
    if len(labels) != len(set(labels)):
        print(f"duplicate labels in {nb_path.name}", file=sys.stderr)
        return 1
    new_of = {int(old.rsplit("-", 1)[1]): k for k, old in enumerate(labels, 1)}

    def relabel(text: str) -> str:
        return re.sub(rf"\beq-{n}-(\d+)\b", lambda m: f"eq-{n}-{new_of[int(m.group(1))]}", text)

    writes = {nb_path: relabel(nb_path.read_text(encoding="utf-8"))}
    missing = []
    for py in sorted((ROOT / "src" / "coursekit").rglob("*.py")):
        text = py.read_text(encoding="utf-8")

        def fix_citation(line_match: re.Match) -> str:
            def one(m: re.Match) -> str:
                k = int(m.group(1))
                if k not in new_of:
                    missing.append(f"{py.name}: ({n}.{k})")
                    return m.group(0)
                return f"({n}.{new_of[k]})"
            return re.sub(rf"\({n}\.(\d+)\)", one, line_match.group(0))

        new = re.sub(rf"Eqs?\.\s*\({n}\.\d+\)[^\n]*", fix_citation, text)
        if new != text:
            writes[py] = new
    if missing:
        print("citations of equations that do not exist: " + ", ".join(missing), file=sys.stderr)
        return 1
    for path, text in writes.items():
        path.write_text(text, encoding="utf-8")
        print(f"rewrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
