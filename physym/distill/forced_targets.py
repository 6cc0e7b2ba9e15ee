"""Regression targets of a learned ``L_θ`` and ``R_θ`` with friction, forces or time.

For a :class:`~physym.network.forced.ForcedLagrangian` the targets are, at sampled
coordinates ``q`` (and times ``t``):

* ``M[i,j] = ∂²L_θ/∂q̇_i∂q̇_j`` and ``V = L_θ(q_ref, 0, t) − L_θ(q, 0, t)`` (removing
  ``L_θ(q_ref, 0, t)`` drops a function of time alone, a null Lagrangian);
* ``D[i,j] = ∂²R_θ/∂q̇_i∂q̇_j``, the friction matrix of ``R = ½ q̇ᵀ D q̇``.

Each is averaged over ``q̇ = 0`` and two ``±q̇`` pairs. Whether a target depends on time
is measured, not assumed: the same ``q`` at two independent times; a relative change
below :data:`TIME_TOLERANCE` makes it a function of ``q`` alone. A time-dependent target
is searched in the phase ``τ = 2π (t − t0)/(t1 − t0)`` of the sampled time range, as one
more periodic variable, so that a drive whose period is the range is a trig harmonic of
the grammar; ``τ`` is replaced by its expression in ``t`` afterwards.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
import torch

from physym.distill.base import Problem
from physym.distill.space import StateSpace
from physym.systems.names import coordinate_symbol, time_symbol

__all__ = ["TIME_TOLERANCE", "TimeAxis", "forced_targets"]

#: Relative change of a target between two times below which it counts as static.
TIME_TOLERANCE = 0.05
_PAIRS = 2
#: The name of the time phase as a search variable.
PHASE_NAME = "t_phase"


@dataclass(frozen=True)
class TimeAxis:
    """The sampled time range ``[t0, t1]`` and its phase ``τ = 2π (t − t0)/(t1 − t0)``."""

    t0: float
    t1: float

    def phase(self, t: np.ndarray) -> np.ndarray:
        return 2 * np.pi * (np.asarray(t) - self.t0) / (self.t1 - self.t0)

    def time(self, phase: np.ndarray) -> np.ndarray:
        return self.t0 + np.asarray(phase) * (self.t1 - self.t0) / (2 * np.pi)

    def phase_expr(self) -> sp.Expr:
        """``τ`` in ``t``, its rate simplified to an exact number where it is one."""
        rate = 2 * np.pi / (self.t1 - self.t0)
        exact = _exact(rate)
        start = _exact(self.t0) if self.t0 else sp.Integer(0)
        return exact * (time_symbol() - start)


def _exact(value: float) -> sp.Expr:
    """``value`` as a small rational, or a rational multiple of π, when it is one."""
    for base in (sp.Integer(1), sp.pi):
        ratio = sp.nsimplify(value / float(base), rational=True, tolerance=1e-12 * abs(value))
        if sp.denom(ratio) <= 1000 and abs(float(ratio * base) - value) <= 1e-12 * abs(value):
            return ratio * base
    return sp.Float(value, 17)


def _hessians(function: Any, rows: torch.Tensor, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Values ``(B,)`` and velocity Hessians ``(B, n, n)`` of ``function`` at ``rows``."""
    x = rows.detach().requires_grad_(True)
    with torch.enable_grad():
        value = function(x)
        grad = torch.autograd.grad(value.sum(), x, create_graph=True)[0]
        hess = torch.stack(
            [torch.autograd.grad(grad[:, n + i].sum(), x, retain_graph=True)[0] for i in range(n)],
            dim=1,
        )[:, :, n : 2 * n]
    return value.detach().numpy(), hess.detach().numpy()


def _values(
    model: Any, space: StateSpace, q: np.ndarray, t: np.ndarray | None, velocities: list[np.ndarray]
) -> dict[str, np.ndarray]:
    """``M``, ``V`` and ``D`` at ``(q, t)`` (``(B, n, n)``, ``(B,)``, ``(B, n, n)``)."""
    n = space.n_dof
    dtype = next(model.parameters()).dtype

    def rows(qq: np.ndarray, v: np.ndarray) -> torch.Tensor:
        parts = [qq, v] + ([t[: len(qq)].reshape(-1, 1)] if t is not None else [])
        return torch.as_tensor(np.hstack(parts), dtype=dtype)

    lag = model.lagrangian
    width = 2 * n + int(lag.time_dependent)
    masses, frictions = [], []
    for v in velocities:
        x = rows(q, v)
        masses.append(_hessians(lambda z: lag(z[:, :width]), x, n)[1])
        if model.dissipation is not None:
            frictions.append(_hessians(model.rayleigh, x, n)[1])
    reference = np.tile(space.q_reference[None, :], (len(q), 1))
    with torch.no_grad():
        at_rest = lag(rows(q, np.zeros_like(q))[:, :width]).numpy()
        at_ref = lag(rows(reference, np.zeros_like(q))[:, :width]).numpy()
    out = {"M": np.mean(masses, axis=0), "V": at_ref - at_rest}
    if frictions:
        out["D"] = np.mean(frictions, axis=0)
    return out


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(values))))


