"""Batched fixed-step RK4 for learned (or exact) accelerations, and model wrappers.

A neural network pays a fixed cost per call, whatever the batch size up to a few thousand
states, so integrating many initial states as one batch with a fixed step is much faster
than one adaptive ``solve_ivp`` per state (which calls the network with a batch of one,
tens of thousands of times). Fixed-step RK4 in float64 has a global error ``O(dt⁴)``.
:func:`rk4_at` integrates to any increasing output times; a fit's evaluation runs every
rollout of the network, and of the exact system, as one batch each
(:mod:`physym.rollout.evaluation`); :func:`~physym.rollout.compare_rollouts` measures a
model against DOP853 references instead.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from physym.network.base import LagrangianModel

__all__ = [
    "BatchAccelerations",
    "model_accelerations",
    "rk4_at",
    "rk4_rollout",
    "rk4_step",
    "system_accelerations",
]

BatchAccelerations = Callable[[np.ndarray], np.ndarray]
"""``accelerations(states (B, 2n) float64) -> (B, n)``."""


def model_accelerations(model: LagrangianModel) -> BatchAccelerations:
    """A float64 NumPy acceleration function of a learned Lagrangian.

    The model is copied to float64 (whatever its training dtype). States whose velocity
    Hessian cannot be solved get ``nan`` accelerations instead of an exception (and ``nan``
    states give ``nan``), so one diverging trajectory does not stop a batch.

    Parameters
    ----------
    model : LagrangianModel

    Returns
    -------
    callable
        ``(B, 2n) ndarray -> (B, n) ndarray``, float64.

    Examples
    --------
    >>> from physym.network import FunctionLagrangian
    >>> osc = FunctionLagrangian(1, lambda x: 0.5 * x[:, 1] ** 2 - 2.0 * x[:, 0] ** 2)
    >>> model_accelerations(osc)(np.array([[0.5, 0.0]]))
    array([[-2.]])
    """
    double = copy.deepcopy(model).to(torch.float64).eval()
    for parameter in double.parameters():
        parameter.requires_grad_(False)
    n = double.n_dof

    def solve(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        grad_q, h_vv, h_vq = double.derivatives(x, create_graph=False)
        rhs = grad_q - (h_vq @ x[:, n:].unsqueeze(-1)).squeeze(-1)
        return torch.linalg.solve_ex(h_vv, rhs)

    traced = _TracedByBatch(solve)

    def accelerations(states: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(np.asarray(states, dtype=np.float64))
        solution, info = traced(x)
        if bool(info.any()):
            solution = solution.clone()
            solution[info != 0] = float("nan")
        return solution.numpy()

    return accelerations


class _TracedByBatch:
    """``solve`` traced once per batch size (a rollout calls it thousands of times with
    one batch: tracing drops Python's share of each call), each trace checked against the
    eager call it replaces and dropped for good if it differs in any way."""

    def __init__(self, solve: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]):
        self.solve = solve
        self.traces: dict[int, Any] = {}

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        size = int(x.shape[0])
        trace = self.traces.get(size)
        if trace is not None:
            return trace(x)
        eager = self.solve(x)
        if size in self.traces or len(self.traces) >= 4:
            return eager
        self.traces[size] = self._trace(x, eager)
        return eager

    def _trace(self, x: torch.Tensor, eager: tuple[torch.Tensor, torch.Tensor]) -> Any:
        import warnings

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                trace = torch.jit.trace(self.solve, (x.clone(),), check_trace=False)
                again = trace(x.clone())
        except Exception:  # any model the tracer cannot follow runs eagerly
            return None
        same = all(
            torch.equal(a, b) or bool(torch.allclose(a, b, rtol=0, atol=0, equal_nan=True))
            for a, b in zip(again, eager, strict=True)
        )
        return trace if same else None


def system_accelerations(system: Any) -> BatchAccelerations:
    """The exact accelerations of a :class:`~physym.System`, ``nan`` where not determined.

    ``system.accelerations`` raises for a whole batch if one state has a singular mass
    matrix (or is not finite). A fixed-step rollout of the exact system can reach such a
    state, e.g. a near-collision Kepler orbit that RK4 at ``dt = 0.01`` throws through
    ``r = 0``: that trajectory diverges (``nan``), the others go on, as with
    :func:`model_accelerations`.

    Examples
    --------
    >>> from physym import load_system
    >>> kepler = load_system("kepler_polar")
    >>> system_accelerations(kepler)(np.array([[0.0, 0.0, 0.0, 1.0], [2.0, 0.0, 1.0, 1.0]]))
    array([[  nan,   nan],
           [ 1.75, -1.  ]])
    """
    from physym.systems import DegenerateLagrangianError
    from physym.systems.dynamics import _CONDITION_LIMIT

    def accelerations(states: np.ndarray) -> np.ndarray:
        states = np.asarray(states, dtype=np.float64)
        with np.errstate(all="ignore"):
            try:
                return system.accelerations(states)
            except DegenerateLagrangianError:
                pass
            out = np.full((states.shape[0], system.n_dof), np.nan)
            mass = system.mass_matrix(states)
            ok = np.isfinite(states).all(axis=1) & np.isfinite(mass).all(axis=(1, 2))
            ok[ok] = np.linalg.cond(mass[ok]) < _CONDITION_LIMIT
            if ok.any():
                out[ok] = system.accelerations(states[ok])
        return out

    return accelerations


def rk4_step(accelerations: BatchAccelerations, x: np.ndarray, dt: float) -> np.ndarray:
    """One classical Runge–Kutta step of ``ẋ = (q̇, q̈(x))`` for a batch ``(B, 2n)``."""
    n = x.shape[1] // 2

    def rate(state: np.ndarray) -> np.ndarray:
        return np.concatenate((state[:, n:], accelerations(state)), axis=1)

    k1 = rate(x)
    k2 = rate(x + 0.5 * dt * k1)
    k3 = rate(x + 0.5 * dt * k2)
    k4 = rate(x + dt * k3)
    return x + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def rk4_rollout(
    accelerations: BatchAccelerations,
    x0: np.ndarray,
    t_end: float,
    dt: float,
    n_points: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate a batch of initial states with fixed-step RK4 in float64.

    Parameters
    ----------
    accelerations : callable
        ``(B, 2n) -> (B, n)`` (e.g. :func:`model_accelerations` or
        ``system.accelerations``).
    x0 : array_like, shape ``(B, 2n)``
    t_end : float
        Final time (hit exactly).
    dt : float
        Largest step; each output interval is split into equal steps no longer than this.
    n_points : int, optional
        Output times ``linspace(0, t_end, n_points)``; default: every step.

    Returns
    -------
    t : numpy.ndarray, shape ``(T,)``
    states : numpy.ndarray, shape ``(T, B, 2n)``
        Rows that became non-finite stay ``nan`` from then on.

    Examples
    --------
    >>> spring = lambda x: -4.0 * x[:, :1]
    >>> t, xs = rk4_rollout(spring, np.array([[1.0, 0.0]]), np.pi, 0.01, n_points=3)
    >>> np.round(xs[:, 0, 0], 6) + 0.0
    array([ 1., -1.,  1.])
    """
    if not (t_end > 0 and dt > 0):
        raise ValueError(f"t_end and dt must be positive, got {t_end} and {dt}")
    if n_points is None:
        n_points = max(1, int(np.ceil(t_end / dt - 1e-9))) + 1
    if n_points < 2:
        raise ValueError(f"n_points must be at least 2, got {n_points}")
    times = np.linspace(0.0, float(t_end), int(n_points))
    return times, rk4_at(accelerations, x0, times, dt)


def rk4_at(
    accelerations: BatchAccelerations, x0: np.ndarray, times: np.ndarray, dt: float
) -> np.ndarray:
    """States of a batch at increasing ``times`` (from ``t = 0``), by fixed-step RK4.

    Each interval between consecutive output times is split into equal steps no longer
    than ``dt``; one call of ``accelerations`` per RK4 stage serves the whole batch.

    Parameters
    ----------
    accelerations : callable
        ``(B, 2n) -> (B, n)``.
    x0 : array_like, shape ``(B, 2n)``
    times : array_like, shape ``(T,)``
        Non-decreasing output times, ``times[0] >= 0``.
    dt : float
        Largest step.

    Returns
    -------
    numpy.ndarray, shape ``(T, B, 2n)``
        Rows that became non-finite stay ``nan`` from then on.

    Examples
    --------
    >>> spring = lambda x: -x[:, :1]
    >>> xs = rk4_at(spring, np.array([[1.0, 0.0]]), np.array([0.0, np.pi / 2, np.pi]), 0.01)
    >>> np.round(xs[:, 0, 0], 6) + 0.0
    array([ 1.,  0., -1.])
    """
    x = np.array(x0, dtype=np.float64, ndmin=2)
    times = np.asarray(times, dtype=np.float64)
    if not dt > 0:
        raise ValueError(f"dt must be positive, got {dt}")
    if len(times) == 0 or times[0] < 0 or np.any(np.diff(times) < 0):
        raise ValueError("times must be non-decreasing from t >= 0")
    states = np.empty((len(times), *x.shape))
    now = 0.0
    with np.errstate(all="ignore"):
        for i, target in enumerate(times):
            interval = float(target) - now
            substeps = int(np.ceil(interval / dt - 1e-9)) if interval > 0 else 0
            for _ in range(substeps):
                x = rk4_step(accelerations, x, interval / substeps)
            x[~np.isfinite(x).all(axis=1)] = np.nan
            states[i] = x
            now = float(target)
    return states
