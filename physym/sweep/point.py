"""One point of a sweep: run (or resume) its fit in a worker and turn the run into a row.

:func:`execute_point` is what every executor calls, in a worker process: it limits the
worker to one thread, runs :func:`_run_point` (the pipeline's ``fit``) into the point's run
directory, and returns the point's table row. A fit that raises gives a ``failed`` row
with the error's first line, never an exception: one bad point does not stop the sweep.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from physym.config import RunConfig
from physym.io import read_json
from physym.runs import CONFIG, SUMMARY
from physym.sweep.spec import SweepPoint
from physym.systems import System

__all__ = [
    "PointTask",
    "execute_point",
    "n_train",
    "one_line_error",
    "parameter_count",
    "point_row",
    "read_summary",
    "run_state",
    "single_threaded",
]

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass(frozen=True)
class PointTask:
    """What a worker needs: the point, its run directory, whether to resume it, and the
    parameter count of its network (for the row of a fit that fails)."""

    point: SweepPoint
    run_dir: str
    resume: bool = False
    n_params: int | None = None


def _run_point(config: RunConfig, out_dir: str | Path, resume: bool = False) -> dict[str, Any]:
    """Run one fit with ``config`` into ``out_dir``; its summary."""
    from physym.run.fit import fit

    return fit(config.system, out_dir, config=config, resume=resume, progress=False).summary


def execute_point(task: PointTask) -> dict[str, Any]:
    """Run a point's fit single-threaded and return its row (``done`` or ``failed``)."""
    from physym.runs import RunDirError
    from physym.training import CheckpointError

    settings = task.point.settings
    run_dir = Path(task.run_dir)
    started = time.perf_counter()
    summary, error = None, None
    with single_threaded():
        try:
            if not task.resume:
                _clear(run_dir)
            try:
                summary = _run_point(settings, run_dir, resume=task.resume)
            except (RunDirError, CheckpointError):
                if not task.resume:
                    raise
                _clear(run_dir)  # an unusable half-finished run: start it again
                summary = _run_point(settings, run_dir)
        except Exception as exc:  # one failed point must not end the sweep
            error = one_line_error(exc)
        status = "done" if summary is not None else "failed"
        return point_row(
            task.point,
            run_dir,
            summary,
            status,
            n_params=task.n_params,
            wall_s=time.perf_counter() - started,
            error=error,
        )


def run_state(run_dir: Path) -> str:
    """``"complete"`` (a readable ``summary.json``), ``"partial"`` (a ``config.json``,
    resumable), ``"broken"`` (something else is there) or ``"missing"``."""
    if read_summary(run_dir) is not None:
        return "complete"
    if (run_dir / CONFIG).is_file():
        return "partial"
    if run_dir.is_dir() and any(run_dir.iterdir()):
        return "broken"
    return "missing"


def point_row(
    point: SweepPoint,
    run_dir: Path,
    summary: dict[str, Any] | None,
    status: str,
    *,
    n_params: int | None = None,
    wall_s: float | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """The table row of a point (see :data:`physym.sweep.table.METRIC_COLUMNS`).

    ``P`` is the trained network's parameter count from the summary, else ``n_params``
    (:func:`parameter_count` of the point's configuration).
    """
    summary = summary or {}
    n_params = (summary.get("network") or {}).get("parameters", n_params)
    n = n_train(point.config)
    rollout = summary.get("rollout") or {}
    valid = rollout.get("valid_time") or {}
    if wall_s is None:
        wall_s = (summary.get("timings") or {}).get("total")
    return {
        "point": point.name,
        **point.values,
        "status": status,
        "n_train": n,
        "n_params": n_params,
        "n_over_p": n / n_params if n_params else None,
        "accel_rel_error": (summary.get("accel_rel_error") or {}).get("network"),
        "accel_rel_error_recovered": (summary.get("accel_rel_error") or {}).get("recovered"),
        "valid_time_s": valid.get("network_mean"),
        "valid_time_censored": valid.get("network_censored_fraction"),
        "rollout_horizon_s": rollout.get("horizon_s"),
        "rollout_error_rms": rollout.get("state_error_rms"),
        "energy_metric": (rollout.get("energy_metric") or {}).get("value"),
        "exact": summary.get("exact"),
        "equivalent": summary.get("equivalent"),
        "wall_s": wall_s,
        "error": error,
        "run_dir": f"points/{point.name}",
    }


def n_train(config: dict[str, Any]) -> int:
    """Training samples ``N`` of a configuration (the dataset's own split sizes)."""
    from physym.data import split_indices

    return len(split_indices(config["samples"], config["splits"])[0])


def parameter_count(config: RunConfig, system: System) -> int:
    """Trainable parameters ``P`` of the network a fit of ``system`` with ``config`` builds
    (the same build as :func:`physym.fit`'s)."""
    from physym.network import build_model
    from physym.run.resolve import model_build_options
    from physym.training.dtypes import torch_dtype

    config = getattr(config, "nested", config)  # a FitConfig reads as its nested config
    options = {**model_build_options(config, system), "dtype": torch_dtype(config.model.dtype)}
    model = build_model(config.model.name, system.n_dof, **options)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """One BLAS/OpenMP and one torch thread, so parallel workers do not oversubscribe;
    the previous settings come back afterwards (the serial executor runs in-process)."""
    import torch

    saved_env = {k: os.environ.get(k) for k in THREAD_VARIABLES}
    saved_threads = torch.get_num_threads()
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved_threads)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def read_summary(run_dir: Path) -> dict[str, Any] | None:
    """The run's ``summary.json`` if it is there and readable (written last, atomically:
    its presence means the fit finished)."""
    try:
        summary = read_json(run_dir / SUMMARY)
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) else None


def _clear(run_dir: Path) -> None:
    if run_dir.exists():
        shutil.rmtree(run_dir)


def one_line_error(exc: BaseException) -> str:
    """``"TypeName: first line of the message"``."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
