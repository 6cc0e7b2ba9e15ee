"""Wrap a known Lagrangian (a callable, or a :class:`~physym.systems.System`) as a model.

The Euler–Lagrange machinery of :class:`~physym.network.base.LagrangianModel` then runs on
an exact ``L``, which checks its signs and index blocks against the symbolic truth, and
gives a reference point for learned models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from physym.network.base import LagrangianModel

if TYPE_CHECKING:
    from physym.systems import System

__all__ = ["FunctionLagrangian", "system_lagrangian"]


class FunctionLagrangian(LagrangianModel):
    """A fixed ``L(states)`` with no parameters; derivatives by batched autograd.

    Parameters
    ----------
    n_dof : int
    function : callable
        ``(B, 2n) -> (B,)``, written with differentiable torch operations.

    Examples
    --------
    >>> osc = FunctionLagrangian(1, lambda x: 0.5 * x[:, 1] ** 2 - 2.0 * x[:, 0] ** 2)
    >>> osc.accelerations(torch.tensor([[0.5, 0.0]], dtype=torch.float64), False)
    tensor([[-2.]], dtype=torch.float64)
    """

    def __init__(self, n_dof: int, function: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__(n_dof)
        self.function = function

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return self.function(states)


def system_lagrangian(system: System) -> FunctionLagrangian:
    """The exact Lagrangian of ``system`` (parameters substituted) as a model.

    Examples
    --------
    >>> import physym
    >>> model = system_lagrangian(physym.load_system("pendulum"))
    >>> model.n_dof
    1
    """
    import sympy as sp

    from physym.systems.lambdified import constants_as_floats

    symbols = list(system.q_symbols + system.qdot_symbols)
    # torch's functions take tensors only: fold ``sqrt(2)``, ``cos(1)``… to floats first
    expr = constants_as_floats(system.lagrangian_numeric)
    function = sp.lambdify(symbols, expr, modules="torch", cse=True)

    def lagrangian(states: torch.Tensor) -> torch.Tensor:
        value = function(*states.unbind(-1))
        if not isinstance(value, torch.Tensor) or value.shape != states.shape[:-1]:
            value = torch.as_tensor(value, dtype=states.dtype).expand(states.shape[:-1])
        return value

    return FunctionLagrangian(system.n_dof, lagrangian)
