"""Exact trajectories: ``simulate`` a system, or ``integrate`` any acceleration function.

Trajectories are integrated with ``scipy.integrate.solve_ivp`` (DOP853, tolerances 1e-12 by
default) from the exact Euler–Lagrange accelerations, and report their energy drift.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from physym.data._npz import read_npz
from physym.data.errors import DataError, IntegrationError
from physym.data.rhs import exact_state_accelerations, first_order_rhs
from physym.data.scales import energy_scale
from physym.io import save_npz
from physym.systems import System

__all__ = ["Trajectory", "integrate", "simulate", "simulate_many"]

BatchAccelerations = Callable[[np.ndarray], np.ndarray]
"""``accelerations(states (B, 2n)) -> (B, n)``."""


@dataclass(frozen=True, eq=False)
class Trajectory:
    """A trajectory sampled at output times, with its accelerations and energy.

    Attributes
    ----------
    t : numpy.ndarray, shape ``(T,)``
    states : numpy.ndarray, shape ``(T, 2n)``
        Rows ``(q, q_dot)`` in :attr:`state_names` order.
    accelerations : numpy.ndarray, shape ``(T, n)``
        Exact ``q̈`` at the output states.
    energy : numpy.ndarray, shape ``(T,)``
    energy_scale : float
        Typical energy of the system (see :func:`physym.data.energy_scale`); the floor of
        the denominator of :attr:`energy_drift`.
    system : str
        Name of the system.
    state_names : tuple of str
    """

    t: np.ndarray
    states: np.ndarray
    accelerations: np.ndarray
    energy: np.ndarray
    energy_scale: float
    system: str
    state_names: tuple[str, ...]

    def __post_init__(self) -> None:
        t = np.asarray(self.t, dtype=np.float64)
        states = np.asarray(self.states, dtype=np.float64)
        if t.ndim != 1 or t.size < 1 or states.shape != (t.size, len(self.state_names)):
            raise ValueError(f"trajectory: t must be (T,) and states (T, "
                             f"{len(self.state_names)}), got {t.shape} and {states.shape}")
        expected = {"accelerations": (t.size, states.shape[1] // 2), "energy": (t.size,)}
        arrays = {"t": t, "states": states}
        for name, shape in expected.items():
            arrays[name] = np.asarray(getattr(self, name), dtype=np.float64)
            if arrays[name].shape != shape:
                raise ValueError(f"trajectory: {name} must have shape {shape}, "
                                 f"got {arrays[name].shape}")
        for name, value in arrays.items():  # read-only views: the result is immutable
            view = value.view()
            view.setflags(write=False)
            object.__setattr__(self, name, view)
        object.__setattr__(self, "state_names", tuple(self.state_names))
        object.__setattr__(self, "energy_scale", float(self.energy_scale))

    @property
    def n_dof(self) -> int:
        """Number of degrees of freedom."""
        return self.states.shape[1] // 2

    @property
    def energy_reference(self) -> float:
        """``max(|E(0)|, energy_scale)``: what drift is relative to."""
        return max(abs(float(self.energy[0])), self.energy_scale)

    @property
    def energy_error(self) -> np.ndarray:
        """``(E(t) − E(0)) / energy_reference``, shape ``(T,)``."""
        return (self.energy - self.energy[0]) / self.energy_reference

    @property
    def energy_drift(self) -> float:
        """``max_t |E(t) − E(0)| / max(|E(0)|, energy_scale)``.

        Relative to ``|E(0)|`` when that is large, and to the system's typical energy
        (the spread of ``E`` over the sampling box) when ``E(0) ≈ 0``, where a plain
        relative error would be meaningless.
        """
        return float(np.max(np.abs(self.energy_error)))

    def save(self, path: str | Path) -> Path:
        """Write an ``.npz`` atomically; reload with :meth:`load`."""
        return save_npz(path, {
            "t": self.t, "states": self.states, "accelerations": self.accelerations,
            "energy": self.energy, "energy_scale": np.float64(self.energy_scale),
            "system": np.str_(self.system), "state_names": np.array(self.state_names),
        })

    @classmethod
    def load(cls, path: str | Path) -> Trajectory:
        """Read a trajectory written by :meth:`save` (one-line :class:`DataError` if not)."""
        keys = ("t", "states", "accelerations", "energy", "energy_scale", "system",
                "state_names")
        arrays = read_npz(path, keys, "trajectory")
        try:
            return cls(arrays["t"], arrays["states"], arrays["accelerations"],
                       arrays["energy"], float(arrays["energy_scale"]), str(arrays["system"]),
                       tuple(str(s) for s in np.atleast_1d(arrays["state_names"])))
        except (TypeError, ValueError) as exc:
            message = str(exc).removeprefix("trajectory: ")
            raise DataError(f"{path}: inconsistent trajectory file ({message})") from None

    def plot(self, axes: Any = None) -> Any:
        """Coordinates and relative energy error against time; returns the two Axes."""
        from physym.data.plotting import plot_trajectory

        return plot_trajectory(self, axes)

    def __repr__(self) -> str:
        return (f"Trajectory({self.system!r}, t=[{self.t[0]:g}, {self.t[-1]:g}], "
                f"points={len(self.t)}, energy_drift={self.energy_drift:.2e})")


def _check_state(system: System, state: Any) -> np.ndarray:
    x0 = np.asarray(state, dtype=np.float64)
    if x0.shape != (2 * system.n_dof,):
        names = ", ".join(system.state_names)
        raise ValueError(f"initial state of {system.name!r} needs {2 * system.n_dof} values "
                         f"({names}), got shape {x0.shape}")
    if not np.isfinite(x0).all():
        raise ValueError(f"initial state must be finite, got {x0.tolist()}")
    return x0


def _output_times(t_end: float, n_points: int) -> np.ndarray:
    if not np.isfinite(t_end) or t_end <= 0:
        raise ValueError(f"t_end must be a positive number, got {t_end}")
    if n_points < 2:
        raise ValueError(f"n_points must be at least 2, got {n_points}")
    return np.linspace(0.0, float(t_end), int(n_points))


def simulate(
    system: System,
    initial_state: Any,
    t_end: float,
    n_points: int = 1000,
    rtol: float = 1e-12,
    atol: float = 1e-12,
    method: str = "DOP853",
    *,
    scale: float | None = None,
) -> Trajectory:
    """Integrate the exact equations of motion of ``system`` from ``initial_state``.

    Parameters
    ----------
    system : System
    initial_state : array_like, shape ``(2n,)``
        ``(q, q_dot)`` at ``t = 0``.
    t_end : float
        Final time (``> 0``).
    n_points : int
        Number of equally spaced output times in ``[0, t_end]``.
    rtol, atol : float
        Tolerances of ``solve_ivp``.
    method : str
        A ``solve_ivp`` method name.
    scale : float, optional
        Energy scale for the drift; defaults to :func:`physym.data.energy_scale`.

    Returns
    -------
    Trajectory

    Raises
    ------
    IntegrationError
        If the solver fails before ``t_end`` (carries the partial solution).

    Examples
    --------
    >>> from physym import load_system
    >>> traj = simulate(load_system("pendulum"), [1.0, 0.0], t_end=10.0, n_points=101)
    >>> traj.states.shape, traj.energy_drift < 1e-10
    ((101, 2), True)
    """
    x0 = _check_state(system, initial_state)
    t_eval = _output_times(t_end, n_points)
    rhs = first_order_rhs(exact_state_accelerations(system), system.n_dof)
    solution = solve_ivp(rhs, (t_eval[0], t_eval[-1]), x0, method=method, t_eval=t_eval,
                         rtol=rtol, atol=atol)
    if solution.status != 0:
        raise IntegrationError(
            f"{system.name}: integration stopped at t = {solution.t[-1]:.6g} of {t_end:g} "
            f"({solution.message})", solution.t, solution.y.T)
    states = solution.y.T
    return Trajectory(
        t=solution.t, states=states, accelerations=system.accelerations(states),
        energy=system.energy(states),
        energy_scale=energy_scale(system) if scale is None else float(scale),
        system=system.name, state_names=tuple(system.state_names),
    )


def simulate_many(
    system: System,
    initial_states: Any,
    t_end: float,
    n_points: int = 1000,
    rtol: float = 1e-12,
    atol: float = 1e-12,
    method: str = "DOP853",
) -> list[Trajectory]:
    """:func:`simulate` from each row of ``initial_states`` ``(B, 2n)``, each with its own
    adaptive steps; returns ``B`` trajectories on the same output times.

    Examples
    --------
    >>> from physym import load_system
    >>> trajs = simulate_many(load_system("pendulum"), [[0.1, 0], [1.0, 0]], 5.0, 51)
    >>> len(trajs), trajs[1].states.shape
    (2, (51, 2))
    """
    starts = np.asarray(initial_states, dtype=np.float64)
    if starts.ndim != 2:
        raise ValueError(f"initial_states must have shape (B, {2 * system.n_dof}), "
                         f"got {starts.shape}")
    scale = energy_scale(system)
    return [simulate(system, x0, t_end, n_points, rtol, atol, method, scale=scale)
            for x0 in starts]


def integrate(
    accelerations: BatchAccelerations,
    x0: Any,
    t_eval: Sequence[float] | np.ndarray,
    rtol: float = 1e-9,
    atol: float = 1e-9,
    method: str = "DOP853",
) -> np.ndarray:
    """Integrate ``q̈ = accelerations(q, q̇)`` for any batched acceleration function.

    Meant for learned models: ``accelerations`` maps states ``(B, 2n)`` to ``(B, n)`` and
    is called once per solver stage for the whole batch, so a batch of initial states is
    integrated as one ODE system with shared steps (the step-size control uses the RMS
    error over the batch).

    Parameters
    ----------
    accelerations : callable
        ``(B, 2n) float64 ndarray -> (B, n)`` array-like.
    x0 : array_like, shape ``(2n,)`` or ``(B, 2n)``
        Initial states at ``t_eval[0]``.
    t_eval : array_like, shape ``(T,)``
        Increasing output times; integration runs from ``t_eval[0]`` to ``t_eval[-1]``.
    rtol, atol : float
    method : str
        A ``solve_ivp`` method.

    Returns
    -------
    numpy.ndarray, shape ``(T, 2n)`` or ``(T, B, 2n)`` (matching ``x0``)

    Raises
    ------
    IntegrationError
        If the solver fails (e.g. the model's accelerations blow up), with the partial
        solution attached.

    Examples
    --------
    >>> spring = lambda x: -4.0 * x[:, :1]          # q̈ = -ω² q, ω = 2
    >>> xs = integrate(spring, [1.0, 0.0], np.linspace(0, np.pi, 3))
    >>> np.round(xs[:, 0], 6) + 0.0
    array([ 1., -1.,  1.])
    """
    start = np.asarray(x0, dtype=np.float64)
    single = start.ndim == 1
    batch = start[None] if single else start
    if batch.ndim != 2 or batch.shape[1] % 2:
        raise ValueError(f"x0 must have shape (2n,) or (B, 2n), got {start.shape}")
    times = np.asarray(t_eval, dtype=np.float64)
    if times.ndim != 1 or times.size < 2 or not np.all(np.diff(times) > 0):
        raise ValueError("t_eval must be a strictly increasing 1-D array of at least 2 times")
    n_batch, width = batch.shape
    n = width // 2

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        x = y.reshape(n_batch, width)
        a = np.asarray(accelerations(x), dtype=np.float64).reshape(n_batch, n)
        return np.concatenate((x[:, n:], a), axis=1).ravel()

    solution = solve_ivp(rhs, (times[0], times[-1]), batch.ravel(), method=method,
                         t_eval=times, rtol=rtol, atol=atol)
    states = solution.y.T.reshape(-1, n_batch, width)
    if single:
        states = states[:, 0]
    if solution.status != 0:
        raise IntegrationError(
            f"integration stopped at t = {solution.t[-1]:.6g} of {times[-1]:g} "
            f"({solution.message})", solution.t, states)
    return states
