"""Chapter listings of coursekit code: the signature, the one-line summary and the body, linked to the API.

A listing ends with a link to the full docstring on the API page. Chapter authors keep writing::

    ```{literalinclude} ../src/coursekit/image/filters.py
    :pyobject: gaussian_kernel1d
    ```

For a file of ``src/coursekit`` included with ``:pyobject:``, this extension cuts every docstring of the
listed object (and of its methods) to its first paragraph, the one-line summary, and adds a line
"Full docstring: coursekit.image.filters.gaussian_kernel1d in the API reference" that links to the entry
autodoc writes on the API page. The Parameters, Notes, Examples and the back-link to the very section the
reader is in stay on the API page. Other ``literalinclude`` directives are untouched.

Registered in ``_config.yml`` under ``sphinx: local_extensions``; tested in ``tests/test_listing.py``.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.directives.code import LiteralInclude

SRC = Path(__file__).resolve().parents[2] / "src"      # the directory that holds the coursekit package


def shorten_docstrings(source: str) -> str:
    r"""Cut every docstring in ``source`` (one function or class, possibly indented) to its summary paragraph.

    The code itself (decorators, signature, body, comments) is returned line for line; a docstring keeps its
    opening quotes and its first paragraph, and is closed right after it.

    Parameters
    ----------
    source : str
        The text ``literalinclude :pyobject:`` selected.

    Returns
    -------
    str
        The same text with short docstrings.

    Examples
    --------
    >>> code = "def f(x):\n    '''Twice x.\n\n    Returns\n    -------\n    int\n    '''\n    return 2 * x\n"
    >>> print(shorten_docstrings(code))
    def f(x):
        '''Twice x.'''
        return 2 * x
    <BLANKLINE>
    """
    indent = len(source) - len(source.lstrip(" "))
    lines = textwrap.dedent(source).split("\n")
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return source                 # not a whole object (e.g. :lines: cut it): show it as it is
    cuts = []                         # (first line, last line, replacement lines), 0-based, inclusive
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or not node.body:
            continue
        first = node.body[0]
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            continue
        start, end = first.lineno - 1, first.end_lineno - 1
        opening = lines[start].lstrip()
        quote = next((q for q in ('"""', "'''") if q in opening[:5]), None)
        if quote is None or start == end:
            continue                  # a one-line docstring is already its summary
        summary_end = next((k - 1 for k in range(start + 1, end + 1) if not lines[k].strip()), None)
        if summary_end is None:
            continue                  # a single paragraph: nothing to cut
        kept = lines[start:summary_end + 1]
        kept[-1] = kept[-1].rstrip() + quote
        cuts.append((start, end, kept))
    for start, end, kept in sorted(cuts, reverse=True):
        lines[start:end + 1] = kept
    return textwrap.indent("\n".join(lines), " " * indent, lambda line: bool(line.strip()))


def api_target(filename: str | Path, pyobject: str) -> tuple[str, str] | None:
    """``(target, role)`` of the API-page entry for ``pyobject`` of a coursekit file, or None for other files.

    A public object links to its own entry (``coursekit.nn.mlp.MLP.forward``, role ``obj``); a private
    helper, which the API page does not document, links to its module (role ``mod``).

    Parameters
    ----------
    filename : str or Path
        The included file.
    pyobject : str
        The ``:pyobject:`` option, e.g. ``gaussian_kernel1d`` or ``MLP.forward``.

    Returns
    -------
    tuple of (str, str) or None
        The target and the Python-domain role that resolves it.

    Examples
    --------
    >>> api_target(SRC / "coursekit" / "image" / "filters.py", "gaussian_kernel1d")
    ('coursekit.image.filters.gaussian_kernel1d', 'obj')
    >>> api_target(SRC / "coursekit" / "image" / "morphology.py", "_extreme")
    ('coursekit.image.morphology', 'mod')
    >>> api_target("/elsewhere/script.py", "main") is None
    True
    """
    path = Path(filename).resolve()
    if not path.is_relative_to(SRC / "coursekit") or path.suffix != ".py":
        return None
    parts = path.relative_to(SRC).with_suffix("").parts
    module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    if any(p.startswith("_") for p in pyobject.split(".")):
        return module, "mod"
    return f"{module}.{pyobject}", "obj"


class CoursekitLiteralInclude(LiteralInclude):
    """``literalinclude`` that shortens the docstrings of coursekit objects and links to the API page."""

    def run(self) -> list[nodes.Node]:
        """Sphinx's listing, with short docstrings and the API link for coursekit objects."""
        result = super().run()
        if "pyobject" not in self.options:
            return result
        _, filename = self.env.relfn2path(self.arguments[0])
        target = api_target(filename, self.options["pyobject"])
        if target is None or not result:
            return result
        for block in result[0].findall(nodes.literal_block):
            text = shorten_docstrings(block.astext())
            block.children = [nodes.Text(text)]
            block.rawsource = text
        name, role = target
        xref = addnodes.pending_xref("", nodes.literal(name, name), refdomain="py", reftype=role,
                                     reftarget=name, refexplicit=True, refwarn=True)
        link = nodes.paragraph("", "", classes=["coursekit-api-link"])
        link += [nodes.Text("Full docstring: "), xref, nodes.Text(" in the API reference.")]
        self.set_source_info(link)
        return result + [link]


def setup(app):
    """Replace Sphinx's ``literalinclude`` with :class:`CoursekitLiteralInclude`."""
    app.add_directive("literalinclude", CoursekitLiteralInclude, override=True)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
