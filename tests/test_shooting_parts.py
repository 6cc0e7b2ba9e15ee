"""Windows, the scale elimination and the rationals of the shooting fit."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from physym.data.errors import DataError
from physym.data.state_estimate import StateEstimate
from physym.distill.euler_lagrange import TermDynamics
from physym.distill.polish import ScaleFix
from physym.shooting import FittedConstant, ShootingResult, rational_within, rationalise
from physym.shooting.parameters import Parametrisation, ShootingError, scale_vector
from physym.shooting.windows import ShootingData, WindowLayout


def data(lengths=(23, 10)) -> ShootingData:
    ids = np.concatenate([np.full(n, k) for k, n in enumerate(lengths)])
    t = np.concatenate([np.arange(n) * 0.1 for n in lengths])
    q = np.sin(t)[:, None]
    return ShootingData(t, q, np.hstack((q, np.cos(t)[:, None])), ids, np.array([0.01]))


def test_windows_cover_every_sample_once_within_trajectories():
    layout = WindowLayout.split(data(), 5)
    assert layout.count.tolist() == [6, 6, 5, 6, 5, 5]  # 23 = 6+6+5+6, 10 = 5+5
    assert layout.trajectory.tolist() == [0, 0, 0, 0, 1, 1]
    assert layout.bridge.tolist() == [True, True, True, False, True, False]
    rows, mask = layout.rows()
    covered = np.sort(rows[mask])
    np.testing.assert_array_equal(covered, np.arange(33))
    assert rows[0, 6] == 6 and not mask[0, 6]  # the bridge: the next window's first row
    assert rows[3, -1] == 22 and not mask[3, -1]  # padding repeats the last row


def test_pairs_respect_trajectories_frozen_boundaries_and_length():
    layout = WindowLayout.split(data(), 5)
    merged, first = layout.grouped(layout.pairs())
    assert merged.count.tolist() == [12, 11, 10] and first.tolist() == [0, 2, 4]
    labels = layout.pairs(frozen=frozenset({6}), longest=11)  # 0|1 frozen; 6+6 too long
    merged, first = layout.grouped(labels)
    assert merged.count.tolist() == [6, 11, 6, 10] and first.tolist() == [0, 1, 3, 4]


def test_noise_is_floored_and_checked():
    t = np.arange(50) * 0.1
    q = np.column_stack([np.sin(t), np.zeros(50) + 1.0])
    estimate = StateEstimate(
        ("a", "b"),
        (False, False),
        t,
        q,
        q,
        q,
        q,
        np.zeros(50, int),
        np.ones(50, bool),
        {"noise": [0.0, 0.0]},
    )
    sigma = ShootingData.from_estimate(estimate).noise
    assert sigma[0] == pytest.approx(1e-9 * np.std(np.sin(t))) and sigma[1] > 0
    with pytest.raises(DataError, match="2 finite non-negative"):
        ShootingData.from_estimate(estimate, noise=(0.1,))


def test_scale_condition_holds_exactly_for_any_theta():
    start = np.array([2.0, 0.5, -3.0, 1.0])
    vector = np.array([1.0, 2.0, 0.0, 0.5])
    par = Parametrisation.build(start, vector, 4.0, {3: 1.0}, n_params=0)
    assert par.pivot == 0 and par.free == (1, 2)  # |a_k c_k| largest; 3 is held
    for theta in np.random.default_rng(0).normal(size=(5, 2)):
        c = par.coefficients(theta)
        assert vector @ c == pytest.approx(4.0, abs=1e-12) and c[3] == 1.0
        np.testing.assert_allclose(par.theta(c, np.zeros(0)), theta)
    cov = par.covariance(np.diag([0.04, 0.09]))
    assert cov[1, 1] == pytest.approx(0.04) and cov[3, 3] == 0.0
    assert cov[0, 0] == pytest.approx(4 * 0.04)  # c_0 = 4 − 2 c_1 − ½
    with pytest.raises(ShootingError, match="no coefficient that is free"):
        Parametrisation.build(start, np.array([0.0, 0.0, 1.0, 0.0]), 1.0, {2: -3.0}, 0)


@pytest.mark.parametrize(
    ("value", "halfwidth", "expected"),
    [
        (0.50002, 1e-4, sp.Rational(1, 2)),
        (-9.99995, 2e-4, sp.Integer(-10)),
        (0.3333, 1e-3, sp.Rational(1, 3)),
        (9.8101, 4e-4, None),  # 981/100 inside, but q = 100 would be an accident
        (9.81, 1e-9, sp.Rational(981, 100)),
        (0.5, 0.3, None),  # interval too wide for any claim
        (1e-4, 1e-3, None),  # 0 is the re-selection's business, not a rational
    ],
)
def test_rational_only_where_the_interval_makes_it_evidence(value, halfwidth, expected):
    assert rational_within(value, halfwidth) == expected


def test_rationalise_conditions_the_others_on_a_rational():
    # c1 = 1/2 + 1.5 SE, strongly correlated with c2: fixing c1 = 1/2 moves c2 by −1.5 of
    # its SE and shrinks its interval, which then excludes 2 (on its own, 2 is inside).
    constants = (
        FittedConstant("x_dot**2", "coefficient", 0.5, 0.0, 0.5, "scale"),
        FittedConstant("x**2", "coefficient", 0.50015, 1e-4, 0.5, "free"),
        FittedConstant("x**4", "coefficient", 1.9995, 1e-3, 2.0, "free"),
        FittedConstant("x**3", "coefficient", 0.0, 0.0, 0.1, "dropped"),
    )
    cov = np.zeros((4, 4))
    cov[1:3, 1:3] = [[1e-8, 0.99e-7], [0.99e-7, 1e-6]]
    result = ShootingResult(
        ("x",), constants, cov, 100.0, 100, True, (0.01,), {"kind": "term"}, {"count": 1}
    )
    assert rational_within(1.9995, 1.96e-3) == 2
    values = rationalise(result)
    assert values[:2] == (sp.Rational(1, 2), sp.Rational(1, 2)) and values[3] == 0
    assert isinstance(values[2], sp.Float)
    assert float(values[2]) == pytest.approx(1.9995 - 0.99 * 1.5e-3, abs=1e-9)
    x, x_dot = sp.symbols("x x_dot", real=True)
    expected = (x_dot**2 + x**2) / 2 + values[2] * x**4
    assert sp.simplify(result.lagrangian(values) - expected) == 0


def test_scale_vectors_of_a_term_and_of_a_mass():
    theta, theta_dot = sp.symbols("theta theta_dot", real=True)
    dynamics = TermDynamics([theta_dot**2 * sp.cos(theta), sp.cos(theta)], [theta], [theta_dot])
    np.testing.assert_array_equal(scale_vector(dynamics, ScaleFix("term", 1.0, 1), {}), [0, 1])
    at = scale_vector(dynamics, ScaleFix("mass", 1.0, 0, (np.pi / 3, 0.5)), {})
    np.testing.assert_allclose(at, [2 * np.cos(np.pi / 3), 0.0])  # ∂²φ/∂θ̇² at the state
    with pytest.raises(ShootingError, match="unknown scale condition kind"):
        scale_vector(dynamics, ScaleFix("energy", 1.0), {})
