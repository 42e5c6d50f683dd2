"""Put the install cell first in every chapter and exercise notebook (Colab, Binder: "no install" path).

The cell installs the course library only where it is missing (a fresh Colab or Binder kernel), like
fastbook's first cell; in the course's own environment it does nothing. It is tagged ``remove-cell`` so the
built book does not show it. ``tests/test_distribution.py`` runs this exact cell in a fresh venv on the
newest supported Python.

Usage: ``python tools/install_cell.py [--check] NOTEBOOK...`` (default: the chapters book/NN_*.ipynb and the
solved notebooks solutions/*.ipynb; then ``make exercises`` carries the cell into the students' copies). The
grader leaves the cell out of the code it runs before each exercise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAG = "install"
INSTALL_CELL = """\
# Colab, Binder or any Python without the course library: install it first (about a minute).
import importlib.util, subprocess, sys
if importlib.util.find_spec("coursekit") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "vision-by-building"], check=True)
"""


def with_install_cell(nb: dict) -> dict:
    """``nb`` with the install cell first (replacing an older one)."""
    cells = [c for c in nb["cells"] if TAG not in c.get("metadata", {}).get("tags", [])]
    cell = {"cell_type": "code", "execution_count": None, "id": "install-coursekit", "outputs": [],
            "metadata": {"tags": [TAG, "remove-cell"]}, "source": INSTALL_CELL.splitlines(keepends=True)}
    return dict(nb, cells=[cell] + cells)


def default_notebooks() -> list[Path]:
    """The chapters and the solved exercise notebooks."""
    return sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))


if __name__ == "__main__":
    check = "--check" in sys.argv
    paths = [Path(a) for a in sys.argv[1:] if a != "--check"] or default_notebooks()
    stale = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        new = with_install_cell(nb)
        if new != nb:
            stale.append(str(path))
            if not check:
                sort = text == json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
                path.write_text(json.dumps(new, indent=1, ensure_ascii=False, sort_keys=sort) + "\n", encoding="utf-8")
    print("without the install cell:" if check else "updated:", *stale)
    sys.exit(1 if check and stale else 0)
