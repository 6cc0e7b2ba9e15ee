"""The candidate library is built from the coordinates, periodic flags and box alone."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from physym import System, load_system
from physym.distill import LibraryConfig, StateSpace, kinetic_terms, q_terms
from physym.distill.library import LORENTZ_SPEED, evaluate_terms


def symbols(*names):
    return [sp.Symbol(name, real=True) for name in names]


def test_pendulum_library_is_trigonometric_only():
    space = StateSpace.from_system(load_system("pendulum"))
    (theta,) = symbols("theta")
    assert q_terms(space, LibraryConfig()) == [1, sp.cos(theta), sp.sin(theta)]


def test_pairs_sums_and_differences_of_angles():
    space = StateSpace.from_system(load_system("double_pendulum"))
    t1, t2 = symbols("theta1", "theta2")
    terms = q_terms(space, LibraryConfig())
    for expected in (sp.cos(t1 - t2), sp.sin(t1 - t2), sp.cos(t1 + t2), sp.sin(t1 + t2)):
        assert expected in terms
    assert not any(term.is_polynomial(t1, t2) and term != 1 for term in terms)


def test_inverse_terms_only_where_the_box_excludes_zero():
    kepler = q_terms(StateSpace.from_system(load_system("kepler_polar")), LibraryConfig())
    (r,) = symbols("r")
    assert {1 / r, r**-2, 1 / sp.sqrt(r)} <= set(kepler)
    oscillator = q_terms(
        StateSpace.from_system(load_system("harmonic_oscillator")), LibraryConfig()
    )
    assert all(not term.has(sp.Pow) or term.as_base_exp()[1] > 0 for term in oscillator)


def test_radial_terms_when_the_box_excludes_the_origin():
    x, y = symbols("x", "y")
    system = System(
        "box",
        ["x", "y"],
        sp.Integer(0),
        {},
        {"x": (0.5, 2), "y": (-1, 1), "x_dot": (-1, 1), "y_dot": (-1, 1)},
    )
    terms = q_terms(StateSpace.from_system(system), LibraryConfig())
    assert 1 / sp.sqrt(x**2 + y**2) in terms and 1 / (x**2 + y**2) in terms


def test_mixed_polynomial_trigonometric_terms():
    r, theta = symbols("r", "theta")
    terms = q_terms(StateSpace.from_system(load_system("spring_pendulum")), LibraryConfig())
    assert r * sp.cos(theta) in terms and r**4 in terms


def test_library_depends_on_coordinates_and_box_only():
    truth = load_system("double_pendulum")
    other = System(
        "other",
        truth.coordinates,
        sp.Symbol("theta1_dot", real=True) ** 2,
        {"k": 3.0},
        truth.sampling,
        periodic=truth.periodic,
    )
    config = LibraryConfig()
    first = q_terms(StateSpace.from_system(truth), config)
    assert first == q_terms(StateSpace.from_system(other), config)
    assert first == q_terms(StateSpace.from_system(truth), config)  # deterministic order
    assert kinetic_terms(StateSpace.from_system(truth), config) == kinetic_terms(
        StateSpace.from_system(other), config
    )


def test_kinetic_terms_vanish_with_their_gradient_at_rest():
    space = StateSpace.from_system(load_system("kepler_polar"))
    terms = kinetic_terms(space, LibraryConfig())
    rest = {v: 0 for v in space.v_symbols}
    assert any(t.has(LORENTZ_SPEED) for t in terms)
    for term in terms:
        assert sp.simplify(term.subs(rest)) == 0
        for v in space.v_symbols:
            assert sp.simplify(sp.diff(term, v).subs(rest)) == 0


def test_config_round_trips_and_rejects_unknown_options():
    config = LibraryConfig(poly_degree=2, trig="all", extra_terms=("exp(-x**2)",))
    assert LibraryConfig.from_dict(config.to_dict()) == config
    assert (
        LibraryConfig.from_toml(
            "[library]\npoly_degree = 2\ntrig = 'all'\nextra_terms = ['exp(-x**2)']"
        )
        == config
    )
    with pytest.raises(ValueError, match="unknown library option 'degree'"):
        LibraryConfig.from_dict({"degree": 3})
    with pytest.raises(ValueError, match="trig"):
        LibraryConfig(trig="sometimes")


def test_extra_terms_are_parsed_safely_and_used():
    space = StateSpace.from_system(load_system("harmonic_oscillator"))
    (x,) = symbols("x")
    terms = q_terms(space, LibraryConfig(extra_terms=("exp(-x**2)",)))
    assert sp.exp(-(x**2)) in terms
    with pytest.raises(ValueError, match="function not allowed"):
        q_terms(space, LibraryConfig(extra_terms=("__import__('os')",)))


def test_trig_all_adds_sin_cos_of_lengths():
    space = StateSpace.from_system(load_system("harmonic_oscillator"))
    (x,) = symbols("x")
    assert sp.cos(x) not in q_terms(space, LibraryConfig())
    assert sp.cos(x) in q_terms(space, LibraryConfig(trig="all"))


def test_evaluate_terms_broadcasts_constants():
    (x,) = symbols("x")
    values = evaluate_terms([sp.Integer(1), x**2], [x], np.array([[2.0], [3.0]]))
    np.testing.assert_array_equal(values, [[1.0, 4.0], [1.0, 9.0]])
