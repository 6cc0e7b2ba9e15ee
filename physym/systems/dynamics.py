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
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import sympy as sp

from physym.systems.arguments import (
    as_states,
    input_columns,
    time_column,
    torch_input_columns,
    torch_time_column,
)
from physym.systems.lambdified import entrywise, evaluate_numpy, evaluate_torch
from physym.systems.names import coordinate_symbol, time_symbol

if TYPE_CHECKING:
    import torch

__all__ = ["DegenerateLagrangianError", "Dynamics", "MechanicalSystem", "as_states", "derive"]

_CONDITION_LIMIT = 1e12


class DegenerateLagrangianError(ValueError):
    """The mass matrix ``∂²L/∂q̇²`` is singular, so ``q̈`` is not determined."""


class MechanicalSystem(Protocol):
    """What :func:`derive` reads from a system (:class:`~physym.systems.System` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def n_dof(self) -> int: ...
    @property
    def coordinates(self) -> tuple[str, ...]: ...
    @property
    def state_names(self) -> tuple[str, ...]: ...
    @property
    def inputs(self) -> tuple[str, ...]: ...
    @property
    def q_symbols(self) -> tuple[sp.Symbol, ...]: ...
    @property
    def qdot_symbols(self) -> tuple[sp.Symbol, ...]: ...
    @property
    def box(self) -> tuple[np.ndarray, np.ndarray]: ...
    @property
    def time_range(self) -> tuple[float, float] | None: ...
    @property
    def time_dependent(self) -> bool: ...
    @property
    def is_conservative(self) -> bool: ...
    @property
    def lagrangian_numeric(self) -> sp.Expr: ...
    @property
    def dissipation_numeric(self) -> sp.Expr: ...
    @property
    def forces_numeric(self) -> tuple[sp.Expr, ...]: ...


@dataclass(frozen=True, eq=False)
class Dynamics:
    """Symbolic Euler–Lagrange quantities of a system and batched numeric versions.

    Every numeric method takes ``states`` ``(batch, 2n)``; a system that depends on time
    also needs ``t`` (a number or ``(batch,)``), and one with inputs needs ``inputs``
    (``(batch, m)``, ``(m,)`` or ``{name: values}``) where they enter. ``t`` is ignored
    by a system that does not depend on time.

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
        for name, default in (("lagrangian_force_expr", self.force_expr),
                              ("dissipation_force_expr", zeros),
                              ("generalised_force_expr", zeros)):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)

    @property
    def n_dof(self) -> int:
        return self.system.n_dof

    @property
    def state_symbols(self) -> tuple[sp.Symbol, ...]:
        """``q`` then ``q̇``: the arguments of every conservative quantity."""
        return self.system.q_symbols + self.system.qdot_symbols

    @property
    def time_symbols(self) -> tuple[sp.Symbol, ...]:
        """``(t,)`` for a system that depends on time, else ``()``."""
        return (time_symbol(),) if self.system.time_dependent else ()

    @property
    def input_symbols(self) -> tuple[sp.Symbol, ...]:
        """Symbols of the inputs ``u``."""
        return tuple(coordinate_symbol(u) for u in self.system.inputs)

    @property
    def argument_symbols(self) -> tuple[sp.Symbol, ...]:
        """``q, q̇, t, u``: the arguments of the accelerations (``t``, ``u`` where needed)."""
        return self.state_symbols + self.time_symbols + self.input_symbols

    @cached_property
    def acceleration_expr(self) -> sp.Matrix:
        """``q̈ = M⁻¹ f`` in closed form (simplified; may be slow for many DOF)."""
        solution = self.mass_matrix_expr.LUsolve(self.force_expr)
        return sp.Matrix([sp.simplify(e) for e in solution])

    def equations_of_motion(self) -> list[sp.Eq]:
        """The equations of motion ``Σ_j M_ij q̈_j = f_i`` as SymPy equations."""
        qdd = [sp.Symbol(f"{q}_ddot", real=True) for q in self.system.coordinates]
        lhs = self.mass_matrix_expr * sp.Matrix(qdd)
        return [sp.Eq(sp.simplify(lhs[i]), sp.simplify(self.force_expr[i]))
                for i in range(self.n_dof)]

    # ------------------------------------------------------------ numeric

    @cached_property
    def _numpy_functions(self) -> dict[str, list[Any]]:
        return self._functions("numpy")

    @cached_property
    def _torch_functions(self) -> dict[str, list[Any]]:
        return self._functions("torch")

    def _functions(self, module: str) -> dict[str, list[Any]]:
        lagrangian_args = self.state_symbols + self.time_symbols
        full_args = self.argument_symbols
        functions = {
            "mass": entrywise(list(self.mass_matrix_expr), lagrangian_args, module),
            "force": entrywise(list(self.force_expr), full_args, module),
            "energy": entrywise([self.energy_expr], lagrangian_args, module),
            "lagrangian": entrywise([self.lagrangian], lagrangian_args, module),
        }
        if not self.system.is_conservative:
            functions |= {
                "generalised": entrywise(list(self.generalised_force_expr), full_args, module),
                "dissipative": entrywise(list(self.dissipation_force_expr), full_args, module),
                "dissipation": entrywise([self.dissipation_expr], full_args, module),
                "power": entrywise([self.power_expr], full_args, module),
                "time_derivative": entrywise([self.time_derivative_expr], lagrangian_args,
                                             module),
            }
        return functions

    def _columns(self, states: Any, t: Any = None, inputs: Any = None, *,
                 with_inputs: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        x = as_states(states, self.n_dof)
        columns = [x[:, i] for i in range(x.shape[1])]
        if self.system.time_dependent:
            columns.append(time_column(t, len(x), self.system.name))
        if with_inputs:
            columns += input_columns(inputs, len(x), self.system.inputs, self.system.name)
        return x, columns

    def _evaluate(self, key: str, states: Any, t: Any, inputs: Any, *, with_inputs: bool
                  ) -> np.ndarray:
        x, cols = self._columns(states, t, inputs, with_inputs=with_inputs)
        if key not in self._numpy_functions:  # conservative: the term is zero
            width = 1 if key in ("dissipation", "power", "time_derivative") else self.n_dof
            return np.zeros((len(x), width))
        return evaluate_numpy(self._numpy_functions[key], cols)

    def mass_matrix(self, states: Any, t: Any = None) -> np.ndarray:
        """``∂²L/∂q̇²`` at each state, shape ``(batch, n, n)``."""
        n = self.n_dof
        return self._evaluate("mass", states, t, None, with_inputs=False).reshape(-1, n, n)

    def forces(self, states: Any, t: Any = None, inputs: Any = None) -> np.ndarray:
        """``f``, the right-hand side of ``M q̈ = f``, at each state, shape ``(batch, n)``."""
        return self._evaluate("force", states, t, inputs, with_inputs=True)

    def generalised_forces(self, states: Any, t: Any = None, inputs: Any = None) -> np.ndarray:
        """The known forces ``Q`` at each state, shape ``(batch, n)``."""
        return self._evaluate("generalised", states, t, inputs, with_inputs=True)

    def dissipation_force(self, states: Any, t: Any = None, inputs: Any = None) -> np.ndarray:
        """The friction ``−∂R/∂q̇`` at each state, shape ``(batch, n)``."""
        return self._evaluate("dissipative", states, t, inputs, with_inputs=True)

    def dissipation(self, states: Any, t: Any = None, inputs: Any = None) -> np.ndarray:
        """Rayleigh's ``R`` at each state, shape ``(batch,)``."""
        return self._evaluate("dissipation", states, t, inputs, with_inputs=True)[:, 0]

    def power(self, states: Any, t: Any = None, inputs: Any = None) -> np.ndarray:
        """``dE/dt = Q·q̇ − q̇·∂R/∂q̇ − ∂L/∂t`` at each state, shape ``(batch,)``."""
        return self._evaluate("power", states, t, inputs, with_inputs=True)[:, 0]

    def time_derivative(self, states: Any, t: Any = None) -> np.ndarray:
        """``∂L/∂t`` at each state, shape ``(batch,)``."""
        return self._evaluate("time_derivative", states, t, None, with_inputs=False)[:, 0]

    def accelerations(self, states: Any, t: Any = None, inputs: Any = None) -> np.ndarray:
        """Exact ``q̈`` at each state, shape ``(batch, n)``, float64.

        Raises
        ------
        DegenerateLagrangianError
            If the mass matrix is singular (or numerically so) at some state.
        """
        x, cols = self._columns(states, t, inputs, with_inputs=True)
        n = self.n_dof
        lagrangian_cols = cols[: 2 * n + len(self.time_symbols)]
        mass = evaluate_numpy(self._numpy_functions["mass"], lagrangian_cols).reshape(len(x), n, n)
        force = evaluate_numpy(self._numpy_functions["force"], cols)
        self._check_regular(mass, x)
        return np.linalg.solve(mass, force[..., None])[..., 0]

    def energy(self, states: Any, t: Any = None) -> np.ndarray:
        """``E = q̇·∂L/∂q̇ − L`` at each state, shape ``(batch,)``."""
        return self._evaluate("energy", states, t, None, with_inputs=False)[:, 0]

    def lagrangian_value(self, states: Any, t: Any = None) -> np.ndarray:
        """``L`` at each state, shape ``(batch,)``."""
        return self._evaluate("lagrangian", states, t, None, with_inputs=False)[:, 0]

    # -------------------------------------------------------------- torch

    def _torch_columns(self, states: torch.Tensor, t: Any, inputs: Any, *,
                       with_inputs: bool) -> list[torch.Tensor]:
        n = self.n_dof
        if states.dim() != 2 or states.shape[1] != 2 * n:
            raise ValueError(f"states must have shape (batch, {2 * n}), got {tuple(states.shape)}")
        columns = list(states.unbind(dim=1))
        if self.system.time_dependent:
            columns.append(torch_time_column(t, states, self.system.name))
        if with_inputs:
            columns += torch_input_columns(inputs, states, self.system.inputs, self.system.name)
        return columns

    def _torch_evaluate(self, key: str, states: torch.Tensor, t: Any, inputs: Any, *,
                        with_inputs: bool) -> torch.Tensor:
        import torch

        cols = self._torch_columns(states, t, inputs, with_inputs=with_inputs)
        if key not in self._torch_functions:  # conservative: the term is zero
            return torch.zeros(states.shape[0], self.n_dof, dtype=states.dtype,
                               device=states.device)
        return evaluate_torch(self._torch_functions[key], cols)

    def torch_accelerations(self, states: torch.Tensor, t: Any = None, inputs: Any = None
                            ) -> torch.Tensor:
        """Exact ``q̈`` in Torch; gradients flow to ``states`` ``(batch, 2n)``, ``t``, ``inputs``."""
        import torch

        n = self.n_dof
        cols = self._torch_columns(states, t, inputs, with_inputs=True)
        mass = evaluate_torch(self._torch_functions["mass"], cols[: 2 * n + len(self.time_symbols)])
        force = evaluate_torch(self._torch_functions["force"], cols)
        return torch.linalg.solve(mass.reshape(-1, n, n), force)

    def torch_energy(self, states: torch.Tensor, t: Any = None) -> torch.Tensor:
        """``E`` in Torch, shape ``(batch,)``."""
        return self._torch_evaluate("energy", states, t, None, with_inputs=False)[:, 0]

    def torch_generalised_forces(self, states: torch.Tensor, t: Any = None,
                                 inputs: Any = None) -> torch.Tensor:
        """``Q`` in Torch, shape ``(batch, n)``."""
        return self._torch_evaluate("generalised", states, t, inputs, with_inputs=True)

    def torch_dissipation_force(self, states: torch.Tensor, t: Any = None,
                                inputs: Any = None) -> torch.Tensor:
        """``−∂R/∂q̇`` in Torch, shape ``(batch, n)``."""
        return self._torch_evaluate("dissipative", states, t, inputs, with_inputs=True)

    def _check_regular(self, mass: np.ndarray, states: np.ndarray) -> None:
        finite = np.isfinite(mass).all(axis=(1, 2))
        cond = np.full(len(mass), np.inf)
        if finite.any():
            cond[finite] = np.linalg.cond(mass[finite])
        bad = ~(cond < _CONDITION_LIMIT)
        if bad.any():
            i = int(np.argmax(bad))
            state = ", ".join(f"{k}={v:.6g}" for k, v in zip(self.system.state_names, states[i],
                                                            strict=True))
            raise DegenerateLagrangianError(
                f"system {self.system.name!r}: mass matrix ∂²L/∂q̇² is singular at state "
                f"({state}) (condition number {cond[i]:.3g}); q̈ is not determined there"
            )


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

    Examples
    --------
    >>> from physym import load_system
    >>> dyn = derive(load_system("pendulum"))
    >>> dyn.mass_matrix_expr.shape
    (1, 1)
    """
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
    return Dynamics(system, lagrangian, mass, total, energy, lagrangian_force_expr=force,
                    dissipation_expr=dissipation, dissipation_force_expr=friction,
                    generalised_force_expr=known, time_derivative_expr=time_derivative,
                    power_expr=power)


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
        columns.append(np.concatenate([[(t_low + t_high) / 2],
                                       rng.uniform(t_low, t_high, size=16)]))
    entries = evaluate_numpy(entrywise(list(mass), args, "numpy"), columns)
    matrices = entries.reshape(len(states), system.n_dof, system.n_dof)
    with np.errstate(all="ignore"):
        cond = np.array([np.linalg.cond(m) if np.isfinite(m).all() else np.inf for m in matrices])
    if not (cond < _CONDITION_LIMIT).any():
        state = ", ".join(f"{k}={v:.6g}" for k, v in zip(system.state_names, states[0],
                                                        strict=True))
        raise DegenerateLagrangianError(
            f"system {system.name!r}: mass matrix ∂²L/∂q̇² is singular (e.g. at state {state}); "
            "the Lagrangian must be non-degenerate in the velocities"
        )
