"""Exact trajectories: energy conservation, analytic solutions, natural periods, integrate."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import physym
from physym.data import (
    DataError,
    IntegrationError,
    Trajectory,
    energy_scale,
    exact_state_accelerations,
    integrate,
    minimum_energy_state,
    natural_period,
    sample_states,
    sample_time_and_inputs,
    simulate,
    simulate_many,
)

N_PERIODS = 50


@pytest.fixture(scope="module")
def oscillator() -> physym.System:
    """``m ẍ = −k x`` with ``m = 2``, ``k = 8``: ``ω = 2``."""
    x, v, m, k = sp.symbols("x x_dot m k", real=True)
    return physym.System(
        "oscillator",
        ["x"],
        m * v**2 / 2 - k * x**2 / 2,
        {"m": 2.0, "k": 8.0},
        {"x": (-1, 1), "x_dot": (-2, 2)},
    )


@pytest.mark.parametrize("name", physym.builtin_names(conservative=True))
def test_exact_trajectories_conserve_energy(name: str) -> None:
    system = physym.load_system(name)
    period = natural_period(system)
    start = sample_states(system, 1, seed=1)[0]
    trajectory = simulate(system, start, t_end=N_PERIODS * period, n_points=200)
    assert trajectory.energy_drift < 1e-8, (name, trajectory.energy_drift)
    assert np.isfinite(trajectory.states).all()
    assert trajectory.t[-1] == pytest.approx(N_PERIODS * period)


def test_harmonic_oscillator_matches_analytic_solution(oscillator: physym.System) -> None:
    omega, x0, v0 = 2.0, 0.7, -1.3
    trajectory = simulate(oscillator, [x0, v0], t_end=10 * math.pi, n_points=2001)
    t = trajectory.t
    x_exact = x0 * np.cos(omega * t) + v0 / omega * np.sin(omega * t)
    v_exact = -x0 * omega * np.sin(omega * t) + v0 * np.cos(omega * t)
    np.testing.assert_allclose(trajectory.states[:, 0], x_exact, rtol=0, atol=1e-9)
    np.testing.assert_allclose(trajectory.states[:, 1], v_exact, rtol=0, atol=1e-9)
    np.testing.assert_allclose(trajectory.accelerations[:, 0], -(omega**2) * x_exact, atol=1e-8)
    energy = 0.5 * 2.0 * v0**2 + 0.5 * 8.0 * x0**2
    np.testing.assert_allclose(trajectory.energy, energy, rtol=1e-10)


def test_energy_drift_is_relative_to_the_energy_scale_when_energy_is_near_zero(
    oscillator: physym.System,
) -> None:
    trajectory = simulate(oscillator, [0.0, 0.0], t_end=1.0, n_points=11)
    assert trajectory.energy[0] == 0.0
    assert trajectory.energy_reference == pytest.approx(energy_scale(oscillator))
    assert trajectory.energy_drift == 0.0


def test_natural_period_of_small_oscillations(oscillator: physym.System) -> None:
    assert natural_period(oscillator) == pytest.approx(math.pi, rel=1e-7)
    pendulum = physym.load_system("pendulum")
    g, length = pendulum.parameters["g"], pendulum.parameters["l"]
    assert natural_period(pendulum) == pytest.approx(2 * math.pi * math.sqrt(length / g), rel=1e-7)
    np.testing.assert_allclose(minimum_energy_state(pendulum), [0.0, 0.0], atol=1e-6)


def test_double_pendulum_normal_modes() -> None:
    system = physym.load_system("double_pendulum")
    g = system.parameters["g"]  # equal masses and lengths 1: ω² = g (2 ∓ √2)
    slow, fast = math.sqrt(g * (2 - math.sqrt(2))), math.sqrt(g * (2 + math.sqrt(2)))
    assert natural_period(system) == pytest.approx(2 * math.pi / slow, rel=1e-6)
    assert natural_period(system, mode="fastest") == pytest.approx(2 * math.pi / fast, rel=1e-6)


def test_natural_period_of_a_free_particle_falls_back_to_the_box() -> None:
    v = sp.Symbol("x_dot", real=True)
    free = physym.System("free", ["x"], v**2 / 2, {}, {"x": (-3, 3), "x_dot": (-1, 1)})
    assert natural_period(free) == pytest.approx(3.0)


def _four_dof_chain() -> physym.System:
    """Position-dependent, coupled mass matrix with four degrees of freedom."""
    q = sp.symbols("a b c d", real=True)
    v = sp.symbols("a_dot b_dot c_dot d_dot", real=True)
    kinetic = sum((1 + q[i] ** 2) * v[i] ** 2 for i in range(4)) / 2
    kinetic += sum(v[i] * v[i + 1] * sp.cos(q[i] - q[i + 1]) / 4 for i in range(3))
    box = {s.name: (-1.0, 1.0) for s in (*q, *v)}
    return physym.System("chain4", [s.name for s in q], kinetic - sum(x**2 for x in q), {}, box)


@pytest.mark.parametrize("name", [*physym.builtin_names(), "chain4"])
def test_fast_single_state_accelerations_match_the_batched_truth(name: str) -> None:
    system = _four_dof_chain() if name == "chain4" else physym.load_system(name)
    states = sample_states(system, 20, seed=4)
    t, inputs = sample_time_and_inputs(system, 20, seed=4)
    times = [None] * 20 if t is None else t
    values = [None] * 20 if inputs is None else inputs
    accelerations = exact_state_accelerations(system)
    fast = np.array(
        [accelerations(s, ti, ui) for s, ti, ui in zip(states, times, values, strict=True)]
    )
    np.testing.assert_allclose(
        fast, system.accelerations(states, t, inputs), rtol=1e-10, atol=1e-10
    )


def test_integrate_a_batch_with_a_generic_acceleration_function() -> None:
    system = physym.load_system("double_pendulum")
    starts = sample_states(system, 3, seed=2) * 0.5
    times = np.linspace(0.0, 3.0, 31)
    batch = integrate(system.accelerations, starts, times, rtol=1e-11, atol=1e-11)
    assert batch.shape == (31, 3, 4)
    for i, trajectory in enumerate(simulate_many(system, starts, 3.0, 31)):
        np.testing.assert_allclose(batch[:, i], trajectory.states, atol=1e-7)
    single = integrate(system.accelerations, starts[0], times, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(single, batch[:, 0], atol=1e-7)


def test_integrate_reports_a_blow_up_with_the_partial_solution() -> None:
    def exploding(states: np.ndarray) -> np.ndarray:  # ẍ = 10 x³ escapes in finite time
        return 10 * states[:, :1] ** 3

    with pytest.raises(IntegrationError, match="stopped at t =") as info:
        integrate(exploding, [1.0, 1.0], np.linspace(0, 5, 11))
    assert info.value.t[-1] < 5 and info.value.states.shape[1:] == (2,)


def test_trajectory_save_load_round_trip(tmp_path, oscillator: physym.System) -> None:
    trajectory = simulate(oscillator, [0.3, 0.1], t_end=2.0, n_points=21)
    path = trajectory.save(tmp_path / "traj.npz")
    loaded = Trajectory.load(path)
    for field in ("t", "states", "accelerations", "energy"):
        np.testing.assert_array_equal(getattr(loaded, field), getattr(trajectory, field))
    assert (loaded.system, loaded.state_names) == ("oscillator", ("x", "x_dot"))
    assert loaded.energy_drift == trajectory.energy_drift


def test_trajectory_load_errors_are_one_line(tmp_path, oscillator: physym.System) -> None:
    (tmp_path / "junk.npz").write_bytes(b"not a zip archive")
    np.savez(tmp_path / "other.npz", t=np.zeros(3))
    good = simulate(oscillator, [0.3, 0.1], t_end=1.0, n_points=5).save(tmp_path / "g.npz")
    arrays = dict(np.load(good))
    arrays["energy"] = arrays["energy"][:3]
    np.savez(tmp_path / "short.npz", **arrays)
    cases = {
        "missing.npz": "no such trajectory file",
        "junk.npz": "corrupt",
        "other.npz": "missing array",
        "short.npz": r"inconsistent.*energy must have",
    }
    for name, message in cases.items():
        with pytest.raises(DataError, match=message) as info:
            Trajectory.load(tmp_path / name)
        assert "\n" not in str(info.value)


def test_simulate_rejects_bad_arguments(oscillator: physym.System) -> None:
    with pytest.raises(ValueError, match="needs 2 values"):
        simulate(oscillator, [0.1, 0.2, 0.3], t_end=1.0)
    with pytest.raises(ValueError, match="t_end must be a positive"):
        simulate(oscillator, [0.1, 0.2], t_end=-1.0)
