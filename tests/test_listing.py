"""The chapter listing of coursekit code (book/_ext/coursekit_listing.py): signature, one-line summary and
body, the rest of the docstring left to the API page, and a link to it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from coursekit_listing import api_target, shorten_docstrings  # noqa: E402  (book/_ext is not a package)

FUNCTION = textwrap.dedent('''\
    @some.decorator(3)
    def blur(image: np.ndarray,
             sigma: float = 1.0) -> np.ndarray:
        """Gaussian blur of a grey image,
        computed separably.

        Defined in :ref:`sec-gaussian-smoothing` (Eq. :eq:`eq-gaussian-kernel`).

        Parameters
        ----------
        image : (H, W) ndarray

        Examples
        --------
        >>> blur(np.zeros((3, 3))).shape
        (3, 3)
        """
        g = kernel(sigma)                 # (k,)

        return rows(cols(image, g), g)    # (H, W)
    ''')


def test_listing_keeps_signature_summary_and_body():
    out = shorten_docstrings(FUNCTION)
    assert out == textwrap.dedent('''\
        @some.decorator(3)
        def blur(image: np.ndarray,
                 sigma: float = 1.0) -> np.ndarray:
            """Gaussian blur of a grey image,
            computed separably."""
            g = kernel(sigma)                 # (k,)

            return rows(cols(image, g), g)    # (H, W)
        ''')


def test_listing_drops_parameters_examples_and_the_backlink():
    out = shorten_docstrings(FUNCTION)
    for gone in ("Parameters", "Examples", ">>>", "Defined in", "(3, 3)"):
        assert gone not in out


def test_listing_shortens_the_docstrings_of_a_class_and_its_methods_at_their_indentation():
    cls = textwrap.indent(textwrap.dedent('''\
        class Block(nn.Module):
            """A block.

            Parameters
            ----------
            c : int
            """

            def forward(self, x):
                """Apply it.

                Returns
                -------
                Tensor
                """
                return x
        '''), "    ")                      # a nested object arrives indented
    out = shorten_docstrings(cls)
    assert out == textwrap.indent(textwrap.dedent('''\
        class Block(nn.Module):
            """A block."""

            def forward(self, x):
                """Apply it."""
                return x
        '''), "    ")


def test_listing_leaves_one_paragraph_docstrings_and_fragments_alone():
    one = 'def f():\n    """Only a summary,\n    on two lines."""\n    return 1\n'
    assert shorten_docstrings(one) == one
    fragment = "    return x\n  broken("              # not parseable on its own (e.g. a :lines: cut)
    assert shorten_docstrings(fragment) == fragment


def _pyobject(path, name):
    from sphinx.pycode import ModuleAnalyzer

    _, start, end = ModuleAnalyzer.for_file(str(path), "").find_tags()[name]
    return "".join(path.read_text(encoding="utf-8").splitlines(True)[start - 1:end])


@pytest.mark.parametrize("relpath, name", [("image/filters.py", "gaussian_kernel1d"),
                                           ("metrics/image.py", "psnr"),
                                           ("nn/conv.py", "im2col")])
def test_real_listing_is_code_plus_summary(relpath, name):
    import ast

    path = ROOT / "src" / "coursekit" / relpath
    source = _pyobject(path, name)
    out = shorten_docstrings(source)
    node = ast.parse(source).body[0]
    summary = ast.get_docstring(node).split("\n\n")[0]
    assert f'"""{summary}"""' in out
    body = source.split("\n")[node.body[1].lineno - 1:]   # every line after the docstring, verbatim
    assert out.endswith("\n".join(body))
    assert "Parameters" not in out and "Defined in" not in out
    assert len(out.splitlines()) < len(source.splitlines())


def test_api_target_names_the_entry_on_the_api_page():
    src = ROOT / "src" / "coursekit"
    assert api_target(src / "nn" / "mlp.py", "MLP.forward") == ("coursekit.nn.mlp.MLP.forward", "obj")
    assert api_target(src / "image" / "morphology.py", "_extreme") == ("coursekit.image.morphology", "mod")
    assert api_target(ROOT / "tools" / "make_api.py", "render") is None


def test_sphinx_build_shows_the_short_listing_and_links_to_the_api_entry(tmp_path):
    """A two-page MyST project: a chapter with a literalinclude, an API page with autodoc."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        "extensions = ['myst_parser', 'sphinx.ext.autodoc', 'sphinx.ext.napoleon', 'coursekit_listing']\n"
        "exclude_patterns = ['_build']\nmyst_enable_extensions = ['dollarmath']\n", encoding="utf-8")
    target = os.path.relpath(ROOT / "src" / "coursekit" / "image" / "filters.py", src)   # as a chapter writes it
    (src / "index.md").write_text(
        "# Chapter\n\n```{toctree}\napi\n```\n\n(sec-gaussian-smoothing)=\n## Gaussian smoothing\n\n"
        "$$ G(i) = e^{-i^2 / 2 \\sigma^2} / Z $$ (eq-gaussian-kernel)\n\n"
        f"```{{literalinclude}} {target}\n:pyobject: gaussian_kernel1d\n```\n", encoding="utf-8")
    (src / "api.md").write_text(
        "# API\n\n```{eval-rst}\n.. automodule:: coursekit.image.filters\n   :members: gaussian_kernel1d\n```\n",
        encoding="utf-8")
    # A fresh interpreter: other test modules register stand-in docutils directives in this one. -W: any
    # warning (an unresolved API link, a missing label) fails the build, as in `make book`.
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d", str(tmp_path / "doctrees"),
                          str(src), str(tmp_path / "html")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    html = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert "gaussian_kernel1d" in html and "Parameters" not in html and "Defined in" not in html
    assert 'href="api.html#coursekit.image.filters.gaussian_kernel1d"' in html
    assert "Full docstring" in html
    api = (tmp_path / "html" / "api.html").read_text(encoding="utf-8")
    assert "Parameters" in api                       # the full docstring lives on the API page
    assert 'href="index.html#sec-gaussian-smoothing"' in api    # and links back to the section
