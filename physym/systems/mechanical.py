"""What the ground truth needs from a system, and what it raises when ``q̈`` is undefined."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import sympy as sp

from physym.errors import PhysymError

__all__ = ["CONDITION_LIMIT", "DegenerateLagrangianError", "MechanicalSystem"]

CONDITION_LIMIT = 1e12
"""Mass matrices with a larger condition number count as singular."""


class DegenerateLagrangianError(PhysymError, ValueError):
    """The mass matrix ``∂²L/∂q̇²`` is singular, so ``q̈`` is not determined."""


class MechanicalSystem(Protocol):
    """What :func:`~physym.systems.derive` reads from a system (a
    :class:`~physym.systems.System` has all of it)."""

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
