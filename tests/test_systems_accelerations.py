"""Exact accelerations of the built-in systems against hand-derived closed forms.

Every ``expected_*`` function below is the textbook equation of motion written out by hand
in NumPy (never derived with SymPy), so these tests check the whole spec -> SymPy ->
Euler-Lagrange -> lambdify -> solve chain against independent truth. Each system is
checked with its built-in parameters and again with randomly perturbed parameters (so a
parameter that is dropped or swapped somewhere cannot hide behind values of 1.0).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import sympy as sp
from helpers import assert_rel_close, builtin, uniform_states

import physym

RTOL = 1e-10
N_STATES = 256


# --------------------------------------------------------------------------- closed forms


def expected_pendulum(s: np.ndarray, p: dict) -> np.ndarray:
    theta = s[:, 0]
    return (-p["g"] / p["l"] * np.sin(theta))[:, None]


def expected_double_pendulum(s: np.ndarray, p: dict) -> np.ndarray:
    # The classical closed form (e.g. myphysicslab "double pendulum"), solved by hand.
    t1, t2, w1, w2 = s.T
    m1, m2, l1, l2, g = p["m1"], p["m2"], p["l1"], p["l2"], p["g"]
    d = t1 - t2
    den = 2 * m1 + m2 - m2 * np.cos(2 * d)
    a1 = (
        -g * (2 * m1 + m2) * np.sin(t1)
        - m2 * g * np.sin(t1 - 2 * t2)
        - 2 * np.sin(d) * m2 * (w2**2 * l2 + w1**2 * l1 * np.cos(d))
    ) / (l1 * den)
    a2 = (
        2
        * np.sin(d)
        * (w1**2 * l1 * (m1 + m2) + g * (m1 + m2) * np.cos(t1) + w2**2 * l2 * m2 * np.cos(d))
    ) / (l2 * den)
    return np.stack([a1, a2], axis=1)


def expected_triple_pendulum(s: np.ndarray, p: dict) -> np.ndarray:
    # Equal masses m on equal rods l. With a_jk = m l^2 (n + 1 - max(j, k)) the kinetic
    # energy is 1/2 sum a_jk cos(t_j - t_k) w_j w_k, and Euler-Lagrange gives
    #   sum_k a_jk cos(t_j - t_k) wdot_k = -sum_k a_jk sin(t_j - t_k) w_k^2
    #                                      - m g l (n + 1 - j) sin(t_j).
    n = 3
    m, length, g = p["m"], p["l"], p["g"]
    theta, omega = s[:, :n], s[:, n:]
    idx = np.arange(1, n + 1)
    a = m * length**2 * (n + 1 - np.maximum.outer(idx, idx))
    diff = theta[:, :, None] - theta[:, None, :]
    mass = a * np.cos(diff)
    force = -np.einsum("jk,bjk,bk->bj", a, np.sin(diff), omega**2) - m * g * length * (
        n + 1 - idx
    ) * np.sin(theta)
    return np.linalg.solve(mass, force[..., None])[..., 0]


def expected_harmonic_oscillator(s: np.ndarray, p: dict) -> np.ndarray:
    return (-p["k"] / p["m"] * s[:, 0])[:, None]


def expected_duffing(s: np.ndarray, p: dict) -> np.ndarray:
    x = s[:, 0]
    return (-(p["alpha"] * x + p["beta"] * x**3) / p["m"])[:, None]


def expected_coupled_oscillators(s: np.ndarray, p: dict) -> np.ndarray:
    x1, x2 = s[:, 0], s[:, 1]
    a1 = (-p["k1"] * x1 + p["k2"] * (x2 - x1)) / p["m1"]
    a2 = (-p["k2"] * (x2 - x1) - p["k3"] * x2) / p["m2"]
    return np.stack([a1, a2], axis=1)


def expected_fpu_chain(s: np.ndarray, p: dict) -> np.ndarray:
    # Fixed ends x0 = x4 = 0; spring force phi'(d) = k d + beta d^3 on stretch d.
    x = s[:, :3]
    padded = np.pad(x, ((0, 0), (1, 1)))
    stretch = np.diff(padded, axis=1)  # (B, 4)
    tension = p["k"] * stretch + p["beta"] * stretch**3
    return (tension[:, 1:] - tension[:, :-1]) / p["m"]


def expected_spring_pendulum(s: np.ndarray, p: dict) -> np.ndarray:
    r, th, rd, thd = s.T
    m, k, l0, g = p["m"], p["k"], p["l0"], p["g"]
    a_r = r * thd**2 + g * np.cos(th) - k / m * (r - l0)
    a_th = (-2 * rd * thd - g * np.sin(th)) / r
    return np.stack([a_r, a_th], axis=1)


def expected_swinging_atwood(s: np.ndarray, p: dict) -> np.ndarray:
    # Tufillaro, Abbott & Griffiths (1984), eqs. (2)-(3).
    r, th, rd, thd = s.T
    M, m, g = p["M"], p["m"], p["g"]
    a_r = (m * r * thd**2 - g * (M - m * np.cos(th))) / (M + m)
    a_th = (-2 * rd * thd - g * np.sin(th)) / r
    return np.stack([a_r, a_th], axis=1)


def expected_kepler_polar(s: np.ndarray, p: dict) -> np.ndarray:
    r, _phi, rd, phid = s.T
    a_r = r * phid**2 - p["k"] / (p["m"] * r**2)
    a_phi = -2 * rd * phid / r
    return np.stack([a_r, a_phi], axis=1)


def expected_charged_particle_magnetic(s: np.ndarray, p: dict) -> np.ndarray:
    # m a = q v x B (B along z) - k r.
    x, y, vx, vy = s.T
    m, q, B, k = p["m"], p["q"], p["B"], p["k"]
    ax = (q * B * vy - k * x) / m
    ay = (-q * B * vx - k * y) / m
    return np.stack([ax, ay], axis=1)


def expected_relativistic_oscillator(s: np.ndarray, p: dict) -> np.ndarray:
    # d/dt (gamma m v) = -k x  =>  gamma^3 m a = -k x.
    x, v = s.T
    m, k, c = p["m"], p["k"], p["c"]
    return (-k * x / m * (1 - v**2 / c**2) ** 1.5)[:, None]


EXPECTED: dict[str, Callable[[np.ndarray, dict], np.ndarray]] = {
    "pendulum": expected_pendulum,
    "double_pendulum": expected_double_pendulum,
    "triple_pendulum": expected_triple_pendulum,
    "harmonic_oscillator": expected_harmonic_oscillator,
    "duffing": expected_duffing,
    "coupled_oscillators": expected_coupled_oscillators,
    "fpu_chain": expected_fpu_chain,
    "spring_pendulum": expected_spring_pendulum,
    "swinging_atwood": expected_swinging_atwood,
    "kepler_polar": expected_kepler_polar,
    "charged_particle_magnetic": expected_charged_particle_magnetic,
    "relativistic_oscillator": expected_relativistic_oscillator,
}


def with_parameters(system: physym.System, parameters: dict) -> physym.System:
    """The same system with other parameter values (through the plain-data route)."""
    data = system.to_dict()
    data["parameters"] = parameters
    return physym.System.from_dict(data)


# ---------------------------------------------------------------------------------- tests


def test_every_conservative_builtin_has_a_closed_form():
    # The non-conservative built-ins have theirs in test_systems_forces.py.
    assert set(EXPECTED) == set(physym.builtin_names(conservative=True))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_accelerations_match_closed_form(name):
    system = builtin(name)
    states = uniform_states(system, N_STATES, seed=1)
    expected = EXPECTED[name](states, dict(system.parameters))
    actual = system.accelerations(states)
    assert actual.shape == (N_STATES, system.n_dof)
    assert actual.dtype == np.float64
    assert_rel_close(actual, expected, RTOL, what=name)
    assert_rel_close(actual, expected, RTOL, elementwise=True, what=f"{name} (entrywise)")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_accelerations_match_closed_form_other_parameters(name):
    base = builtin(name)
    rng = np.random.default_rng(sum(map(ord, name)))
    # Scale each parameter by a factor in [0.6, 1.6]; ratios such as M/m keep their
    # meaning and the sampling box stays valid (c only grows, so |v| < c still holds).
    params = {k: v * rng.uniform(0.6, 1.6) for k, v in base.parameters.items()}
    if "c" in params:
        params["c"] = base.parameters["c"] * rng.uniform(1.0, 1.6)
    system = with_parameters(base, params)
    states = uniform_states(system, 64, seed=2)
    expected = EXPECTED[name](states, params)
    assert_rel_close(system.accelerations(states), expected, RTOL, elementwise=True, what=name)


def test_pendulum_small_angle_limit():
    # theta_ddot ~ -(g/l) theta for small theta: a check independent of any closed form.
    system = builtin("pendulum")
    theta = np.array([1e-6, -2e-6])
    states = np.stack([theta, np.zeros(2)], axis=1)
    g_over_l = system.parameters["g"] / system.parameters["l"]
    assert_rel_close(system.accelerations(states)[:, 0], -g_over_l * theta, 1e-10)


def test_kepler_circular_orbit_has_zero_radial_acceleration():
    system = builtin("kepler_polar")
    k, m = system.parameters["k"], system.parameters["m"]
    r = np.linspace(0.85, 1.15, 5)
    states = np.stack([r, np.zeros(5), np.zeros(5), np.sqrt(k / (m * r**3))], axis=1)
    acc = system.accelerations(states)
    assert np.max(np.abs(acc)) < 1e-12


def test_relativistic_oscillator_reduces_to_newton_at_low_speed():
    system = builtin("relativistic_oscillator")
    states = np.array([[0.5, 1e-9], [-0.3, -1e-9]])
    k, m = system.parameters["k"], system.parameters["m"]
    assert_rel_close(system.accelerations(states)[:, 0], -k / m * states[:, 0], 1e-12)


def test_magnetic_force_does_no_work():
    # Without the trap (k = 0) the Lorentz force is perpendicular to the velocity.
    base = builtin("charged_particle_magnetic")
    system = with_parameters(base, {**base.parameters, "k": 0.0})
    states = uniform_states(system, 32, seed=3)
    power = np.sum(system.accelerations(states) * states[:, 2:], axis=1)
    assert np.max(np.abs(power)) < 1e-12


def test_single_state_and_batch_agree():
    system = builtin("double_pendulum")
    states = uniform_states(system, 5, seed=4)
    batch = system.accelerations(states)
    for i, s in enumerate(states):
        one = system.accelerations(s)  # a 1-D state is accepted as a batch of one
        assert one.shape == (1, 2)
        np.testing.assert_array_equal(one[0], batch[i])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_mass_matrix_is_regular_in_the_box(name):
    system = builtin(name)
    states = uniform_states(system, 512, seed=5)
    mass = system.mass_matrix(states)
    eigenvalues = np.linalg.eigvalsh(mass)
    assert np.all(eigenvalues > 0), f"{name}: mass matrix not positive definite in the box"
    assert np.max(np.linalg.cond(mass)) < 1e4


def test_degenerate_lagrangian_is_rejected():
    x, v = sp.symbols("x x_dot", real=True)
    system = physym.System(
        "linear_in_velocity", ["x"], v * x - x**2, {}, {"x": (-1.0, 1.0), "x_dot": (-1.0, 1.0)}
    )
    with pytest.raises(physym.DegenerateLagrangianError) as info:
        system.accelerations([[0.1, 0.2]])
    message = str(info.value)
    assert "linear_in_velocity" in message
    assert "x=" in message and "x_dot=" in message  # names a state


def test_degenerate_lagrangian_from_spec_is_rejected():
    from physym.systems import parse_spec

    text = "\n".join(
        [
            'name = "degenerate_spec"',
            'coordinates = ["x", "y"]',
            'lagrangian = "(x_dot + y_dot)**2 / 2 - x**2 - y**2"',  # M has rank one
            "[sampling]",
            "x = [-1.0, 1.0]",
            "y = [-1.0, 1.0]",
            "x_dot = [-1.0, 1.0]",
            "y_dot = [-1.0, 1.0]",
        ]
    )
    system = parse_spec(text, where="degenerate.toml")
    with pytest.raises(physym.DegenerateLagrangianError, match=r"degenerate_spec.*state"):
        _ = system.dynamics


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_singular_state_is_reported_by_accelerations():
    # kepler_polar's mass matrix diag(m, m r^2) is singular only at r = 0.
    system = builtin("kepler_polar")
    with pytest.raises(physym.DegenerateLagrangianError) as info:
        system.accelerations([[1.0, 0.0, 0.1, 1.0], [0.0, 0.3, 0.0, 1.0]])
    message = str(info.value)
    assert "kepler_polar" in message and "r=0" in message
