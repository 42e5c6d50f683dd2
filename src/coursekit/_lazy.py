"""Lazy re-exports (PEP 562) for the names of modules that need torch.

A topic package's ``__init__.py`` (written by ``tools/make_inits.py``) imports its NumPy modules at once and
hands the names of its torch modules to :func:`attach`: they load on first use. So ``from coursekit.data
import load_image`` works where torch is not installed (the NumPy chapters 1-3, or a student's laptop
without the ``[torch]`` extra), and a torch name used there fails with one line naming the extra.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["attach", "TORCH_HINT"]

TORCH_HINT = ("{name} needs PyTorch, which is not installed: pip install \"vision-by-building[torch]\" "
              "(on Linux, the CPU build first: see the README, 'Install').")


def attach(package: str, names: dict[str, str]):
    """Return ``(__getattr__, __dir__)`` for ``package`` whose ``names`` map a name to its module's stem.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict of str to str
        Lazily exported name -> the module (stem) that defines it.

    Returns
    -------
    tuple of callables
        The module-level ``__getattr__`` and ``__dir__``.

    Examples
    --------
    >>> getattr_, dir_ = attach("coursekit.core", {"one_hot": "numerics"})
    >>> getattr_("one_hot").__name__
    'one_hot'
    """

    def __getattr__(name: str):
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            return getattr(importlib.import_module(f"{package}.{module}"), name)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] != "torch":
                raise
            raise ModuleNotFoundError(TORCH_HINT.format(name=f"{package}.{name}"), name="torch") from None

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
