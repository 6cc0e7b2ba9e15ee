"""Constants from noisy positions by multiple shooting, checked against the true system."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp
from helpers import assert_one_line_message, builtin
from shooting_helpers import acceleration_error, noisy_estimate, true_terms

from physym.data.measured import MeasuredPositions
from physym.data.state_estimate import estimate_states
from physym.data.synthetic_positions import simulate_positions
from physym.distill.euler_lagrange import TermDynamics
from physym.distill.library import LORENTZ_SPEED
from physym.distill.polish import ScaleFix
from physym.shooting import ShootingConfig, ShootingError, ShootingResult, fit_constants


@pytest.fixture(scope="module")
def pendulum_fit():
    system = builtin("pendulum")
    dynamics, truth = true_terms(system)  # θ̇²/2 + 9.81 cos θ
    estimate, _ = noisy_estimate(system, 0.01, seed=4, n_trajectories=3, t_end=4.0)
    start = truth * np.array([1.0, 0.95])
    result = fit_constants(dynamics, start, estimate, scale=ScaleFix("term", 0.5, 0))
    return system, dynamics, truth, start, result


def test_pendulum_g_from_one_percent_noise(pendulum_fit):
    system, dynamics, _truth, start, result = pendulum_fit
    kinetic, gravity = result.constants
    assert (kinetic.value, kinetic.role, kinetic.stderr) == (0.5, "scale", 0.0)
    assert gravity.role == "free" and 0 < gravity.stderr < 0.02
    low, high = gravity.interval(0.997)
    assert low < 9.81 < high
    assert abs(result.reduced_chi2 - 1) < 0.1  # residuals at the noise: the model fits
    assert result.converged and len(result.stages) >= 2  # the windows grew at least once
    error = acceleration_error(system, dynamics, result.coefficients)
    assert error < 3e-3
    assert error < acceleration_error(system, dynamics, start) / 10


def test_continuity_jumps_are_within_the_noise(pendulum_fit):
    result = pendulum_fit[-1]
    if result.continuity["boundaries"]:
        assert result.continuity["position_rms_sigma"] < 1.0


def test_result_round_trips_through_json(pendulum_fit):
    result = pendulum_fit[-1]
    again = ShootingResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.constants == result.constants
    np.testing.assert_array_equal(again.covariance, result.covariance)
    assert again.stages == result.stages and again.reduced_chi2 == result.reduced_chi2
    theta, theta_dot = sp.symbols("theta theta_dot", real=True)
    expected = theta_dot**2 / 2 + result.constants[1].value * sp.cos(theta)
    assert sp.simplify(again.lagrangian() - expected) == 0
    assert "cos(theta)" in result.table() and "95 %" in result.table()


def test_exact_positions_give_the_constants_to_high_precision():
    system = builtin("spring_pendulum")
    dynamics, truth = true_terms(system)
    estimate, _ = noisy_estimate(system, 0.0, seed=2, n_trajectories=1, t_end=2.0)
    start = truth * (1 + 0.03 * np.random.default_rng(0).normal(size=len(truth)))
    scale = ScaleFix("term", truth[0], 0)
    config = ShootingConfig(substeps=4)  # the automatic choice goes to 16 here: slower
    result = fit_constants(dynamics, start, estimate, scale=scale, config=config)
    np.testing.assert_allclose(result.coefficients, truth, rtol=1e-6)
    assert result.windows["substeps"] == 4
    assert acceleration_error(system, dynamics, result.coefficients) < 1e-6


def test_a_term_the_data_do_not_need_is_dropped():
    system = builtin("pendulum")
    dynamics, _truth = true_terms(system)
    theta, theta_dot = system.q_symbols[0], system.qdot_symbols[0]
    extra = TermDynamics([*dynamics.terms, theta_dot**2 * sp.cos(theta)], [theta], [theta_dot])
    estimate, _ = noisy_estimate(system, 0.01, seed=5, n_trajectories=2, t_end=3.0)
    result = fit_constants(
        extra, np.array([0.5, 9.7, 0.02]), estimate, scale=ScaleFix("term", 0.5, 0)
    )
    assert [c.role for c in result.constants] == ["scale", "free", "dropped"]
    assert result.constants[2].value == 0.0 and result.reselection[0]["dropped"]
    assert abs(result.constants[1].value - 9.81) < 3 * result.constants[1].stderr


def test_nonlinear_parameter_is_fitted_or_held():
    system = builtin("relativistic_oscillator")
    x, v = system.q_symbols[0], system.qdot_symbols[0]
    c = LORENTZ_SPEED
    dynamics = TermDynamics([c**2 * sp.sqrt(1 - v**2 / c**2), x**2], [x], [v], (c,))
    estimate, _ = noisy_estimate(
        system, 0.001, seed=3, n_trajectories=3, t_end=6.0, box_fraction=1.0
    )
    scale = ScaleFix("term", -1.0, 0)
    fitted = fit_constants(
        dynamics, np.array([-1.0, -0.45]), estimate, scale=scale, params={c: 1.1}
    )
    speed = fitted.constants[2]
    assert speed.kind == "parameter" and speed.role == "free" and speed.start == 1.1
    assert abs(speed.value - 1.0) < 3 * speed.stderr and speed.stderr < 0.01
    assert abs(fitted.constants[1].value + 0.5) < 3 * fitted.constants[1].stderr
    held = fit_constants(
        dynamics,
        np.array([-1.0, -0.45]),
        estimate,
        scale=scale,
        params={c: 1.1},
        config=ShootingConfig(fit_params=False, grow=False),
    )
    assert held.constants[2].role == "fixed" and held.params == {"c_lorentz": 1.1}
    assert held.reduced_chi2 > 10 * fitted.reduced_chi2  # the wrong speed cannot fit


def test_bad_inputs_are_one_line_errors():
    system = builtin("pendulum")
    dynamics, truth = true_terms(system)
    estimate, _ = noisy_estimate(system, 0.01, seed=1, n_trajectories=1, t_end=1.0)
    with pytest.raises(ShootingError) as info:
        fit_constants(dynamics, truth[:1], estimate)
    assert_one_line_message(info.value, "2 finite starting coefficients")
    x, v = sp.symbols("x x_dot", real=True)
    with pytest.raises(ShootingError) as info:
        fit_constants(TermDynamics([v**2, x**2], [x], [v]), truth, estimate)
    assert_one_line_message(info.value, "['x']", "['theta']")
    with pytest.raises(ShootingError) as info:
        fit_constants(dynamics, truth, estimate, scale=ScaleFix("term", 0.5, 0), fixed={0: 0.5})
    assert_one_line_message(info.value, "scale condition")
    with pytest.raises(ShootingError) as info:
        fit_constants(dynamics, truth, estimate, fixed={5: 1.0})
    assert_one_line_message(info.value, "terms 0 to 1")
    with pytest.raises(ShootingError) as info:  # a duplicate term: not determined
        theta, theta_dot = system.q_symbols[0], system.qdot_symbols[0]
        twice = TermDynamics([theta_dot**2, sp.cos(theta), 2 * sp.cos(theta)], [theta], [theta_dot])
        fit_constants(twice, np.array([0.5, 5.0, 2.4]), estimate, config=ShootingConfig(grow=False))
    assert_one_line_message(info.value, "do not determine")
    with pytest.raises(ShootingError) as info:
        ShootingConfig(window=-1.0)
    assert_one_line_message(info.value, "window")


def test_wrapped_angles_of_a_rotating_pendulum():
    # Over the top: the measured angle jumps by 2π; the estimate unwraps it, and the
    # windows integrate the unwrapped angle.
    system = builtin("pendulum")
    dynamics, _truth = true_terms(system)
    data = simulate_positions(
        system, initial_states=[[0.0, 7.0], [1.0, -6.8]], t_end=3.0, noise=0.005, seed=2
    )
    wrapped = np.remainder(data.q + np.pi, 2 * np.pi) - np.pi
    assert np.abs(np.diff(wrapped[:, 0])).max() > 6  # the data do jump
    measured = MeasuredPositions(
        "rotating",
        system.coordinates,
        data.t,
        wrapped,
        data.trajectory,
        ("0", "1"),
        tuple(f"row {i}" for i in range(len(data.t))),
    )
    estimate = estimate_states(measured, periodic=system.periodic)
    result = fit_constants(dynamics, np.array([0.5, 9.5]), estimate, scale=ScaleFix("term", 0.5, 0))
    gravity = result.constants[1]
    assert abs(gravity.value - 9.81) < 3 * gravity.stderr and gravity.stderr < 0.2  # σ ≈ 0.03
    # The smoothing's noise estimate is 15 % low on these 600 samples (σ 0.037 for 0.044,
    # today): χ²/dof shows it, and the covariance is rescaled by it.
    assert 0.8 < result.reduced_chi2 < 1.6
    assert result.rescaled
