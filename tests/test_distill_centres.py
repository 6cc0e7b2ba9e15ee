"""Point centres: potentials with several shifted centres, recovered from exact samples.

The targets are built here from centres, strengths and polynomials chosen for these tests
(not a zoo system); the checks compare the fitted positions and constants with the ones
the target was built from, and the fitted model with the target at fresh points.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from physym.distill.backends.centres import CentresBackend, joint_groups, mixed_derivatives
from physym.distill.base import Problem
from physym.distill.centres import fit_centres
from physym.distill.library import evaluate_terms
from physym.distill.space import StateSpace
from physym.distill.structure import Structure

#: Two attracting/repelling centres outside the box [0, 1] x [0.5, 1.5], a quadratic
#: background and a constant.
CENTRES = np.array([[-0.4, 0.3], [1.7, 0.0]])
STRENGTHS = np.array([1.5, -0.35])
LOW, HIGH = np.array([0.0, 0.5]), np.array([1.0, 1.5])


def target(points: np.ndarray, kind: str = "inverse") -> np.ndarray:
    x, y = points[:, 0], points[:, 1]
    d2 = np.sum((points[:, None, :] - CENTRES[None]) ** 2, axis=2)
    g = d2**-0.5 if kind == "inverse" else np.log(d2)
    return g @ STRENGTHS + 0.25 * x**2 - 0.6 * y**2 + 0.1 * x * y + 0.7


def problem(kind: str = "inverse", n: int = 600) -> Problem:
    space = StateSpace(("x", "y"), (False, False), np.r_[LOW, -1, -1], np.r_[HIGH, 1, 1])
    inputs = np.random.default_rng(3).uniform(LOW, HIGH, (n, 2))
    values = target(inputs, kind)
    scale = float(np.sqrt(np.mean(values**2)))
    return Problem(
        "V", space.q_symbols, inputs, values, scale, "q", space, lambda q: target(q, kind), 0.0
    )


def test_two_centres_from_exact_mixed_derivatives():
    p = problem()
    mixed = mixed_derivatives(p, (0, 1))
    fits = fit_centres(p.inputs, mixed, LOW, HIGH, max_centres=3)
    two = next(f for f in fits if f.n_centres == 2)
    found = np.array(sorted(two.centres))
    # finite differences of step 1e-3 span leave ~1e-7 in the derivatives
    np.testing.assert_allclose(found, CENTRES[np.argsort(CENTRES[:, 0])], atol=1e-5)
    assert two.softenings == (0.0, 0.0)
    assert two.fixed[1] == (False, True)  # the centre on the axis y = 0 is snapped there
    assert two.residual < 1e-6
    assert fits[0].residual > 1e3 * two.residual  # one centre does not explain it


@pytest.mark.parametrize("kind", ["inverse", "log"])
def test_backend_recovers_centres_strengths_and_polynomial(kind):
    p = problem(kind)
    backend = CentresBackend(kinds=(kind,))
    candidates = backend.fit(p)
    # the simplest model at the finite-difference level of the fitted positions
    best = min((c for c in candidates if c.error < 1e-6), key=lambda c: c.complexity)
    x, y = p.space.q_symbols
    expr = best.expr
    # the two centre terms, with their positions as parameters
    centre_terms = [t for t in sp.Add.make_args(expr) if t.free_symbols & set(best.params)]
    assert len(centre_terms) == 2
    positions, strengths = [], []
    for term in centre_terms:
        coefficient, monic = term.as_coeff_Mul()
        params = {s: best.params[s] for s in monic.free_symbols if s in best.params}
        at = {}
        for axis, q in enumerate((x, y)):
            shift = [s for s in params if monic.has(q - s)]
            at[axis] = params[shift[0]] if shift else 0.0
        positions.append((at[0], at[1]))
        strengths.append(float(coefficient))
    order = np.argsort([pos[0] for pos in positions])
    np.testing.assert_allclose(np.array(positions)[order], CENTRES, atol=1e-5)
    np.testing.assert_allclose(np.array(strengths)[order], STRENGTHS, rtol=1e-4)
    # the whole model at fresh points, against the target (constant included)
    fresh = np.random.default_rng(11).uniform(LOW, HIGH, (200, 2))
    model = evaluate_terms([expr], p.symbols, fresh, best.params)[:, 0]
    np.testing.assert_allclose(model, target(fresh, kind), rtol=1e-5, atol=1e-5)


def test_separable_or_difference_targets_get_no_centres():
    space = StateSpace(("a", "b", "c"), (False,) * 3, -np.ones(6), np.ones(6))
    structure = Structure((0, 1, 2), {(0, 1): "difference", (1, 2): "sum"})
    assert joint_groups(space, structure) == []
    angles = StateSpace(("t", "u"), (True, False), -np.ones(4), np.ones(4))
    assert joint_groups(angles, Structure((0, 1), {(0, 1): "joint"})) == []
    separable = problem()
    separable = Problem(
        "V",
        separable.symbols,
        separable.inputs,
        np.cos(separable.inputs[:, 0]) + separable.inputs[:, 1] ** 3,
        1.0,
        "q",
        separable.space,
        lambda q: np.cos(q[:, 0]) + q[:, 1] ** 3,
    )
    assert CentresBackend().fit(separable) == []


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown centre kind 'yukawa'"):
        fit_centres(np.zeros((3, 2)), np.zeros((3, 1)), LOW, HIGH, kind="yukawa")


@pytest.mark.slow
def test_distill_recovers_a_charge_between_two_fixed_charges():
    # A unit charge in a plane between a fixed attracting and a fixed repelling charge,
    # tied to the origin by a weak anisotropic spring: two shifted 1/d centres (one off
    # both axes) and a quadratic background, distilled from a perturbed "network" with
    # exact data, at default settings but without genetic programming.
    from test_distill_forms import assert_exact, recovered

    from physym import System

    x, y, x_dot, y_dot = sp.symbols("x y x_dot y_dot", real=True)
    half, quarter = sp.Rational(1, 2), sp.Rational(1, 4)
    lagrangian = (
        (x_dot**2 + y_dot**2) / 2
        + sp.Rational(3, 5) / sp.sqrt((x + half) ** 2 + (y - quarter) ** 2)
        - quarter / sp.sqrt((x - 2) ** 2 + y**2)
        - x**2 / 5
        - 3 * y**2 / 10
    )
    system = System(
        "two_charges",
        ["x", "y"],
        lagrangian,
        {},
        {"x": (0, 1), "y": (0.5, 1.5), "x_dot": (-1, 1), "y_dot": (-1, 1)},
    )
    result = recovered(system)
    assert_exact(system, result)
    assert result.search["level"] == "centres"


def test_a_smooth_joint_target_is_not_taken_for_centres():
    # exp(x·y) joins x and y without any pole: centres could only imitate it, about as
    # well as a polynomial with as many constants does, so none are offered.
    p = problem()

    def smooth(q: np.ndarray) -> np.ndarray:
        return np.exp(0.8 * q[:, 0] * q[:, 1]) + q[:, 0] ** 2

    values = smooth(p.inputs)
    p = Problem("V", p.symbols, p.inputs, values, 1.0, "q", p.space, smooth)
    backend = CentresBackend()
    assert backend.fit(p) == []
    assert backend.fits["V"]  # the centres were fitted, and judged not credible
