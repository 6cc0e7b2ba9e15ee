"""The files of a run directory, and making one ready for a run (DESIGN.md §5).

Every file is written atomically (:mod:`physym.io`). A fit that fails leaves
``failed.json`` (the error and the stage) beside what it wrote, so that a plain rerun into
the same directory starts afresh instead of refusing it; an interrupted fit leaves no
marker and is continued with ``--resume``.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from physym.errors import PhysymError
from physym.io import write_json

__all__ = [
    "CHECKPOINT",
    "CHECKS",
    "CONFIG",
    "DATA",
    "DISTILLATION",
    "FAILED",
    "MEASURED",
    "MEASURED_ROLLOUT",
    "METRICS",
    "MODEL",
    "ROLLOUT",
    "SUMMARY",
    "SYSTEM",
    "RunDirError",
    "json_safe",
    "mark_failed",
    "prepare_run_dir",
    "read_arrays",
    "versions",
]

CONFIG, SYSTEM, DATA, CHECKPOINT = "config.json", "system.json", "data.npz", "checkpoint.pt"
MODEL, METRICS, SUMMARY, ROLLOUT = "model.pt", "metrics.json", "summary.json", "rollout.npz"
MEASURED, MEASURED_ROLLOUT = "measured.npz", "rollout_measured.npz"
DISTILLATION, CHECKS, FAILED = "distillation.json", "checks.json", "failed.json"
#: Files (and patterns) a fit writes: what a rerun over a failed run removes.
RUN_FILES = (
    CONFIG,
    SYSTEM,
    DATA,
    CHECKPOINT,
    "checkpoint_fallback.pt",
    MODEL,
    METRICS,
    SUMMARY,
    ROLLOUT,
    MEASURED,
    MEASURED_ROLLOUT,
    DISTILLATION,
    CHECKS,
    FAILED,
    "report.md",
    "*.png",
    ".*.tmp",
)


class RunDirError(PhysymError, ValueError):
    """A run directory cannot be used as asked (one line)."""


def prepare_run_dir(path: str | Path, resume: bool) -> Path:
    """Check and create a run directory.

    A new run needs ``path`` to be missing, empty, or a run that failed (its files are
    removed first); ``resume`` needs a run there.

    Raises
    ------
    RunDirError
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunDirError(f"{path} exists and is not a directory")
    if resume:
        if not (path / CONFIG).is_file():
            raise RunDirError(
                f"nothing to resume in {path}: no {CONFIG} (start a new run without --resume)"
            )
        (path / FAILED).unlink(missing_ok=True)
        return path
    if path.is_dir() and (path / FAILED).is_file():
        _remove_run_files(path)
    if path.is_dir() and any(path.iterdir()):
        if (path / CONFIG).is_file() and not (path / SUMMARY).is_file():
            raise RunDirError(
                f"{path} holds an unfinished run; continue it with --resume, "
                "or choose a new --out directory"
            )
        raise RunDirError(
            f"{path} exists and is not empty; choose a new --out directory or "
            "pass --resume to continue the run in it"
        )
    path.mkdir(parents=True, exist_ok=True)
    return path


def _remove_run_files(path: Path) -> None:
    for pattern in RUN_FILES:
        for file in path.glob(pattern):
            if file.is_file():
                file.unlink()


def mark_failed(path: str | Path, stage: str, error: BaseException) -> None:
    """Write ``failed.json``: the stage that failed and the first line of its error."""
    lines = str(error).strip().splitlines()
    write_json(
        Path(path) / FAILED,
        {"stage": stage, "error": type(error).__name__, "message": lines[0] if lines else ""},
    )


def json_safe(value: Any) -> Any:
    """``value`` with NumPy scalars made plain and non-finite floats made ``None``.

    JSON has no ``NaN`` or ``Infinity``; a diverged number is written as ``null``.

    Examples
    --------
    >>> json_safe({"a": np.float64(1.5), "b": [float("nan")]})
    {'a': 1.5, 'b': [None]}
    """
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def versions() -> dict[str, str]:
    """Versions of Python and of the packages a run depends on."""
    out = {"python": platform.python_version()}
    for package in ("physym", "torch", "numpy", "scipy", "sympy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover - bare checkout
            out[package] = "unknown"
    return out


def read_arrays(path: str | Path) -> dict[str, np.ndarray] | None:
    """The arrays of an ``.npz`` file, or ``None`` if it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            return {key: saved[key] for key in saved.files}
    except (OSError, ValueError):
        return None
