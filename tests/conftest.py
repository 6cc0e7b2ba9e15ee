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


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """One torch, BLAS and OpenMP thread for the whole session, as :func:`physym.fit` runs:
    the tests' problems are small, and on a shared machine more threads cost many times
    the CPU (and spin-wait beside a busy neighbour)."""
    import physym  # noqa: F401  (sets OMP_WAIT_POLICY before torch loads)
    from physym.threads import limited_threads

    with limited_threads(1):
        yield
