"""Roll a learned model out from held-out states and compare with the exact trajectories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from physym.data import energy_scale, simulate_many
from physym.rollout.integrators import BatchAccelerations, rk4_rollout
from physym.rollout.metrics import finite_or_none, trajectory_errors, valid_prediction_times
from physym.systems import System

__all__ = ["REFERENCE_TOLERANCE", "RolloutComparison", "compare_rollouts"]

REFERENCE_TOLERANCE = 1e-12
"""``rtol`` and ``atol`` of the DOP853 reference trajectories."""


@dataclass(frozen=True, eq=False)
class RolloutComparison:
    """Exact, perturbed-exact and predicted trajectories from the same initial states.

    Attributes
    ----------
    t : numpy.ndarray, shape ``(T,)``
    true, perturbed, predicted : numpy.ndarray, shape ``(T, B, 2n)``
        Exact trajectories, exact trajectories from ``x0 + δ`` (``‖δ‖ = perturbation``:
        the chaos floor), and the model's rollouts.
    energy_true, energy_predicted : numpy.ndarray, shape ``(T, B)``
        The *true* energy along the exact and the predicted trajectories.
    dt, perturbation, threshold, energy_scale : float
    system : System
    reference : str
        How the exact trajectories were integrated.
    """

    t: np.ndarray
    true: np.ndarray
    perturbed: np.ndarray
    predicted: np.ndarray
    energy_true: np.ndarray
    energy_predicted: np.ndarray
    dt: float
    perturbation: float
    threshold: float
    energy_scale: float
    system: System
    reference: str = f"solve_ivp DOP853, rtol = atol = {REFERENCE_TOLERANCE:g}"

    @property
    def errors(self) -> np.ndarray:
        """Relative state error of the predictions, ``(T, B)`` (see :mod:`.metrics`)."""
        return trajectory_errors(self.system, self.predicted, self.true)

    @property
    def floor_errors(self) -> np.ndarray:
        """Relative state error of the perturbed exact trajectories, ``(T, B)``."""
        return trajectory_errors(self.system, self.perturbed, self.true)

    def energy_drift(self, energy: np.ndarray) -> np.ndarray:
        """``max_t |E(t) − E(0)| / max(|E(0)|, energy_scale)`` per trajectory, ``(B,)``."""
        reference = np.maximum(np.abs(energy[0]), self.energy_scale)
        with np.errstate(invalid="ignore"):
            drift = np.abs(energy - energy[0]).max(axis=0) / reference
        drift[~np.isfinite(drift)] = np.inf
        return drift

    def to_dict(self) -> dict[str, Any]:
        """The ``rollout`` entry of ``summary.json`` (``None`` for non-finite numbers)."""
        errors, floor = self.errors, self.floor_errors
        valid, censored = valid_prediction_times(self.t, errors, self.threshold)
        floor_valid, floor_censored = valid_prediction_times(self.t, floor, self.threshold)
        diverged = ~np.isfinite(self.predicted).all(axis=(0, 2))
        with np.errstate(invalid="ignore"):
            rms = np.sqrt(np.mean(errors**2, axis=0))
        return {
            "horizon_s": float(self.t[-1]),
            "n_initial_states": int(self.true.shape[1]),
            "integrator": f"batched fixed-step RK4, dt = {self.dt:g}, float64",
            "reference": self.reference,
            "error_definition": "‖Δx̃(t)‖ / RMS_t‖x̃_true(t) − mean x̃_true‖, x̃ = x / box "
            "width, periodic coordinates wrapped",
            "state_error_rms": finite_or_none(np.mean(rms)),
            "state_error_final": finite_or_none(np.mean(errors[-1])),
            "state_error_final_median": finite_or_none(np.median(errors[-1])),
            "valid_time": {
                "threshold": self.threshold,
                "network_mean": float(np.mean(valid)),
                "network_median": float(np.median(valid)),
                "network_censored_fraction": float(np.mean(censored)),
                "chaos_floor_mean": float(np.mean(floor_valid)),
                "chaos_floor_median": float(np.median(floor_valid)),
                "chaos_floor_censored_fraction": float(np.mean(floor_censored)),
                "chaos_floor_perturbation": self.perturbation,
            },
            "energy_drift": {
                "definition": "max_t |E_true(x(t)) − E_true(x(0))| / max(|E(0)|, std of E "
                "over the sampling box), mean over initial states",
                "network": finite_or_none(np.mean(self.energy_drift(self.energy_predicted))),
                "exact": finite_or_none(np.mean(self.energy_drift(self.energy_true))),
            },
            "n_diverged": int(diverged.sum()),
        }

    def integrator_floor(self, accelerations: BatchAccelerations) -> dict[str, Any]:
        """The same RK4 rollout with exact ``accelerations``: the error of the integrator
        alone, against which the network's numbers are to be read."""
        t, states = rk4_rollout(
            accelerations, self.true[0], float(self.t[-1]), self.dt, len(self.t)
        )
        errors = trajectory_errors(self.system, states, self.true)
        valid, censored = valid_prediction_times(t, errors, self.threshold)
        return {
            "state_error_rms": finite_or_none(np.mean(np.sqrt(np.mean(errors**2, axis=0)))),
            "state_error_final": finite_or_none(np.mean(errors[-1])),
            "valid_time_mean": float(np.mean(valid)),
            "valid_time_censored_fraction": float(np.mean(censored)),
            "energy_drift": finite_or_none(
                np.mean(self.energy_drift(_energy(self.system, states)))
            ),
        }


