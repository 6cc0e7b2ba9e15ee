"""Shared fixtures: the built-in systems and a seeded random generator."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

# Make ``tests/helpers.py`` importable as ``helpers`` whatever the rootdir/invocation.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import SYSTEMS_DIR  # noqa: E402

BUILTIN_SPEC_FILES = sorted(SYSTEMS_DIR.glob("*.toml"))
BUILTIN_NAMES = [p.stem for p in BUILTIN_SPEC_FILES]


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator (same numbers in every test)."""
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def builtin_systems():
    """Every built-in system, loaded once per session (derivations are cached on them)."""
    import physym

    return {name: physym.load_system(name) for name in BUILTIN_NAMES}
