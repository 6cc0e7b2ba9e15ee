"""Symbolic helpers of the comparison: rationalising, Euler–Lagrange forms, zero tests.

Zero testing is undecidable in general, so :func:`decide_zero` answers in three ways:
``"zero"`` (SymPy simplified it to 0), ``"nonzero"`` (it is clearly nonzero at sample
points, which is a numerical witness), or ``"unknown"`` (time ran out, the expression is too
large, or the simplifiers stopped short of 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

import numpy as np
import sympy as sp

__all__ = [
    "as_rational",
    "decide_zero",
    "euler_lagrange_rows",
    "numeric_coefficients",
    "rationalise",
    "simple_rational",
    "snap_coefficients",
]

# Above this many operations only ``expand`` is tried; above the second, nothing.
MAX_OPS_SIMPLIFY = 3_000
MAX_OPS_EXPAND = 30_000
# A residual larger than this fraction of the terms it is made of is a nonzero witness:
# in float64 at sample points, and in 40-digit arithmetic at two of them.
_NONZERO_RATIO = 1e-8
_NONZERO_RATIO_EXACT = 1e-20
_DIGITS = 40


def simple_rational(value: float, rtol: float, max_denominator: int = 10**6) -> Fraction | None:
    """The simplest fraction within ``rtol`` of ``value`` (continued fractions), or None.

    Examples
    --------
    >>> simple_rational(9.8100003, 1e-6)
    Fraction(981, 100)
    >>> simple_rational(1 / 3, 1e-12)
    Fraction(1, 3)
    """
    if not np.isfinite(value):
        return None
    target = Fraction(value)
    allowed = abs(value) * rtol
    if value == 0:
        return Fraction(0)
    # Convergents of the continued fraction are the best approximations for their size.
    h_prev, h, k_prev, k = 0, 1, 1, 0
    rest = target
    while True:
        whole = rest.numerator // rest.denominator
        h_prev, h = h, whole * h + h_prev
        k_prev, k = k, whole * k + k_prev
        if k > max_denominator:
            return None
        if abs(Fraction(h, k) - target) <= allowed:
            return Fraction(h, k)
        fractional = rest - whole
        if fractional == 0:
            return Fraction(h, k)
        rest = 1 / fractional


def as_rational(value: float, rtol: float) -> sp.Rational:
    """``value`` as a SymPy rational: the simplest one within ``rtol``, else as printed."""
    fraction = simple_rational(float(value), rtol)
    if fraction is None:
        return sp.Rational(repr(float(value)))
    return sp.Rational(fraction.numerator, fraction.denominator)


def rationalise(expr: sp.Expr, rtol: float, prefer: Iterable[sp.Rational] = ()) -> sp.Expr:
    """Replace every float in ``expr`` by the simplest rational within ``rtol``.

    A float within ``rtol`` of one of the numbers ``prefer`` (a reference's own, such as
    ``243/10000`` inside a shifted square) takes that value instead.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> rationalise(4.905 * x**2 + 0.33333333333 * x, 1e-6)
    981*x**2/200 + x/3
    """
    floats = expr.atoms(sp.Float)
    if not floats:
        return expr
    preferred = [r for r in prefer if r != 0]

    def nearest(value: float) -> sp.Rational:
        for r in preferred:
            if abs(value - float(r)) <= rtol * abs(float(r)):
                return r
        return as_rational(value, rtol)

    return expr.xreplace({f: nearest(float(f)) for f in floats})


def snap_coefficients(expr: sp.Expr, reference: sp.Expr, rtol: float) -> sp.Expr:
    """Rationalise the float coefficients of ``expr`` term by term, preferring the reference's.

    A coefficient within ``rtol`` of the reference's coefficient of the same term takes
    that exact value (so an ugly constant such as ``1.2345678`` is matched, where the
    simplest nearby fraction would not be); any other float becomes the simplest
    rational within ``rtol``; floats inside a term likewise take a number of the
    reference's within ``rtol`` (the shift of a centre, ``243/20000``) before the simplest.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> truth = sp.Rational(12345678, 10**7) * x**2 + sp.cos(x)
    >>> snap_coefficients(1.23456780001 * x**2 + 1.0000000001 * sp.cos(x), truth, 1e-6)
    6172839*x**2/5000000 + cos(x)
    """
    symbols = expr.free_symbols | reference.free_symbols
    targets = numeric_coefficients(reference, symbols)
    inner = sorted(reference.atoms(sp.Rational), key=lambda r: (r.q, abs(r.p)))
    pieces = []
    for term, coefficient in numeric_coefficients(expr, symbols).items():
        term = rationalise(term, rtol, inner)
        if coefficient.has(sp.Float) and coefficient.is_number:
            coefficient = sp.Float(coefficient)
        if isinstance(coefficient, sp.Float):
            target = targets.get(term)
            value = float(coefficient)
            if (
                target is not None
                and target != 0
                and target.is_number
                and abs(value - float(target)) <= rtol * abs(float(target))
            ):
                coefficient = target
            else:
                coefficient = as_rational(value, rtol)
        pieces.append(coefficient * term)
    return sp.Add(*pieces)


def numeric_coefficients(expr: sp.Expr, symbols: set[sp.Symbol]) -> dict[sp.Expr, sp.Expr]:
    """Monic term → its whole numeric factor (``exp(13/50)``, ``sin(61/100)**2`` included).

    ``as_coefficients_dict`` keeps such factors inside the term, so ``2*exp(1/5)*exp(-x)``
    and ``5.6*exp(-x)`` would look like different terms.
    """
    out: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        coefficient, monic = term.as_independent(*symbols, as_Add=False)
        out[monic] = out.get(monic, sp.Integer(0)) + coefficient
    return out


def euler_lagrange_rows(
    lagrangian: sp.Expr,
    q: Sequence[sp.Symbol],
    v: Sequence[sp.Symbol],
) -> tuple[sp.Matrix, sp.Matrix]:
    """Mass matrix ``M = ∂²L/∂q̇²`` ``(n, n)`` and force ``f = ∂L/∂q − (∂²L/∂q̇∂q) q̇``.

    The Euler–Lagrange equations read ``M q̈ − f = 0``.
    """
    n = len(q)
    grad_v = [sp.diff(lagrangian, vi) for vi in v]
    mass = sp.Matrix(n, n, lambda i, j: sp.diff(grad_v[i], v[j]))
    force = sp.Matrix(
        [
            sp.diff(lagrangian, q[i]) - sum(sp.diff(grad_v[i], q[j]) * v[j] for j in range(n))
            for i in range(n)
        ]
    )
    return mass, force


def _largest_ratio(
    residual: sp.Expr,
    parts: Sequence[sp.Expr],
    symbols: Sequence[sp.Symbol],
    points: np.ndarray,
) -> float | None:
    """max |residual| / max |part| over the points (None where nothing is finite)."""
    columns = [points[:, i] for i in range(points.shape[1])]
    with np.errstate(all="ignore"):
        value = np.abs(
            np.broadcast_to(
                np.asarray(sp.lambdify(symbols, residual, "numpy")(*columns), dtype=float),
                len(points),
            )
        )
        scale = np.zeros(len(points))
        for part in parts:
            scale = np.maximum(
                scale,
                np.abs(
                    np.broadcast_to(
                        np.asarray(sp.lambdify(symbols, part, "numpy")(*columns), dtype=float),
                        len(points),
                    )
                ),
            )
    finite = np.isfinite(value) & np.isfinite(scale)
    if not finite.any():
        return None
    return float(np.max(value[finite]) / max(float(np.max(scale[finite])), 1e-300))


def _exact_ratio(
    residual: sp.Expr,
    parts: Sequence[sp.Expr],
    symbols: Sequence[sp.Symbol],
    point: np.ndarray,
) -> float | None:
    """|residual| / max |part| at a rational point, in 40-digit arithmetic."""
    values = {s: sp.Rational(repr(float(x))) for s, x in zip(symbols, point, strict=True)}
    try:
        value = abs(complex(residual.xreplace(values).evalf(_DIGITS)))
        scale = max(abs(complex(p.xreplace(values).evalf(_DIGITS))) for p in parts)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not (np.isfinite(value) and np.isfinite(scale)):
        return None
    return value / max(scale, 1e-300)


def decide_zero(
    residual: sp.Expr,
    parts: Sequence[sp.Expr],
    symbols: Sequence[sp.Symbol],
    points: np.ndarray,
    *,
    allow_simplify: bool = True,
) -> str:
    """Decide whether ``residual`` (made of ``parts``) is identically zero.

    Parameters
    ----------
    residual : sympy.Expr
        The expression to test, e.g. ``parts[0] - parts[1]``.
    parts : sequence of sympy.Expr
        The terms it is made of; they set the scale of a numerical witness.
    symbols : sequence of sympy.Symbol
        Free symbols, in the column order of ``points``.
    points : numpy.ndarray, shape ``(k, len(symbols))``
        Where to look for a nonzero value first.
    allow_simplify : bool
        Run ``sp.simplify`` (unbounded time; pass False where no time limit is enforced,
        which also lowers the size up to which ``expand`` is tried).

    Returns
    -------
    str
        ``"zero"``, ``"nonzero"`` or ``"unknown"``.

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> pts = np.linspace(-1, 1, 5)[:, None]
    >>> decide_zero(sp.sin(x)**2 + sp.cos(x)**2 - 1, [sp.Integer(1)], [x], pts)
    'zero'
    >>> decide_zero(sp.sin(x) - x, [x], [x], pts)
    'nonzero'
    """
    if residual == 0:
        return "zero"
    ratio = _largest_ratio(residual, parts, symbols, points)
    if ratio is not None and ratio > _NONZERO_RATIO:
        return "nonzero"
    if not residual.has(sp.Float):  # exact coefficients: small differences show too
        for point in points[:2]:
            exact = _exact_ratio(residual, parts, symbols, point)
            if exact is not None and exact > _NONZERO_RATIO_EXACT:
                return "nonzero"
    # Without an enforced time limit even ``expand`` must stay small.
    if sp.count_ops(residual) > (MAX_OPS_EXPAND if allow_simplify else MAX_OPS_SIMPLIFY):
        return "unknown"
    expanded = sp.expand(residual)
    if expanded == 0:
        return "zero"
    if expanded.has(sp.sin, sp.cos, sp.tan):
        expanded = sp.expand(sp.expand_trig(expanded))
        if expanded == 0:
            return "zero"
    if not allow_simplify or sp.count_ops(expanded) > MAX_OPS_SIMPLIFY:
        return "unknown"
    return "zero" if sp.simplify(expanded) == 0 else "unknown"
