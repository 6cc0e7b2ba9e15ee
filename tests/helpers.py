"""Tolerance asserts and small utilities shared by the tests."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
SYSTEMS_DIR = REPO_ROOT / "systems"


def to_numpy(a: Any) -> np.ndarray:
    """A float64 NumPy copy of an array, list or (detached) Torch tensor."""
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


def rel_error(actual: Any, expected: Any) -> float:
    """``‖actual − expected‖ / ‖expected‖`` (Frobenius norm over the whole array).

    Falls back to the absolute error when ``expected`` is exactly zero.
    """
    a, b = to_numpy(actual), to_numpy(expected)
    if a.shape != b.shape:
        raise AssertionError(f"shape mismatch: {a.shape} vs {b.shape}")
    scale = float(np.linalg.norm(b))
    diff = float(np.linalg.norm(a - b))
    return diff / scale if scale > 0 else diff


def max_elementwise_rel_error(actual: Any, expected: Any, floor: float = 0.0) -> float:
    """``max |actual − expected| / max(|expected|, floor)`` over all entries."""
    a, b = to_numpy(actual), to_numpy(expected)
    if a.shape != b.shape:
        raise AssertionError(f"shape mismatch: {a.shape} vs {b.shape}")
    denom = np.maximum(np.abs(b), floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(denom > 0, np.abs(a - b) / denom, np.abs(a - b))
    return float(np.max(ratio)) if ratio.size else 0.0


def assert_rel_close(
    actual: Any,
    expected: Any,
    rtol: float,
    *,
    elementwise: bool = False,
    floor: float | None = None,
    what: str = "",
) -> float:
    """Assert that ``actual`` matches ``expected`` to relative tolerance ``rtol``.

    Parameters
    ----------
    elementwise : bool
        If false (default), compare ``‖a − b‖ / ‖b‖`` over the whole array. If true,
        every entry must satisfy ``|a − b| <= rtol * max(|b|, floor)``; ``floor`` defaults
        to ``1e-3 * max|b|`` so entries that happen to be near zero do not dominate.
    what : str
        Label used in the failure message.

    Returns
    -------
    float
        The measured error (handy for reporting the worst case).
    """
    b = to_numpy(expected)
    if elementwise:
        if floor is None:
            floor = 1e-3 * float(np.max(np.abs(b))) if b.size else 0.0
        err = max_elementwise_rel_error(actual, b, floor)
    else:
        err = rel_error(actual, b)
    if not np.isfinite(to_numpy(actual)).all():
        raise AssertionError(f"{what}: non-finite values in result")
    if not err <= rtol:
        raise AssertionError(f"{what}: relative error {err:.3e} exceeds {rtol:.1e}")
    return err


def assert_one_line_message(exc: BaseException, *tokens: str) -> str:
    """Assert the exception message is one line and contains every token; return it."""
    message = str(exc)
    assert message, "empty error message"
    assert "\n" not in message and "\r" not in message, f"multi-line message: {message!r}"
    for token in tokens:
        assert token in message, f"{token!r} not in message {message!r}"
    return message


def uniform_states(system: Any, n: int, seed: int = 0) -> np.ndarray:
    """``n`` states drawn uniformly (seeded) from ``system.box``, shape ``(n, 2·dof)``."""
    low, high = system.box
    return np.random.default_rng(seed).uniform(low, high, size=(n, len(low)))


def uniform_conditions(system: Any, n: int, seed: int = 0) -> tuple[Any, Any]:
    """``(t (n,), inputs (n, m))`` drawn uniformly (seeded) from the system's sampling box;
    each is None where the system does not depend on time or has no inputs."""
    rng = np.random.default_rng([seed, 7])
    t = rng.uniform(*system.time_range, size=n) if system.time_dependent else None
    inputs = None
    if system.inputs:
        low, high = system.input_box
        inputs = rng.uniform(low, high, size=(n, len(low)))
    return t, inputs


BUILTIN_SPEC_FILES = sorted(SYSTEMS_DIR.glob("*.toml"))
BUILTIN_NAMES = [p.stem for p in BUILTIN_SPEC_FILES]


@functools.cache
def builtin(name: str) -> Any:
    """The built-in system ``name``, loaded once per test session (derivation cached)."""
    import physym

    return physym.load_system(name)
