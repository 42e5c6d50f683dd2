"""The book's house rules, checked on every notebook: no committed outputs, a table of contents that
lists exactly the chapters that exist, library code shown by reference, and alt text on figures."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, chapter_notebooks, load_notebook, solution_notebooks

sys.path.insert(0, str(ROOT / "tools"))
import booklabels  # noqa: E402  (tools/ is not a package)

ALL_NOTEBOOKS = chapter_notebooks() + solution_notebooks() + sorted((ROOT / "exercises").glob("*.ipynb"))


def _src(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def test_there_are_chapters_and_exercise_notebooks():
    assert len(chapter_notebooks()) >= 2
    assert len(solution_notebooks()) >= 2


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_committed_without_outputs(path):
    nb = load_notebook(path)
    dirty = [c.get("id") for c in nb["cells"]
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells with outputs {dirty}; clear outputs before committing."


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_cells_have_unique_ids_and_python_kernel(path):
    nb = load_notebook(path)
    ids = [c.get("id") for c in nb["cells"]]
    assert all(ids) and len(set(ids)) == len(ids), f"{path.name}: missing or duplicate cell ids"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_chapter_file_names_follow_the_syllabus_numbering():
    for path in chapter_notebooks():
        assert re.fullmatch(r"(0[1-9]|1[0-8])_[a-z0-9_]+\.ipynb", path.name), path.name
    for path in solution_notebooks():
        assert (ROOT / "book" / path.name).exists(), f"{path.name} has no chapter of the same name"


def _toc_files(node) -> list[str]:
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root"):
                out.append(value)
            else:
                out += _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            out += _toc_files(item)
    return out


def test_toc_lists_exactly_the_chapters_that_exist():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = _toc_files(toc)
    for f in files:
        assert list(ROOT.glob(f + ".*")), f"_toc.yml lists {f}, which does not exist"
    chapters = {f"book/{p.stem}" for p in chapter_notebooks()}
    assert chapters <= set(files), f"chapters missing from _toc.yml: {sorted(chapters - set(files))}"


def _defined_objects(module_path: Path) -> set[str]:
    tree = ast.parse(module_path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
            if isinstance(node, ast.ClassDef):
                names |= {f"{node.name}.{m.name}" for m in node.body if isinstance(m, ast.FunctionDef)}
    return names


LITERAL = re.compile(r"```\{literalinclude\}\s+(\S+)\s*\n((?::\w+:.*\n)*)")


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.name)
def test_chapter_shows_real_library_code_by_reference(path):
    nb = load_notebook(path)
    found = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for target, options in LITERAL.findall(_src(cell) + "\n"):
            module = (path.parent / target).resolve()
            assert module.exists(), f"literalinclude of missing file {target}"
            m = re.search(r":pyobject:\s*(\S+)", options)
            if m:
                assert m.group(1) in _defined_objects(module), f"{target} has no {m.group(1)}"
                found += 1
    if path.name != "01_foundations.ipynb" or found:
        assert found >= 1, f"{path.name} never shows coursekit code with literalinclude :pyobject:"


FIGURE_CALLS = re.compile(r"\bplt\.|\.imshow\(|\bsubplots\(|show_figure|\.plot\(")


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.name)
def test_every_figure_cell_has_alt_text(path):
    nb = load_notebook(path)
    missing = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and FIGURE_CALLS.search(_src(cell)):
            alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt", "")
            if "frame_slider" not in _src(cell) and len(alt.strip()) < 10:
                missing.append(cell["id"])
    assert not missing, f"{path.name}: figure cells without alt text: {missing}"


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.name)
def test_chapter_has_key_ideas_quiz_and_a_widget(path):
    text = "\n".join(_src(c) for c in load_notebook(path)["cells"])
    assert "Key ideas" in text
    assert "{dropdown}" in text, "the quiz hides its answers in dropdowns"
    assert "frame_slider" in text or "ipywidgets" in text


def test_equation_labels_are_semantic_and_unique_across_the_book():
    """Sphinx numbers a chapter's labelled equations (N.1), (N.2), ... in page order; the labels name the
    equation (``eq-gaussian-kernel``), never its position, so moving an equation renumbers nothing."""
    pages = booklabels.book_pages()
    labels = [e.label for p in pages for e in p.equations] + [s.label for p in pages for s in p.sections]
    duplicates = sorted({lab for lab in labels if labels.count(lab) > 1})
    assert not duplicates, f"labels defined twice in the book: {duplicates}"
    positional = [e.label for p in pages for e in p.equations if booklabels.POSITIONAL_EQ.match(e.label)]
    assert not positional, f"name these equations for what they are, not where they sit: {positional}"
    not_sec = [s.label for p in pages if p.chapter for s in p.sections if not s.label.startswith("sec-")]
    assert not not_sec, f"chapter section labels start with sec-: {not_sec}"


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.name)
def test_chapter_citations_resolve(path):
    """Every {eq}/{ref} of a chapter names a label of the book (Sphinx would only warn at the very end)."""
    labels = booklabels.book_labels()
    page = booklabels.parse_page(path)
    text = "\n".join(f"{{{role}}}`{label}`" for role, label in page.citations)
    assert not booklabels.unresolved_citations({path.name: text.replace("{", ":").replace("}", ":")}, labels)


def _library_texts() -> dict[str, str]:
    src = ROOT / "src" / "coursekit"
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in sorted(src.rglob("*.py"))}


def test_every_label_cited_by_a_docstring_exists_in_the_book():
    """A back-link ``Defined in :ref:`sec-...` (Eq. :eq:`eq-...`)`` must land on a real section and equation."""
    bad = booklabels.unresolved_citations(_library_texts(), booklabels.book_labels())
    assert not bad, "citations that resolve to nothing (add the label to the chapter, or fix the name):\n" + "\n".join(bad)


def test_unresolved_citations_are_reported():
    labels = booklabels.book_labels()
    some_eq = next(lab for lab, item in labels.items() if isinstance(item, booklabels.Equation))
    some_sec = next(lab for lab, item in labels.items() if isinstance(item, booklabels.Section))
    texts = {"good.py": f"Defined in :ref:`{some_sec}` (Eq. :eq:`{some_eq}`).",
             "bad.py": ":ref:`sec-no-such-section` and :eq:`eq-no-such-equation`",
             "wrong_kind.py": f":eq:`{some_sec}` and :ref:`{some_eq}`"}
    bad = booklabels.unresolved_citations(texts, labels)
    assert [b.split(":")[0] for b in bad] == ["bad.py", "bad.py", "wrong_kind.py", "wrong_kind.py"], bad
    assert "sec-no-such-section" in bad[0] and "eq-no-such-equation" in bad[1]


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.name)
def test_code_shown_in_a_chapter_links_back_to_its_section(path):
    """A public function (or class) listed with ``literalinclude :pyobject:`` links back to the section
    that lists it, so the API page and the chapter point at each other."""
    objects = {o.fullname: o for o in booklabels.library_objects()}
    missing = []
    for listing in booklabels.parse_page(path).listings:
        name = listing.options.get("pyobject")
        target = (path.parent / listing.target).resolve()
        if not name or "coursekit" not in target.parts or any(p.startswith("_") for p in name.split(".")):
            continue
        owner = name.split(".")[0]   # a method is covered by its class's back-link
        obj = objects.get(f"{booklabels.module_of_path(target)}.{owner}")
        link = booklabels.parse_backlink(obj.docstring) if obj else None
        if link is None or link[0] not in listing.sections:
            missing.append(f"{owner}: links to {link and link[0]}, listed under {listing.sections}")
    assert not missing, f"{path.name}: listed code whose back-link does not name its section: {missing}"


def test_toc_numbering_matches_chapter_numbers():
    """The toc is numbered, so the k-th chapter listed must be book/kk_*.ipynb."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = [f for f in _toc_files(toc) if re.match(r"book/\d\d_", f)]
    assert [int(f[5:7]) for f in chapters] == list(range(1, len(chapters) + 1))


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.name)
def test_chapter_offers_its_student_notebook_for_download(path):
    if not (ROOT / "exercises" / path.name).exists():
        pytest.fail(f"{path.name} has no exercise notebook exercises/{path.name}")
    text = "\n".join(_src(c) for c in load_notebook(path)["cells"])
    assert f"<../exercises/{path.name}>" in text and "{download}" in text


