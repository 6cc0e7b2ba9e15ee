"""Data of systems with dissipation, forces, inputs and time: the work–energy balance of exact
trajectories, an analytic driven oscillator, input signals, and sampled t and inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from forced_systems import hand_for
from helpers import assert_one_line_message, builtin
from scipy.integrate import cumulative_simpson

import physym
from physym.data import (
    DataError,
    Dataset,
    InputSignal,
    Trajectory,
    energy_scale,
    integrate,
    make_dataset,
    natural_period,
    sample_states,
    sample_time_and_inputs,
    simulate,
    simulate_many,
)


def push(t: float) -> list[float]:
    """A smooth force on the cart, well inside the input box."""
    return [3.0 * math.sin(2.0 * t) + 1.0 * math.cos(5.3 * t)]


HORIZON = {
    "damped_oscillator": 6.0,
    "driven_damped_pendulum": 6.0,
    "cart_pole": 4.0,
    "kapitza_pendulum": 1.0,
    "damped_double_pendulum": 4.0,
}


@pytest.mark.parametrize("name", sorted(HORIZON))
def test_exact_trajectories_obey_the_work_energy_balance(name):
    # dE/dt = Q·q̇ − q̇·∂R/∂q̇ − ∂L/∂t, with E and the power written out by hand and the work
    # integrated by Simpson's rule on the output points: independent of physym's own power.
    system = builtin(name)
    assert set(HORIZON) == set(physym.builtin_names(conservative=False))
    start = sample_states(system, 1, seed=11)[0]
    t_start = 0.3
    trajectory = simulate(
        system,
        start,
        t_start + HORIZON[name],
        n_points=8001,
        inputs=push if system.has_inputs else None,
        t_start=t_start,
    )
    hand = hand_for(system, trajectory.states, trajectory.t, trajectory.inputs)
    work = cumulative_simpson(hand.power, x=trajectory.t, initial=0.0)
    balance = hand.energy - hand.energy[0] - work
    scale = max(abs(hand.energy[0]), energy_scale(system))
    assert np.max(np.abs(balance)) / scale < 1e-8, np.max(np.abs(balance)) / scale
    assert np.max(np.abs(work)) / scale > 1e-2  # the balance is not trivially conserved
    np.testing.assert_allclose(trajectory.energy, hand.energy, rtol=1e-11, atol=1e-11 * scale)
    np.testing.assert_allclose(trajectory.work, work, rtol=0, atol=1e-8 * scale)
    np.testing.assert_allclose(
        trajectory.accelerations,
        hand.accelerations,
        rtol=1e-9,
        atol=1e-9 * np.abs(hand.accelerations).max(),
    )
    assert trajectory.energy_drift < 1e-9
    if system.has_inputs:
        np.testing.assert_allclose(trajectory.inputs[:, 0], [push(t)[0] for t in trajectory.t])


# --------------------------------------------------------- a driven oscillator, solved exactly

M, K, C, F0, OMEGA = 2.0, 8.0, 0.6, 1.5, 1.3


def driven_oscillator(by_input: bool) -> physym.System:
    """``m ẍ + c ẋ + k x = F(t)``, the force an input ``u`` or ``F0 cos(Ω t)``."""
    box = {"x": (-2.0, 2.0), "x_dot": (-3.0, 3.0)}
    common = {"dissipation": "c/2*x_dot**2"}
    if by_input:
        return physym.System(
            "driven",
            ["x"],
            "m/2*x_dot**2 - k/2*x**2",
            {"m": M, "k": K, "c": C},
            {**box, "u": (-2.0, 2.0)},
            forces={"x": "u"},
            inputs=["u"],
            **common,
        )
    return physym.System(
        "driven",
        ["x"],
        "m/2*x_dot**2 - k/2*x**2",
        {"m": M, "k": K, "c": C, "F0": F0, "W": OMEGA},
        {**box, "t": (0.0, 10.0)},
        forces={"x": "F0*cos(W*t)"},
        **common,
    )


def steady_state(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The particular solution; started on it, the motion stays on it for all t."""
    det = (K - M * OMEGA**2) ** 2 + (C * OMEGA) ** 2
    a, b = F0 * (K - M * OMEGA**2) / det, F0 * C * OMEGA / det
    x = a * np.cos(OMEGA * t) + b * np.sin(OMEGA * t)
    v = OMEGA * (b * np.cos(OMEGA * t) - a * np.sin(OMEGA * t))
    return x, v


def drive(t: float) -> float:
    return F0 * math.cos(OMEGA * t)


