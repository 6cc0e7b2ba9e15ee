"""Validation of the pieces of a :class:`~physym.systems.System`, each with a one-line error.

Names, numbers, sampling boxes, and expressions given as SymPy objects, as safe-parsed
strings, or in ``sympy.physics.mechanics.dynamicsymbols`` (converted to plain symbols).
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from physym.systems.expression_limits import lookalike_name
from physym.systems.expression_parser import SpecError, parse_expression
from physym.systems.names import (
    RESERVED_NAMES,
    TIME_NAME,
    VELOCITY_SUFFIX,
    coordinate_symbol,
    velocity_symbol,
)

__all__ = [
    "as_real_symbols",
    "check_coordinate_names",
    "check_expression",
    "check_forces",
    "check_identifier",
    "check_inputs",
    "check_number",
    "check_sampling",
    "plain_names",
    "same_expression",
]

Replacements = list[tuple[sp.Expr, sp.Symbol]]
"""``(dynamicsymbol or its derivative, plain symbol)`` pairs, derivatives first."""


def check_identifier(name: object, what: str, where: str) -> str:
    """``name`` if it is a usable name for a coordinate, parameter or input."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise SpecError(f"{where}: {what} name {name!r} is not a valid identifier")
    if name == TIME_NAME:
        raise SpecError(f"{where}: {what} name {name!r} is reserved for time")
    if name in RESERVED_NAMES:
        raise SpecError(f"{where}: {what} name {name!r} clashes with a built-in function/constant")
    folded = lookalike_name(name)
    if folded is not None:
        raise SpecError(f"{where}: {what} name {name!r} {folded}")
    return name


