"""Structure probes, the grammar of forms and the nonlinear families, on known functions."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from physym.distill import StateSpace
from physym.distill.families import View, fit_families
from physym.distill.grammar import Argument, arguments, form_terms
from physym.distill.library import LibraryConfig, evaluate_terms
from physym.distill.structure import Structure, analyse_structure


def box(names, low, high, periodic=()):
    n = len(names)
    return StateSpace(
        tuple(names),
        tuple(name in periodic for name in names),
        np.array([*low, *[-1.0] * n]),
        np.array([*high, *[1.0] * n]),
    )


def probe(function, space):
    return analyse_structure(function, space, 1.0, np.random.default_rng(0))


def test_dependence_and_additive_separation():
    space = box("abc", [-1, -1, -1], [1, 1, 1])
    found = probe(lambda q: np.cos(2 * q[:, 0]) + q[:, 2] ** 3, space)
    assert found.variables == (0, 2)
    assert dict(found.pairs) == {}


@pytest.mark.parametrize(
    ("function", "kind"),
    [
        (lambda q: np.exp(q[:, 0] - q[:, 1]), "difference"),
        (lambda q: np.cos(q[:, 0] + q[:, 1]), "sum"),
        (lambda q: q[:, 0] ** 2 * np.sin(q[:, 1]), "joint"),
    ],
)
def test_how_a_pair_interacts(function, kind):
    found = probe(function, box("ab", [0.5, -1.5], [1.5, 1.5]))
    assert dict(found.pairs) == {(0, 1): kind}


def test_round_and_ellipsoidal_radii():
    space = box("xy", [0.4, 0.3], [1.5, 1.2])
    round_ = probe(lambda q: 1 / np.sqrt(q[:, 0] ** 2 + q[:, 1] ** 2), space)
    assert round_.radial == (0, 1) and round_.weights == (1.0, 1.0)
    oval = probe(lambda q: np.log(0.02 + q[:, 0] ** 2 + 1.7 * q[:, 1] ** 2), space)
    assert oval.radial == (0, 1) and oval.weights[1] == pytest.approx(1.7, rel=1e-4)
    skew = probe(lambda q: 1 / np.sqrt(q[:, 0] ** 2 + q[:, 1] ** 2) + q[:, 0] * q[:, 1], space)
    assert skew.radial == ()


def test_trigonometric_terms_follow_the_range_not_the_declaration():
    theta, x = sp.symbols("theta x", real=True)
    wide = box(["theta", "x"], [-2.0, -0.3], [2.0, 0.3])  # nobody declared theta periodic
    terms = form_terms(wide, Structure((0, 1), {}), LibraryConfig())
    assert {sp.cos(theta), sp.cos(2 * theta), sp.sin(3 * theta)} <= set(terms)
    assert sp.cos(x) not in terms  # 0.6 rad: too short a range for trigonometry


def test_joint_pairs_get_products_and_differences_their_own_argument():
    space = box(["r", "theta"], [0.5, -3.0], [1.5, 3.0], periodic=["theta"])
    r, theta = space.q_symbols
    terms = form_terms(space, Structure((0, 1), {(0, 1): "joint"}), LibraryConfig())
    assert r**2 * sp.cos(2 * theta) in terms and sp.cos(theta) / r in terms
    pair = arguments(box("ab", [-1, -1], [1, 1]), Structure((0, 1), {(0, 1): "difference"}))
    assert pair[-1].expr == sp.Symbol("a", real=True) - sp.Symbol("b", real=True)
    assert (pair[-1].low, pair[-1].high) == (-2.0, 2.0)


def fitted(argument, inputs, symbols, target, order=0, base=()):
    counter = iter(range(1000))
    families = fit_families(
        [argument],
        [View(target, order, list(base))],
        inputs,
        symbols,
        lambda: sp.Symbol(f"p{next(counter)}", real=True),
        keep=1,
    )
    return families[0]


def test_variable_projection_finds_an_unknown_rate():
    x = sp.Symbol("x", real=True)
    inputs = np.linspace(-0.5, 1.5, 300)[:, None]
    u = inputs[:, 0]
    target = 2.0 * (1 - np.exp(-1.37 * (u - 0.2))) ** 2
    best = fitted(
        Argument(x, -0.5, 1.5, False, (0,)),
        inputs,
        (x,),
        target - target.mean(),
        base=[sp.Integer(1)],
    )
    assert best.family == "exp2"
    # A start for the polish (which refines it on the data): precise, not round-off.
    assert best.value == pytest.approx(-1.37, rel=1e-7)
    assert best.residual < 1e-7


def test_variable_projection_finds_a_pair_of_powers_from_the_derivative():
    r = sp.Symbol("r", real=True)
    inputs = np.linspace(1.0, 2.2, 300)[:, None]
    u = inputs[:, 0]
    derivative = -12 * 4 * u**-13 + 6 * 4 * u**-7  # of 4 (r⁻¹² − r⁻⁶)
    best = fitted(Argument(r, 1.0, 2.2, False, (0,)), inputs, (r,), derivative, order=1)
    assert best.family == "power2"
    assert best.value == pytest.approx(-6.0, rel=1e-7)
    columns = evaluate_terms(list(best.terms), (r,), inputs, {best.symbol: best.value})
    np.testing.assert_allclose(columns[:, 1], u**-12, rtol=1e-6)
