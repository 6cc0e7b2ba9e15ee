"""Where the points of a sweep run, chosen by name: ``loky``, ``ray`` or ``serial``.

An executor is a function ``run(tasks, jobs, on_done)`` that runs
:func:`~physym.sweep.guard.run_guarded` (the point's fit, under the point's lock) on every
task and calls ``on_done(row)`` in the calling process as each point finishes (in any
order), so the table can be updated then. Loky workers die with the sweep: killed with
``kill -9``, the sweep leaves no worker behind (:mod:`physym.sweep.guard`).

``loky`` (the default) runs ``jobs`` single-threaded worker processes on this machine with
joblib. ``ray`` sends each point to a Ray cluster as a one-CPU task (extra ``physym[ray]``):
it connects to ``RAY_ADDRESS`` when set (e.g. ``ray://head:10001``, or ``auto`` on a node
of a cluster started with ``ray start --head``) and otherwise starts a local Ray instance.
On a cluster, every node needs physym installed and the output directory on a shared file
system. ``serial`` runs the points one after another in this process (for debugging).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from physym.sweep.checks import SweepError
from physym.sweep.guard import run_guarded
from physym.sweep.point import PointTask, one_line_error, point_row

__all__ = ["EXECUTORS", "check_executor", "default_jobs", "run_loky", "run_ray", "run_serial"]

OnDone = Callable[[dict[str, Any]], None]


def default_jobs() -> int:
    """The number of CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def run_serial(tasks: Sequence[PointTask], jobs: int | None, on_done: OnDone) -> None:
    """One point after another, in this process."""
    for task in tasks:
        on_done(run_guarded(task, os.getpid()))


def run_loky(tasks: Sequence[PointTask], jobs: int | None, on_done: OnDone) -> None:
    """``jobs`` (default: all cores) single-threaded joblib/loky worker processes."""
    from joblib import Parallel, delayed, parallel_config

    if not tasks:
        return
    n_jobs = min(jobs or default_jobs(), len(tasks))
    # inner_max_num_threads sets OMP/MKL/OpenBLAS threads of the workers when they start
    with parallel_config(backend="loky", inner_max_num_threads=1):
        rows = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(run_guarded)(task, os.getpid()) for task in tasks
        )
        for row in rows:
            on_done(row)


def run_ray(tasks: Sequence[PointTask], jobs: int | None, on_done: OnDone) -> None:
    """One-CPU Ray tasks; at most ``jobs`` in flight (default: as many as Ray schedules)."""
    ray = _import_ray()
    if not tasks:
        return
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=os.environ.get("RAY_ADDRESS") or None)
    try:
        remote = ray.remote(num_cpus=1)(run_guarded)
        queue = list(tasks)
        in_flight: dict[Any, PointTask] = {}  # Ray object ref -> its task
        limit = jobs or len(queue)
        while queue or in_flight:
            while queue and len(in_flight) < limit:
                task = queue.pop(0)
                in_flight[remote.remote(task, os.getpid())] = task
            finished, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in finished:
                task = in_flight.pop(ref)
                try:
                    row = ray.get(ref)
                except Exception as exc:  # a lost node or worker: that point failed
                    row = point_row(
                        task.point,
                        Path(task.run_dir),
                        None,
                        "failed",
                        n_params=task.n_params,
                        error=one_line_error(exc),
                    )
                on_done(row)
    finally:
        if started_here:
            ray.shutdown()


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise SweepError("the ray executor needs Ray: pip install physym[ray]") from None
    return ray


def check_executor(name: str) -> None:
    """Fail early, before any point runs, on an unknown or unavailable executor."""
    if name not in EXECUTORS:
        raise SweepError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
    if name == "ray":
        _import_ray()


#: executor name -> function
EXECUTORS: dict[str, Callable[[Sequence[PointTask], int | None, OnDone], None]] = {
    "loky": run_loky,
    "ray": run_ray,
    "serial": run_serial,
}