def check_number(value: object, what: str, where: str) -> float:
    """``value`` as a finite float."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise SpecError(f"{where}: {what} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise SpecError(
            f"{where}: {what} is too large for a float: "
            f"{str(value)[:12]}… ({len(str(value))} digits)"
        ) from None
    if not math.isfinite(number):
        raise SpecError(f"{where}: {what} must be finite, got {value!r}")
    return number


def as_real_symbols(expr: sp.Expr) -> sp.Expr:
    """Replace every free symbol by the real symbol of the same name.

    Symbols with other assumptions (plain, ``positive=True``, ``nonnegative=True``...) are
    different SymPy objects from ``Symbol(name, real=True)``; left alone, parameter values
    would never be substituted into them.
    """
    mapping = {
        s: coordinate_symbol(s.name)
        for s in expr.free_symbols
        if isinstance(s, sp.Symbol) and s != coordinate_symbol(s.name)
    }
    return expr.xreplace(mapping) if mapping else expr


def plain_names(
    items: Iterable[Any], what: str, where: str, *, with_velocity: bool
) -> tuple[tuple[str, ...], Replacements]:
    """Names of coordinates (or inputs) given as strings, Symbols or dynamicsymbols.

    Returns the names and the replacements that turn dynamicsymbols ``q(t)`` (and, with
    ``with_velocity``, ``q'(t)``) into the plain symbols ``q`` and ``q_dot``.
    """
    if isinstance(items, str):
        raise SpecError(f"{where}: {what} must be a list of names, got a string")
    names: list[str] = []
    derivatives: Replacements = []
    functions: Replacements = []
    for item in items:
        if isinstance(item, sp.Function | sp.core.function.AppliedUndef) and item.args:
            name = type(item).__name__
            if with_velocity:
                derivatives.append((sp.Derivative(item, item.args[0]), velocity_symbol(name)))
            functions.append((item, coordinate_symbol(name)))
            names.append(name)
        elif isinstance(item, sp.Symbol):
            names.append(item.name)
        else:
            names.append(item if isinstance(item, str) else repr(item))
    return tuple(names), derivatives + functions


def check_expression(
    value: Any,
    what: str,
    where: str,
    *,
    symbols: Mapping[str, sp.Symbol],
    replacements: Replacements,
    label: str | None = None,
    parameters: Sequence[str] = (),
) -> sp.Expr:
    """A scalar SymPy expression in real symbols whose names are all in ``symbols``.

    ``value`` may be a SymPy expression (possibly in dynamicsymbols), a number, or a string
    (parsed with the safe parser, never evaluated); ``label`` names it in parser errors;
    ``parameters`` (the declared ones) are listed in the hint for an unknown name.
    """
    if isinstance(value, str):
        # Never sympify() a string: that is eval(). Use the safe spec parser instead.
        value = parse_expression(
            value, symbols, where=f"{where}: {label or what}", parameters=list(parameters)
        )
    if isinstance(value, bool):
        raise SpecError(f"{where}: {what} must be a SymPy expression or a string, got bool")
    try:
        expr = sp.sympify(value, strict=True)
    except sp.SympifyError:
        raise SpecError(
            f"{where}: {what} must be a SymPy expression or a string, got {type(value).__name__}"
        ) from None
    if not isinstance(expr, sp.Expr):
        raise SpecError(f"{where}: {what} must be a scalar expression, got {type(expr).__name__}")
    if replacements:
        derivatives = [pair for pair in replacements if isinstance(pair[0], sp.Derivative)]
        functions = [pair for pair in replacements if not isinstance(pair[0], sp.Derivative)]
        expr = expr.subs(derivatives).subs(functions)
    remaining = sorted(expr.atoms(sp.Derivative, sp.core.function.AppliedUndef), key=str)
    if remaining:
        raise SpecError(
            f"{where}: {what} still depends on {remaining[0]} after replacing the "
            "dynamicsymbols (undeclared coordinate or input, or a higher derivative?)"
        )
    expr = as_real_symbols(expr)
    unknown = sorted(str(s) for s in expr.free_symbols if str(s) not in symbols)
    if unknown:
        declared = ", ".join(parameters) or "none"
        raise SpecError(
            f"{where}: unknown symbol {unknown[0]!r} in {what}; declared "
            f"parameters: {declared} (give its value in parameters)"
        )
    return expr


def check_sampling(
    sampling: Mapping[str, Sequence[float]],
    required: Sequence[str],
    where: str,
    *,
    explain: Mapping[str, str] | None = None,
) -> dict[str, tuple[float, float]]:
    """The sampling box as ``{name: (low, high)}`` in the order of ``required``.

    ``explain`` maps a name that may not appear (``t`` of a time-independent system) to
    the reason, used in the error message.
    """
    if not isinstance(sampling, Mapping):
        raise SpecError(f"{where}: sampling must be a table of [low, high] per state")
    missing = [s for s in required if s not in sampling]
    if missing:
        raise SpecError(f"{where}: sampling box does not cover {missing[0]!r}")
    extra = [s for s in sampling if s not in required]
    if extra:
        reason = (explain or {}).get(extra[0], "which is not a coordinate or velocity")
        raise SpecError(f"{where}: sampling names {extra[0]!r}, {reason}")
    box: dict[str, tuple[float, float]] = {}
    for s in required:
        interval = sampling[s]
        if (
            isinstance(interval, str | bytes)
            or not isinstance(interval, Sequence | np.ndarray)
            or len(interval) != 2
        ):
            raise SpecError(f"{where}: sampling of {s!r} must be [low, high], got {interval!r}")
        low = check_number(interval[0], f"sampling low of {s!r}", where)
        high = check_number(interval[1], f"sampling high of {s!r}", where)
        if not low < high:
            raise SpecError(f"{where}: sampling of {s!r} needs low < high, got [{low}, {high}]")
        box[s] = (low, high)
    return box


def check_coordinate_names(coordinates: Sequence[str], where: str) -> None:
    """Coordinates are distinct identifiers that do not end in ``_dot``."""
    if not coordinates:
        raise SpecError(f"{where}: at least one coordinate is needed")
    for q in coordinates:
        check_identifier(q, "coordinate", where)
        if q.endswith(VELOCITY_SUFFIX):
            raise SpecError(f"{where}: coordinate name {q!r} must not end in '_dot'")
    if len(set(coordinates)) != len(coordinates):
        raise SpecError(f"{where}: duplicate coordinate names in {list(coordinates)}")


def same_expression(a: sp.Expr | None, b: sp.Expr | None) -> bool:
    """Both None, or equal after simplification."""
    if a is None or b is None:
        return a is b
    return bool(sp.simplify(a - b) == 0)


def check_inputs(inputs: tuple[str, ...], taken: set[str], where: str) -> None:
    """Inputs are distinct identifiers, none a coordinate, velocity or parameter."""
    for u in inputs:
        check_identifier(u, "input", where)
        if u in taken:
            raise SpecError(f"{where}: input {u!r} clashes with a coordinate or parameter")
        if u.endswith(VELOCITY_SUFFIX):
            raise SpecError(f"{where}: input name {u!r} must not end in '_dot'")
    if len(set(inputs)) != len(inputs):
        raise SpecError(f"{where}: duplicate input names in {list(inputs)}")


def check_forces(
    forces: Any, coordinates: tuple[str, ...], expression: dict[str, Any]
) -> dict[str, sp.Expr]:
    """``{coordinate: Q}`` keyed by name, checked as :func:`check_expression` does
    (``expression`` holds its keyword arguments)."""
    where = expression["where"]
    if not isinstance(forces, Mapping):
        raise SpecError(f"{where}: forces must be a mapping coordinate -> expression")
    given: dict[str, Any] = {}
    for key, value in forces.items():
        if isinstance(key, sp.Function | sp.core.function.AppliedUndef) and key.args:
            name = type(key).__name__
        else:
            name = key.name if isinstance(key, sp.Symbol) else key
        if name not in coordinates:
            raise SpecError(f"{where}: force given for {name!r}, which is not a coordinate")
        if name in given:
            raise SpecError(f"{where}: two forces given for {name!r}")
        given[name] = value
    return {
        q: check_expression(given[q], f"the force on {q!r}", label=f"force on {q!r}", **expression)
        for q in coordinates
        if q in given
    }
