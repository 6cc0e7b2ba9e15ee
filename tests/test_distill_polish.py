"""The Euler–Lagrange polish: constants from data, beyond the network's precision."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from physym import load_system
from physym.distill import StateSpace
from physym.distill.euler_lagrange import TermDynamics
from physym.distill.library import LORENTZ_SPEED
from physym.distill.polish import Polisher, ScaleFix, polish_terms


def data(name, n=400, seed=0):
    system = load_system(name)
    space = StateSpace.from_system(system)
    states = space.sample_states(n, np.random.default_rng(seed))
    return system, space, states, system.accelerations(states)


def test_columns_of_the_true_terms_cancel_on_exact_data():
    _, space, states, accelerations = data("double_pendulum")
    (t1, t2), (v1, v2) = space.q_symbols, space.v_symbols
    terms = [v1**2, v2**2, v1 * v2 * sp.cos(t1 - t2), sp.cos(t1), sp.cos(t2)]
    coefficients = np.array([1.0, 0.5, 1.0, 2 * 9.81, 9.81])
    dynamics = TermDynamics(terms, space.q_symbols, space.v_symbols)
    mass, force = dynamics.evaluate(states)
    residual = np.einsum("bki,k->bi", dynamics.columns(mass, force, accelerations), coefficients)
    assert np.abs(residual).max() < 1e-12
    predicted = dynamics.accelerations(mass, force, coefficients)
    np.testing.assert_allclose(predicted, accelerations, rtol=1e-10, atol=1e-10)


def test_polish_recovers_g_from_a_network_one_percent_off():
    _, space, states, accelerations = data("pendulum")
    theta, theta_dot = space.q_symbols[0], space.v_symbols[0]
    dynamics = TermDynamics([theta_dot**2, sp.cos(theta)], space.q_symbols, space.v_symbols)
    start = np.array([0.5, 9.7])
    polisher = Polisher(dynamics, states, accelerations, ScaleFix("term", 0.5, 0), {}, start)
    assert polisher.error(start) > 1e-3
    polished = polish_terms(polisher, 3.0, 0.05, 1e-12)
    assert polished[1] == pytest.approx(9.81, abs=1e-11)
    assert polisher.error(polished) < 1e-13


def test_total_derivatives_and_gauge_duplicates_are_dropped():
    _, space, states, accelerations = data("charged_particle_magnetic")
    (x, y), (vx, vy) = space.q_symbols, space.v_symbols
    terms = [vx**2, vy**2, y * vx, x * vy, x**2, y**2, vx * sp.cos(x)]
    dynamics = TermDynamics(terms, space.q_symbols, space.v_symbols)
    start = np.array([0.5, 0.5, -0.5, 0.5, -0.5, -0.5, 0.3])
    polisher = Polisher(dynamics, states, accelerations, ScaleFix("term", 0.5, 0), {}, start)
    polisher.drop_dependent()
    assert 6 not in polisher.active  # cos(x) ẋ = d sin(x)/dt
    assert (2 in polisher.active) != (3 in polisher.active)  # x ẏ ≡ −y ẋ up to d(xy)/dt
    polished = polish_terms(polisher, 2.0, 0.05, 1e-12)
    assert polisher.error(polished) < 1e-12


def test_mass_scale_condition():
    _, space, states, accelerations = data("harmonic_oscillator")
    x, v = space.q_symbols[0], space.v_symbols[0]
    dynamics = TermDynamics([v**2, x**2], space.q_symbols, space.v_symbols)
    fix = ScaleFix("mass", 3.0, 0, (0.0, 0.0))
    polisher = Polisher(dynamics, states, accelerations, fix, {}, np.array([1.5, -1.0]))
    polished = polisher.solve()
    np.testing.assert_allclose(polished, [1.5, -1.5], rtol=1e-12)  # M = 2 c_0 = 3


def test_lorentz_speed_is_refined_by_variable_projection():
    _, space, states, accelerations = data("relativistic_oscillator")
    x, v = space.q_symbols[0], space.v_symbols[0]
    c = LORENTZ_SPEED
    terms = [c**2 * sp.sqrt(1 - v**2 / c**2), x**2]
    dynamics = TermDynamics(terms, space.q_symbols, space.v_symbols, (c,))
    fix = ScaleFix("mass", 1.0, 0, (0.0, 0.0))
    polisher = Polisher(dynamics, states, accelerations, fix, {c: 1.1}, np.array([-1.0, -0.5]))
    polished = polish_terms(polisher, 0.8, 0.05, 1e-12)
    assert polisher.params[c] == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(polished, [-1.0, -0.5], atol=1e-6)


def test_lorentz_speed_is_found_from_a_start_a_quarter_off():
    # A network with 0.6 % acceleration error put the speed 24 % high: the grid finds it.
    _, space, states, accelerations = data("relativistic_oscillator")
    x, v = space.q_symbols[0], space.v_symbols[0]
    c = LORENTZ_SPEED
    terms = [c**2 * sp.sqrt(1 - v**2 / c**2), x**2, v**2, v**4]
    dynamics = TermDynamics(terms, space.q_symbols, space.v_symbols, (c,))
    fix = ScaleFix("mass", 1.0, 0, (0.0, 0.0))
    polisher = Polisher(
        dynamics, states, accelerations, fix, {c: 1.245}, np.array([-1.0, -0.5, 0.0, 0.0])
    )
    polished = polish_terms(polisher, 0.8, 0.05, 1e-12)
    assert polisher.params[c] == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(polished, [-1.0, -0.5, 0.0, 0.0], atol=1e-6)


def test_prune_prefers_the_simplest_kinetic_energy_among_equivalent_lagrangians():
    # Coupled linear oscillators: L_β = ½ẋᵀM(I + βA)ẋ − … has the same motion for every β
    # (A = M⁻¹K); β = −1/2 gives a diagonal potential, β = 0 a diagonal mass matrix.
    _, space, states, accelerations = data("coupled_oscillators")
    (x1, x2), (v1, v2) = space.q_symbols, space.v_symbols
    terms = [v1**2, v1 * v2, v2**2, x1**2, x1 * x2, x2**2]
    dynamics = TermDynamics(terms, space.q_symbols, space.v_symbols)
    other = np.array([0.5, 0.5, 0.5, -0.75, 0.0, -0.75])  # the member found in a real fit
    polisher = Polisher(dynamics, states, accelerations, ScaleFix("term", 0.5, 0), {}, other)
    assert polisher.error(other) < 1e-12
    polished = polish_terms(polisher, 4.0, 0.05, 1e-12)
    np.testing.assert_allclose(polished, [0.5, 0.0, 0.5, -1.0, 1.0, -1.0], atol=1e-10)


def test_independent_blocks_each_keep_a_scale():
    # Two uncoupled oscillators: L_x + β L_y moves alike for every β, so the y block needs
    # its own scale condition, or least squares sets its terms to zero.
    x, y, vx, vy = sp.symbols("x y x_dot y_dot", real=True)
    space = StateSpace(("x", "y"), (False, False), -np.ones(4), np.ones(4))
    states = space.sample_states(300, np.random.default_rng(0))
    accelerations = np.column_stack([-2 * states[:, 0], -5 * states[:, 1]])
    dynamics = TermDynamics([vx**2, vy**2, x**2, y**2], space.q_symbols, space.v_symbols)
    start = np.array([0.5, 0.3, -1.0, -0.7])
    polisher = Polisher(dynamics, states, accelerations, ScaleFix("term", 0.5, 0), {}, start)
    assert [sorted(b) for b in polisher.blocks()] == [[0], [1]]
    solved = polisher.solve()
    np.testing.assert_allclose(solved, [0.5, 0.5, -1.0, -2.5], rtol=1e-10)
    assert polisher.error(solved) < 1e-12


def test_prune_keeps_the_mass_matrix_definite():
    # Constant accelerations: ½ẋ² + ẏ²·c + b·q and ½ẋ² + ẋẏ·c' + … explain them alike; the
    # drop that leaves M indefinite is refused, the one that keeps it definite is taken.
    x, y, vx, vy = sp.symbols("x y x_dot y_dot", real=True)
    space = StateSpace(("x", "y"), (False, False), -np.ones(4), np.ones(4))
    states = space.sample_states(300, np.random.default_rng(1))
    mass = np.array([[3.0, 1.0], [1.0, 2.0]])
    accelerations = np.tile(np.linalg.solve(mass, [1.0, -2.0]), (300, 1))
    dynamics = TermDynamics([vx**2, vx * vy, vy**2, x, y], space.q_symbols, space.v_symbols)
    start = np.array([1.5, 1.0, 1.0, 1.0, -2.0])
    polisher = Polisher(dynamics, states, accelerations, ScaleFix("term", 1.5, 0), {}, start)
    pruned = polisher.prune(polisher.solve(), 0.05, 1e-10)
    assert polisher.error(pruned) < 1e-12
    total = np.array([[2 * pruned[0], pruned[1]], [pruned[1], 2 * pruned[2]]])
    assert np.all(np.linalg.eigvalsh(total) > 0)
    assert pruned[1] == 0  # the coupling went, not a diagonal mass