def compare_rollouts(
    system: System,
    accelerations: BatchAccelerations,
    initial_states: np.ndarray,
    t_end: float,
    dt: float = 0.01,
    *,
    n_points: int = 501,
    perturbation: float = 1e-8,
    threshold: float = 0.1,
    seed: int = 0,
) -> RolloutComparison:
    """Roll ``accelerations`` out from ``initial_states`` and integrate the exact system.

    Parameters
    ----------
    system : System
    accelerations : callable
        The model, ``(B, 2n) -> (B, n)`` float64 (:func:`~.model_accelerations`).
    initial_states : numpy.ndarray, shape ``(B, 2n)``
    t_end, dt : float
        Horizon and RK4 step of the model's rollout.
    n_points : int
        Output times ``linspace(0, t_end, n_points)``.
    perturbation : float
        Norm of the random displacement of the initial states for the chaos floor.
    threshold : float
        Relative error that ends the valid-prediction time.
    seed : int
        Seeds the directions of the perturbations.

    Returns
    -------
    RolloutComparison

    Examples
    --------
    >>> from physym import load_system
    >>> pend = load_system("pendulum")
    >>> cmp = compare_rollouts(pend, pend.accelerations, [[1.0, 0.0]], 2.0, n_points=21)
    >>> cmp.to_dict()["state_error_final"] < 1e-6   # RK4, dt = 0.01, against DOP853
    True
    """
    x0 = np.array(initial_states, dtype=np.float64, ndmin=2)
    t, predicted = rk4_rollout(accelerations, x0, t_end, dt, n_points)
    true = _exact(system, x0, t_end, n_points)
    direction = np.random.default_rng([seed, 7]).normal(size=x0.shape)
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    perturbed = _exact(system, x0 + perturbation * direction, t_end, n_points)
    return RolloutComparison(
        t=t,
        true=true,
        perturbed=perturbed,
        predicted=predicted,
        energy_true=_energy(system, true),
        energy_predicted=_energy(system, predicted),
        dt=float(dt),
        perturbation=float(perturbation),
        threshold=float(threshold),
        energy_scale=energy_scale(system),
        system=system,
    )


def _exact(system: System, x0: np.ndarray, t_end: float, n_points: int) -> np.ndarray:
    trajectories = simulate_many(
        system, x0, t_end, n_points, rtol=REFERENCE_TOLERANCE, atol=REFERENCE_TOLERANCE
    )
    return np.stack([trajectory.states for trajectory in trajectories], axis=1)


def _energy(system: System, states: np.ndarray) -> np.ndarray:
    """True energy of ``(T, B, 2n)`` states, ``nan`` where they are not finite."""
    flat = states.reshape(-1, states.shape[-1])
    energy = np.full(len(flat), np.nan)
    finite = np.isfinite(flat).all(axis=1)
    if finite.any():
        energy[finite] = system.energy(flat[finite])
    return energy.reshape(states.shape[:2])
