"""Helpers of the comparison: rationalising, zero decisions and the time limit."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from physym.comparison._symbolic import (
    decide_zero,
    rationalise,
    simple_rational,
    snap_coefficients,
)
from physym.timeouts import SymbolicTimeoutError, time_limit

x = sp.Symbol("x", real=True)
POINTS = np.linspace(-2, 2, 7)[:, None]


@pytest.mark.parametrize(
    ("value", "rtol", "expected"),
    [
        (9.81, 1e-12, Fraction(981, 100)),
        (9.8100003, 1e-6, Fraction(981, 100)),
        (1 / 3, 1e-12, Fraction(1, 3)),
        (-2.5, 1e-12, Fraction(-5, 2)),
        (0.0, 1e-6, Fraction(0)),
        (3.0000001, 1e-6, Fraction(3)),
    ],
)
def test_simple_rational(value, rtol, expected):
    assert simple_rational(value, rtol) == expected


def test_simple_rational_gives_up_beyond_the_denominator_limit():
    assert simple_rational(np.pi, 1e-12, max_denominator=1000) is None
    assert simple_rational(float("nan"), 1e-6) is None


def test_rationalise_replaces_every_float():
    expr = rationalise(4.905 * x**2 + 0.33333333333 * sp.cos(1.0 * x), 1e-6)
    assert expr == sp.Rational(981, 200) * x**2 + sp.cos(x) / 3
    assert not expr.atoms(sp.Float)


def test_decide_zero_three_answers():
    assert (
        decide_zero(sp.cos(2 * x) - (1 - 2 * sp.sin(x) ** 2), [sp.cos(2 * x)], [x], POINTS)
        == "zero"
    )
    assert decide_zero(sp.sin(x) - x, [x], [x], POINTS) == "nonzero"
    # An identity that only simplify shows stays undecided without it.
    identity = sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1
    assert decide_zero(identity, [sp.Integer(1)], [x], POINTS, allow_simplify=False) == "unknown"


@pytest.mark.timeout(60)  # an alarm that never fires hangs here and fails by timeout
def test_time_limit_interrupts_and_restores():
    with pytest.raises(SymbolicTimeoutError), time_limit(0.05):
        while True:
            pass
    with time_limit(5.0) as enforced:
        pass
    assert enforced


def test_tiny_exact_residual_is_witnessed_in_high_precision():
    tiny = sp.Rational(1, 10**12) * x
    assert decide_zero(tiny, [sp.Integer(1)], [x], POINTS, allow_simplify=False) == "nonzero"
    # ... while an identity stays below the 40-digit witness.
    identity = sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1
    assert decide_zero(identity, [sp.Integer(1)], [x], POINTS) == "zero"


def test_inner_floats_take_the_references_numbers():
    # A centre shifted by 243/20000: within 1e-6 the simplest fraction of 0.01215 is
    # 220/18107, so the shift and the coefficient must be matched to the reference's own.
    y = sp.Symbol("y", real=True)
    shift = sp.Rational(243, 20000)
    truth = (1 - shift) / sp.sqrt((x + shift) ** 2 + y**2)
    recovered = sp.Float(0.98785000001) / sp.sqrt(
        x**2 + sp.Float(0.0243000000001) * x + y**2 + sp.Float(0.0001476225)
    )
    assert rationalise(sp.Float(0.01215) * x, 1e-6) == sp.Rational(220, 18107) * x
    snapped = snap_coefficients(recovered, sp.expand(truth), 1e-6)
    assert snapped == sp.expand(truth)
    off = recovered.xreplace({sp.Float(0.0243000000001): sp.Float(0.0244)})
    assert snap_coefficients(off, sp.expand(truth), 1e-6) != sp.expand(truth)
