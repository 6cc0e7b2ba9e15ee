"""Batched numeric evaluation of the Euler–Lagrange ground truth, in NumPy and in Torch.

:class:`NumericEvaluation` is the numeric half of :class:`~physym.systems.Dynamics`: it
lambdifies the derived expressions (once, cached) and evaluates them on a batch of states,
with time and inputs where the system needs them; ``q̈`` comes from solving ``M q̈ = f``.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

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
from physym.systems.mechanical import CONDITION_LIMIT, DegenerateLagrangianError, MechanicalSystem
from physym.systems.names import coordinate_symbol, time_symbol

if TYPE_CHECKING:
    import torch

__all__ = ["NumericEvaluation"]


class NumericEvaluation:
    """Numeric methods over the symbolic fields of :class:`~physym.systems.Dynamics`.

    Every method takes ``states`` ``(batch, 2n)``; a system that depends on time also
    needs ``t`` (a number or ``(batch,)``), and one with inputs needs ``inputs``
    (``(batch, m)``, ``(m,)`` or ``{name: values}``) where they enter. ``t`` is ignored
    by a system that does not depend on time.
    """

    system: MechanicalSystem
    lagrangian: sp.Expr
    mass_matrix_expr: sp.Matrix
    force_expr: sp.Matrix
    energy_expr: sp.Expr
    dissipation_expr: sp.Expr
    dissipation_force_expr: sp.Matrix
    generalised_force_expr: sp.Matrix
    time_derivative_expr: sp.Expr
    power_expr: sp.Expr

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
                "time_derivative": entrywise([self.time_derivative_expr], lagrangian_args, module),
            }
        return functions

    def _columns(
        self, states: Any, t: Any = None, inputs: Any = None, *, with_inputs: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        x = as_states(states, self.n_dof)
        columns = [x[:, i] for i in range(x.shape[1])]
        if self.system.time_dependent:
            columns.append(time_column(t, len(x), self.system.name))
        if with_inputs:
            columns += input_columns(inputs, len(x), self.system.inputs, self.system.name)
        return x, columns

    def _evaluate(
        self, key: str, states: Any, t: Any, inputs: Any, *, with_inputs: bool
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

    def _torch_columns(
        self, states: torch.Tensor, t: Any, inputs: Any, *, with_inputs: bool
    ) -> list[torch.Tensor]:
        n = self.n_dof
        if states.dim() != 2 or states.shape[1] != 2 * n:
            raise ValueError(f"states must have shape (batch, {2 * n}), got {tuple(states.shape)}")
        columns = list(states.unbind(dim=1))
        if self.system.time_dependent:
            columns.append(torch_time_column(t, states, self.system.name))
        if with_inputs:
            columns += torch_input_columns(inputs, states, self.system.inputs, self.system.name)
        return columns

    def _torch_evaluate(
        self, key: str, states: torch.Tensor, t: Any, inputs: Any, *, with_inputs: bool
    ) -> torch.Tensor:
        import torch

        cols = self._torch_columns(states, t, inputs, with_inputs=with_inputs)
        if key not in self._torch_functions:  # conservative: the term is zero
            return torch.zeros(
                states.shape[0], self.n_dof, dtype=states.dtype, device=states.device
            )
        return evaluate_torch(self._torch_functions[key], cols)

    def torch_accelerations(
        self, states: torch.Tensor, t: Any = None, inputs: Any = None
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

    def torch_generalised_forces(
        self, states: torch.Tensor, t: Any = None, inputs: Any = None
    ) -> torch.Tensor:
        """``Q`` in Torch, shape ``(batch, n)``."""
        return self._torch_evaluate("generalised", states, t, inputs, with_inputs=True)

    def torch_dissipation_force(
        self, states: torch.Tensor, t: Any = None, inputs: Any = None
    ) -> torch.Tensor:
        """``−∂R/∂q̇`` in Torch, shape ``(batch, n)``."""
        return self._torch_evaluate("dissipative", states, t, inputs, with_inputs=True)

    def _check_regular(self, mass: np.ndarray, states: np.ndarray) -> None:
        finite = np.isfinite(mass).all(axis=(1, 2))
        cond = np.full(len(mass), np.inf)
        if finite.any():
            cond[finite] = np.linalg.cond(mass[finite])
        bad = ~(cond < CONDITION_LIMIT)
        if bad.any():
            i = int(np.argmax(bad))
            state = ", ".join(
                f"{k}={v:.6g}" for k, v in zip(self.system.state_names, states[i], strict=True)
            )
            raise DegenerateLagrangianError(
                f"system {self.system.name!r}: mass matrix ∂²L/∂q̇² is singular at state "
                f"({state}) (condition number {cond[i]:.3g}); q̈ is not determined there"
            )
