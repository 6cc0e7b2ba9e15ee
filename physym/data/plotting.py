"""Figures of trajectories: coordinates and relative energy error against time.

``import physym`` never imports pyplot: :func:`save_trajectory_plot` draws on a bare
``matplotlib.figure.Figure`` (Agg canvas, no global backend state) and
:func:`plot_trajectory` imports pyplot only when it must create axes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from physym.io import atomic_write

__all__ = ["TrajectoryLike", "plot_trajectory", "save_trajectory_plot"]


class TrajectoryLike(Protocol):
    """What the figure reads of a :class:`~physym.data.Trajectory` (no import of it, so
    that the trajectory module may use this one)."""

    @property
    def system(self) -> str: ...
    @property
    def n_dof(self) -> int: ...
    @property
    def state_names(self) -> tuple[str, ...]: ...
    @property
    def t(self) -> np.ndarray: ...
    @property
    def states(self) -> np.ndarray: ...
    @property
    def energy_error(self) -> np.ndarray: ...
    @property
    def energy_drift(self) -> float: ...
    @property
    def work(self) -> np.ndarray | None: ...


def plot_trajectory(trajectory: TrajectoryLike, axes: Any = None) -> Any:
    """Draw coordinates vs time and ``(E − E₀)/E_ref`` vs time on two Axes.

    Parameters
    ----------
    trajectory : Trajectory
    axes : pair of matplotlib Axes, optional
        Created with pyplot (two rows, shared time axis) when omitted.

    Returns
    -------
    (Axes, Axes)
        Coordinates, energy error. Never calls ``plt.show()``.
    """
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(2, 1, sharex=True, figsize=(8, 6))
    coordinates_ax, energy_ax = axes
    n = trajectory.n_dof
    for j, name in enumerate(trajectory.state_names[:n]):
        coordinates_ax.plot(trajectory.t, trajectory.states[:, j], label=name)
    coordinates_ax.set_ylabel("q")
    coordinates_ax.legend(loc="upper right")
    coordinates_ax.set_title(f"{trajectory.system}: exact trajectory")
    energy_ax.plot(trajectory.t, trajectory.energy_error, color="tab:red")
    # With dissipation, forces or time, E changes by the work W they do: plot the balance.
    forced = trajectory.work is not None
    energy_ax.set_ylabel("(E − E₀ − W) / E_ref" if forced else "(E − E₀) / E_ref")
    energy_ax.set_xlabel("t")
    energy_ax.set_title(f"energy drift (max {trajectory.energy_drift:.2e})")
    energy_ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    return coordinates_ax, energy_ax


def save_trajectory_plot(trajectory: TrajectoryLike, path: str | Path, dpi: int = 120) -> Path:
    """Write :func:`plot_trajectory` as a PNG atomically, without touching pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 6), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 1, sharex=True)
    plot_trajectory(trajectory, axes)
    return atomic_write(path, lambda f: figure.savefig(f, format="png", dpi=dpi))
