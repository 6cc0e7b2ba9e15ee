"""Limits that keep a parsed expression honest and cheap to derive.

The safe parser (:mod:`physym.systems.expression_parser`) builds SymPy expressions node by
node; these checks run on what it builds, so that an expression is rejected at the node
that goes wrong, with a reason:

* **look-alike characters**: Python reads identifiers in NFKC form, so a fullwidth ``ｍ``
  or a mathematical bold ``𝐱`` would silently become ``m`` or ``x``;
* **constants** that are infinite, undefined (``csc(pi)``), complex, beyond float64
  (``sinh(1e10)``) or that cannot be evaluated at all (``exp(exp(exp(1000)))``);
* **size after expansion**: :func:`physym.systems.derive` expands the Lagrangian, and
  SymPy combines ``((x + k)**16)**16`` into ``(x + k)**256``, so a power of a sum is bounded
  after the combination and the number of terms the expansion gives is estimated.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence

import sympy as sp
from sympy.calculus.accumulationbounds import AccumulationBounds

__all__ = [
    "MAX_EXPANDED_TERMS",
    "MAX_MAGNITUDE",
    "MAX_POWER_OF_SUM",
    "ConstantTracker",
    "expansion_problem",
    "lookalike",
    "lookalike_name",
]

MAX_MAGNITUDE = 1e300
"""Largest constant accepted: beyond it float64 arithmetic overflows."""
MAX_POWER_OF_SUM = 16
"""Largest integer power of a sum (``(a + b)**n``), also after SymPy combines powers."""
MAX_EXPANDED_TERMS = 2_000
"""Most terms an expression (or any function argument in it) may have once expanded."""

_UNDEFINED = (sp.zoo, sp.oo, sp.S.NegativeInfinity, sp.nan)
_WORD = re.compile(r"\w+")


def lookalike(text: str) -> tuple[int, str, str] | None:
    """``(line, word, folded)`` for the first word Python would read as another one.

    Python folds identifiers to Unicode NFKC form: ``ｍ`` (fullwidth) and ``𝐦``
    (mathematical bold) both become ``m``, ``x²`` becomes ``x2``. Letters that NFKC keeps
    (``θ``, ``μ``) are fine.

    Examples
    --------
    >>> lookalike("m*x_dot**2/2 - ｋ*x**2")
    (1, 'ｋ', 'k')
    >>> lookalike("θ_dot**2/2") is None
    True
    """
    for match in _WORD.finditer(text):
        word = match.group(0)
        folded = unicodedata.normalize("NFKC", word)
        if folded != word:
            return text.count("\n", 0, match.start()) + 1, word, folded
    return None


def lookalike_name(name: str) -> str | None:
    """A one-clause problem if ``name`` would be folded to another name, else ``None``."""
    folded = unicodedata.normalize("NFKC", name)
    if folded == name:
        return None
    return (
        f"contains look-alike characters (Python reads it as {folded!r}); "
        f"write {folded!r} in plain characters"
    )


class ConstantTracker:
    """Checks each newly built node; remembers which subexpressions are constants, and
    their values.

    The memory keeps the checks linear in the size of the expression: a constant's value
    is computed from its arguments' values, even for deep nestings such as
    ``sin(sin(sin(…)))`` or long constant sums.
    """

    def __init__(self) -> None:
        self._constant: dict[sp.Basic, bool] = {}
        self._values: dict[sp.Basic, sp.Basic] = {}

    def is_constant(self, expr: sp.Basic) -> bool:
        """Whether ``expr`` has no free symbols (memoised on subexpressions)."""
        known = self._constant.get(expr)
        if known is None:
            if isinstance(expr, sp.Symbol):
                known = False
            elif not expr.args:
                known = True
            else:
                known = all(self.is_constant(arg) for arg in expr.args)
            self._constant[expr] = known
        return known

    def value(self, expr: sp.Basic) -> sp.Basic:
        """The value of a constant to 15 digits, from its arguments' values (memoised)."""
        known = self._values.get(expr)
        if known is None:
            if expr.is_Number:
                known = expr
            elif not expr.args:  # pi, E, I
                known = expr.evalf(15)
            else:
                known = expr.func(*(self.value(arg) for arg in expr.args))
                if not known.is_Number:
                    known = known.evalf(15)
            self._values[expr] = known
        return known

    def problem(
        self,
        value: sp.Basic,
        function: Callable[..., sp.Basic] | None = None,
        operands: Sequence[sp.Basic] = (),
    ) -> str | None:
        """Why the freshly built node ``value`` is unacceptable, or ``None``.

        ``value`` is ``function(*operands)``; given them, a constant's value is computed
        from the operands' values (constant time per node). Only ``value`` and its direct
        arguments are searched for infinities: deeper ones were checked when their own
        nodes were built.
        """
        if _is_undefined(value) or any(_is_undefined(arg) for arg in value.args):
            return "is infinite or undefined"
        if not isinstance(value, sp.Expr) or not self.is_constant(value):
            return None
        try:
            if function is not None and value not in self._values:
                number = function(*(self.value(operand) for operand in operands))
                self._values[value] = number if number.is_Number else number.evalf(15)
            number = self.value(value)
        except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError):
            return "cannot be evaluated (too large?)"
        return _number_problem(number)


