"""Where the points of a sweep run, chosen by name: ``loky``, ``ray`` or ``serial``.

An executor is a function ``run(tasks, jobs, on_done)`` that runs
:func:`~physym.sweep.point.execute_point` on every task and calls ``on_done(row)`` in the
calling process as each point finishes (in any order), so the table can be updated then.

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
from typing import Any

from physym.sweep.point import PointTask, execute_point
from physym.sweep.spec import SweepError

__all__ = ["EXECUTORS", "default_jobs", "run_loky", "run_ray", "run_serial"]

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
        on_done(execute_point(task))


def run_loky(tasks: Sequence[PointTask], jobs: int | None, on_done: OnDone) -> None:
    """``jobs`` (default: all cores) single-threaded joblib/loky worker processes."""
    from joblib import Parallel, delayed, parallel_config

    if not tasks:
        return
    n_jobs = min(jobs or default_jobs(), len(tasks))
    # inner_max_num_threads sets OMP/MKL/OpenBLAS threads of the workers when they start
    with parallel_config(backend="loky", inner_max_num_threads=1):
        rows = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(execute_point)(task) for task in tasks)
        for row in rows:
            on_done(row)


def run_ray(tasks: Sequence[PointTask], jobs: int | None, on_done: OnDone) -> None:
    """One-CPU Ray tasks; at most ``jobs`` in flight (default: as many as Ray schedules)."""
    try:
        import ray
    except ImportError:
        raise SweepError("the ray executor needs Ray: pip install physym[ray]") from None
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=os.environ.get("RAY_ADDRESS") or None)
    try:
        remote = ray.remote(num_cpus=1)(execute_point)
        queue, in_flight = list(tasks), []
        limit = jobs or len(queue)
        while queue or in_flight:
            while queue and len(in_flight) < limit:
                in_flight.append(remote.remote(queue.pop(0)))
            finished, in_flight = ray.wait(in_flight, num_returns=1)
            for ref in finished:
                on_done(ray.get(ref))
    finally:
        if started_here:
            ray.shutdown()


#: executor name -> function
EXECUTORS: dict[str, Callable[[Sequence[PointTask], int | None, OnDone], None]] = {
    "loky": run_loky,
    "ray": run_ray,
    "serial": run_serial,
}
