"""Every public docstring of coursekit is valid reStructuredText after numpydoc (napoleon) conversion.

The API reference page renders them with Sphinx, where a stray `*` or `|x|` is a build error; this test
finds such problems in seconds instead of at the end of `make book`.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import docutils.core
import docutils.utils
import pytest
from docutils.parsers.rst import Directive, directives, roles
from sphinx.ext.napoleon import Config
from sphinx.ext.napoleon.docstring import NumpyDocstring

import coursekit

_CONFIG = Config(napoleon_use_rtype=False)


def _generic_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    from docutils import nodes

    return [nodes.literal(rawtext, text)], []


for _role in ("func", "class", "meth", "mod", "attr", "data", "obj", "eq", "doc", "ref", "term", "exc",
              "py:func", "py:class", "py:meth", "py:mod", "py:attr", "py:obj"):
    roles.register_local_role(_role, _generic_role)


class _SphinxOnlyDirective(Directive):
    """Stands in for Sphinx's own directives (``attribute``, ``method``, ...): parse the body, keep nothing."""

    optional_arguments = 10
    final_argument_whitespace = True
    has_content = True
    option_spec = None

    def run(self):
        from docutils import nodes

        node = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


for _directive in ("attribute", "method", "function", "class", "data", "seealso", "versionadded", "py:attribute"):
    directives.register_directive(_directive, _SphinxOnlyDirective)


def _modules():
    names = ["coursekit"]
    for info in pkgutil.walk_packages(coursekit.__path__, "coursekit."):
        if ".checks" in info.name or info.name.endswith("__main__") or "._" in info.name:
            continue
        names.append(info.name)
    return names


def _docstrings(module):
    if module.__doc__:
        yield module.__name__, module.__doc__
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            if obj.__doc__:
                yield f"{module.__name__}.{name}", obj.__doc__
            if inspect.isclass(obj):
                for mname, member in vars(obj).items():
                    if not mname.startswith("_") and inspect.isfunction(member) and member.__doc__:
                        yield f"{module.__name__}.{name}.{mname}", member.__doc__


@pytest.mark.parametrize("module_name", _modules())
def test_docstrings_are_valid_restructuredtext(module_name):
    module = importlib.import_module(module_name)
    problems = []
    for where, doc in _docstrings(module):
        rst = str(NumpyDocstring(inspect.cleandoc(doc), _CONFIG))
        settings = {"report_level": 2, "halt_level": 5, "warning_stream": False}
        tree = docutils.core.publish_doctree(rst, settings_overrides=settings)
        for msg in tree.findall(lambda n: n.tagname == "system_message"):
            if msg["level"] >= 2:
                problems.append(f"{where}: {msg.astext().splitlines()[0]}")
    assert not problems, "\n".join(problems)
