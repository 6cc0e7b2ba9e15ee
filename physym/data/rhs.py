"""Right-hand sides ``ẋ = (q̇, q̈)`` of the first-order equations of motion.

``solve_ivp`` calls the right-hand side many thousands of times with one state, where the
batched ``System.accelerations`` (vectorised entry by entry, with a condition-number check)
is dominated by overhead. :func:`exact_state_accelerations` therefore lambdifies the mass
matrix and the forces once into a single scalar function on Python floats (``math``
module) and solves ``M q̈ = f`` in closed form for up to three degrees of freedom (or
multiplies by the precomputed ``M⁻¹`` when the mass matrix is constant). The
batched, checked evaluation is used again on the output points, so a singular mass matrix
along the trajectory is still reported.

A system with time, inputs, dissipation or forces takes ``accelerations(state, t, inputs)``
and is integrated by :func:`driven_rhs`, which also accumulates the work
``W(t) = ∫ (Q·q̇ − q̇·∂R/∂q̇ − ∂L/∂t) dt`` so that ``E(t) − E(0) − W(t)`` measures the
integration error the way energy drift does for a conservative system.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from physym.systems import Dynamics, System

__all__ = ["driven_rhs", "exact_state_accelerations", "first_order_rhs"]

StateAccelerations = Callable[..., np.ndarray]
"""``accelerations(state (2n,), t=None, inputs=None) -> (n,)``."""

_CACHE: weakref.WeakKeyDictionary[Dynamics, StateAccelerations] = weakref.WeakKeyDictionary()


def exact_state_accelerations(system: System) -> StateAccelerations:
    """A fast function ``state (2n,) -> q̈ (n,)`` for one state of ``system`` (cached).

    Parameters
    ----------
    system : System

    Returns
    -------
    callable
        ``accelerations(state, t=None, inputs=None)`` maps a state of shape ``(2n,)`` (at
        time ``t``, with input values ``(m,)``, where the system needs them) to the exact
        accelerations, shape ``(n,)``. Falls back to the batched
        :meth:`System.accelerations` (which raises a clear error) where the scalar
        evaluation fails, e.g. a singular mass matrix or a domain error.

    Examples
    --------
    >>> from physym import load_system
    >>> accel = exact_state_accelerations(load_system("pendulum"))
    >>> accel(np.array([0.0, 1.0]))
    array([-0.])
    """
    dynamics = system.dynamics
    cached = _CACHE.get(dynamics)
    if cached is None:
        cached = _build(system, dynamics)
        _CACHE[dynamics] = cached
    return cached


def _build(system: System, dynamics: Dynamics) -> StateAccelerations:
    n = system.n_dof
    mass, force = dynamics.mass_matrix_expr, dynamics.force_expr
    constant_mass = not mass.free_symbols
    if constant_mass:  # q̈ = M⁻¹ f with M⁻¹ numeric: no solve per call
        try:
            inverse = np.linalg.inv(np.array(mass.tolist(), dtype=np.float64))
        except np.linalg.LinAlgError:
            constant_mass = False
    entries = list(sp.Matrix(inverse) * force) if constant_mass else [*list(mass), *list(force)]
    args = dynamics.argument_symbols
    try:
        lambdified = sp.lambdify(args, entries, modules="math", cse=True)
    except Exception:  # any printer failure: use the batched path
        return lambda state, t=None, inputs=None: system.accelerations(state, t, inputs)[0]
    if len(args) == 2 * n:  # q and q̇ only: the conservative fast path, nothing appended

        def evaluate(state: np.ndarray, t: Any, inputs: Any) -> Any:
            return lambdified(*state.tolist())
    else:
        time_dependent = system.time_dependent

        def evaluate(state: np.ndarray, t: Any, inputs: Any) -> Any:
            extra = [float(t)] if time_dependent else []
            return lambdified(*state.tolist(), *extra, *_values(inputs))

    def checked(state: np.ndarray, t: Any = None, inputs: Any = None) -> np.ndarray:
        return system.accelerations(state, t, inputs)[0]

    def solved(state: np.ndarray, t: Any = None, inputs: Any = None) -> np.ndarray:
        try:
            return np.array(evaluate(state, t, inputs), dtype=np.float64)
        except (ArithmeticError, ValueError, TypeError):
            return checked(state, t, inputs)

    def one_dof(state: np.ndarray, t: Any = None, inputs: Any = None) -> np.ndarray:
        try:
            m, f = evaluate(state, t, inputs)
            return np.array([f / m])
        except (ArithmeticError, ValueError, TypeError):
            return checked(state, t, inputs)

    def two_dof(state: np.ndarray, t: Any = None, inputs: Any = None) -> np.ndarray:
        try:
            a, b, c, d, f1, f2 = evaluate(state, t, inputs)
            det = a * d - b * c
            return np.array([(d * f1 - b * f2) / det, (a * f2 - c * f1) / det])
        except (ArithmeticError, ValueError, TypeError):
            return checked(state, t, inputs)

    def three_dof(state: np.ndarray, t: Any = None, inputs: Any = None) -> np.ndarray:
        try:  # Cramer's rule: no LAPACK call
            a, b, c, d, e, f, g, h, i, f1, f2, f3 = evaluate(state, t, inputs)
            c1, c2, c3 = e * i - f * h, f * g - d * i, d * h - e * g
            det = a * c1 + b * c2 + c * c3
            x1 = f1 * c1 + b * (f3 * f - f2 * i) + c * (f2 * h - f3 * e)
            x2 = a * (f2 * i - f3 * f) + f1 * c2 + c * (f3 * d - f2 * g)
            x3 = a * (e * f3 - h * f2) + b * (g * f2 - d * f3) + f1 * c3
            return np.array([x1 / det, x2 / det, x3 / det])
        except (ArithmeticError, ValueError, TypeError):
            return checked(state, t, inputs)

    def many_dof(state: np.ndarray, t: Any = None, inputs: Any = None) -> np.ndarray:
        try:
            values = np.array(evaluate(state, t, inputs), dtype=np.float64)
            return np.linalg.solve(values[: n * n].reshape(n, n), values[n * n :])
        except (ArithmeticError, ValueError, TypeError, np.linalg.LinAlgError):
            return checked(state, t, inputs)

    if constant_mass:
        return solved
    return {1: one_dof, 2: two_dof, 3: three_dof}.get(n, many_dof)


def first_order_rhs(
    accelerations: Callable[[np.ndarray], np.ndarray], n_dof: int
) -> Callable[[float, np.ndarray], np.ndarray]:
    """Wrap ``accelerations(state (2n,)) -> (n,)`` as ``rhs(t, x) -> (q̇, q̈)`` for solve_ivp."""

    def rhs(_t: float, x: np.ndarray) -> np.ndarray:
        return np.concatenate((x[n_dof:], accelerations(x)))

    return rhs


def _values(inputs: Any) -> list[float]:
    return [] if inputs is None else np.asarray(inputs, dtype=np.float64).reshape(-1).tolist()


def driven_rhs(
    system: System, signal: Callable[[float], Any] | None = None
) -> Callable[[float, np.ndarray], np.ndarray]:
    """``rhs(t, y) -> ẏ`` for ``y = (q, q̇, W)``: the equations of motion of a system with
    time, inputs ``u = signal(t)``, dissipation or forces, and the work ``Ẇ = dE/dt``.

    Parameters
    ----------
    system : System
    signal : callable, optional
        ``t -> (m,)`` input values (see :class:`physym.data.InputSignal`).
    """
    n = system.n_dof
    accelerations = exact_state_accelerations(system)
    dynamics = system.dynamics
    try:
        power = sp.lambdify(
            dynamics.argument_symbols, dynamics.power_expr, modules="math", cse=True
        )
    except Exception:  # any printer failure: use the batched path
        power = None
    time_dependent = system.time_dependent

    def work_rate(x: np.ndarray, t: float, u: list[float]) -> float:
        if power is not None:
            try:
                extra = [t] if time_dependent else []
                return float(power(*x.tolist(), *extra, *u))
            except (ArithmeticError, ValueError, TypeError):
                pass
        return float(system.power(x, t, u or None)[0])

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        x = y[: 2 * n]
        u = _values(None if signal is None else signal(t))
        accel = accelerations(x, t, u or None)
        return np.concatenate((x[n:], accel, [work_rate(x, t, u)]))

    return rhs
