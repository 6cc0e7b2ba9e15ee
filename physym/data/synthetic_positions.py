"""Synthetic "measurements": exact trajectories of a system, positions only, with noise.

For trying ``physym fit --data`` on a known system and for the noise study
(``benchmarks/noise_study.py``): :func:`simulate_positions` integrates several
trajectories and adds white noise to the positions, :func:`write_positions_csv` writes
them as the CSV that ``physym fit --data FILE --coordinates …`` reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physym.data.sampling import sample_states
from physym.data.simulate import simulate
from physym.io import write_text
from physym.systems import System

__all__ = ["SimulatedPositions", "simulate_positions", "write_positions_csv"]


@dataclass(frozen=True, eq=False)
class SimulatedPositions:
    """Noisy positions of several exact trajectories, and the exact states behind them.

    Attributes
    ----------
    t : numpy.ndarray, shape ``(T,)``
        Time within each trajectory (restarts at 0 for every trajectory).
    q : numpy.ndarray, shape ``(T, n)``
        Positions with noise.
    trajectory : numpy.ndarray of int, shape ``(T,)``
    states : numpy.ndarray, shape ``(T, 2n)``
        The exact states.
    accelerations : numpy.ndarray, shape ``(T, n)``
        The exact accelerations.
    """

    t: np.ndarray
    q: np.ndarray
    trajectory: np.ndarray
    states: np.ndarray
    accelerations: np.ndarray


def simulate_positions(
    system: System,
    *,
    n_trajectories: int = 8,
    t_end: float = 10.0,
    dt: float = 0.01,
    noise: float = 0.0,
    seed: int = 0,
    box_fraction: float = 1.0,
    initial_states: Sequence[Sequence[float]] | None = None,
) -> SimulatedPositions:
    """Exact trajectories sampled every ``dt``, positions with relative white noise.

    Parameters
    ----------
    system : System
    n_trajectories : int
        Initial states drawn from the system's box (seeded) unless ``initial_states``.
    t_end, dt : float
        Each trajectory covers ``[0, t_end]`` in steps of ``dt``.
    noise : float
        Relative noise: coordinate ``j`` gets Gaussian noise of standard deviation
        ``noise · std(q_j)`` (over all samples).
    seed : int
    box_fraction : float
        Initial states come from the system's box shrunk about its centre by this factor
        (e.g. 0.5 keeps a pendulum from going over the top).
    initial_states : sequence of states, optional

    Returns
    -------
    SimulatedPositions

    Examples
    --------
    >>> from physym import load_system
    >>> data = simulate_positions(load_system("harmonic_oscillator"), n_trajectories=2,
    ...                           t_end=1.0, dt=0.1)
    >>> data.q.shape, data.trajectory.tolist()[9:13]
    ((22, 1), [0, 0, 1, 1])
    """
    if initial_states is not None:
        starts = np.asarray(initial_states, dtype=np.float64)
    else:
        low, high = system.box
        centre = 0.5 * (low + high)
        starts = centre + box_fraction * (sample_states(system, n_trajectories, seed=seed) - centre)
    n_points = round(t_end / dt) + 1
    times, states, ids = [], [], []
    for k, x0 in enumerate(starts):
        trajectory = simulate(system, x0, t_end=(n_points - 1) * dt, n_points=n_points)
        times.append(trajectory.t)
        states.append(trajectory.states)
        ids.append(np.full(n_points, k))
    exact = np.concatenate(states)
    q = exact[:, : system.n_dof].copy()
    if noise > 0:
        sigma = noise * q.std(axis=0)
        q += np.random.default_rng([seed, 3]).normal(size=q.shape) * sigma
    return SimulatedPositions(
        np.concatenate(times), q, np.concatenate(ids), exact, system.accelerations(exact)
    )


def write_positions_csv(
    path: str | Path,
    data: SimulatedPositions,
    coordinates: Sequence[str],
    *,
    time_column: str = "t",
    trajectory_column: str = "trajectory",
) -> Path:
    """Write ``trajectory, t, q…`` columns (full precision) to a CSV file, atomically."""
    header = ",".join([trajectory_column, time_column, *coordinates])
    rows = [
        ",".join([str(int(k)), repr(float(t)), *(repr(float(v)) for v in q)])
        for k, t, q in zip(data.trajectory, data.t, data.q, strict=True)
    ]
    return write_text(path, header + "\n" + "\n".join(rows) + "\n")
