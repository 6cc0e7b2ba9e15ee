"""Sweeps: a grid of fits, samples versus parameters, run in parallel and tabulated.

``run_sweep`` fits every point of a grid (e.g. training samples × network width × seeds)
into its own run directory, in parallel worker processes (joblib/loky) or on a Ray
cluster, and writes ``sweep.csv`` (one row per point, with ``N/P``: training samples over
network parameters) and ``sweep.png``. An interrupted sweep continues where it stopped.

>>> from physym.sweep import run_sweep
>>> result = run_sweep("pendulum", {"samples": [256, 1024], "width": [16, 32]},
...                    {"epochs": 20}, "runs/sweep", seeds=2)           # doctest: +SKIP
"""

from physym.sweep.executors import EXECUTORS, default_jobs
from physym.sweep.plot import plot_sweep, save_sweep_plot
from physym.sweep.result import SweepResult, load_sweep
from physym.sweep.run import run_sweep
from physym.sweep.spec import SweepError, SweepPoint, SweepSpec, point_name
from physym.sweep.table import METRIC_COLUMNS

__all__ = [
    "EXECUTORS",
    "METRIC_COLUMNS",
    "SweepError",
    "SweepPoint",
    "SweepResult",
    "SweepSpec",
    "default_jobs",
    "load_sweep",
    "plot_sweep",
    "point_name",
    "run_sweep",
    "save_sweep_plot",
]
