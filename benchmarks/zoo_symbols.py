"""Expressions for the zoo's independent checker: a safe parser and exact rationals.

Nothing here imports physym: the checker must not share code with what it checks. A
recovered Lagrangian (a string from ``summary.json``) is read with :mod:`ast`, node by node,
never with ``eval``; numbers become exact rationals as written (``9.81`` is ``981/100``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from fractions import Fraction

import sympy as sp

__all__ = [
    "ExpressionError",
    "exact_decimal",
    "parse",
    "simplest_rational",
    "state_symbols",
    "with_rational_floats",
]

_FUNCTIONS = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "cot": sp.cot,
    "sec": sp.sec,
    "csc": sp.csc,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "Abs": sp.Abs,
    "sign": sp.sign,
}
_CONSTANTS = {"pi": sp.pi, "E": sp.E}
_BINARY = {
    ast.Add: sp.Add,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: sp.Mul,
    ast.Div: lambda a, b: a / b,
    ast.Pow: sp.Pow,
}


class ExpressionError(ValueError):
    """A recovered Lagrangian that cannot be read (one line naming the problem)."""


def state_symbols(
    coordinates: Iterable[str],
) -> tuple[tuple[sp.Symbol, ...], tuple[sp.Symbol, ...]]:
    """Real SymPy symbols of the coordinates and of their ``<q>_dot`` velocities."""
    names = list(coordinates)
    return (
        tuple(sp.Symbol(q, real=True) for q in names),
        tuple(sp.Symbol(f"{q}_dot", real=True) for q in names),
    )


def exact_decimal(value: float) -> sp.Rational:
    """The rational a decimal reads as: ``exact_decimal(9.81) == 981/100``."""
    return sp.Rational(repr(float(value)))


def simplest_rational(value: float, rtol: float) -> sp.Rational:
    """The rational of smallest denominator within ``rtol`` (relative) of ``value``."""
    target = Fraction(repr(float(value)))
    if target == 0:
        return sp.Integer(0)
    bound = abs(target) * Fraction(rtol)
    denominator = 1
    while True:  # limit_denominator gives the best rational for each bound; grow it
        candidate = target.limit_denominator(denominator)
        if abs(candidate - target) <= bound:
            return sp.Rational(candidate.numerator, candidate.denominator)
        denominator *= 10


def with_rational_floats(expr: sp.Expr, rtol: float | None = None) -> sp.Expr:
    """Replace every Float: by its decimal as written, or within ``rtol`` by the simplest."""
    floats = expr.atoms(sp.Float)
    if not floats:
        return expr
    convert = exact_decimal if rtol is None else (lambda f: simplest_rational(f, rtol))
    return expr.xreplace({f: convert(float(f)) for f in floats})


def parse(text: str, names: Iterable[str]) -> sp.Expr:
    """Parse ``text`` (Python syntax, as SymPy prints) with only ``names`` and whitelisted
    functions; integers stay exact, decimals become Floats of their literal (see
    :func:`with_rational_floats`).

    Examples
    --------
    >>> parse("theta_dot**2/2 + 9.81*cos(theta)", ["theta", "theta_dot"])
    theta_dot**2/2 + 9.81*cos(theta)
    """
    symbols = {name: sp.Symbol(name, real=True) for name in names}
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {text[:60]!r}: {exc.msg}") from None
    return _Translator(symbols).visit(tree.body)


class _Translator:
    def __init__(self, symbols: dict[str, sp.Symbol]):
        self.symbols = symbols

    def visit(self, node: ast.AST) -> sp.Expr:
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int | float)
            and not isinstance(node.value, bool)
        ):
            value = node.value
            return sp.Integer(value) if isinstance(value, int) else sp.Float(repr(value))
        if isinstance(node, ast.Name):
            if node.id in self.symbols:
                return self.symbols[node.id]
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            raise ExpressionError(f"unknown name {node.id!r}")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](self.visit(node.left), self.visit(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.visit(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and not node.keywords
        ):
            return _FUNCTIONS[node.func.id](*(self.visit(arg) for arg in node.args))
        raise ExpressionError(f"construct not allowed: {ast.unparse(node)[:40]!r}")
