"""Equations, integrator and sensitivities of the shooting fit, against independent truths."""

from __future__ import annotations

import numpy as np
import sympy as sp
from helpers import builtin
from shooting_helpers import true_terms

from physym.distill.euler_lagrange import TermDynamics
from physym.distill.library import LORENTZ_SPEED
from physym.shooting.equations import ShootingEquations
from physym.shooting.integrator import rollout


def relativistic_terms() -> TermDynamics:
    x, v = sp.symbols("x x_dot", real=True)
    c = LORENTZ_SPEED
    return TermDynamics([c**2 * sp.sqrt(1 - v**2 / c**2), x**2, v**2 * sp.cos(x)], [x], [v], (c,))


def test_accelerations_match_term_dynamics_and_the_system():
    system = builtin("double_pendulum")
    dynamics, coefficients = true_terms(system)
    states = np.random.default_rng(0).uniform(*system.box, size=(200, 4))
    value = ShootingEquations(dynamics).accelerations(states, coefficients, ()).value
    mass, force = dynamics.evaluate(states)
    np.testing.assert_allclose(
        value, dynamics.accelerations(mass, force, coefficients), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(value, system.accelerations(states), rtol=1e-10, atol=1e-10)


def test_jacobians_match_central_differences():
    dynamics = relativistic_terms()
    equations = ShootingEquations(dynamics)
    rng = np.random.default_rng(1)
    states = np.column_stack([rng.uniform(-1, 1, 50), rng.uniform(-0.7, 0.7, 50)])
    coefficients, params = np.array([-1.0, -0.5, 0.1]), np.array([1.1])
    out = equations.accelerations(states, coefficients, params, jacobians=True)
    eps = 1e-6

    def acc(s=states, c=coefficients, p=params):
        return equations.accelerations(s, c, p).value

    for j in range(2):
        step = np.zeros(2)
        step[j] = eps
        numeric = (acc(s=states + step) - acc(s=states - step)) / (2 * eps)
        np.testing.assert_allclose(out.state[:, :, j], numeric, rtol=1e-6, atol=1e-8)
    for k in range(3):
        step = np.eye(3)[k] * eps
        numeric = (acc(c=coefficients + step) - acc(c=coefficients - step)) / (2 * eps)
        np.testing.assert_allclose(out.coefficients[:, :, k], numeric, rtol=1e-6, atol=1e-8)
    numeric = (acc(p=params + eps) - acc(p=params - eps)) / (2 * eps)
    np.testing.assert_allclose(out.params[:, :, 0], numeric, rtol=1e-6, atol=1e-8)


def test_singular_mass_gives_non_finite_values_not_an_exception():
    x, v = sp.symbols("x x_dot", real=True)
    equations = ShootingEquations(TermDynamics([v**2 * x, x**2], [x], [v]))
    value = equations.accelerations(np.array([[0.0, 1.0], [1.0, 1.0]]), np.ones(2), ()).value
    assert not np.isfinite(value[0, 0]) and np.isfinite(value[1, 0])


def test_rk4_rollout_follows_the_exact_harmonic_motion():
    # x'' = −ω² x from (1, 0): x = cos ωt. RK4's global error is O(h⁴).
    x, v = sp.symbols("x x_dot", real=True)
    equations = ShootingEquations(TermDynamics([v**2, x**2], [x], [v]))
    omega = 3.0
    coefficients = np.array([0.5, -(omega**2) / 2])
    t = np.linspace(0, 2, 201)
    errors = []
    for substeps in (1, 2):
        out = rollout(
            equations,
            np.array([[1.0, 0.0]]),
            coefficients,
            np.zeros(0),
            np.diff(t)[None, :],
            substeps,
        )
        errors.append(np.abs(out.states[0, :, 0] - np.cos(omega * t)).max())
    assert errors[0] < 1e-6
    assert 12 < errors[0] / errors[1] < 20  # fourth order: halving h divides by ~16
    uneven = np.sort(np.random.default_rng(3).uniform(0, 2, 150))  # non-uniform sampling
    out = rollout(
        equations,
        np.array([[1.0, 0.0]]),
        coefficients,
        np.zeros(0),
        np.diff(np.append(0.0, uneven))[None, :],
        1,
    )
    assert np.abs(out.states[0, 1:, 0] - np.cos(omega * uneven)).max() < 1e-5


def test_sensitivities_are_the_derivatives_of_the_discrete_map():
    system = builtin("double_pendulum")
    dynamics, coefficients = true_terms(system)
    equations = ShootingEquations(dynamics)
    initial = np.random.default_rng(2).uniform(-1, 1, size=(3, 4))
    steps = np.full((3, 60), 0.02)
    steps[2, 40:] = 0.0  # a shorter, padded window
    directions = np.eye(len(coefficients))[:, 1:]  # all but the first coefficient
    out = rollout(equations, initial, coefficients, np.zeros(0), steps, 2, directions)
    eps = 1e-6
    for column in range(4 + directions.shape[1]):
        shift_x = np.zeros(4)
        shift_c = np.zeros(len(coefficients))
        if column < 4:
            shift_x[column] = eps
        else:
            shift_c = directions[:, column - 4] * eps
        plus = rollout(equations, initial + shift_x, coefficients + shift_c, np.zeros(0), steps, 2)
        minus = rollout(equations, initial - shift_x, coefficients - shift_c, np.zeros(0), steps, 2)
        numeric = (plus.states[..., :2] - minus.states[..., :2]) / (2 * eps)
        np.testing.assert_allclose(out.sensitivities[..., column], numeric, rtol=1e-5, atol=1e-7)
