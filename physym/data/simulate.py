"""Exact trajectories of a system: ``simulate`` one start, ``simulate_many`` several.

Trajectories are integrated with ``scipy.integrate.solve_ivp`` (DOP853, tolerances 1e-12 by
default) from the exact Euler–Lagrange accelerations. A system with dissipation, forces,
inputs or time is driven by its input signal and integrated together with the work ``W(t)``
of those terms, so that the energy balance ``E − E(0) − W`` measures the integration error.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from physym.data.errors import IntegrationError
from physym.data.rhs import driven_rhs, exact_state_accelerations, first_order_rhs
from physym.data.scales import energy_scale
from physym.data.signals import InputSignal, as_input_signal
from physym.data.trajectory import Trajectory
from physym.systems import System

__all__ = ["simulate", "simulate_many"]


def _check_state(system: System, state: Any) -> np.ndarray:
    x0 = np.asarray(state, dtype=np.float64)
    if x0.shape != (2 * system.n_dof,):
        names = ", ".join(system.state_names)
        raise ValueError(
            f"initial state of {system.name!r} needs {2 * system.n_dof} values "
            f"({names}), got shape {x0.shape}"
        )
    if not np.isfinite(x0).all():
        raise ValueError(f"initial state must be finite, got {x0.tolist()}")
    return x0


def _output_times(t_end: float, n_points: int, t_start: float = 0.0) -> np.ndarray:
    if not np.isfinite(t_start):
        raise ValueError(f"t_start must be a finite number, got {t_start}")
    if not np.isfinite(t_end) or t_end <= t_start:
        what = "a positive number" if t_start == 0 else f"a number above t_start = {t_start:g}"
        raise ValueError(f"t_end must be {what}, got {t_end}")
    if n_points < 2:
        raise ValueError(f"n_points must be at least 2, got {n_points}")
    return np.linspace(float(t_start), float(t_end), int(n_points))


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
    inputs: Any = None,
    t_start: float = 0.0,
) -> Trajectory:
    """Integrate the exact equations of motion of ``system`` from ``initial_state``.

    Parameters
    ----------
    system : System
    initial_state : array_like, shape ``(2n,)``
        ``(q, q_dot)`` at ``t = t_start``.
    t_end : float
        Final time (``> t_start``).
    n_points : int
        Number of equally spaced output times in ``[t_start, t_end]``.
    rtol, atol : float
        Tolerances of ``solve_ivp``.
    method : str
        A ``solve_ivp`` method name.
    scale : float, optional
        Energy scale for the drift; defaults to :func:`physym.data.energy_scale`.
    inputs : optional
        The input signal of a system with inputs: an :class:`~physym.data.InputSignal`, a
        function ``u(t) -> (m,)``, a mapping ``{name: function of t or number}``, or values
        ``(n_points, m)`` at the output times (a cubic spline in between). A signal with
        kinks or jumps (linear or held samples) is integrated piece by piece between them.
    t_start : float
        Initial time (matters for a system that depends on time).

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
    >>> cart = load_system("cart_pole")
    >>> pushed = simulate(cart, [0, 0.1, 0, 0], 2.0, 21, inputs=lambda t: [np.sin(t)])
    >>> pushed.inputs.shape, pushed.energy_drift < 1e-10
    ((21, 1), True)
    """
    x0 = _check_state(system, initial_state)
    t_eval = _output_times(t_end, n_points, t_start)
    signal = as_input_signal(system.inputs, inputs, t_eval, system.name)
    if system.is_conservative and signal is None:
        rhs = first_order_rhs(exact_state_accelerations(system), system.n_dof)
        y0 = x0
    else:
        rhs = driven_rhs(system, signal)
        y0 = np.concatenate((x0, [0.0]))
    breaks = () if signal is None else signal.breaks
    solution = _solve(rhs, t_eval, y0, breaks, method=method, rtol=rtol, atol=atol)
    if solution.status != 0:
        raise IntegrationError(
            f"{system.name}: integration stopped at t = {solution.t[-1]:.6g} of {t_end:g} "
            f"({solution.message})",
            solution.t,
            solution.y.T[:, : 2 * system.n_dof],
        )
    states = solution.y.T[:, : 2 * system.n_dof]
    values = None if signal is None else signal.sample(solution.t)
    time = solution.t if system.time_dependent else None
    return Trajectory(
        t=solution.t,
        states=states,
        accelerations=system.accelerations(states, time, values),
        energy=system.energy(states, time),
        energy_scale=energy_scale(system) if scale is None else float(scale),
        system=system.name,
        state_names=tuple(system.state_names),
        inputs=values,
        input_names=tuple(system.inputs) if signal is not None else (),
        work=None if len(y0) == len(x0) else solution.y[-1],
    )


def simulate_many(
    system: System,
    initial_states: Any,
    t_end: float,
    n_points: int = 1000,
    rtol: float = 1e-12,
    atol: float = 1e-12,
    method: str = "DOP853",
    *,
    inputs: Any = None,
    t_start: float = 0.0,
) -> list[Trajectory]:
    """:func:`simulate` from each row of ``initial_states`` ``(B, 2n)``, each with its own
    adaptive steps; returns ``B`` trajectories on the same output times.

    ``inputs`` is one signal for every trajectory (as in :func:`simulate`), or a ``list``
    of ``B`` signals, one per trajectory.

    Examples
    --------
    >>> from physym import load_system
    >>> trajs = simulate_many(load_system("pendulum"), [[0.1, 0], [1.0, 0]], 5.0, 51)
    >>> len(trajs), trajs[1].states.shape
    (2, (51, 2))
    """
    starts = np.asarray(initial_states, dtype=np.float64)
    if starts.ndim != 2:
        raise ValueError(
            f"initial_states must have shape (B, {2 * system.n_dof}), got {starts.shape}"
        )
    per_start = (
        isinstance(inputs, list)
        and len(inputs) == len(starts)
        and all(isinstance(u, InputSignal | Mapping | np.ndarray) or callable(u) for u in inputs)
    )
    signals = inputs if per_start else [inputs] * len(starts)
    scale = energy_scale(system)
    return [
        simulate(
            system,
            x0,
            t_end,
            n_points,
            rtol,
            atol,
            method,
            scale=scale,
            inputs=signal,
            t_start=t_start,
        )
        for x0, signal in zip(starts, signals, strict=True)
    ]


def _solve(
    rhs: Any, t_eval: np.ndarray, y0: np.ndarray, breaks: tuple[float, ...], **options: Any
) -> Any:
    """``solve_ivp`` over ``t_eval``, restarted at each of ``breaks`` inside the interval.

    A kink or jump of the input (a linear or held signal) inside a step costs an adaptive
    solver many rejected steps; between breaks the right-hand side is smooth.
    """
    inner = np.asarray([b for b in breaks if t_eval[0] < b < t_eval[-1]], dtype=np.float64)
    if not inner.size:
        return solve_ivp(rhs, (t_eval[0], t_eval[-1]), y0, t_eval=t_eval, **options)
    edges = np.unique(np.concatenate(([t_eval[0]], inner, [t_eval[-1]])))
    times, values, y = [t_eval[:1]], [y0[:, None]], y0
    for start, end in itertools.pairwise(edges):
        inside = t_eval[(t_eval > start) & (t_eval < end)]
        piece = solve_ivp(rhs, (start, end), y, t_eval=np.append(inside, end), **options)
        if piece.status != 0:
            piece.t = np.concatenate([*times, piece.t])
            piece.y = np.concatenate([*values, piece.y], axis=1)
            return piece
        y = piece.y[:, -1]
        keep = np.isin(piece.t, t_eval)
        times.append(piece.t[keep])
        values.append(piece.y[:, keep])
    return SimpleNamespace(
        t=np.concatenate(times), y=np.concatenate(values, axis=1), status=0, message=""
    )
