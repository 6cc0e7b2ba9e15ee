"""Exact Euler–Lagrange ground truth: ``derive(system)`` and its batched numeric functions.

For ``L(q, q̇)`` the Euler–Lagrange equations read ``M(q, q̇) q̈ = f(q, q̇)`` with

* ``M = ∂²L/∂q̇²`` (the mass matrix, or velocity Hessian),
* ``f = ∂L/∂q − (∂²L/∂q̇∂q) q̇``,

so ``q̈ = M⁻¹ f``; the energy is ``E = q̇·∂L/∂q̇ − L``. The symbolic objects are derived
once; numeric versions are lambdified entry by entry (which keeps Torch gradients and
broadcasts constants over the batch) and the linear system is solved numerically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from physym.errors import PhysymError

if TYPE_CHECKING:
    import torch

    from physym.systems.system import System

__all__ = ["DegenerateLagrangianError", "Dynamics", "as_states", "derive"]

_CONDITION_LIMIT = 1e12


class DegenerateLagrangianError(PhysymError, ValueError):
    """The mass matrix ``∂²L/∂q̇²`` is singular, so ``q̈`` is not determined."""


def as_states(states: Any, n_dof: int) -> np.ndarray:
    """Validate a batch of states and return it as a float64 ``(batch, 2n)`` array."""
    array = np.asarray(states, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != 2 * n_dof:
        raise ValueError(f"states must have shape (batch, {2 * n_dof}), got {array.shape}")
    return array


def _entrywise(exprs: Sequence[sp.Expr], args: Sequence[sp.Symbol], module: str) -> list[Callable]:
    return [sp.lambdify(args, e, modules=module, cse=True) for e in exprs]


def _evaluate_numpy(functions: Sequence[Callable], columns: Sequence[np.ndarray]) -> np.ndarray:
    batch = columns[0].shape[0]
    out = np.empty((batch, len(functions)), dtype=np.float64)
    for i, fn in enumerate(functions):
        out[:, i] = np.broadcast_to(np.asarray(fn(*columns), dtype=np.float64), (batch,))
    return out


def _evaluate_torch(functions: Sequence[Callable], columns: Sequence[torch.Tensor]) -> torch.Tensor:
    import torch

    batch = columns[0].shape[0]
    values = []
    for fn in functions:
        value = fn(*columns)
        if not isinstance(value, torch.Tensor):
            value = torch.as_tensor(value, dtype=columns[0].dtype, device=columns[0].device)
        values.append(value.expand(batch) if value.dim() == 0 else value)
    return torch.stack(values, dim=-1)


@dataclass(frozen=True, eq=False)
class Dynamics:
    """Symbolic Euler–Lagrange quantities of a system and batched numeric versions.

    Attributes
    ----------
    system : System
    lagrangian : sympy.Expr
        ``L`` with parameter values substituted.
    mass_matrix_expr : sympy.Matrix, ``(n, n)``
        ``∂²L/∂q̇²``.
    force_expr : sympy.Matrix, ``(n, 1)``
        ``∂L/∂q − (∂²L/∂q̇∂q) q̇``.
    energy_expr : sympy.Expr
        ``q̇·∂L/∂q̇ − L``.
    """

    system: System
    lagrangian: sp.Expr
    mass_matrix_expr: sp.Matrix
    force_expr: sp.Matrix
    energy_expr: sp.Expr

    @property
    def n_dof(self) -> int:
        return self.system.n_dof

    @property
    def state_symbols(self) -> tuple[sp.Symbol, ...]:
        return self.system.q_symbols + self.system.qdot_symbols

    @cached_property
    def acceleration_expr(self) -> sp.Matrix:
        """``q̈ = M⁻¹ f`` in closed form (simplified; may be slow for many DOF)."""
        solution = self.mass_matrix_expr.LUsolve(self.force_expr)
        return sp.Matrix([sp.simplify(e) for e in solution])

    def equations_of_motion(self) -> list[sp.Eq]:
        """The Euler–Lagrange equations ``Σ_j M_ij q̈_j = f_i`` as SymPy equations."""
        qdd = [sp.Symbol(f"{q}_ddot", real=True) for q in self.system.coordinates]
        lhs = self.mass_matrix_expr * sp.Matrix(qdd)
        return [sp.Eq(sp.simplify(lhs[i]), sp.simplify(self.force_expr[i]))
                for i in range(self.n_dof)]

    # ------------------------------------------------------------ numeric

    @cached_property
    def _numpy_functions(self) -> dict[str, list[Callable]]:
        args = self.state_symbols
        return {
            "mass": _entrywise(list(self.mass_matrix_expr), args, "numpy"),
            "force": _entrywise(list(self.force_expr), args, "numpy"),
            "energy": _entrywise([self.energy_expr], args, "numpy"),
            "lagrangian": _entrywise([self.lagrangian], args, "numpy"),
        }

    @cached_property
    def _torch_functions(self) -> dict[str, list[Callable]]:
        args = self.state_symbols
        return {
            "mass": _entrywise(list(self.mass_matrix_expr), args, "torch"),
            "force": _entrywise(list(self.force_expr), args, "torch"),
            "energy": _entrywise([self.energy_expr], args, "torch"),
        }

    def _columns(self, states: Any) -> tuple[np.ndarray, list[np.ndarray]]:
        x = as_states(states, self.n_dof)
        return x, [x[:, i] for i in range(x.shape[1])]

    def mass_matrix(self, states: Any) -> np.ndarray:
        """``∂²L/∂q̇²`` at each state, shape ``(batch, n, n)``."""
        x, cols = self._columns(states)
        n = self.n_dof
        return _evaluate_numpy(self._numpy_functions["mass"], cols).reshape(len(x), n, n)

    def forces(self, states: Any) -> np.ndarray:
        """``f = ∂L/∂q − (∂²L/∂q̇∂q) q̇`` at each state, shape ``(batch, n)``."""
        _, cols = self._columns(states)
        return _evaluate_numpy(self._numpy_functions["force"], cols)

    def accelerations(self, states: Any) -> np.ndarray:
        """Exact ``q̈`` at each state, shape ``(batch, n)``, float64.

        Raises
        ------
        DegenerateLagrangianError
            If the mass matrix is singular (or numerically so) at some state.
        """
        x, cols = self._columns(states)
        n = self.n_dof
        mass = _evaluate_numpy(self._numpy_functions["mass"], cols).reshape(len(x), n, n)
        force = _evaluate_numpy(self._numpy_functions["force"], cols)
        self._check_regular(mass, x)
        return np.linalg.solve(mass, force[..., None])[..., 0]

    def energy(self, states: Any) -> np.ndarray:
        """``E = q̇·∂L/∂q̇ − L`` at each state, shape ``(batch,)``."""
        _, cols = self._columns(states)
        return _evaluate_numpy(self._numpy_functions["energy"], cols)[:, 0]

    def lagrangian_value(self, states: Any) -> np.ndarray:
        """``L`` at each state, shape ``(batch,)``."""
        _, cols = self._columns(states)
        return _evaluate_numpy(self._numpy_functions["lagrangian"], cols)[:, 0]

    def torch_accelerations(self, states: torch.Tensor) -> torch.Tensor:
        """Exact ``q̈`` in Torch; gradients flow to ``states`` ``(batch, 2n)``."""
        import torch

        n = self.n_dof
        if states.dim() != 2 or states.shape[1] != 2 * n:
            raise ValueError(f"states must have shape (batch, {2 * n}), got {tuple(states.shape)}")
        cols = list(states.unbind(dim=1))
        mass = _evaluate_torch(self._torch_functions["mass"], cols).reshape(-1, n, n)
        force = _evaluate_torch(self._torch_functions["force"], cols)
        return torch.linalg.solve(mass, force)

    def torch_energy(self, states: torch.Tensor) -> torch.Tensor:
        """``E`` in Torch, shape ``(batch,)``."""
        cols = list(states.unbind(dim=1))
        return _evaluate_torch(self._torch_functions["energy"], cols)[:, 0]

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


def derive(system: System) -> Dynamics:
    """Derive the Euler–Lagrange ground truth of ``system`` symbolically.

    Parameters
    ----------
    system : System

    Returns
    -------
    Dynamics
        Mass matrix, forces, energy, and batched NumPy/Torch evaluators.

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
    force = force.applyfunc(sp.expand)
    energy = sp.expand((v.T * grad_v)[0, 0] - lagrangian)
    _check_not_identically_singular(system, mass)
    return Dynamics(system, lagrangian, mass, force, energy)


def _check_not_identically_singular(system: System, mass: sp.Matrix) -> None:
    """Reject a mass matrix that is singular everywhere (checked at states in the box)."""
    low, high = system.box
    rng = np.random.default_rng(0)
    states = np.vstack([(low + high) / 2, rng.uniform(low, high, size=(16, len(low)))])
    args = system.q_symbols + system.qdot_symbols
    entries = _evaluate_numpy(_entrywise(list(mass), args, "numpy"),
                              [states[:, i] for i in range(states.shape[1])])
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
