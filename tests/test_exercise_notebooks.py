"""The exercise system: solutions/ is the single source, exercises/ is generated from it and in sync,
and with the stubs every check cell fails while every other cell runs.

(The solved notebooks are run by `pytest --nbval-lax solutions/` in `make test`: with solutions every
check passes.)
"""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, load_notebook, solution_notebooks
from coursekit.exercises import dumps, exercise_specs, make_stub, validate_solution_notebook

MIN_EXERCISES = {"01_foundations.ipynb": 2, "02_image_processing.ipynb": 6}


@pytest.mark.parametrize("path", solution_notebooks(), ids=lambda p: p.name)
def test_solution_notebook_declares_well_formed_exercises(path):
    specs = validate_solution_notebook(load_notebook(path))
    assert len(specs) >= MIN_EXERCISES.get(path.name, 4)
    chapter = path.name[:2]
    assert all(s.exercise_id.startswith(f"ch{chapter}.") for s in specs)


def test_exercise_ids_are_unique_across_the_book():
    ids = [s.exercise_id for p in solution_notebooks() for s in exercise_specs(load_notebook(p))]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", solution_notebooks(), ids=lambda p: p.name)
def test_exercises_are_in_sync_with_solutions(path):
    generated = dumps(make_stub(load_notebook(path)))
    committed = ROOT / "exercises" / path.name
    assert committed.exists(), f"exercises/{path.name} is missing: run `make exercises`"
    assert json.loads(committed.read_text(encoding="utf-8")) == json.loads(generated), (
        f"exercises/{path.name} is out of date with solutions/{path.name}: run `make exercises`."
    )


def test_no_stray_exercise_notebooks():
    names = {p.name for p in solution_notebooks()}
    stray = [p.name for p in (ROOT / "exercises").glob("*.ipynb") if p.name not in names]
    assert not stray, f"exercises without a solutions/ source: {stray}"


@pytest.mark.parametrize("path", solution_notebooks(), ids=lambda p: p.name)
def test_stub_notebook_contains_no_solution_code(path):
    stub = load_notebook(ROOT / "exercises" / path.name)
    for cell in stub["cells"]:
        if "exercise" in cell["metadata"].get("tags", []):
            src = "".join(cell["source"])
            assert "BEGIN SOLUTION" not in src and "NotImplementedError" in src


@pytest.mark.parametrize("path", solution_notebooks(), ids=lambda p: p.name)
def test_with_stubs_exactly_the_check_cells_fail(path):
    """Execute the student notebook as a student would before writing any code."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "exercises" / path.name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "exercises")}}).execute()
    failed = {c.id for c in nb.cells if c.cell_type == "code"
              and any(o.get("output_type") == "error" for o in c.get("outputs", []))}
    checks = {c.id for c in nb.cells if "check" in c.metadata.get("tags", [])}
    assert failed == checks, (f"cells that failed but are not checks: {sorted(failed - checks)}; "
                              f"checks that passed with a stub: {sorted(checks - failed)}")
    for cell in nb.cells:
        if cell.id in checks:
            err = next(o for o in cell.outputs if o.get("output_type") == "error")
            assert err["ename"] == "ExerciseNotDone", f"{cell.id} failed with {err['ename']}, not as a stub"


def test_every_exercise_has_a_check_that_names_the_reference_it_must_not_call():
    """The grader removes, and flags a call of, the coursekit functions each exercise re-implements."""
    from coursekit import grading

    ids = {s.exercise_id for p in solution_notebooks() for s in exercise_specs(load_notebook(p))}
    for eid in sorted(ids):
        chk = grading.find_check(eid)
        assert isinstance(chk, grading.Check), f"{eid}: its check is not a grading.Check"
        names = chk.implemented_names()
        assert names and all(n.startswith("coursekit.") for n in names), f"{eid}: no coursekit reference to strip"
