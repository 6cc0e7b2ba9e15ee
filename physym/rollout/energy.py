"""The energy metric of the LNN paper, for any system with a stated box of initial states.

Cranmer et al. (2020, "Lagrangian Neural Networks", double pendulum) report
``|E_pred − E_true|`` at ``t = 100`` divided by the maximum potential energy (29.4 for
``m = l = 1``, ``g = 9.8``), averaged over initial conditions ``θ ∈ [0, 2π]``,
``ω ∈ [0, 0.1]``: 0.0043 for their LNN, ~0.074 for an MLP baseline. Here ``E_pred`` is
the *true* energy of the predicted state at ``t_end`` and ``E_true = E(x0)`` (conserved),
and the maximum potential energy is computed from the system itself: for a Lagrangian
``L = T − V`` with ``T`` quadratic in the velocities, ``V(q) = E(q, q̇ = 0)``, maximised
over the coordinates' box (seeded samples refined with L-BFGS-B). With the double
pendulum's own ``g`` this is ``(m1 + 2 m2) g l`` = 29.43 for ``g = 9.81``. ``V`` is only
defined up to a constant; where its maximum over the box is not positive the spread
``max V − min V`` is used instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

from physym.rollout.integrators import BatchAccelerations, rk4_rollout
from physym.rollout.metrics import finite_or_none
from physym.rollout.paper_reference import paper_reference
from physym.systems import System

__all__ = [
    "EnergyMetric",
    "check_ic_box",
    "default_ic_box",
    "energy_initial_states",
    "energy_metric",
    "energy_metric_of",
    "potential_maximum",
]

PAPER_VELOCITY_RANGE = (0.0, 0.1)


def default_ic_box(system: System) -> dict[str, tuple[float, float]]:
    """The paper's box generalised: angles in ``[0, 2π]``, other coordinates over the
    sampling box, velocities in ``[0, 0.1]``.

    Examples
    --------
    >>> from physym import load_system
    >>> default_ic_box(load_system("pendulum"))["theta_dot"]
    (0.0, 0.1)
    """
    box: dict[str, tuple[float, float]] = {}
    for q, v in zip(system.coordinates, system.velocity_names, strict=True):
        box[q] = (0.0, 2 * math.pi) if q in system.periodic else system.sampling[q]
        box[v] = PAPER_VELOCITY_RANGE
    return box


def check_ic_box(
    system: System,
    box: Mapping[str, Sequence[float]],
    base: Mapping[str, Sequence[float]] | None = None,
) -> dict[str, tuple[float, float]]:
    """``box`` completed from ``base`` (default: :func:`default_ic_box`), checked."""
    names = system.state_names
    unknown = [k for k in box if k not in names]
    if unknown:
        raise ValueError(
            f"energy_ic_box names {unknown[0]!r}, which is not a coordinate or "
            f"velocity of {system.name!r} ({', '.join(names)})"
        )
    full = (
        default_ic_box(system)
        if base is None
        else {key: (float(interval[0]), float(interval[1])) for key, interval in base.items()}
    )
    for key, interval in box.items():
        if len(interval) != 2 or not float(interval[0]) <= float(interval[1]):
            raise ValueError(f"energy_ic_box[{key!r}] must be [low, high], got {interval!r}")
        full[key] = (float(interval[0]), float(interval[1]))
    return full


def potential_maximum(
    system: System, q_box: Mapping[str, Sequence[float]] | None = None, seed: int = 0
) -> float:
    """Maximum of ``V(q) = E(q, 0)`` over a box of coordinates (module docstring).

    Examples
    --------
    >>> from physym import load_system
    >>> round(potential_maximum(load_system("double_pendulum")), 2)   # 3 g
    29.43
    """
    box = default_ic_box(system) if q_box is None else {**default_ic_box(system), **q_box}
    n = system.n_dof
    low = np.array([box[q][0] for q in system.coordinates], dtype=np.float64)
    high = np.array([box[q][1] for q in system.coordinates], dtype=np.float64)

    def potential(q: np.ndarray) -> np.ndarray:
        q = np.atleast_2d(q)
        return system.energy(np.concatenate((q, np.zeros_like(q)), axis=1))

    probes = np.random.default_rng(seed).uniform(low, high, size=(4096, n))
    values = potential(probes)
    refined = []
    for start in probes[np.argsort(values)[-4:]]:
        result = minimize(
            lambda q: -float(potential(q)[0]),
            start,
            method="L-BFGS-B",
            bounds=list(zip(low, high, strict=True)),
        )
        refined.append(-float(result.fun))
    v_max = max(float(values.max()), *refined)
    return v_max if v_max > 0 else v_max - float(values.min())


@dataclass(frozen=True)
class EnergyMetric:
    """``mean_i |E(x̂_i(t_end)) − E(x_i(0))| / max V`` and what it was computed from."""

    value: float
    per_state: tuple[float, ...]
    t_end: float
    dt: float
    n_states: int
    n_diverged: int
    potential_max: float
    ic_box: Mapping[str, tuple[float, float]]
    paper_reference: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": finite_or_none(self.value),
            "definition": "mean over initial states of |E_true(x_pred(t_end)) − E_true(x0)| "
            "/ max_q V(q) (Cranmer et al. 2020; finite trajectories only)",
            "t_end": self.t_end,
            "dt": self.dt,
            "n_states": self.n_states,
            "n_diverged": self.n_diverged,
            "potential_max": self.potential_max,
            "ic_box": {k: list(v) for k, v in self.ic_box.items()},
            # the paper's figures where this measures what they measure, else None
            # (:mod:`physym.rollout.paper_reference`)
            "paper_reference": None if self.paper_reference is None else dict(self.paper_reference),
        }


def energy_metric(
    system: System,
    accelerations: BatchAccelerations,
    *,
    ic_box: Mapping[str, Sequence[float]] | None = None,
    n_states: int = 32,
    t_end: float = 100.0,
    dt: float = 0.01,
    seed: int = 0,
) -> EnergyMetric:
    """The LNN paper's energy error of a model's rollouts (module docstring).

    Parameters
    ----------
    system : System
        The true system: its energy judges the rollouts.
    accelerations : callable
        ``(B, 2n) -> (B, n)`` float64, e.g. :func:`~.model_accelerations`.
    ic_box : mapping, optional
        ``[low, high]`` per state name; unnamed entries default to :func:`default_ic_box`.
    n_states, t_end, dt, seed
        Number of initial states (seeded uniform draws), horizon and RK4 step.

    Returns
    -------
    EnergyMetric

    Examples
    --------
    >>> from physym import load_system
    >>> pend = load_system("pendulum")
    >>> m = energy_metric(pend, pend.accelerations, n_states=4, t_end=5.0)
    >>> m.value < 1e-6
    True
    """
    box = check_ic_box(system, ic_box or {})
    x0 = energy_initial_states(system, box, n_states, seed)
    _, states = rk4_rollout(accelerations, x0, t_end, dt, n_points=2)
    v_max = potential_maximum(system, {q: box[q] for q in system.coordinates}, seed)
    return energy_metric_of(system, x0, states[-1], v_max, box, t_end=t_end, dt=dt)


def energy_initial_states(
    system: System, box: Mapping[str, Sequence[float]], n_states: int, seed: int
) -> np.ndarray:
    """Seeded uniform initial states ``(n_states, 2n)`` from a box of every state name."""
    names = system.state_names
    low = np.array([box[k][0] for k in names], dtype=np.float64)
    high = np.array([box[k][1] for k in names], dtype=np.float64)
    return np.random.default_rng([seed, 11]).uniform(low, high, size=(n_states, len(names)))


def energy_metric_of(
    system: System,
    x0: np.ndarray,
    final: np.ndarray,
    v_max: float,
    box: Mapping[str, Sequence[float]],
    *,
    t_end: float,
    dt: float,
) -> EnergyMetric:
    """The metric of predicted states ``final`` ``(N, 2n)`` at ``t_end`` from ``x0``."""
    finite = np.isfinite(final).all(axis=1)
    errors = np.full(len(x0), np.nan)
    if finite.any():
        errors[finite] = np.abs(system.energy(final[finite]) - system.energy(x0[finite]))
    per_state = errors / v_max
    value = float(np.mean(per_state[finite])) if finite.any() else math.inf
    ic_box = {k: (float(v[0]), float(v[1])) for k, v in box.items()}
    return EnergyMetric(
        value=value,
        per_state=tuple(float(e) for e in per_state),
        t_end=float(t_end),
        dt=float(dt),
        n_states=len(x0),
        n_diverged=int((~finite).sum()),
        potential_max=float(v_max),
        ic_box=ic_box,
        paper_reference=paper_reference(system, {"t_end": t_end, "ic_box": ic_box}),
    )
