"""Shared fixtures for the tests (see ``helpers.py`` for the tolerance asserts)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

# Make ``tests/helpers.py`` importable as ``helpers`` whatever the rootdir/invocation.
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator (same numbers in every test)."""
    return np.random.default_rng(12345)
