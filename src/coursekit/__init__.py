"""coursekit — the teaching library of *Vision by Building*.

Topic packages (``image``, ``geometry``, ``learn``, ``nn``, ...) hold the book's code; each function
mirrors one equation of the chapter that teaches it and links back to that section right after its
one-line summary (``Defined in :ref:`sec-convolution` (Eq. :eq:`eq-correlation`).``). Randomness always
enters through an explicit ``rng`` (NumPy) or ``generator`` (torch) argument.
"""

from __future__ import annotations

import os
import random

import numpy as np

__version__ = "0.1.0"


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python's, NumPy's legacy and (if installed) torch's global generators.

    coursekit itself never uses global random state; this exists for notebook
    cells and third-party code that do. Returns a fresh ``np.random.Generator``
    seeded with ``seed``, to pass on explicitly.

    Examples
    --------
    >>> rng = seed_everything(0)
    >>> float(rng.random()) == float(np.random.default_rng(0).random())
    True
    """
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import torch
    except ImportError:  # torch is optional for the image-processing chapters
        pass
    else:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)
