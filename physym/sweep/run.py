"""``run_sweep``: run a grid of fits, one run directory per point, and tabulate them.

The sweep directory holds ``sweep.json`` (the grid as run), ``points/<name>/`` (one run
directory per point, as written by :func:`physym.fit`), ``sweep.csv`` (rewritten
atomically each time a point finishes) and ``sweep.png``. Running the same sweep again
continues it: a point whose run directory has its ``summary.json`` is reused, a
half-finished one is resumed from its last checkpoint (or started again when that fails),
a failed one is run again.

The sweep holds ``sweep.lock`` while it runs (a second sweep into the same directory stops
with a one-line error), and each worker holds ``points/<name>.lock`` while it runs its
point; the workers die with the sweep (:mod:`physym.sweep.guard`). A sweep restarted
after a ``kill -9`` waits for the killed sweep's workers to let go of their points before
it looks at them, and refuses to touch a point that another live process still writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from physym.config import ConfigError, RunConfig
from physym.io import read_json, write_json
from physym.runs import CONFIG
from physym.sweep import guard
from physym.sweep.executors import EXECUTORS, check_executor
from physym.sweep.point import PointTask, parameter_count, point_row, read_summary, run_state
from physym.sweep.result import CSV_NAME, SweepResult
from physym.sweep.spec import SweepError, SweepPoint, SweepSpec
from physym.sweep.table import columns_of, write_csv
from physym.systems import System

__all__ = ["run_sweep"]

SPEC_NAME, POINTS_DIR, LOCK_NAME = "sweep.json", "points", "sweep.lock"


def run_sweep(
    system_ref: str | Path,
    grid: Mapping[str, Sequence[Any]] | None = None,
    fixed: Mapping[str, Any] | None = None,
    out_dir: str | Path = "sweep",
    seeds: int | Sequence[int] = 1,
    jobs: int | None = None,
    executor: str = "loky",
    *,
    plot: bool = True,
    log: Callable[[str], None] | None = None,
) -> SweepResult:
    """Fit every point of a grid and tabulate the results.

    Parameters
    ----------
    system_ref : str or Path
        Built-in name, ``.toml`` spec or ``.py`` file.
    grid : mapping of str to list, optional
        Varied :class:`~physym.training.FitConfig` fields, e.g.
        ``{"samples": [1024, 4096], "width": [16, 32]}``.
    fixed : mapping, optional
        Fields shared by every point, e.g. ``{"epochs": 200}``.
    out_dir : path
        The sweep directory (created; an existing sweep in it is continued).
    seeds : int or sequence of int
        Number of seeds per grid point (``0 … seeds−1``) or the seeds themselves.
    jobs : int, optional
        Points run at once: default all cores for ``loky``, as many as the cluster
        schedules for ``ray``.
    executor : {"loky", "ray", "serial"}
        See :mod:`physym.sweep.executors`.
    plot : bool
        Write ``sweep.png`` at the end.
    log : callable, optional
        Called with one line per finished point (e.g. ``print``).

    Returns
    -------
    SweepResult

    Raises
    ------
    SweepError
        Bad grid, unknown executor, or a point directory run with other settings.
    physym.SpecError
        Unknown or invalid system.

    Examples
    --------
    >>> from physym.sweep import run_sweep
    >>> result = run_sweep("pendulum", {"samples": [256, 1024], "width": [16, 32]},
    ...                    {"epochs": 20}, "runs/sweep", seeds=2)       # doctest: +SKIP
    >>> result.plot()                                                   # doctest: +SKIP
    """
    spec = SweepSpec(str(system_ref), grid or {}, fixed or {}, seeds)
    check_executor(executor)
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise SweepError(f"jobs must be a positive integer, got {jobs!r}")
    from physym.systems import load_system

    system = load_system(spec.system)  # an unknown or broken system fails before any fit
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise SweepError(f"{out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    with guard.hold_lock(out / LOCK_NAME, f"sweep directory {out}"):
        return _run_locked(spec, system, out, jobs, executor, plot, log)


def _run_locked(
    spec: SweepSpec,
    system: System,
    out: Path,
    jobs: int | None,
    executor: str,
    plot: bool,
    log: Callable[[str], None] | None,
) -> SweepResult:
    """:func:`run_sweep` once the sweep directory is this process's."""
    points = spec.points()
    _wait_for_points(points, out / POINTS_DIR)
    tasks, rows = _plan(points, out / POINTS_DIR, system)
    write_json(out / SPEC_NAME, spec.to_dict())
    columns = columns_of(spec.varied)
    write_csv(out / CSV_NAME, list(rows.values()), columns)
    log = log or (lambda line: None)
    resumed = sum(task.resume for task in tasks)
    log(
        f"sweep of {len(points)} points in {out}: {len(points) - len(tasks)} already "
        f"complete, {len(tasks)} to run ({resumed} resumed; {executor}, jobs "
        f"{jobs or 'auto'})"
    )

    def on_done(row: dict[str, Any]) -> None:
        rows[row["point"]] = row
        write_csv(out / CSV_NAME, list(rows.values()), columns)
        finished = sum(r["status"] in ("done", "failed") for r in rows.values())
        detail = (
            row["error"]
            if row["error"]
            else (f"accel error {_fmt(row['accel_rel_error'])}, N/P {_fmt(row['n_over_p'])}")
        )
        log(
            f"[{finished}/{len(tasks)}] {row['point']} {row['status']} "
            f"({_fmt(row['wall_s'])} s): {detail}"
        )

    EXECUTORS[executor](tasks, jobs, on_done)
    result = SweepResult(out, spec.varied, tuple(rows.values()))
    if plot:
        result.save_plot()
    return result


