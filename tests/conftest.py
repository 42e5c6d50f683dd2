"""Shared fixtures: the repository root and real images that ship with scikit-image."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def load_notebook(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def chapter_notebooks() -> list[Path]:
    return sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def solution_notebooks() -> list[Path]:
    return sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run a test module with one torch thread, restored afterwards.

    The tensors in the tests are tiny: a second intra-op thread only adds synchronisation, and on a
    loaded 2-core machine it can make a step tens of times slower. Modules opt in with
    ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
