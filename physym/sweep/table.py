"""``sweep.csv``: one row per point, written atomically, and read back with types.

Columns: ``point``, the varied settings (``samples``, ``width``, …, ``seed``), then
:data:`METRIC_COLUMNS`. Empty cells are missing values (a pending or failed point, or
``exact`` before distillation ran); booleans are ``true`` / ``false``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from physym.io import write_text

__all__ = ["METRIC_COLUMNS", "columns_of", "read_csv", "to_csv_text", "write_csv"]

#: columns after the varied settings
METRIC_COLUMNS = (
    "status",  # done | reused (complete before this session) | failed | pending
    "n_train",  # N: training samples
    "n_params",  # P: trainable parameters of the network
    "n_over_p",  # N / P
    "accel_rel_error",  # ‖â − a‖/‖a‖ of the network on held-out test states
    "accel_rel_error_recovered",  # the same for the recovered Lagrangian
    "valid_time_s",  # mean valid-prediction time of the network's rollouts
    "valid_time_censored",  # fraction of rollouts still valid at the horizon
    "rollout_horizon_s",  # the rollouts' horizon
    "rollout_error_rms",  # RMS relative state error over the horizon
    "energy_metric",  # energy-drift metric of the LNN paper
    "exact",  # exactly recovered (distillation), empty when not run
    "equivalent",  # dynamically equivalent (distillation)
    "wall_s",  # seconds the point's fit took
    "error",  # first line of the error of a failed point
    "run_dir",  # the point's run directory, relative to the sweep
)


def columns_of(varied: Sequence[str]) -> tuple[str, ...]:
    """The columns of a sweep whose varied settings are ``varied`` (``seed`` last)."""
    return ("point", *varied, *METRIC_COLUMNS)


def to_csv_text(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """The CSV text of ``rows`` with ``columns`` (missing values empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def write_csv(path: str | Path, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> Path:
    """Atomically write ``rows`` to ``path``."""
    return write_text(path, to_csv_text(rows, columns))


def read_csv(path: str | Path) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and rows of a sweep CSV, numbers and booleans converted back."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        columns = next(reader, [])
        rows = [{c: _value(v) for c, v in zip(columns, line, strict=True)} for line in reader]
    return columns, rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(_cell(v) for v in value)
    return str(value)


def _value(text: str) -> Any:
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
