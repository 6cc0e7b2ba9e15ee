"""Right-hand sides ``ẋ = (q̇, q̈)`` of the first-order equations of motion.

``solve_ivp`` calls the right-hand side many thousands of times with one state, where the
batched ``System.accelerations`` (vectorised entry by entry, with a condition-number check)
is dominated by overhead. :func:`exact_state_accelerations` therefore lambdifies the mass
matrix and the forces once into a single scalar function on Python floats (``math``
module) and solves ``M q̈ = f`` in closed form for one and two degrees of freedom. The
batched, checked evaluation is used again on the output points, so a singular mass matrix
along the trajectory is still reported.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np
import sympy as sp

from physym.systems import Dynamics, System

__all__ = ["exact_state_accelerations", "first_order_rhs"]

StateAccelerations = Callable[[np.ndarray], np.ndarray]
"""``accelerations(state (2n,)) -> (n,)``."""

_CACHE: weakref.WeakKeyDictionary[Dynamics, StateAccelerations] = weakref.WeakKeyDictionary()


def exact_state_accelerations(system: System) -> StateAccelerations:
    """A fast function ``state (2n,) -> q̈ (n,)`` for one state of ``system`` (cached).

    Parameters
    ----------
    system : System

    Returns
    -------
    callable
        Maps a state of shape ``(2n,)`` to the exact accelerations, shape ``(n,)``. Falls
        back to the batched :meth:`System.accelerations` (which raises a clear error) where
        the scalar evaluation fails, e.g. a singular mass matrix or a domain error.

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
    entries = [*list(dynamics.mass_matrix_expr), *list(dynamics.force_expr)]
    try:
        mass_and_force = sp.lambdify(dynamics.state_symbols, entries, modules="math", cse=True)
    except Exception:  # any printer failure: use the batched path
        return lambda state: system.accelerations(state)[0]

    def checked(state: np.ndarray) -> np.ndarray:
        return system.accelerations(state)[0]

    def one_dof(state: np.ndarray) -> np.ndarray:
        try:
            m, f = mass_and_force(*state.tolist())
            return np.array([f / m])
        except (ArithmeticError, ValueError, TypeError):
            return checked(state)

    def two_dof(state: np.ndarray) -> np.ndarray:
        try:
            a, b, c, d, f1, f2 = mass_and_force(*state.tolist())
            det = a * d - b * c
            return np.array([(d * f1 - b * f2) / det, (a * f2 - c * f1) / det])
        except (ArithmeticError, ValueError, TypeError):
            return checked(state)

    def many_dof(state: np.ndarray) -> np.ndarray:
        try:
            values = np.array(mass_and_force(*state.tolist()), dtype=np.float64)
            return np.linalg.solve(values[: n * n].reshape(n, n), values[n * n:])
        except (ArithmeticError, ValueError, TypeError, np.linalg.LinAlgError):
            return checked(state)

    return {1: one_dof, 2: two_dof}.get(n, many_dof)


def first_order_rhs(
    accelerations: Callable[[np.ndarray], np.ndarray], n_dof: int
) -> Callable[[float, np.ndarray], np.ndarray]:
    """Wrap ``accelerations(state (2n,)) -> (n,)`` as ``rhs(t, x) -> (q̇, q̈)`` for solve_ivp."""

    def rhs(_t: float, x: np.ndarray) -> np.ndarray:
        return np.concatenate((x[n_dof:], accelerations(x)))

    return rhs
