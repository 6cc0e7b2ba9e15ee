"""A closed-form Lagrangian as a model: distil the truth, or a perturbed truth, as a check.

:class:`ExpressionModel` evaluates a SymPy ``L(q, q̇)`` in Torch (lambdified entrywise),
so it has the same interface as a trained network and exact derivatives.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp
import torch

from physym.network.base import LagrangianModel
from physym.systems.lambdified import constants_as_floats
from physym.systems.system import System, coordinate_symbol, velocity_symbol

__all__ = ["ExpressionModel"]


class ExpressionModel(LagrangianModel):
    """``L(q, q̇)`` given in SymPy, evaluated in Torch (float64, no parameters).

    Parameters
    ----------
    lagrangian : sympy.Expr
        In the coordinate symbols and ``<q>_dot`` symbols of ``coordinates``; other
        symbols are not allowed (substitute parameter values first).
    coordinates : sequence of str

    Examples
    --------
    >>> x, v = sp.symbols("x x_dot", real=True)
    >>> model = ExpressionModel(v**2 / 2 - 2 * x**2, ["x"])
    >>> model.accelerations(torch.tensor([[0.5, 0.0]], dtype=torch.float64), False)
    tensor([[-2.]], dtype=torch.float64)
    """

    def __init__(self, lagrangian: sp.Expr, coordinates: Sequence[str]):
        super().__init__(len(coordinates))
        symbols = [coordinate_symbol(q) for q in coordinates]
        symbols += [velocity_symbol(q) for q in coordinates]
        lagrangian = sp.sympify(lagrangian)
        unknown = lagrangian.free_symbols - set(symbols)
        if unknown:
            raise ValueError(
                f"Lagrangian has symbols {sorted(map(str, unknown))} that are not "
                "coordinates or velocities"
            )
        self.lagrangian = lagrangian
        self.coordinates = tuple(coordinates)
        self._function = sp.lambdify(symbols, constants_as_floats(lagrangian), modules="torch")

    @classmethod
    def from_system(cls, system: System) -> ExpressionModel:
        """The exact Lagrangian of ``system`` (parameter values substituted)."""
        return cls(system.lagrangian_numeric, system.coordinates)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        value = self._function(*states.unbind(-1))
        if not isinstance(value, torch.Tensor):
            value = torch.as_tensor(value, dtype=states.dtype, device=states.device)
        return value.expand(states.shape[:-1]) if value.dim() == 0 else value
