"""``rollout_compare``: trajectories of the recovered Lagrangian against the exact ones.

Both are integrated with :func:`physym.data.simulate` (DOP853, tolerances 1e-12), so what
differs is the Lagrangian, not the integrator. Errors use the definitions of
:mod:`physym.rollout.metrics` (dimensionless states, periodic coordinates wrapped), so the
recovered numbers sit next to the network's in ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from physym.comparison._compare import recovered_system
from physym.systems.dynamics import DegenerateLagrangianError
from physym.systems.system import System

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["RecoveredRollout", "rollout_compare"]


def _finite_or_none(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


@dataclass(frozen=True, eq=False)
class RecoveredRollout:
    """Exact and recovered-Lagrangian trajectories from the same initial states.

    Attributes
    ----------
    t : numpy.ndarray, shape ``(T,)``
    true, recovered : numpy.ndarray, shape ``(T, B, 2n)``
        ``nan`` after a recovered trajectory failed.
    energy_true, energy_recovered : numpy.ndarray, shape ``(T, B)``
        The *true* energy along the exact and along the recovered trajectories.
    energy_own : numpy.ndarray, shape ``(T, B)``
        The recovered Lagrangian's own energy along its trajectories (conserved by it).
    energy_scale, own_energy_scale : float
        Floors of the drift denominators (std of each energy over the sampling box).
    system : System
        The true system.
    failures : tuple of str
        Why recovered trajectories stopped early, one line each (a single line when the
        recovered Lagrangian is degenerate and nothing was integrated).
    """

    t: np.ndarray
    true: np.ndarray
    recovered: np.ndarray
    energy_true: np.ndarray
    energy_recovered: np.ndarray
    energy_own: np.ndarray
    energy_scale: float
    own_energy_scale: float
    system: System
    failures: tuple[str, ...] = ()

    @property
    def errors(self) -> np.ndarray:
        """Relative state error of the recovered trajectories, ``(T, B)``."""
        from physym.rollout.metrics import trajectory_errors

        return trajectory_errors(self.system, self.recovered, self.true)

    @staticmethod
    def energy_drift(energy: np.ndarray, scale: float) -> np.ndarray:
        """``max_t |E(t) − E(0)| / max(|E(0)|, scale)`` per trajectory, ``(B,)``."""
        with np.errstate(invalid="ignore"):
            drift = np.abs(energy - energy[0]).max(axis=0) / np.maximum(np.abs(energy[0]), scale)
        drift[~np.isfinite(drift)] = np.inf
        return drift

    def to_dict(self, threshold: float = 0.1) -> dict[str, Any]:
        """Summary numbers (``None`` for non-finite ones), keys as in the network's rollout."""
        from physym.rollout.metrics import valid_prediction_times

        errors = self.errors
        valid, censored = valid_prediction_times(self.t, errors, threshold)
        with np.errstate(invalid="ignore"):
            rms = np.sqrt(np.mean(errors**2, axis=0))
        return {
            "horizon_s": float(self.t[-1]),
            "n_initial_states": int(self.true.shape[1]),
            "integrator": "solve_ivp DOP853, rtol = atol = 1e-12 (recovered and exact)",
            "state_error_rms": _finite_or_none(np.mean(rms)),
            "state_error_final": _finite_or_none(np.mean(errors[-1])),
            "valid_time": {
                "threshold": threshold,
                "recovered_mean": float(np.mean(valid)),
                "recovered_censored_fraction": float(np.mean(censored)),
            },
            "energy_drift": {
                "recovered": _finite_or_none(
                    np.mean(self.energy_drift(self.energy_recovered, self.energy_scale))
                ),
                "recovered_own_energy": _finite_or_none(
                    np.mean(self.energy_drift(self.energy_own, self.own_energy_scale))
                ),
                "exact": _finite_or_none(
                    np.mean(self.energy_drift(self.energy_true, self.energy_scale))
                ),
            },
            "n_failed": int((~np.isfinite(self.recovered).all(axis=(0, 2))).sum()),
            "failures": list(self.failures[:3]),
        }

    def plot(self, ax: Axes | None = None, index: int = 0) -> Axes:
        """Coordinates of trajectory ``index``: exact (solid) and recovered (dashed)."""
        from physym.figures import plot_trajectories

        return plot_trajectories(
            self.t,
            self.true[:, index],
            self.system.coordinates,
            recovered=self.recovered[:, index],
            ax=ax,
        )


