"""The ``fit`` verb: the configuration resolved once, then typed stages over one run
directory, each timed in wall and CPU seconds (DESIGN.md §5).

``data → train (⇄ distil checks) → evaluate → rollout → distill → refine → compare →
plots``, then ``summary.json`` and ``report.md``. A data source (sampled states, measured
positions) is a strategy object (:mod:`physym.run.sources`); an evaluation that fails is
recorded and the run goes on; a fit that fails leaves ``failed.json`` and a rerun starts
afresh; an interrupted fit continues with ``resume=True``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from physym.io import read_json, write_json
from physym.progress import show_progress
from physym.run.context import RunContext, Stage
from physym.run.resolve import ConfigLike, resolve
from physym.run.sources import source_for
from physym.run.stages.compare import compare_stage
from physym.run.stages.data import data_stage
from physym.run.stages.distill import distill_stage
from physym.run.stages.evaluate import evaluate_stage, rollout_stage
from physym.run.stages.refine import refine_stage
from physym.run.stages.report import plots_stage, write_report
from physym.run.stages.train import train_stage
from physym.run.summary import build_summary
from physym.runs import (
    CONFIG,
    METRICS,
    SUMMARY,
    SYSTEM,
    FitResult,
    mark_failed,
    prepare_run_dir,
)
from physym.systems import System
from physym.threads import check_threads, limited_threads
from physym.training.config import FitConfig

__all__ = ["STAGES", "fit"]

STAGES: tuple[Stage, ...] = (
    Stage("data", data_stage),
    Stage("train", train_stage),
    Stage("evaluate", evaluate_stage),
    Stage("rollout", rollout_stage),
    Stage("distill", distill_stage),
    Stage("refine", refine_stage),
    Stage("compare", compare_stage),
    Stage("plots", plots_stage),
)


def fit(
    system: str | Path | System | None,
    out: str | Path | None = None,
    *,
    config: ConfigLike | None = None,
    resume: bool = False,
    progress: bool | None = None,
    threads: int | None = 1,
    stages: Sequence[Stage] = STAGES,
    **overrides: Any,
) -> FitResult:
    """Train a Lagrangian neural network on a system, distil it and compare; write a run
    directory.

    Parameters
    ----------
    system : str, Path, System or None
        A built-in name, a ``.toml`` / ``.py`` spec, or a :class:`~physym.System`; ``None``
        to fit measured positions alone (``data=…, coordinates=[…]``).
    out : path, optional
        The run directory: missing, empty, or a failed run's (unless ``resume``). Default:
        a temporary directory, removed when the result is garbage-collected.
    config : RunConfig, FitConfig, mapping or path to a TOML file, optional
        Settings; ``overrides`` win.
    resume : bool
        Continue the run in ``out`` from its last checkpoint. Settings given explicitly
        must equal the run's own.
    progress : bool, optional
        Progress bars (default: only when stderr is a terminal).
    threads : int or None
        torch and BLAS threads of the fit (default 1, see :mod:`physym.threads`; ``None``:
        as they are).
    stages : sequence of Stage
        The stages to run (:data:`STAGES`).
    **overrides
        Settings by short name (``epochs=20``, ``rollout_states=4``; see
        :data:`physym.config.FLAT`) or whole sections (``train={"epochs": 20}``).

    Returns
    -------
    FitResult
        ``.model``, ``.config``, ``.summary``, ``.metrics``, ``.path``.

    Raises
    ------
    PhysymError
        A bad setting (:class:`~physym.config.ConfigError`), an unusable run directory,
        unreadable data, a diverged training… (one-line messages).

    Examples
    --------
    >>> import physym
    >>> run = physym.fit("pendulum", "runs/pendulum", epochs=20)  # doctest: +SKIP
    >>> run.summary["closed_form"], run.exact                      # doctest: +SKIP
    ('found', True)
    >>> run = physym.fit(None, "runs/measured", data="traj.csv",  # doctest: +SKIP
    ...                  coordinates=["x", "theta"], periodic=["theta"])
    """
    check_threads(threads)
    started, cpu_started = time.perf_counter(), time.process_time()
    scratch = tempfile.TemporaryDirectory(prefix="physym-fit-") if out is None else None
    run_dir = Path(scratch.name if scratch is not None else out)  # type: ignore[arg-type]
    try:
        run_config, system_obj = resolve(system, run_dir, _as_config(config), resume, overrides)
        prepare_run_dir(run_dir, resume)
    except BaseException:
        if scratch is not None:
            scratch.cleanup()
        raise
    ctx = RunContext(
        config=run_config,
        system=system_obj,
        run_dir=run_dir,
        source=source_for(run_config, system_obj),
        resume=resume,
        progress=show_progress(progress),
    )
    try:  # from here on a failure leaves failed.json: a plain rerun starts afresh
        if not resume:
            if system_obj is not None:
                write_json(run_dir / SYSTEM, system_obj.to_dict())
            write_json(run_dir / CONFIG, run_config.to_dict())
        with limited_threads(threads):
            _run_stages(ctx, stages)
            summary = build_summary(ctx, started, cpu_started)
            write_json(run_dir / SUMMARY, summary)
            _report(ctx, summary, started, cpu_started)
    except KeyboardInterrupt:
        if scratch is not None:
            scratch.cleanup()
        raise
    except Exception as exc:
        if scratch is not None:
            scratch.cleanup()
        else:
            mark_failed(run_dir, ctx.stage or "summary", exc)
        raise
    result = FitResult(
        path=run_dir,
        config=FitConfig.of(ctx.config),
        system=ctx.system,
        summary=summary,
        metrics=_read_metrics(run_dir),
    )
    if ctx.model is not None:
        result.__dict__["model"] = ctx.model.eval()
        result.__dict__["data"] = ctx.dataset
    if scratch is not None:
        result.keep_alive(scratch)
    return result


def _as_config(config: ConfigLike | None) -> ConfigLike | None:
    return config.nested if isinstance(config, FitConfig) else config


def _run_stages(ctx: RunContext, stages: Sequence[Stage]) -> None:
    for stage in stages:
        ctx.stage = stage.name
        begin, cpu_begin = time.perf_counter(), time.process_time()
        stage.run(ctx)
        ctx.timings[stage.name] = time.perf_counter() - begin
        ctx.cpu_seconds[stage.name] = time.process_time() - cpu_begin
    ctx.stage = ""


def _report(ctx: RunContext, summary: dict[str, Any], started: float, cpu_started: float) -> None:
    """``report.md``, then the summary's final timings (the report's included)."""
    begin, cpu_begin = time.perf_counter(), time.process_time()
    note = write_report(ctx.run_dir)
    summary["timings"]["report"] = time.perf_counter() - begin
    summary["cpu_seconds"]["report"] = time.process_time() - cpu_begin
    if note:
        summary["report_error"] = note
    for key, value in (
        ("timings", time.perf_counter() - started),
        ("cpu_seconds", time.process_time() - cpu_started),
    ):
        summary[key].pop("total", None)
        summary[key]["total"] = value
    write_json(ctx.run_dir / SUMMARY, summary)


def _read_metrics(run_dir: Path) -> dict[str, Any]:
    path = run_dir / METRICS
    return read_json(path) if path.is_file() else {}
