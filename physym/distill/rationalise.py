"""Turning fitted floats into rationals, only where the data agree.

A rational ``p/q`` is proposed for a float ``c`` by :func:`sympy.nsimplify` at a ladder of
tolerances, and kept as a candidate only if it is *significant*: a random number lies
within about ``1/q²`` of some fraction with denominator ``q``, so ``q²·|c − p/q|`` must be
far below 1 (here ``<= 1e-3``, and ``q <= 10⁴``) before ``p/q`` says more than ``c``; a
random float passes with a chance of about 1e-3 per fraction tried. A candidate is then
accepted only if the fit (an error function supplied by the caller) does not get worse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp

__all__ = ["rational_candidates", "rationalise_greedy", "snap_inner_constants"]

_TOLERANCES = (1e-3, 1e-4, 1e-6, 1e-8, 1e-10)
SIGNIFICANCE = 1e-3
MAX_DENOMINATOR = 10_000


def rational_candidates(
    value: float, significance: float = SIGNIFICANCE, zero: bool = False
) -> list[sp.Rational]:
    """Significant rationals near ``value``, simplest first (``0`` first if ``zero``).

    Examples
    --------
    >>> rational_candidates(9.81000000000003)
    [981/100]
    >>> rational_candidates(9.81031234)  # nothing simple this close: keep the float
    []
    """
    value = float(value)
    if value == 0.0:
        return [sp.Integer(0)]
    found: list[sp.Rational] = [sp.Integer(0)] if zero else []
    for tolerance in _TOLERANCES:
        guess = sp.nsimplify(value, tolerance=tolerance * abs(value), rational=True)
        if not isinstance(guess, sp.Rational) or guess in found:
            continue
        if guess.q**2 * abs(value - float(guess)) <= significance and guess.q <= MAX_DENOMINATOR:
            found.append(guess)
    return sorted(found, key=lambda r: (r.q, abs(r.p)))


def rationalise_greedy(
    values: Mapping[int, float],
    error_with: Callable[[Mapping[int, sp.Rational]], float],
    reference_error: float,
    *,
    slack: float = 0.05,
    absolute: float = 1e-12,
    frozen: Mapping[int, sp.Rational] | None = None,
) -> dict[int, sp.Rational]:
    """Fix values to rationals one at a time, largest first, while the fit holds.

    ``error_with(fixed)`` refits whatever is not fixed and returns the error; a rational
    is kept if that error stays ``<= reference_error·(1 + slack) + absolute``.
    """
    fixed: dict[int, sp.Rational] = dict(frozen or {})
    limit = reference_error * (1 + slack) + absolute
    order = sorted(values, key=lambda k: -abs(values[k]))
    for k in order:
        if k in fixed:
            continue
        for rational in rational_candidates(values[k], zero=True):
            if error_with({**fixed, k: rational}) <= limit:
                fixed[k] = rational
                break
    return fixed


def snap_inner_constants(
    expr: sp.Expr,
    error_of: Callable[[sp.Expr], float],
    slack: float = 0.05,
    absolute: float = 1e-12,
) -> sp.Expr:
    """Replace floats in ``expr`` by significant rationals where ``error_of`` allows."""
    floats = sorted(expr.atoms(sp.Float), key=lambda f: -abs(float(f)))
    if not floats:
        return expr
    limit = error_of(expr) * (1 + slack) + absolute
    for number in floats:
        for rational in rational_candidates(float(number)):
            trial = expr.xreplace({number: rational})
            if error_of(trial) <= limit:
                expr = trial
                break
    return expr
