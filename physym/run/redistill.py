"""``physym distill DIR``: distil, compare and report a finished run again."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from physym.io import write_json
from physym.progress import show_progress
from physym.run.context import RunContext
from physym.run.sources import source_for
from physym.run.stages.compare import compare_stage
from physym.run.stages.distill import distill_stage
from physym.run.stages.refine import refine_stage
from physym.run.stages.report import plots_stage, write_report
from physym.runs import CONFIG, SUMMARY, FitResult, RunDirError, json_safe, load_run, versions

__all__ = ["redistill"]


def redistill(
    run_dir: str | Path, *, backend: str | None = None, progress: bool | None = None
) -> FitResult:
    """Distil, compare and report a finished run again (``physym distill DIR``).

    Parameters
    ----------
    run_dir : path
        A directory written by ``physym fit``.
    backend : str, optional
        A distillation backend (``"sparse"``, ``"operon"``, ``"pysr"``); default: the
        run's own.
    progress : bool, optional
        Progress bars (default: only when stderr is a terminal).

    Returns
    -------
    FitResult
        The run with its updated ``summary.json`` (and ``config.json``).
    """
    from physym.run.resolve import check_backend

    run = load_run(run_dir)
    config = run.config.nested
    distill = config.distill.replace(enabled=True, **({"backend": backend} if backend else {}))
    config = config.replace(distill=distill)
    check_backend(config, where="distill")
    source = source_for(config, run.system)
    ctx = RunContext(
        config=config,
        system=run.system,
        run_dir=run.path,
        source=source,
        progress=show_progress(progress),
    )
    ctx.data = source.load(config, run.system, run.path)
    if ctx.data is None:
        raise RunDirError(f"{run.path} holds no data to distil against (data.npz is missing)")
    ctx.system = ctx.data.system
    ctx.model = run.model
    ctx.summary = dict(run.summary)
    for name, stage in (
        ("distill", distill_stage),
        ("refine", refine_stage),
        ("compare", compare_stage),
        ("plots", plots_stage),
    ):
        begin, cpu_begin = time.perf_counter(), time.process_time()
        stage(ctx)
        _retime(ctx.summary, name, time.perf_counter() - begin, time.process_time() - cpu_begin)
    ctx.summary.pop("distillation_reused", None)
    ctx.summary["versions"] = versions()
    write_json(run.path / SUMMARY, json_safe(ctx.summary))
    write_json(run.path / CONFIG, config.to_dict())
    begin, cpu_begin = time.perf_counter(), time.process_time()
    note = write_report(run.path)
    _retime(ctx.summary, "report", time.perf_counter() - begin, time.process_time() - cpu_begin)
    if note:
        ctx.summary["report_error"] = note
    write_json(run.path / SUMMARY, json_safe(ctx.summary))
    return load_run(run.path)


def _retime(summary: dict[str, Any], stage: str, wall: float, cpu: float) -> None:
    """Replace a stage's seconds and keep ``total`` the sum of the run as it now stands:
    the old total minus the stage's old seconds plus its new ones (``total`` stays last)."""
    for key, seconds in (("timings", wall), ("cpu_seconds", cpu)):
        table = summary.setdefault(key, {})
        old_total = table.pop("total", None)
        previous = table.get(stage) or 0.0
        table[stage] = seconds
        base = (
            old_total
            if isinstance(old_total, int | float)
            else sum(v for k, v in table.items() if k != stage and isinstance(v, int | float))
            + previous
        )
        table["total"] = base - previous + seconds
