"""Every rollout of a fit's evaluation as two batched integrations: the model's and the truth's.

A learned model pays a fixed cost per call whatever the batch size, so the cost of an
evaluation is the number of sequential RK4 stages, not the number of trajectories. Here
all initial states go into one batch: the held-out rollout states and the energy metric's
states for the model; those, their perturbed copies (the chaos floor) and the energy
states for the exact system. Both use the same fixed-step RK4 and step, so the reference
carries the same integration error as the prediction and the state errors measure the
model alone; the integrator's own share is reported as the exact system's energy drift
and energy metric under it (``integrator_floor``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from physym.data import energy_scale
from physym.rollout.compare import RolloutComparison
from physym.rollout.energy import EnergyMetric, energy_metric_of
from physym.rollout.integrators import BatchAccelerations, rk4_at
from physym.rollout.metrics import finite_or_none
from physym.systems import System

__all__ = [
    "REFERENCE",
    "RolloutPlan",
    "RolloutRun",
    "comparison_of",
    "energy_of",
    "integrate_plan",
    "integrator_floor",
    "rollout_energies",
]

REFERENCE = "the exact system under the same RK4 and step (integration error shared)"


@dataclass(frozen=True)
class RolloutPlan:
    """The initial states and horizons of an evaluation.

    Attributes
    ----------
    rollout_states : numpy.ndarray, shape ``(B, 2n)``
        Held-out states rolled out to ``t[-1]`` (``B`` may be 0).
    t : numpy.ndarray, shape ``(T,)``
        Output times of those rollouts, from 0.
    energy_states : numpy.ndarray, shape ``(E, 2n)``
        Initial states of the energy metric (``E`` may be 0), rolled out to
        ``energy_t_end``.
    energy_t_end, dt : float
        Energy horizon and the RK4 step of every integration.
    perturbation : float
        Norm of the displacement of the perturbed copies (the chaos floor).
    seed : int
        Seeds the perturbation directions.
    """

    rollout_states: np.ndarray
    t: np.ndarray
    energy_states: np.ndarray
    energy_t_end: float
    dt: float
    perturbation: float = 1e-8
    seed: int = 0

    @property
    def perturbed_states(self) -> np.ndarray:
        """``rollout_states + δ`` with seeded random directions, ``‖δ‖ = perturbation``."""
        x0 = self.rollout_states
        direction = np.random.default_rng([self.seed, 7]).normal(size=x0.shape)
        norms = np.linalg.norm(direction, axis=1, keepdims=True)
        return x0 + self.perturbation * direction / np.maximum(norms, 1e-300)

    @property
    def horizon(self) -> float:
        """The last time any integration reaches."""
        ends = [float(self.t[-1]) if len(self.rollout_states) else 0.0]
        if len(self.energy_states):
            ends.append(float(self.energy_t_end))
        return max(ends)


@dataclass(frozen=True, eq=False)
class RolloutRun:
    """One batched integration of a plan: trajectories at ``t`` and energy-state finals."""

    trajectories: np.ndarray  # (T, B', 2n): rollout states (and perturbed copies)
    finals: np.ndarray  # (E, 2n): energy states at energy_t_end


def integrate_plan(
    accelerations: BatchAccelerations,
    plan: RolloutPlan,
    *,
    perturbed: bool = False,
    on_time: Callable[[float], None] | None = None,
) -> RolloutRun:
    """Integrate every initial state of ``plan`` in one batch.

    Parameters
    ----------
    accelerations : callable
        ``(B, 2n) -> (B, n)`` float64, ``nan`` where undetermined.
    plan : RolloutPlan
    perturbed : bool
        Also integrate the perturbed rollout states (appended after the rollout states in
        ``trajectories``).
    on_time : callable, optional
        Called with each output time reached (a progress bar).

    Returns
    -------
    RolloutRun

    Examples
    --------
    >>> spring = lambda x: -x[:, :1]
    >>> plan = RolloutPlan(np.array([[1.0, 0.0]]), np.linspace(0, np.pi, 3),
    ...                    np.array([[0.0, 1.0]]), 2 * np.pi, 0.01)
    >>> run = integrate_plan(spring, plan)
    >>> np.round(run.trajectories[-1, 0], 6) + 0.0, np.round(run.finals[0], 6) + 0.0
    (array([-1.,  0.]), array([0., 1.]))
    """
    parts = [plan.rollout_states]
    if perturbed:
        parts.append(plan.perturbed_states)
    n_rollout = sum(len(p) for p in parts)
    x0 = np.concatenate([*parts, plan.energy_states], axis=0)
    times = np.asarray(plan.t, dtype=np.float64) if n_rollout else np.zeros(1)
    energy_at = None
    if len(plan.energy_states):
        times = np.union1d(times, [plan.energy_t_end])
        energy_at = int(np.searchsorted(times, plan.energy_t_end))
    states = rk4_at(_with_progress(accelerations, on_time, plan.dt), x0, times, plan.dt)
    rows = np.searchsorted(times, plan.t) if n_rollout else np.zeros(0, dtype=int)
    trajectories = states[rows][:, :n_rollout]
    finals = states[energy_at, n_rollout:] if energy_at is not None else x0[n_rollout:]
    return RolloutRun(trajectories=trajectories, finals=finals)


def _with_progress(
    accelerations: BatchAccelerations, on_time: Callable[[float], None] | None, dt: float
) -> BatchAccelerations:
    """``accelerations`` that reports every fourth call (one RK4 step) as ``dt`` of time."""
    if on_time is None:
        return accelerations
    calls = [0]

    def counted(states: np.ndarray) -> np.ndarray:
        calls[0] += 1
        if calls[0] % 4 == 0:
            on_time(dt)
        return accelerations(states)

    return counted


def rollout_energies(system: System, states: np.ndarray) -> np.ndarray:
    """The true energy of ``(T, B, 2n)`` states, ``(T, B)``, ``nan`` where not finite."""
    flat = states.reshape(-1, states.shape[-1])
    energy = np.full(len(flat), np.nan)
    finite = np.isfinite(flat).all(axis=1)
    if finite.any():
        with np.errstate(all="ignore"):
            energy[finite] = system.energy(flat[finite])
    return energy.reshape(states.shape[:2])


def comparison_of(
    system: System,
    plan: RolloutPlan,
    exact: RolloutRun,
    predicted: np.ndarray,
    *,
    threshold: float = 0.1,
) -> RolloutComparison:
    """The rollout comparison of ``predicted`` ``(T, B, 2n)`` with the exact run."""
    n = len(plan.rollout_states)
    true, perturbed = exact.trajectories[:, :n], exact.trajectories[:, n : 2 * n]
    return RolloutComparison(
        t=np.asarray(plan.t, dtype=np.float64),
        true=true,
        perturbed=perturbed,
        predicted=predicted,
        energy_true=rollout_energies(system, true),
        energy_predicted=rollout_energies(system, predicted),
        dt=float(plan.dt),
        perturbation=float(plan.perturbation),
        threshold=float(threshold),
        energy_scale=energy_scale(system),
        system=system,
        reference=REFERENCE,
    )


def energy_of(
    system: System,
    plan: RolloutPlan,
    finals: np.ndarray,
    v_max: float,
    box: Mapping[str, Sequence[float]],
) -> EnergyMetric:
    """The energy metric of the energy states' final states."""
    return energy_metric_of(
        system, plan.energy_states, finals, v_max, box, t_end=plan.energy_t_end, dt=plan.dt
    )


def integrator_floor(comparison: RolloutComparison) -> dict[str, Any]:
    """What the shared integrator costs the exact system itself (``integrator_floor``)."""
    drift = comparison.energy_drift(comparison.energy_true)
    horizon = float(comparison.t[-1])
    return {
        "definition": "the exact system under the same RK4 and step; the state errors are "
        "measured against it, so they hold no integration error (state errors 0, valid "
        "for the whole horizon) and its energy drift is the integrator's",
        "state_error_rms": 0.0,
        "state_error_final": 0.0,
        "valid_time_mean": horizon,
        "valid_time_censored_fraction": 1.0,
        "energy_drift": finite_or_none(np.mean(drift)),
    }