def forced_targets(
    model: Any, space: StateSpace, n_states: int, rng: np.random.Generator, axis: TimeAxis | None
) -> tuple[list[Problem], dict[str, bool]]:
    """The problems ``M[i,j]``, ``V`` and ``D[i,j]``, and which of them depend on time."""
    n = space.n_dof
    q = space.sample_q(n_states, rng)
    velocities = [np.zeros_like(q)]
    for _ in range(_PAIRS):
        v = space.sample_v(n_states, rng)
        velocities += [v, -v]
    t_a = t_b = None
    if axis is not None:
        t_a, t_b = (rng.uniform(axis.t0, axis.t1, n_states) for _ in range(2))
    first = _values(model, space, q, t_a, velocities)
    second = _values(model, space, q, t_b, velocities) if axis is not None else first
    names = space.coordinates
    entries: list[tuple[str, np.ndarray, np.ndarray, Any]] = []
    for i, j in itertools.combinations_with_replacement(range(n), 2):
        entries.append(
            (f"M[{names[i]},{names[j]}]", first["M"][:, i, j], second["M"][:, i, j], ("M", i, j))
        )
    entries.append(("V", first["V"], second["V"], ("V",)))
    if "D" in first:
        for i, j in itertools.combinations_with_replacement(range(n), 2):
            entries.append(
                (
                    f"D[{names[i]},{names[j]}]",
                    first["D"][:, i, j],
                    second["D"][:, i, j],
                    ("D", i, j),
                )
            )
    mass_scale = _rms(first["M"]) * np.sqrt(n)
    problems, timed = [], {}
    for name, a, b, kind in entries:
        scale = mass_scale if kind[0] != "V" else max(_rms(a), 1e-300)
        scale = max(scale, 1e-300)
        moves = axis is not None and _rms(a - b) > TIME_TOLERANCE * max(_rms(a), 1e-300)
        timed[name] = bool(moves)
        function = _TargetFunction(model, space, kind, axis if moves else None)
        if moves:
            assert axis is not None and t_a is not None
            target_space = _phase_space(space)
            inputs = np.hstack([q, axis.phase(t_a)[:, None]])
            problems.append(
                Problem(
                    name, target_space.q_symbols, inputs, a, scale, "q", target_space, function, 0.0
                )
            )
        else:
            problems.append(
                Problem(name, space.q_symbols, q, (a + b) / 2, scale, "q", space, function, 0.0)
            )
    return problems, timed


def _phase_space(space: StateSpace) -> StateSpace:
    """``space`` with the time phase as one more (periodic) coordinate."""
    n = space.n_dof
    low = np.concatenate([space.low[:n], [0.0], space.low[n:], [0.0]])
    high = np.concatenate([space.high[:n], [2 * np.pi], space.high[n:], [0.0]])
    return StateSpace((*space.coordinates, PHASE_NAME), (*space.periodic, True), low, high)


def phase_symbol() -> sp.Symbol:
    """The search variable of the time phase."""
    return coordinate_symbol(PHASE_NAME)


class _TargetFunction:
    """A target evaluated afresh at ``q`` (and ``τ``), for backends that probe structure."""

    def __init__(self, model: Any, space: StateSpace, kind: tuple, axis: TimeAxis | None):
        self.model, self.space, self.kind, self.axis = model, space, kind, axis

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        inputs = np.asarray(inputs, dtype=np.float64)
        n = self.space.n_dof
        q = inputs[:, :n]
        t = None
        if self.model.time_column:
            t = self.axis.time(inputs[:, n]) if self.axis is not None else np.zeros(len(q))
        values = _values(self.model, self.space, q, t, [np.zeros_like(q)])
        if self.kind[0] == "V":
            return values["V"]
        _, i, j = self.kind
        return values[self.kind[0]][:, i, j]