COLOUR_BLIND_SAFE = {"gray", "grey", "gray_r", "viridis", "cividis", "magma", "inferno", "plasma",
                     "viridis_r", "cividis_r", "magma_r", "inferno_r", "binary", "Greys", "Greys_r", "RdBu",
                     "RdBu_r", "PuOr", "PuOr_r", "BrBG", "twilight", "twilight_shifted"}


@pytest.mark.parametrize("path", chapter_notebooks() + solution_notebooks(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_figures_use_colour_blind_safe_colormaps(path):
    """Perceptually uniform or diverging maps readable with common colour-vision deficiencies (no jet/hsv)."""
    used = set()
    for cell in load_notebook(path)["cells"]:
        if cell["cell_type"] == "code":
            used |= set(re.findall(r"cmap\s*=\s*['\"]([A-Za-z_]+)['\"]", _src(cell)))
    assert used <= COLOUR_BLIND_SAFE, f"{path.name} uses {sorted(used - COLOUR_BLIND_SAFE)}"


def test_every_coursekit_module_is_in_the_api_reference():
    api = (ROOT / "book" / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"automodule:: (coursekit[\w.]*)", api))
    src = ROOT / "src" / "coursekit"
    modules = {"coursekit." + p.stem for p in src.glob("*.py") if not p.stem.startswith("_")}
    modules |= {"coursekit." + p.parent.name for p in src.glob("*/__init__.py") if p.parent.name != "checks"}
    modules |= {f"coursekit.{p.parent.name}.{p.stem}" for p in src.glob("*/*.py")
                if not p.stem.startswith("_") and p.parent.name not in ("checks", "grader")}
    assert modules <= documented, f"modules missing from book/api.md: {sorted(modules - documented)}"


EXERCISE_NOTEBOOKS = solution_notebooks() + sorted((ROOT / "exercises").glob("*.ipynb"))


@pytest.mark.parametrize("path", EXERCISE_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_exercise_equation_references_resolve_in_the_chapter(path):
    """Exercise notebooks open in plain Jupyter: they cite "Eq. (2.32) in the chapter", with the label the number
    stands for in a comment, and the number must be that equation's position in the chapter (what Sphinx shows)."""
    text = "\n".join(_src(c) for c in load_notebook(path)["cells"] if c["cell_type"] == "markdown")
    assert "{eq}`" not in text and "{ref}`" not in text, f"{path.name}: MyST roles do not render in Jupyter"
    bad = booklabels.unresolved_plain_references({path.name: text}, booklabels.equation_numbers())
    assert not bad, "\n".join(bad)


def test_exercise_equation_reference_checker_catches_wrong_numbers():
    numbers = booklabels.equation_numbers()
    (chapter, number), label = next(iter(sorted(numbers.items())))
    other = numbers[(chapter, number + 1)]
    good = f"Eq. ({chapter}.{number})<!-- {label} --> in the chapter"
    assert booklabels.unresolved_plain_references({"good": good}, numbers) == []
    texts = {"missing": f"Eq. ({chapter}.999)<!-- {label} -->",
             "no-chapter": "Eq. (99.1)<!-- eq-x -->",
             "unlabelled": f"Eqs. ({chapter}.{number})<!-- {label} --> and ({chapter}.{number + 1})",
             "drifted": f"Eq. ({chapter}.{number})<!-- {other} -->"}
    bad = booklabels.unresolved_plain_references(texts, numbers)
    assert [b.split(":")[0] for b in bad] == ["missing", "no-chapter", "unlabelled", "drifted"], bad
    fixed = booklabels.renumber_plain_references(texts["drifted"], numbers)
    assert booklabels.unresolved_plain_references({"fixed": fixed}, numbers) == []


def test_api_pages_are_up_to_date():
    """book/api.md (per package) and book/api_by_chapter.md (per chapter, from the back-links) are generated."""
    import make_api

    for name, render in make_api.PAGES.items():
        on_disk = (ROOT / "book" / name).read_text(encoding="utf-8")
        assert on_disk == render(), f"book/{name} is out of date: run python tools/make_api.py"


def test_api_by_chapter_lists_each_chapters_code_under_its_sections():
    import make_api

    text = make_api.render_by_chapter()
    for page in booklabels.book_pages():
        if page.chapter and page.listings:
            assert f"## Chapter {page.chapter}: {page.title}" in text
    # a function that lives in metrics/ is listed under Chapter 1's section, where the chapter teaches it
    ch1 = text.split("## Chapter 1:")[1].split("## Chapter 2:")[0]
    assert "   coursekit.metrics.image.psnr\n" in ch1 and "{ref}`sec-mse-psnr`" in ch1
    ch4 = text.split("## Chapter 4:")[1]
    assert "   coursekit.layers.blocks.ResidualBlock\n" in ch4.split("{ref}`sec-residual-blocks`")[1].split("{ref}")[0]


def test_glossary_terms_link_to_functions_that_exist():
    import importlib

    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    block = re.search(r"```\{glossary\}\n(.*?)\n```", text, flags=re.S)
    assert block, "glossary.md needs a {glossary} directive"
    text = block.group(1)  # only what is inside the directive becomes a linked glossary entry
    terms = re.findall(r"^[^\s:].*$", text, flags=re.M)  # a term starts a line; ":sorted:" is an option
    assert len(terms) >= 40 and len(set(terms)) == len(terms)
    targets = re.findall(r"\{py:(?:func|meth|class)\}`([\w.]+)`", text)
    assert len(targets) >= 20
    missing = []
    for target in targets:
        parts = target.split(".")
        for i in range(len(parts) - 1, 0, -1):  # longest importable module prefix, then attributes
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            try:
                for attr in parts[i:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                missing.append(target)
            break
        else:
            missing.append(target)
    assert not missing, f"glossary links to things that do not exist: {missing}"
