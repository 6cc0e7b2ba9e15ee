r"""Reading and printing Lagrangians: ``<q>_dot`` names as ``\dot{q}`` in LaTeX."""

from __future__ import annotations

import re
from collections.abc import Iterable

import sympy as sp

from physym.systems.expression_parser import ALLOWED_CONSTANTS, ALLOWED_FUNCTIONS, parse_expression
from physym.systems.system import VELOCITY_SUFFIX, coordinate_symbol

__all__ = ["lagrangian_latex", "parse_lagrangian"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_lagrangian(text: str, names: Iterable[str] = (), *, where: str = "lagrangian") -> sp.Expr:
    """Parse a Lagrangian string safely (no ``eval``), every name a real symbol.

    Parameters
    ----------
    text : str
        E.g. the ``recovered_lagrangian`` of a ``summary.json``.
    names : iterable of str
        Names that must be symbols even if they look like functions; all other identifiers
        that are not whitelisted functions or constants become real symbols too.
    where : str
        Prefix of error messages.

    Examples
    --------
    >>> parse_lagrangian("theta_dot**2/2 + 9.81*cos(theta)")
    theta_dot**2/2 + 9.81*cos(theta)
    """
    found = {m.group(0) for m in _IDENTIFIER.finditer(text)}
    found -= set(ALLOWED_FUNCTIONS) | set(ALLOWED_CONSTANTS)
    found |= set(names)
    symbols = {name: coordinate_symbol(name) for name in found}
    return parse_expression(text, symbols, where=where)


def lagrangian_latex(expr: sp.Expr) -> str:
    r"""LaTeX of a Lagrangian with velocities ``theta_dot`` shown as ``\dot{\theta}``.

    Examples
    --------
    >>> print(lagrangian_latex(parse_lagrangian("theta_dot**2/2 + cos(theta)")))
    \frac{\dot{\theta}^{2}}{2} + \cos{\left(\theta \right)}
    """
    names: dict[sp.Symbol, str] = {}
    for symbol in expr.free_symbols:
        name = getattr(symbol, "name", "")
        if name.endswith(VELOCITY_SUFFIX) and len(name) > len(VELOCITY_SUFFIX):
            base = sp.latex(sp.Symbol(name[: -len(VELOCITY_SUFFIX)]))
            names[symbol] = rf"\dot{{{base}}}"
    return sp.latex(expr, symbol_names=names)
