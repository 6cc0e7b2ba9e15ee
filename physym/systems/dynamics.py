"""Exact Euler–Lagrange ground truth: ``derive(system)`` and its batched numeric functions.

For ``L(q, q̇, t)``, a Rayleigh dissipation function ``R(q, q̇, t, u)`` and known
generalised forces ``Q(q, q̇, t, u)``, the equations of motion

    d/dt ∂L/∂q̇ − ∂L/∂q + ∂R/∂q̇ = Q

read ``M q̈ = f`` with

* ``M = ∂²L/∂q̇²`` (the mass matrix, or velocity Hessian),
* ``f = ∂L/∂q − (∂²L/∂q̇∂q) q̇ − ∂²L/∂q̇∂t − ∂R/∂q̇ + Q``,

so ``q̈ = M⁻¹ f``. The energy ``E = q̇·∂L/∂q̇ − L`` changes at the rate
``dE/dt = Q·q̇ − q̇·∂R/∂q̇ − ∂L/∂t`` (the power). The symbolic objects are derived once;
numeric versions are lambdified entry by entry and the linear system is solved numerically.
A conservative system (no R, no Q, no ``t``) gets exactly the expressions it always had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp

from physym.systems.arguments import as_states
from physym.systems.evaluation import NumericEvaluation
from physym.systems.lambdified import entrywise, evaluate_numpy
from physym.systems.mechanical import CONDITION_LIMIT, DegenerateLagrangianError, MechanicalSystem
from physym.systems.names import time_symbol

__all__ = ["DegenerateLagrangianError", "Dynamics", "MechanicalSystem", "as_states", "derive"]

_CONDITION_LIMIT = CONDITION_LIMIT  # the name physym.rollout imports


@dataclass(frozen=True, eq=False)
class Dynamics(NumericEvaluation):
    """Symbolic Euler–Lagrange quantities of a system and batched numeric versions.

    The numeric methods (:class:`~physym.systems.evaluation.NumericEvaluation`) take
    ``states`` ``(batch, 2n)``; a system that depends on time also needs ``t``, and one
    with inputs needs ``inputs``, where they enter.

    Attributes
    ----------
    system : MechanicalSystem
    lagrangian : sympy.Expr
        ``L`` with parameter values substituted.
    mass_matrix_expr : sympy.Matrix, ``(n, n)``
        ``∂²L/∂q̇²``.
    force_expr : sympy.Matrix, ``(n, 1)``
        Everything else in ``M q̈ = f``: ``∂L/∂q − (∂²L/∂q̇∂q) q̇ − ∂²L/∂q̇∂t − ∂R/∂q̇ + Q``.
    energy_expr : sympy.Expr
        ``q̇·∂L/∂q̇ − L``.
    lagrangian_force_expr : sympy.Matrix, ``(n, 1)``
        The part of ``f`` that comes from ``L`` alone.
    dissipation_expr : sympy.Expr
        ``R`` (0 without dissipation).
    dissipation_force_expr : sympy.Matrix, ``(n, 1)``
        ``−∂R/∂q̇``.
    generalised_force_expr : sympy.Matrix, ``(n, 1)``
        The known forces ``Q``.
    time_derivative_expr : sympy.Expr
        ``∂L/∂t``.
    power_expr : sympy.Expr
        ``dE/dt = Q·q̇ − q̇·∂R/∂q̇ − ∂L/∂t``.
    """

    system: MechanicalSystem
    lagrangian: sp.Expr
    mass_matrix_expr: sp.Matrix
    force_expr: sp.Matrix
    energy_expr: sp.Expr
    lagrangian_force_expr: sp.Matrix = field(default=None)  # type: ignore[assignment]
    dissipation_expr: sp.Expr = sp.S.Zero
    dissipation_force_expr: sp.Matrix = field(default=None)  # type: ignore[assignment]
    generalised_force_expr: sp.Matrix = field(default=None)  # type: ignore[assignment]
    time_derivative_expr: sp.Expr = sp.S.Zero
    power_expr: sp.Expr = sp.S.Zero

    def __post_init__(self) -> None:
        zeros = sp.zeros(self.system.n_dof, 1)
        for name, default in (
            ("lagrangian_force_expr", self.force_expr),
            ("dissipation_force_expr", zeros),
            ("generalised_force_expr", zeros),
        ):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)

    @cached_property
    def acceleration_expr(self) -> sp.Matrix:
        """``q̈ = M⁻¹ f`` in closed form (simplified; may be slow for many DOF)."""
        solution = self.mass_matrix_expr.LUsolve(self.force_expr)
        return sp.Matrix([sp.simplify(e) for e in solution])

    def equations_of_motion(self) -> list[sp.Eq]:
        """The equations of motion ``Σ_j M_ij q̈_j = f_i`` as SymPy equations."""
        qdd = [sp.Symbol(f"{q}_ddot", real=True) for q in self.system.coordinates]
        lhs = self.mass_matrix_expr * sp.Matrix(qdd)
        return [
            sp.Eq(sp.simplify(lhs[i]), sp.simplify(self.force_expr[i])) for i in range(self.n_dof)
        ]


def derive(system: MechanicalSystem) -> Dynamics:
    """Derive the Euler–Lagrange ground truth of ``system`` symbolically.

    Parameters
    ----------
    system : System

    Returns
    -------
    Dynamics
        Mass matrix, forces, energy, power, and batched NumPy/Torch evaluators.

    Raises
    ------
    DegenerateLagrangianError
        If the mass matrix is identically singular (e.g. ``L`` linear in the velocities).
    SpecError
        If the equations of motion cannot be evaluated numerically (``|q̇|`` in ``L``,
        coefficients beyond float64…) or take too long to derive.

    Examples
    --------
    >>> from physym import load_system
    >>> dyn = derive(load_system("pendulum"))
    >>> dyn.mass_matrix_expr.shape
    (1, 1)
    """
    from physym.systems.derivation_guard import guarded_derivation

    return guarded_derivation(system, _derive)


def _derive(system: MechanicalSystem) -> Dynamics:
    lagrangian = system.lagrangian_numeric
    q = sp.Matrix(system.q_symbols)
    v = sp.Matrix(system.qdot_symbols)
    n = system.n_dof
    grad_v = sp.Matrix([sp.diff(lagrangian, vi) for vi in v])
    mass = sp.Matrix(n, n, lambda i, j: sp.expand(sp.diff(grad_v[i], v[j])))
    mixed = sp.Matrix(n, n, lambda i, j: sp.diff(grad_v[i], q[j]))
    force = sp.Matrix([sp.diff(lagrangian, q[i]) for i in range(n)]) - mixed * v
    if system.time_dependent:
        force -= grad_v.diff(time_symbol())
    force = force.applyfunc(sp.expand)
    energy = sp.expand((v.T * grad_v)[0, 0] - lagrangian)
    _check_not_identically_singular(system, mass)
    if system.is_conservative:
        return Dynamics(system, lagrangian, mass, force, energy)
    dissipation = system.dissipation_numeric
    friction = sp.Matrix([-sp.diff(dissipation, vi) for vi in v]).applyfunc(sp.expand)
    known = sp.Matrix(system.forces_numeric)
    time_derivative = sp.expand(sp.diff(lagrangian, time_symbol()))
    power = sp.expand((v.T * (known + friction))[0, 0] - time_derivative)
    total = (force + friction + known).applyfunc(sp.expand)
    return Dynamics(
        system,
        lagrangian,
        mass,
        total,
        energy,
        lagrangian_force_expr=force,
        dissipation_expr=dissipation,
        dissipation_force_expr=friction,
        generalised_force_expr=known,
        time_derivative_expr=time_derivative,
        power_expr=power,
    )


def _check_not_identically_singular(system: MechanicalSystem, mass: sp.Matrix) -> None:
    """Reject a mass matrix that is singular everywhere (checked at states in the box)."""
    low, high = system.box
    rng = np.random.default_rng(0)
    states = np.vstack([(low + high) / 2, rng.uniform(low, high, size=(16, len(low)))])
    args = system.q_symbols + system.qdot_symbols
    columns = [states[:, i] for i in range(states.shape[1])]
    if system.time_dependent:
        t_low, t_high = system.time_range or (0.0, 1.0)
        args += (time_symbol(),)
        columns.append(
            np.concatenate([[(t_low + t_high) / 2], rng.uniform(t_low, t_high, size=16)])
        )
    entries = evaluate_numpy(entrywise(list(mass), args, "numpy"), columns)
    matrices = entries.reshape(len(states), system.n_dof, system.n_dof)
    with np.errstate(all="ignore"):
        cond = np.array([np.linalg.cond(m) if np.isfinite(m).all() else np.inf for m in matrices])
    if not (cond < CONDITION_LIMIT).any():
        state = ", ".join(
            f"{k}={v:.6g}" for k, v in zip(system.state_names, states[0], strict=True)
        )
        raise DegenerateLagrangianError(
            f"system {system.name!r}: mass matrix ∂²L/∂q̇² is singular (e.g. at state {state}); "
            "the Lagrangian must be non-degenerate in the velocities"
        )
