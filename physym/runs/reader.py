"""Read what a run directory holds, tolerating missing or unreadable parts.

A report must come out of any run, finished or not: every file is optional, and what is
missing or broken becomes a note instead of an exception. Only a directory that is not a
run at all (neither ``config.json`` nor ``summary.json``) is an error. :func:`load_run`
(:mod:`physym.runs.result`) is the strict reader of a finished run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from physym.runs.files import CONFIG, SUMMARY, RunDirError, read_arrays
from physym.systems import System

__all__ = ["ReportError", "RunData", "read_run", "resolve_system"]

RUN_MARKERS = (CONFIG, SUMMARY)


class ReportError(RunDirError):
    """The directory is missing or is not a physym run (one-line message)."""


@dataclass
class RunData:
    """The parsed contents of a run directory.

    Attributes
    ----------
    path : Path
    config, summary : dict or None
        ``config.json`` and ``summary.json``.
    metrics : Any
        ``metrics.json`` (loss curves per epoch), as stored.
    system : System or None
        The true system, when it can be resolved (see :func:`resolve_system`).
    notes : list of str
        What was missing or unreadable, in words.
    """

    path: Path
    config: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    metrics: Any = None
    system: System | None = None
    notes: list[str] = field(default_factory=list)

    def arrays(self, name: str) -> dict[str, np.ndarray] | None:
        """The arrays of ``name`` (an ``.npz`` in the run), or None if absent or unreadable."""
        arrays = read_arrays(self.path / name)
        if arrays is None and (self.path / name).is_file():
            self.notes.append(f"{name} is unreadable")
        return arrays

    def setting(self, short_name: str, default: Any = None) -> Any:
        """A setting of ``config.json`` by its short name (nested or flat layout alike)."""
        from physym.config import FLAT

        config = self.config or {}
        if short_name in config and not isinstance(config[short_name], dict):
            return config[short_name]
        value: Any = config
        for name in FLAT.get(short_name, short_name).split("."):
            value = value.get(name) if isinstance(value, dict) else None
        return default if value is None else value


def _read_json(run: RunData, name: str) -> Any:
    path = run.path / name
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        run.notes.append(f"{name} is unreadable: {str(exc).splitlines()[0]}")
        return None


def read_run(path: str | Path) -> RunData:
    """Read a run directory.

    Raises
    ------
    ReportError
        If ``path`` does not exist, is not a directory, or holds neither ``config.json``
        nor ``summary.json``.

    Examples
    --------
    >>> import tempfile
    >>> try:
    ...     read_run(tempfile.mkdtemp())
    ... except ReportError as exc:
    ...     print("not a physym run" in str(exc))
    True
    """
    directory = Path(path)
    if not directory.exists():
        raise ReportError(f"{directory}: no such directory")
    if not directory.is_dir():
        raise ReportError(f"{directory} is not a directory")
    if not any((directory / marker).is_file() for marker in RUN_MARKERS):
        raise ReportError(
            f"{directory} is not a physym run directory (no config.json or summary.json)"
        )
    run = RunData(directory)
    for name in RUN_MARKERS:
        value = _read_json(run, name)
        if value is not None and not isinstance(value, dict):
            run.notes.append(f"{name} is not a JSON object")
            value = None
        setattr(run, name.removesuffix(".json"), value)
    run.metrics = _read_json(run, "metrics.json")
    run.system = resolve_system(run)
    return run


def resolve_system(run: RunData) -> System | None:
    """The run's true system, or None with a note.

    Tried in order: ``system.toml`` or ``system.json`` saved in the run, then a system
    mapping or reference in ``config.json``/``summary.json`` (a built-in name, or a spec
    path as given or relative to the run). A ``.py`` system is never executed here.
    """
    from physym.systems import SpecError, load_system

    config = run.config or {}
    if run.setting("data") and not config.get("system"):
        return None  # measured positions without a reference system: there is none
    if (run.path / "system.toml").is_file():
        candidates: list[Any] = [run.path / "system.toml"]
    else:
        candidates = []
    saved = _read_json(run, "system.json")
    if isinstance(saved, dict):
        candidates.append(saved)
    for source in (run.config, run.summary):
        ref = (source or {}).get("system")
        if isinstance(ref, dict):
            candidates.append(ref)
        elif isinstance(ref, str) and ref:
            candidates.append(ref)
            if not Path(ref).is_absolute():
                candidates.append(run.path / ref)
    problems = []
    for candidate in candidates:
        if str(candidate).endswith(".py"):
            # A run directory is data; never execute code named in it.
            problems.append(
                f"{candidate} is a Python file, which the report does not run "
                "(save the system as system.json in the run)"
            )
            continue
        try:
            if isinstance(candidate, dict):
                return System.from_dict(candidate, where="run system")
            if isinstance(candidate, Path) and not candidate.is_file():
                continue
            return load_system(candidate)
        except (SpecError, FileNotFoundError, OSError, ValueError) as exc:
            problems.append(str(exc).splitlines()[0])
    if not candidates:
        run.notes.append("the run names no system")
    else:
        run.notes.append(
            "the system could not be loaded" + (f": {problems[0]}" if problems else "")
        )
    return None