@pytest.mark.parametrize(
    ("how", "tolerance"),
    [
        ("time", 1e-9),
        ("function", 1e-9),
        ("mapping", 1e-9),
        ("cubic samples", 1e-8),
        ("array at the output times", 1e-8),
    ],
)
def test_driven_oscillator_matches_the_analytic_solution(how, tolerance):
    times = np.linspace(0.0, 10.0, 2001)
    system = driven_oscillator(by_input=how != "time")
    inputs = {
        "time": None,
        "function": lambda t: [drive(t)],
        "mapping": {"u": drive},
        "cubic samples": InputSignal.from_samples(
            ["u"],
            np.linspace(0, 10, 801),
            [drive(t) for t in np.linspace(0, 10, 801)],
            kind="cubic",
        ),
        "array at the output times": np.array([drive(t) for t in times]),
    }[how]
    x0 = np.array([a[0] for a in steady_state(np.zeros(1))])
    trajectory = simulate(system, x0, 10.0, n_points=len(times), inputs=inputs)
    x, v = steady_state(times)
    np.testing.assert_allclose(trajectory.states[:, 0], x, rtol=0, atol=tolerance)
    np.testing.assert_allclose(trajectory.states[:, 1], v, rtol=0, atol=tolerance * 2)
    assert trajectory.energy_drift < 1e-6


def test_integrate_with_time_and_inputs_matches_simulate():
    system = builtin("cart_pole")
    starts = sample_states(system, 3, seed=4) * 0.5
    times = np.linspace(0.0, 2.0, 21)
    signal = InputSignal.from_functions(["u"], push)
    batch = integrate(system.accelerations, starts, times, rtol=1e-11, atol=1e-11, inputs=signal)
    for i, trajectory in enumerate(simulate_many(system, starts, 2.0, 21, inputs=signal)):
        np.testing.assert_allclose(batch[:, i], trajectory.states, atol=1e-7)
    pendulum = builtin("driven_damped_pendulum")
    one = integrate(
        pendulum.accelerations, [0.2, 0.0], times, rtol=1e-11, atol=1e-11, time_dependent=True
    )
    np.testing.assert_allclose(one, simulate(pendulum, [0.2, 0.0], 2.0, 21).states, atol=1e-7)


def test_simulate_many_takes_one_signal_per_trajectory():
    system = builtin("cart_pole")
    starts = np.zeros((2, 4))
    pushes = [lambda t: [1.0], lambda t: [-1.0]]
    left, right = simulate_many(system, starts, 1.0, 11, inputs=pushes)
    assert left.states[-1, 0] > 0 > right.states[-1, 0]
    np.testing.assert_allclose(left.states, -right.states, atol=1e-12)


@pytest.mark.parametrize("kind", ["hold", "linear"])
def test_free_mass_pushed_by_sampled_force_matches_exact_motion(kind):
    # m ẍ = u(t) with u held or linear between samples: x is piecewise quadratic or cubic.
    mass = 2.0
    system = physym.System(
        "pushed",
        ["x"],
        "m/2*x_dot**2",
        {"m": mass},
        {"x": (-1.0, 1.0), "x_dot": (-1.0, 1.0), "u": (-3.0, 3.0)},
        forces={"x": "u"},
        inputs=["u"],
    )
    knots = np.linspace(0.0, 2.0, 9)
    force = np.random.default_rng(3).uniform(-3, 3, size=len(knots))
    signal = InputSignal.from_samples(["u"], knots, force, kind=kind)
    trajectory = simulate(system, [0.1, -0.2], 2.0, n_points=41, inputs=signal)
    expected = []
    for t in trajectory.t:
        k = min(int(np.searchsorted(knots, t, side="right")) - 1, len(knots) - 2)
        x, v, start = 0.1, -0.2, 0.0
        for j in range(k + 1):  # whole segments before t, then the part up to t
            end = min(knots[j + 1], t)
            h, slope = (
                end - start,
                (0.0 if kind == "hold" else (force[j + 1] - force[j]) / (knots[j + 1] - knots[j])),
            )
            x += v * h + (force[j] * h**2 / 2 + slope * h**3 / 6) / mass
            v += (force[j] * h + slope * h**2 / 2) / mass
            start = end
        expected.append((x, v))
    np.testing.assert_allclose(trajectory.states, expected, rtol=0, atol=1e-11)


def test_held_samples_are_piecewise_constant():
    signal = InputSignal.from_samples(
        ["u", "v"], [0.0, 1.0, 2.0], [[1.0, 0.0], [2.0, 5.0], [3.0, 7.0]], kind="hold"
    )
    np.testing.assert_array_equal(
        signal.sample([0.0, 0.5, 1.0, 1.99, 2.0]), [[1, 0], [1, 0], [2, 5], [2, 5], [3, 7]]
    )


