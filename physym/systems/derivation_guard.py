"""Deriving the equations of motion with every SymPy failure turned into one clear line.

:func:`physym.systems.derive` differentiates the Lagrangian twice and lambdifies the
results. Some Lagrangians that parse fine have no numeric equations of motion: ``|q̇|``
has the second derivative ``2 δ(q̇)`` (``DiracDelta``, which NumPy cannot evaluate), the
derivative of ``Abs`` of an expression that is complex somewhere stays an unevaluated
``Derivative``, and large parameters can push coefficients beyond float64. Each of these
is a :class:`~physym.systems.SpecError` that names the system, the quantity and the
culprit, instead of a ``NameError`` or a printer error at the first evaluation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import sympy as sp
from sympy.calculus.accumulationbounds import AccumulationBounds

from physym.systems.expression_limits import MAX_MAGNITUDE
from physym.systems.expression_parser import SpecError

__all__ = ["DERIVE_TIME_BUDGET_S", "guarded_derivation", "unevaluable"]

DERIVE_TIME_BUDGET_S = 30.0
"""Longest a derivation may take (the built-in systems need well under a second)."""

_NOT_NUMERIC = (sp.DiracDelta, sp.Derivative, sp.Subs, sp.Integral, AccumulationBounds)
_UNDEFINED = (sp.zoo, sp.oo, sp.S.NegativeInfinity, sp.nan)

DynamicsT = TypeVar("DynamicsT")


def guarded_derivation(system: Any, derive: Callable[[Any], DynamicsT]) -> DynamicsT:
    """``derive(system)``, lambdified, within :data:`DERIVE_TIME_BUDGET_S`.

    Raises
    ------
    SpecError
        One line ``system 'name': lagrangian: …`` when the derivation fails, takes too long,
        or gives expressions that cannot be evaluated numerically.
    """
    from physym.systems.mechanical import DegenerateLagrangianError
    from physym.timeouts import SymbolicTimeoutError, time_limit

    where = f"system {system.name!r}: lagrangian"
    started = time.monotonic()
    try:
        with time_limit(DERIVE_TIME_BUDGET_S):
            try:
                dynamics = derive(system)
            except (SpecError, DegenerateLagrangianError, SymbolicTimeoutError):
                raise
            except Exception as exc:
                raise SpecError(f"{where}: {_diagnose(system) or _failure(exc)}") from None
            problem = unevaluable(_derived(dynamics))
            if problem is not None:
                raise SpecError(f"{where}: {problem}")
            try:
                _ = dynamics._numpy_functions  # type: ignore[attr-defined]  # lambdify now
            except Exception as exc:
                raise SpecError(f"{where}: {_failure(exc)}") from None
    except SymbolicTimeoutError:
        if time.monotonic() - started < DERIVE_TIME_BUDGET_S - 0.01:
            raise  # an outer time limit (a caller's), not this one
        raise SpecError(
            f"{where}: deriving the equations of motion took over "
            f"{DERIVE_TIME_BUDGET_S:g} s; the Lagrangian is too large"
        ) from None
    except RecursionError:
        raise SpecError(f"{where}: the Lagrangian is nested too deeply to differentiate") from None
    return dynamics


def unevaluable(quantities: Iterable[tuple[str, sp.Expr]]) -> str | None:
    """Why one of the named expressions has no float64 value, or ``None``.

    Examples
    --------
    >>> v = sp.Symbol("v", real=True)
    >>> print(unevaluable([("∂²L/∂q̇²", sp.diff(sp.Abs(v), v, 2))]).split(",")[0])
    ∂²L/∂q̇² contains DiracDelta(v)
    """
    for label, expr in quantities:
        if not isinstance(expr, sp.Basic):
            continue
        found = expr.atoms(*_NOT_NUMERIC)
        if found:
            culprit = min(found, key=lambda atom: len(sp.sstr(atom)))
            text = _short(culprit)
            if isinstance(culprit, sp.DiracDelta):
                return (
                    f"{label} contains {text}, which has no numeric value: L is not twice "
                    "differentiable there (Abs of a velocity?)"
                )
            if isinstance(culprit, AccumulationBounds):
                return f"{label} contains {text}, a range rather than a value"
            return (
                f"{label} contains {text}, which SymPy cannot work out in closed form "
                "(Abs of an expression that is complex somewhere?)"
            )
        if any(expr.has(value) for value in _UNDEFINED):
            return f"{label} is infinite or undefined somewhere in closed form"
        for number in expr.atoms(sp.Number):
            if number.is_finite and abs(number) > MAX_MAGNITUDE:
                return (
                    f"{label} contains the number {sp.Float(number, 3)}, beyond float64 "
                    "(parameter values or constants too large?)"
                )
    return None


def _derived(dynamics: Any) -> list[tuple[str, sp.Expr]]:
    """The expressions a :class:`~physym.systems.Dynamics` evaluates, with their names."""
    mass, force = dynamics.mass_matrix_expr, dynamics.force_expr
    return (
        [("the mass matrix ∂²L/∂q̇²", entry) for entry in mass]
        + [("the generalised forces of the equations of motion", entry) for entry in force]
        + [("the energy", dynamics.energy_expr), ("L", dynamics.lagrangian)]
    )


def _diagnose(system: Any) -> str | None:
    """After a failed derivation: the derivative that cannot be evaluated, if any."""
    lagrangian = system.lagrangian_numeric
    q, v = system.q_symbols, system.qdot_symbols
    mass = [sp.diff(lagrangian, a, b) for a in v for b in v]
    others = [sp.diff(lagrangian, a) for a in (*v, *q)]
    others += [sp.diff(lagrangian, a, b) for a in v for b in q]
    return unevaluable(
        [("the mass matrix ∂²L/∂q̇²", e) for e in mass]
        + [("the derivatives of L", e) for e in others]
    )


def _failure(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    text = text if len(text) <= 100 else text[:97] + "..."
    return f"SymPy cannot turn it into numeric equations of motion ({text})"


def _short(expr: sp.Basic) -> str:
    text = sp.sstr(expr)
    return text if len(text) <= 60 else text[:57] + "..."