def rollout_compare(
    true_system: System,
    recovered_lagrangian: sp.Expr | str,
    initial_states: Any,
    t_end: float,
    *,
    n_points: int = 201,
) -> RecoveredRollout:
    """Integrate the true and the recovered Lagrangian from the same initial states.

    Parameters
    ----------
    true_system : System
    recovered_lagrangian : sympy.Expr or str
        As for :func:`compare`.
    initial_states : array_like, shape ``(B, 2n)``
    t_end : float
        Horizon.
    n_points : int
        Output times ``linspace(0, t_end, n_points)``.

    Returns
    -------
    RecoveredRollout
        A recovered trajectory that cannot be integrated (degenerate mass matrix, blow-up)
        is ``nan`` from where it stopped, with the reason in ``failures``.

    Examples
    --------
    >>> from physym import load_system
    >>> pendulum = load_system("pendulum")
    >>> r = rollout_compare(pendulum, "2*theta_dot**2/2 + 19.62*cos(theta)",
    ...                     [[1.0, 0.0]], t_end=2.0, n_points=21)
    >>> r.to_dict()["state_error_final"] < 1e-8
    True
    """
    from physym.data import energy_scale, simulate_many

    x0 = np.array(initial_states, dtype=np.float64, ndmin=2)
    exact = simulate_many(true_system, x0, t_end, n_points)
    t = exact[0].t
    true = np.stack([trajectory.states for trajectory in exact], axis=1)
    recovered = np.full_like(true, np.nan)
    failures: list[str] = []
    system = recovered_system(true_system, recovered_lagrangian)
    try:
        own_scale = energy_scale(system)
    except DegenerateLagrangianError as exc:
        failures = [f"recovered Lagrangian is degenerate: {str(exc).splitlines()[0]}"]
        own_scale = float("nan")
    else:
        for b, start in enumerate(x0):
            stop = _integrate_into(system, start, t_end, n_points, recovered[:, b])
            if stop:
                failures.append(f"initial state {b}: {stop}")
    energy_own = (
        np.full(true.shape[:2], np.nan) if np.isnan(own_scale) else _energy(system, recovered)
    )
    return RecoveredRollout(
        t=t,
        true=true,
        recovered=recovered,
        energy_true=_energy(true_system, true),
        energy_recovered=_energy(true_system, recovered),
        energy_own=energy_own,
        energy_scale=energy_scale(true_system),
        own_energy_scale=own_scale,
        system=true_system,
        failures=tuple(failures),
    )


def _integrate_into(
    system: System, start: np.ndarray, t_end: float, n_points: int, out: np.ndarray
) -> str | None:
    """Fill ``out`` ``(T, 2n)`` with the trajectory; return why it stopped early, if it did."""
    from physym.data import IntegrationError, simulate

    try:
        with np.errstate(all="ignore"):
            out[:] = simulate(system, start, t_end, n_points).states
    except IntegrationError as exc:
        out[: len(exc.t)] = exc.states[: len(exc.t)]
        return str(exc)
    except (DegenerateLagrangianError, FloatingPointError, ValueError) as exc:
        return str(exc).splitlines()[0]
    return None


def _energy(system: System, states: np.ndarray) -> np.ndarray:
    """Energy of ``(T, B, 2n)`` states, ``nan`` where they are not finite."""
    flat = states.reshape(-1, states.shape[-1])
    energy = np.full(len(flat), np.nan)
    finite = np.isfinite(flat).all(axis=1)
    if finite.any():
        with np.errstate(all="ignore"):
            energy[finite] = system.energy(flat[finite])
    return energy.reshape(states.shape[:2])
