r"""Reading and printing Lagrangians: ``<q>_dot`` as ``\dot{q}``, ``<q>_ddot`` as ``\ddot{q}``.

SymPy prints the symbol ``theta1_dot`` as ``\theta_{1 dot}`` and ``theta1_ddot`` as
``\theta_{1 \dot{d}}``; here the dots go on the letter and the subscript stays a
subscript: ``\dot{\theta}_{1}``, ``\ddot{\theta}_{1}``. Coefficients that are whole
numbers in floating point (``1.0``) print as integers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sympy as sp
from sympy.printing.conventions import split_super_sub

from physym.systems.expression_parser import ALLOWED_CONSTANTS, ALLOWED_FUNCTIONS, parse_expression
from physym.systems.names import VELOCITY_SUFFIX, coordinate_symbol

__all__ = [
    "equations_latex",
    "expression_latex",
    "lagrangian_latex",
    "latex_text",
    "parse_lagrangian",
    "symbol_latex",
]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ACCELERATION_SUFFIX = "_ddot"
_TEXT_ESCAPES = {
    "\\": r"\backslash{}",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "~": r"\sim{}",
    "^": r"\hat{}",
}


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


def symbol_latex(name: str) -> str:
    r"""LaTeX of a physym name, dots on the letter for velocities and accelerations.

    Examples
    --------
    >>> print(symbol_latex("theta1_dot"), symbol_latex("theta1_ddot"), symbol_latex("x_dot"))
    \dot{\theta}_{1} \ddot{\theta}_{1} \dot{x}
    >>> print(symbol_latex("phi_2"))
    \phi_{2}
    """
    for suffix, accent in ((ACCELERATION_SUFFIX, r"\ddot"), (VELOCITY_SUFFIX, r"\dot")):
        if name.endswith(suffix) and len(name) > len(suffix):
            base, supers, subs = split_super_sub(name[: -len(suffix)])
            text = rf"{accent}{{{sp.latex(sp.Symbol(base))}}}"
            if subs:
                text += "_{" + " ".join(sp.latex(sp.Symbol(s)) for s in subs) + "}"
            if supers:
                text += "^{" + " ".join(sp.latex(sp.Symbol(s)) for s in supers) + "}"
            return text
    return sp.latex(sp.Symbol(name))


def expression_latex(expr: Any) -> str:
    r"""LaTeX of an expression (or equation) with dotted velocities and accelerations.

    Examples
    --------
    >>> t1, v1 = sp.symbols("theta1 theta1_dot", real=True)
    >>> print(expression_latex(1.0 * v1**2 / 2 + sp.cos(t1)))
    \frac{\dot{\theta}_{1}^{2}}{2} + \cos{\left(\theta_{1} \right)}
    """
    expr = _whole_floats_as_integers(sp.sympify(expr))
    names = {
        symbol: symbol_latex(symbol.name)
        for symbol in expr.free_symbols
        if isinstance(symbol, sp.Symbol)
    }
    return sp.latex(expr, symbol_names=names)


def lagrangian_latex(expr: sp.Expr) -> str:
    r"""LaTeX of a Lagrangian with velocities ``theta_dot`` shown as ``\dot{\theta}``.

    Examples
    --------
    >>> print(lagrangian_latex(parse_lagrangian("theta_dot**2/2 + cos(theta)")))
    \frac{\dot{\theta}^{2}}{2} + \cos{\left(\theta \right)}
    """
    return expression_latex(expr)


def equations_latex(system: Any) -> list[str]:
    r"""The equations of motion of a system, one LaTeX string per coordinate.

    Examples
    --------
    >>> from physym import load_system
    >>> print(equations_latex(load_system("pendulum"))[0])
    \ddot{\theta} = - 9.81 \sin{\left(\theta \right)}
    """
    return [expression_latex(eq) for eq in system.dynamics.equations_of_motion()]


def latex_text(text: str) -> str:
    r"""``text`` escaped for ``\mathrm{…}``: ``spring_pendulum`` → ``spring\_pendulum``.

    Examples
    --------
    >>> print(latex_text("spring_pivot_pendulum"))
    spring\_pivot\_pendulum
    """
    return "".join(_TEXT_ESCAPES.get(char, char) for char in text)


def _whole_floats_as_integers(expr: sp.Basic) -> sp.Basic:
    """``1.0*x`` → ``x``, ``-2.0*x`` → ``-2*x``: only for display; other floats stay."""
    whole = {
        f: sp.Integer(int(f))
        for f in expr.atoms(sp.Float)
        if f.is_finite and abs(f) < 1e15 and float(f).is_integer()
    }
    return expr.xreplace(whole) if whole else expr
