"""Characteristic scales of a system: a natural period and a typical energy.

Both are used to make numbers comparable across systems: rollout horizons and test
durations are counted in natural periods, and energy drift is relative to an energy scale
that stays meaningful when a trajectory's own energy is close to zero. A system that depends
on time is taken at the start of its time range, one with inputs at the middle of their box.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from scipy.optimize import minimize

from physym.data.sampling import sample_states, sample_time_and_inputs
from physym.systems import System

__all__ = ["energy_scale", "minimum_energy_state", "natural_period"]

_N_PROBE = 512
_ZERO_RATE = 1e-7  # rates below this fraction of the largest one count as zero modes


def energy_scale(system: System, n: int = 1024, seed: int = 0) -> float:
    """Typical energy scale: the standard deviation of ``E`` over states in the box.

    Parameters
    ----------
    system : System
    n, seed : int
        Number of uniform box samples and their seed.

    Returns
    -------
    float
        ``std(E)`` over the samples, or ``1.0`` if that is zero or not finite.

    Examples
    --------
    >>> from physym import load_system
    >>> round(energy_scale(load_system("pendulum")), 1)
    7.1
    """
    times, _ = sample_time_and_inputs(system, n, seed=seed)
    energies = system.energy(sample_states(system, n, seed=seed), times)
    scale = float(np.std(energies[np.isfinite(energies)])) if np.isfinite(energies).any() else 0.0
    return scale if scale > 0 and math.isfinite(scale) else 1.0


def minimum_energy_state(system: System, seed: int = 0) -> np.ndarray:
    """The state of lowest energy at rest, ``argmin_q E(q, q̇=0)`` over the box.

    The best of 512 seeded samples of ``q`` is refined with bounded L-BFGS-B; for natural
    systems ``E(q, 0) = V(q)``, so this is the stable equilibrium when one lies in the box.

    Returns
    -------
    numpy.ndarray, shape ``(2n,)``
        ``(q*, 0)``.

    Examples
    --------
    >>> from physym import load_system
    >>> np.round(minimum_energy_state(load_system("pendulum")), 6) + 0.0
    array([0., 0.])
    """
    n = system.n_dof
    low, high = system.box
    time, _ = _reference_conditions(system)
    probes = sample_states(system, _N_PROBE, seed=seed)
    probes[:, n:] = 0.0
    with np.errstate(all="ignore"):
        energies = system.energy(probes, time)
    energies[~np.isfinite(energies)] = np.inf
    start = probes[int(np.argmin(energies)), :n]

    def energy_at_rest(q: np.ndarray) -> float:
        value = float(system.energy(np.concatenate((q, np.zeros(n))), time)[0])
        return value if math.isfinite(value) else 1e300

    bounds = list(zip(low[:n], high[:n], strict=True))
    with np.errstate(all="ignore"):
        result = minimize(
            energy_at_rest,
            start,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-15, "gtol": 1e-12},
        )
    best = result.x if result.fun <= energy_at_rest(start) else start
    return np.concatenate((best, np.zeros(n)))


def natural_period(
    system: System,
    state: np.ndarray | None = None,
    *,
    mode: Literal["slowest", "fastest"] = "slowest",
) -> float:
    """Characteristic time of a system: the period of its small oscillations.

    The equations of motion ``ẋ = (q̇, q̈(x))`` are linearised about ``state`` (by
    default :func:`minimum_energy_state`, the stable equilibrium); the Jacobian's
    eigenvalues ``λ`` give rates ``|λ|`` (``ω`` for an oscillation, the growth rate for an
    instability) and the period is ``2π / |λ|`` of the slowest (default) or fastest
    non-zero mode. Where every rate is zero (a free particle), the fallback is
    ``2π·sqrt(w_q / |q̈|)``, the median over box samples and coordinates, with ``w_q`` half
    the box width of the coordinate; and where ``q̈`` vanishes everywhere too, the time
    ``w_q / w_q̇`` to cross half the box at a typical speed.

    Parameters
    ----------
    system : System
    state : array_like, shape ``(2n,)``, optional
        Where to linearise. Defaults to the minimum-energy state at rest.
    mode : {"slowest", "fastest"}
        Which non-zero mode sets the period.

    Returns
    -------
    float
        A period in the system's time unit.

    Examples
    --------
    >>> from physym import load_system
    >>> round(natural_period(load_system("pendulum")), 4)  # 2π·sqrt(l/g)
    2.0061
    """
    if mode not in ("slowest", "fastest"):
        raise ValueError(f"mode must be 'slowest' or 'fastest', got {mode!r}")
    x0 = minimum_energy_state(system) if state is None else np.asarray(state, dtype=np.float64)
    if x0.shape != (2 * system.n_dof,):
        raise ValueError(f"state must have shape ({2 * system.n_dof},), got {x0.shape}")
    rates = _linear_rates(system, x0)
    rates = rates[np.isfinite(rates)]
    if rates.size and rates.max() > 0:
        nonzero = rates[rates > _ZERO_RATE * rates.max()]
        rate = nonzero.min() if mode == "slowest" else nonzero.max()
        return float(2 * math.pi / rate)
    return _fallback_period(system)


def _linear_rates(system: System, x0: np.ndarray) -> np.ndarray:
    """``|λ|`` of the Jacobian of ``(q̇, q̈)`` at ``x0`` (central differences, one batch)."""
    n = system.n_dof
    low, high = system.box
    steps = 1e-5 * (high - low)
    shifts = np.diag(steps)
    probes = np.vstack((x0 + shifts, x0 - shifts))
    accelerations = system.accelerations(probes, *_reference_conditions(system))
    d_accel = (accelerations[: 2 * n] - accelerations[2 * n :]) / (2 * steps[:, None])
    jacobian = np.zeros((2 * n, 2 * n))
    jacobian[:n, n:] = np.eye(n)
    jacobian[n:, :] = d_accel.T
    if not np.isfinite(jacobian).all():
        return np.empty(0)
    return np.abs(np.linalg.eigvals(jacobian))


def _fallback_period(system: System) -> float:
    n = system.n_dof
    low, high = system.box
    half_q = (high[:n] - low[:n]) / 2
    magnitude = np.abs(
        system.accelerations(sample_states(system, _N_PROBE), *_reference_conditions(system))
    )
    moving = magnitude > 0
    ratios = np.broadcast_to(half_q, magnitude.shape)[moving] / magnitude[moving]
    if ratios.size:
        return float(2 * math.pi * np.sqrt(np.median(ratios)))
    half_v = (high[n:] - low[n:]) / 2
    return float(np.median(half_q / half_v))


def _reference_conditions(system: System) -> tuple[float | None, np.ndarray | None]:
    """``(t, inputs)`` the scales are taken at: the start of the time range (where the
    system depends on time) and the middle of the input box (where it has inputs)."""
    time = system.time_range[0] if system.time_range is not None else None
    inputs = None
    if system.has_inputs:
        low, high = system.input_box
        inputs = (low + high) / 2
    return time, inputs
