"""Noisy measured positions of a known system, and its true terms, for the shooting tests."""

from __future__ import annotations

import numpy as np
import sympy as sp

from physym.data.measured import MeasuredPositions
from physym.data.state_estimate import StateEstimate, estimate_states
from physym.data.synthetic_positions import SimulatedPositions, simulate_positions
from physym.distill.euler_lagrange import TermDynamics
from physym.systems import System


def true_terms(system: System) -> tuple[TermDynamics, np.ndarray]:
    """The system's numeric Lagrangian split into terms and coefficients (constants dropped)."""
    terms, coefficients = [], []
    for part in sp.Add.make_args(sp.expand(system.lagrangian_numeric)):
        coefficient, term = part.as_coeff_Mul()
        if term.free_symbols:
            terms.append(term)
            coefficients.append(float(coefficient))
    return TermDynamics(terms, system.q_symbols, system.qdot_symbols), np.array(coefficients)


def noisy_estimate(
    system: System,
    noise: float,
    seed: int,
    *,
    n_trajectories: int = 8,
    t_end: float = 10.0,
    dt: float = 0.01,
    box_fraction: float = 0.5,
) -> tuple[StateEstimate, SimulatedPositions]:
    """Positions only, with Gaussian noise of ``noise``·spread, smoothed as physym does."""
    data = simulate_positions(
        system,
        n_trajectories=n_trajectories,
        t_end=t_end,
        dt=dt,
        noise=noise,
        seed=seed,
        box_fraction=box_fraction,
    )
    measured = MeasuredPositions(
        "simulated",
        system.coordinates,
        data.t,
        data.q,
        data.trajectory,
        tuple(str(k) for k in range(n_trajectories)),
        tuple(f"row {i}" for i in range(len(data.t))),
    )
    return estimate_states(measured, periodic=system.periodic), data


def acceleration_error(
    system: System,
    dynamics: TermDynamics,
    coefficients: np.ndarray,
    params: dict | None = None,
    n: int = 2000,
    seed: int = 99,
) -> float:
    """``‖q̈_L − q̈‖/‖q̈‖`` on fresh states drawn uniformly from the system's whole box."""
    low, high = system.box
    states = np.random.default_rng(seed).uniform(low, high, size=(n, len(low)))
    exact = system.accelerations(states)
    mass, force = dynamics.evaluate(states, params or {})
    predicted = dynamics.accelerations(mass, force, coefficients)
    return float(np.linalg.norm(predicted - exact) / np.linalg.norm(exact))