def _is_undefined(expr: sp.Basic) -> bool:
    return expr in _UNDEFINED or isinstance(expr, AccumulationBounds)


def _number_problem(number: sp.Basic) -> str | None:
    """Check a constant's value against float64: finite, real, at most MAX_MAGNITUDE."""
    if number.has(sp.I) or number.is_real is False:
        return "is complex (square root or log of a negative?)"
    if not number.is_Number:
        return "cannot be evaluated to a number"
    if not number.is_finite:
        return "is infinite or undefined"
    if abs(number) > MAX_MAGNITUDE:
        return f"is too large: its value exceeds {MAX_MAGNITUDE:.0e}"
    return None


def expansion_problem(
    expr: sp.Expr, max_terms: int = MAX_EXPANDED_TERMS, max_power: int = MAX_POWER_OF_SUM
) -> str | None:
    """Why ``expr`` would be too large once expanded, or ``None``.

    Counts the terms ``sympy.expand`` would produce (an upper bound: it assumes no two
    terms combine): a sum adds, a product multiplies, and ``(a₁ + … + a_t)**n`` gives
    ``C(t + n − 1, n)`` monomials. Function arguments are expanded too, so each counts
    on its own.

    Examples
    --------
    >>> x, k = sp.symbols("x k")
    >>> expansion_problem((x + k) ** 4096)
    'expands to a power 4096 of a sum (at most 16): (k + x)**4096'
    >>> expansion_problem((x + k) ** 16) is None
    True
    """
    counts: dict[sp.Basic, int] = {}
    for node in _postorder(expr):
        if node in counts:
            continue
        if isinstance(node, sp.Pow) and node.exp.is_Rational and counts[node.base] > 1:
            power = math.floor(abs(node.exp))
            if power > max_power:
                text = sp.sstr(node)
                text = text if len(text) <= 60 else text[:57] + "..."
                return f"expands to a power {power} of a sum (at most {max_power}): {text}"
            count = _bounded_comb(counts[node.base] + power - 1, power, max_terms)
        elif isinstance(node, sp.Add):
            count = sum(counts[arg] for arg in node.args)
        elif isinstance(node, sp.Mul):
            count = 1
            for arg in node.args:
                count = min(count * counts[arg], max_terms + 1)
        else:  # atoms, functions, symbolic powers: one term here
            count = 1
        counts[node] = min(count, max_terms + 1)
        if count > max_terms:
            return f"would expand to more than {max_terms} terms"
    return None


def _postorder(expr: sp.Basic) -> Iterator[sp.Basic]:
    """Every node after its arguments, without recursion (deep nestings are fine)."""
    stack: list[tuple[sp.Basic, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded or not node.args:
            yield node
            continue
        stack.append((node, True))
        stack.extend((arg, False) for arg in node.args)


def _bounded_comb(n: int, k: int, limit: int) -> int:
    """``min(C(n, k), limit + 1)`` without building a huge integer."""
    k = min(k, n - k)
    if k < 0:
        return 0
    value = 1
    for i in range(1, k + 1):
        value = value * (n - k + i) // i
        if value > limit:
            return limit + 1
    return value
