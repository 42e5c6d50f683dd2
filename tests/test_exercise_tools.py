"""coursekit.exercises: turning a solved notebook into the students' stub notebook."""

from __future__ import annotations

import nbformat
import pytest

from coursekit.exercises import make_stub, stub_source, validate_solution_notebook

SOLVED = '''def double(x):
    """Return 2x."""
    # BEGIN SOLUTION
    y = x + x
    return y
    # END SOLUTION
'''


def _nb(ex_meta=None, check_src=None, check_meta=None):
    meta = {"id": "ch01.double", "points": 2}
    ex = nbformat.v4.new_code_cell(SOLVED, metadata={"tags": ["exercise"], "exercise": ex_meta or meta})
    chk = nbformat.v4.new_code_cell(check_src or 'grading.check("ch01.double", double, points=2)',
                                    metadata={"tags": ["check"], "exercise": check_meta or meta})
    ex["outputs"] = [nbformat.v4.new_output("stream", text="hi")]
    ex["execution_count"] = 3
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), ex, chk])


def test_stub_replaces_the_body_and_keeps_the_signature_and_docstring():
    out = stub_source(SOLVED, "ch01.double")
    assert out.startswith('def double(x):\n    """Return 2x."""\n    raise NotImplementedError(')
    assert "x + x" not in out


def test_stub_keeps_cell_ids_tags_and_metadata_and_strips_outputs():
    nb = _nb()
    stub = make_stub(nb)
    assert [c["id"] for c in stub["cells"]] == [c["id"] for c in nb["cells"]]
    assert stub["cells"][1]["metadata"] == nb["cells"][1]["metadata"]
    assert stub["cells"][1]["outputs"] == [] and stub["cells"][1]["execution_count"] is None
    assert stub["cells"][2]["source"] == nb["cells"][2]["source"]
    assert "x + x" in nb["cells"][1]["source"], "the input notebook must not be modified"


@pytest.mark.parametrize("source, message", [
    ("def f():\n    return 1\n", "no '# BEGIN SOLUTION'"),
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "never closed"),
    ("def f():\n    # END SOLUTION\n", "without a"),
])
def test_malformed_markers_are_rejected(source, message):
    with pytest.raises(ValueError, match=message):
        stub_source(source, "ch01.f")


def test_check_cell_must_call_its_own_id_with_its_points():
    with pytest.raises(ValueError, match="must call"):
        validate_solution_notebook(_nb(check_src='grading.check("ch01.double", double, points=5)'))


def test_points_must_agree_between_the_two_cells():
    with pytest.raises(ValueError, match="different points"):
        validate_solution_notebook(_nb(check_meta={"id": "ch01.double", "points": 1}))


@pytest.mark.parametrize("meta", [{"id": "double", "points": 1}, {"id": "ch01.double", "points": -1},
                                  {"id": "ch01.double"}])
def test_bad_exercise_metadata_is_rejected(meta):
    with pytest.raises(ValueError):
        validate_solution_notebook(_nb(ex_meta=meta, check_meta=meta))


def test_an_exercise_without_a_check_is_rejected():
    nb = _nb()
    del nb["cells"][2]
    with pytest.raises(ValueError, match="pair"):
        validate_solution_notebook(nb)
