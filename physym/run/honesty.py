"""Honesty of a conservative fit to measured data: say so when no conservative ``L``
explains them.

A conservative Lagrangian cannot produce friction or a drive. Fitted to positions of a
damped or driven system, the network and the distillation still return *some* ``L``, and
with a (conservative) reference spec the verdicts compare it with that spec: the run
could come back looking like an undamped success. Two pieces of evidence, both from the
data alone:

* **residual** — the held-out relative acceleration error of the accepted (or best)
  closed form against the accelerations estimated from the data, when both it and the
  network's are above ``RESIDUAL_FACTOR ×`` the data's noise floor (at least
  ``MIN_FLOOR``): the network being as bad as the closed form rules out a distillation
  that merely missed;
* **energy** — ``E = q̇·∂L/∂q̇ − L`` of the recovered ``L`` along each measured (smoothed)
  trajectory: a straight-line fit of ``E(t)`` whose change over the trajectory exceeds
  ``ENERGY_DRIFT ×`` the mean kinetic energy ``½ q̇·∂L/∂q̇`` there (independent of the
  constant in ``L``), with the same sign on at least ``AGREEMENT`` of the trajectories.

Either one adds a line to ``summary["warnings"]``, printed by the CLI and listed in the
report: "the data are not explained by a conservative L (residual X); add dissipation or
forces". The numbers behind it are ``summary["conservative_check"]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "AGREEMENT",
    "ENERGY_DRIFT",
    "MIN_FLOOR",
    "RESIDUAL_FACTOR",
    "WARNING_PREFIX",
    "conservative_check",
    "energy_drifts",
]

#: How far above the noise floor a residual must be to count against a conservative L.
RESIDUAL_FACTOR = 10.0
#: The least floor of the residual rule: estimated accelerations carry a smoothing bias.
MIN_FLOOR = 1e-3
#: Change of the fitted energy over a trajectory, in units of its mean kinetic energy.
ENERGY_DRIFT = 0.05
#: Fraction of the trajectories whose energy must change the same way.
AGREEMENT = 0.75
#: Every warning of this check starts with these words.
WARNING_PREFIX = "the data are not explained by a conservative L"
_MIN_POINTS = 10


def energy_drifts(
    lagrangian: Any, space: Any, states: np.ndarray, t: np.ndarray, trajectory: np.ndarray
) -> np.ndarray:
    """Energy change of ``lagrangian`` along each trajectory, per mean kinetic energy.

    Parameters
    ----------
    lagrangian : sympy.Expr
        ``L(q, q̇)`` in the symbols of ``space``.
    space : StateSpace
        Coordinates (``q_symbols``, ``v_symbols``).
    states : numpy.ndarray, shape ``(T, 2n)``
    t, trajectory : numpy.ndarray, shape ``(T,)``
        Time and trajectory id of each state.

    Returns
    -------
    numpy.ndarray
        One value per trajectory with enough points: the slope of a straight-line fit of
        ``E(t)`` times the trajectory's span, over its mean ``½ q̇·∂L/∂q̇`` (negative when
        the energy decays).
    """
    import sympy as sp

    q, v = space.q_symbols, space.v_symbols
    momentum_velocity = sp.Add(*[vi * sp.diff(lagrangian, vi) for vi in v])
    functions = sp.lambdify([*q, *v], [momentum_velocity, momentum_velocity - lagrangian], "numpy")
    columns = [states[:, i] for i in range(states.shape[1])]
    pv, energy = (
        np.broadcast_to(np.asarray(a, dtype=np.float64), t.shape) for a in functions(*columns)
    )
    drifts = []
    for k in np.unique(trajectory):
        rows = trajectory == k
        kinetic = 0.5 * float(np.mean(np.abs(pv[rows])))
        if rows.sum() < _MIN_POINTS or not kinetic > 0:
            continue
        tk = t[rows]
        slope = np.polyfit(tk - tk.mean(), energy[rows], 1)[0]
        drifts.append(slope * (tk.max() - tk.min()) / kinetic)
    return np.asarray(drifts, dtype=np.float64)


def conservative_check(
    distillation: Any, space: Any, estimate: Any, noise_floor: float
) -> tuple[dict[str, Any], list[str]]:
    """The evidence against a conservative ``L`` (see the module docstring).

    Parameters
    ----------
    distillation : Distillation
        Its ``lagrangian`` and ``acceptance`` (held-out errors against the data).
    space : StateSpace
    estimate : StateEstimate
        The states estimated from the measured positions.
    noise_floor : float
        Relative acceleration error the data's noise allows.

    Returns
    -------
    (dict, list of str)
        ``summary["conservative_check"]`` and the warnings (empty when the data agree).
    """
    acceptance = distillation.acceptance or {}
    residual, network = acceptance.get("error"), acceptance.get("network_error")
    threshold = RESIDUAL_FACTOR * max(float(noise_floor), MIN_FLOOR)
    unexplained = (
        residual is not None
        and network is not None
        and residual > threshold
        and network > threshold
    )
    kept = np.asarray(estimate.kept, dtype=bool)
    try:
        drifts = energy_drifts(
            distillation.lagrangian,
            space,
            estimate.states,
            np.asarray(estimate.t)[kept],
            np.asarray(estimate.trajectory)[kept],
        )
    except (ValueError, TypeError, ArithmeticError, np.linalg.LinAlgError):
        drifts = np.empty(0)
    decaying = int((drifts < -ENERGY_DRIFT).sum())
    growing = int((drifts > ENERGY_DRIFT).sum())
    agree = AGREEMENT * len(drifts)
    trend = (
        "decays"
        if decaying and decaying >= agree
        else ("grows" if growing and growing >= agree else None)
    )
    check = {
        "residual": residual,
        "network_residual": network,
        "threshold": threshold,
        "energy_drifts": drifts.tolist(),
        "energy_drift_threshold": ENERGY_DRIFT,
        "energy_trend": trend,
        "explained": not (unexplained or trend),
    }
    if check["explained"]:
        return check, []
    text = f"{WARNING_PREFIX} (residual {_number(residual)}); add dissipation or forces"
    if trend is not None:
        median = float(np.median(drifts))
        count = decaying if trend == "decays" else growing
        text += (
            f" (the energy of the recovered L {trend} along {count} of {len(drifts)} "
            f"measured trajectories, median change {median:+.2g} × the mean kinetic "
            "energy)"
        )
    return check, [text]


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"
