"""Imported once by the grader's forkserver: everything an exercise process would import anyway.

Every exercise process is forked from that server, so these imports (about 2 s: torch, matplotlib,
scikit-image's image loaders, SciPy) are paid once per grading run instead of once per exercise.
Importing runs no student code; each exercise still starts from this same clean state.
"""

import importlib
import pkgutil

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot  # noqa: E402,F401
import numpy  # noqa: E402,F401

import coursekit  # noqa: E402
import coursekit.checks  # noqa: E402
import coursekit.grading  # noqa: E402,F401
from coursekit.data.images import load_image

try:
    import torch  # noqa: F401  (seed_everything imports it)
except ImportError:  # pragma: no cover - torch is optional for the image chapters
    pass

for _mod in pkgutil.iter_modules(coursekit.checks.__path__):
    try:
        importlib.import_module(f"coursekit.checks.{_mod.name}")
    except Exception:  # a broken check module then fails only its own exercises, in their processes
        pass

try:
    load_image("camera")  # warms scikit-image's loaders (imageio, PIL plugins)
except Exception:  # pragma: no cover - a warm-up only
    pass
