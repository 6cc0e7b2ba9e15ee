"""Rational constants, only where the data's interval holds a simple one.

A fitted constant ``c ± h`` (``h`` the half-width of its interval) becomes ``p/q`` only if
``p/q`` lies inside the interval *and* its being there is evidence: fractions with
denominator at most ``q`` lie about ``π²/(6q²)`` apart on average, so an interval of
half-width ``h`` holds one by chance with a probability of about ``6hq²/π²``; that must be
below ``chance``. So ``9.8100 ± 0.0004`` stays a float (``981/100`` would be an accident
at that precision), ``0.50002 ± 0.0001`` becomes ``1/2``. Candidates come from the
distillation's significant rationals (:func:`physym.distill.rationalise.rational_candidates`)
and the simplest fraction within the interval (found by continued fractions).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy as sp

from physym.distill.rationalise import MAX_DENOMINATOR, rational_candidates
from physym.shooting.result import ShootingResult, z_value

__all__ = ["rational_within", "rationalise"]


def rational_within(value: float, halfwidth: float, chance: float = 0.05) -> sp.Rational | None:
    """The simplest nonzero rational in ``[value − halfwidth, value + halfwidth]`` that is
    unlikely to be there by accident (see the module docstring), or ``None``.

    Examples
    --------
    >>> rational_within(0.50002, 1e-4)
    1/2
    >>> rational_within(9.8101, 4e-4) is None
    True
    """
    value, halfwidth = float(value), abs(float(halfwidth))
    if not (math.isfinite(value) and math.isfinite(halfwidth)) or value == 0:
        return None
    significance = chance * math.pi**2 / 6
    found = set(rational_candidates(value, significance=significance))
    low, high = Fraction(value - halfwidth), Fraction(value + halfwidth)
    if not low <= 0 <= high:
        simplest = _simplest_between(low, high) if low > 0 else -_simplest_between(-high, -low)
        found.add(sp.Rational(simplest.numerator, simplest.denominator))
    good = [
        r
        for r in found
        if r != 0
        and abs(value - float(r)) <= halfwidth
        and r.q <= MAX_DENOMINATOR
        and 6 / math.pi**2 * halfwidth * r.q**2 <= chance
    ]
    return min(good, key=lambda r: (r.q, abs(r.p))) if good else None


def _simplest_between(low: Fraction, high: Fraction) -> Fraction:
    """The fraction with the smallest denominator in ``[low, high]`` (``0 < low <= high``),
    by the continued-fraction (Stern–Brocot) descent."""
    whole = math.floor(low)
    if whole == low or whole + 1 <= high:
        return Fraction(whole if whole == low else whole + 1)
    return whole + 1 / _simplest_between(1 / (high - whole), 1 / (low - whole))


def rationalise(
    result: ShootingResult, level: float = 0.95, chance: float = 0.05
) -> tuple[sp.Expr, ...]:
    """Every constant of ``result``: a rational where one lies in its interval, else a float.

    The best-determined constant (smallest relative error) goes first; once it is fixed
    to a rational, the others' values and intervals are conditioned on it through the
    covariance (the linearised refit), then the next is tried. Dropped terms are ``0``.

    Returns
    -------
    tuple of sympy numbers
        One per constant of ``result`` (coefficients, then nonlinear parameters);
        ``result.lagrangian(values)`` builds ``L`` from them.
    """
    mean = np.array([c.value for c in result.constants])
    covariance = np.array(result.covariance, dtype=np.float64)
    z = z_value(level)
    out: list[sp.Expr | None] = [None] * len(mean)
    relative = np.sqrt(np.maximum(np.diag(covariance), 0.0)) / np.maximum(np.abs(mean), 1e-300)
    order = [int(i) for i in np.argsort(relative, kind="stable")]
    for i in order:
        if result.constants[i].role == "dropped" or mean[i] == 0:
            out[i] = sp.Integer(0)
            continue
        rational = rational_within(mean[i], z * np.sqrt(max(covariance[i, i], 0.0)), chance)
        if rational is None:
            continue
        if covariance[i, i] > 0:
            gain = covariance[:, i] / covariance[i, i]
            mean = mean + gain * (float(rational) - mean[i])
            covariance = covariance - np.outer(gain, covariance[i])
        mean[i] = float(rational)
        out[i] = rational
    return tuple(sp.Float(float(mean[i])) if v is None else v for i, v in enumerate(out))