@pytest.mark.parametrize(
    ("name", "inputs", "tokens"),
    [
        ("cart_pole", None, ("cart_pole has inputs (u)", "inputs=")),
        ("cart_pole", np.zeros((5, 1)), ("shape (11, 1)",)),
        (
            "cart_pole",
            InputSignal.from_samples(["u"], [0.0, 0.5], [0.0, 1.0]),
            ("covers t in (0.0, 0.5)",),
        ),
        ("cart_pole", InputSignal.from_functions(["v"], push), ("for v", "inputs are u")),
        ("cart_pole", {"w": 1.0}, ("unknown input 'w'",)),
        ("cart_pole", lambda t: [math.nan], ("not finite",)),
        ("damped_oscillator", push, ("damped_oscillator has no inputs",)),
    ],
)
def test_bad_input_signals_are_one_line_errors(name, inputs, tokens):
    with pytest.raises(DataError) as info:
        simulate(builtin(name), np.zeros(2 * builtin(name).n_dof), 1.0, 11, inputs=inputs)
    assert_one_line_message(info.value, *tokens)


def test_forced_trajectory_save_load_round_trip(tmp_path):
    trajectory = simulate(builtin("cart_pole"), [0.0, 0.5, 0.0, 0.0], 1.0, 11, inputs=push)
    loaded = Trajectory.load(trajectory.save(tmp_path / "cart.npz"))
    for field in ("t", "states", "accelerations", "energy", "inputs", "work"):
        np.testing.assert_array_equal(getattr(loaded, field), getattr(trajectory, field))
    assert loaded.input_names == ("u",)
    assert loaded.energy_drift == trajectory.energy_drift


# ------------------------------------------------------------------------- sampled data


@pytest.mark.parametrize("name", physym.builtin_names(conservative=False))
def test_sampled_datasets_carry_time_and_inputs(name, tmp_path):
    system = builtin(name)
    data = make_dataset(system, 300, seed=5, noise=0.01)
    # The states are the same draw as for any system; t and inputs come on top.
    np.testing.assert_array_equal(data.states, sample_states(system, 300, seed=5))
    t, inputs = sample_time_and_inputs(system, 300, seed=5)
    assert (data.t is None) == (not system.time_dependent)
    assert (data.inputs is None) == (not system.has_inputs)
    if t is not None:
        np.testing.assert_array_equal(data.t, t)
        low, high = system.time_range
        assert low <= t.min() and t.max() <= high and t.std() > 0.2 * (high - low)
    if inputs is not None:
        np.testing.assert_array_equal(data.inputs, inputs)
        low, high = system.input_box
        assert (inputs >= low).all() and (inputs <= high).all()
        assert data.input_names == system.inputs
    hand = hand_for(system, data.states, t, inputs)
    np.testing.assert_allclose(
        data.accelerations_clean,
        hand.accelerations,
        rtol=1e-10,
        atol=1e-10 * np.abs(hand.accelerations).max(),
    )
    again = Dataset.load(data.save(tmp_path / "data.npz"))
    for field in ("states", "accelerations", "accelerations_clean", "t", "inputs"):
        a, b = getattr(again, field), getattr(data, field)
        assert (a is None) == (b is None) and (a is None or np.array_equal(a, b))
    assert again.input_names == data.input_names
    t_train, u_train = data.conditions(data.train_index)
    assert t_train is None or len(t_train) == len(data.train_index)
    assert u_train is None or len(u_train) == len(data.train_index)
    assert math.isfinite(energy_scale(system)) and natural_period(system) > 0


def test_sampling_is_seeded_and_conservative_data_stay_plain():
    cart = builtin("cart_pole")
    first = make_dataset(cart, 50, seed=9)
    np.testing.assert_array_equal(first.inputs, make_dataset(cart, 50, seed=9).inputs)
    assert not np.array_equal(first.inputs, make_dataset(cart, 50, seed=10).inputs)
    plain = make_dataset(builtin("double_pendulum"), 50, seed=9)
    assert plain.t is None and plain.inputs is None and plain.input_names == ()
    assert sample_time_and_inputs(builtin("double_pendulum"), 5) == (None, None)
    with pytest.raises(DataError, match="inputs must have shape"):
        Dataset.from_arrays(
            "x",
            np.zeros((4, 2)),
            np.zeros((4, 1)),
            state_names=["q", "q_dot"],
            inputs=np.zeros((4, 2)),
            input_names=["u"],
        )