def _wait_for_points(points: Sequence[SweepPoint], points_dir: Path) -> None:
    """Wait (at most :data:`~physym.sweep.guard.LOCK_WAIT_S` in all) until no process
    holds a point's lock: the workers of a sweep killed a moment ago are still stopping."""
    from time import monotonic

    deadline = monotonic() + guard.LOCK_WAIT_S
    for point in points:
        guard.wait_for_lock(
            guard.point_lock_path(points_dir / point.name),
            f"point {point.name}",
            max(0.0, deadline - monotonic()),
        )


def _plan(
    points: Sequence[SweepPoint], points_dir: Path, system: System
) -> tuple[list[PointTask], dict[str, dict[str, Any]]]:
    """The tasks still to run and every point's current row (``reused`` or ``pending``).

    Every point's settings are checked against the system and the network registry first,
    so that a bad model name fails the sweep at once, not point after point.
    """
    from physym.run.resolve import check_config

    tasks, rows = [], {}
    for point in points:
        config = point.settings
        try:
            check_config(config, system)
        except ConfigError as exc:
            raise SweepError(
                f"sweep point {point.name}: {str(exc).removeprefix('fit: ')}"
            ) from None
        n_params = parameter_count(config, system)
        run_dir = points_dir / point.name
        state = run_state(run_dir)
        if state in ("complete", "partial"):
            _check_same_config(point, run_dir)
        if state == "complete":
            rows[point.name] = point_row(
                point, run_dir, read_summary(run_dir), "reused", n_params=n_params
            )
            continue
        rows[point.name] = point_row(point, run_dir, None, "pending", n_params=n_params)
        tasks.append(PointTask(point, str(run_dir), state == "partial", n_params))
    return tasks, rows


def _check_same_config(point: SweepPoint, run_dir: Path) -> None:
    """A point's directory must hold a run of the point's own settings."""
    try:
        stored = RunConfig.from_dict(read_json(run_dir / CONFIG)).flat()
    except (OSError, ValueError):
        return  # no readable config: the run is started again
    stretched = ("epochs", "patience", "warmup_epochs") if point.config.get("min_steps") else ()
    for key, value in point.config.items():
        # None means "the model's own default", which the run resolved and stored; a key
        # missing from the stored config is a setting added to physym after that run; a
        # budget raised to min_steps is stored as it ran
        if value is not None and key in stored and stored[key] != value and key not in stretched:
            raise SweepError(
                f"{run_dir} was run with {key} = {stored.get(key)!r} but the sweep asks "
                f"{value!r}; use a new --out directory or remove that point's directory"
            )


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3g}" if isinstance(value, float) else str(value)
