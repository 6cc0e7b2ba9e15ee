"""The run directory: its files, writing them, and reading a run back (DESIGN.md §5).

:func:`load_run` reads a finished run strictly (a :class:`FitResult`); :func:`read_run`
reads any run, finished or not, turning what is missing into notes (for the report).
"""

from physym.runs.files import (
    CHECKPOINT,
    CHECKS,
    CONFIG,
    DATA,
    DISTILLATION,
    FAILED,
    MEASURED,
    MEASURED_ROLLOUT,
    METRICS,
    MODEL,
    ROLLOUT,
    SUMMARY,
    SYSTEM,
    RunDirError,
    json_safe,
    mark_failed,
    prepare_run_dir,
    read_arrays,
    versions,
)
from physym.runs.model_file import load_model, save_model
from physym.runs.reader import ReportError, RunData, read_run
from physym.runs.result import FitResult, load_run

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
    "FitResult",
    "ReportError",
    "RunData",
    "RunDirError",
    "json_safe",
    "load_model",
    "load_run",
    "mark_failed",
    "prepare_run_dir",
    "read_arrays",
    "read_run",
    "save_model",
    "versions",
]
