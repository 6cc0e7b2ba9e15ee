"""The built-in library: every spec loads by name and by path, follows the house style,
round-trips through plain data, and the three ways of defining a system agree."""

from __future__ import annotations

import math
import re
import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from helpers import (
    BUILTIN_NAMES,
    BUILTIN_SPEC_FILES,
    assert_one_line_message,
    assert_rel_close,
    builtin,
    uniform_conditions,
    uniform_states,
)
from sympy.physics.mechanics import dynamicsymbols

import physym
from physym.systems import SpecError, builtin_path

CONSERVATIVE_BUILTINS = {
    "pendulum",
    "double_pendulum",
    "triple_pendulum",
    "harmonic_oscillator",
    "spring_pendulum",
    "swinging_atwood",
    "kepler_polar",
    "coupled_oscillators",
    "duffing",
    "fpu_chain",
    "charged_particle_magnetic",
    "relativistic_oscillator",
}
FORCED_BUILTINS = {
    "damped_oscillator",
    "driven_damped_pendulum",
    "cart_pole",
    "kapitza_pendulum",
    "damped_double_pendulum",
}
EXPECTED_BUILTINS = CONSERVATIVE_BUILTINS | FORCED_BUILTINS

ANGLE_PATTERN = re.compile(r"^(theta|phi)\d*$")


def test_builtin_library_is_complete():
    assert set(BUILTIN_NAMES) == EXPECTED_BUILTINS
    assert set(physym.builtin_names()) >= EXPECTED_BUILTINS
    assert set(physym.builtin_names(conservative=True)) == CONSERVATIVE_BUILTINS
    assert set(physym.builtin_names(conservative=False)) == FORCED_BUILTINS


@pytest.mark.parametrize("path", BUILTIN_SPEC_FILES, ids=lambda p: p.stem)
def test_spec_loads_by_name_and_by_path(path):
    by_name = physym.load_system(path.stem)
    by_path = physym.load_system(path)
    by_str = physym.load_system(str(path))
    assert by_name == by_path == by_str
    assert by_name.name == path.stem  # the file is named after the system
    assert builtin_path(path.stem).read_bytes() == path.read_bytes()
    states = uniform_states(by_name, 16, seed=0)
    t, inputs = uniform_conditions(by_name, 16, seed=0)
    np.testing.assert_array_equal(
        by_name.accelerations(states, t, inputs), by_path.accelerations(states, t, inputs)
    )


@pytest.mark.parametrize("path", BUILTIN_SPEC_FILES, ids=lambda p: p.stem)
def test_spec_house_style(path):
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    # A textbook source in a leading comment (and in the `source` key for `physym show`).
    assert re.search(r"^# Source: \S", text, flags=re.MULTILINE), "missing '# Source:' comment"
    assert isinstance(data.get("source"), str) and data["source"].strip()
    # A one-line description.
    description = data.get("description")
    assert isinstance(description, str) and description.strip()
    assert "\n" not in description and len(description) <= 100
    # Angles are declared periodic; periodic names are coordinates.
    coordinates = data["coordinates"]
    periodic = data.get("periodic")
    assert isinstance(periodic, list), "state `periodic = [...]` explicitly (may be empty)"
    assert set(periodic) <= set(coordinates)
    assert {q for q in coordinates if ANGLE_PATTERN.match(q)} == set(periodic)
    # Parameters are plain floats; the box covers every q and q_dot, t where time matters,
    # every input, and nothing else.
    assert all(isinstance(v, float) for v in data.get("parameters", {}).values())
    states = [*coordinates, *(f"{q}_dot" for q in coordinates)]
    system = physym.load_system(path)
    extra = [*(["t"] if system.time_dependent else []), *data.get("inputs", [])]
    assert set(data["sampling"]) == set(states) | set(extra)
    for q in periodic:  # angle boxes stay within one turn
        low, high = data["sampling"][q]
        assert -math.pi - 1e-6 <= low < high <= math.pi + 1e-6


def test_kepler_box_keeps_r_away_from_zero():
    system = builtin("kepler_polar")
    r_low, _ = system.sampling["r"]
    assert r_low >= 0.5
    # Every orbit started in the box is bound with pericentre > 0.25: check 20 000 box
    # states and the box corners with the closed-form Kepler orbit.
    k, m = system.parameters["k"], system.parameters["m"]
    corners = np.array(np.meshgrid(*(system.sampling[s] for s in system.state_names)))
    states = np.vstack([corners.reshape(4, -1).T, uniform_states(system, 20_000, seed=0)])
    r, _phi, rd, pd = states.T
    ang = m * r**2 * pd
    energy = m * rd**2 / 2 + ang**2 / (2 * m * r**2) - k / r
    assert np.all(energy < 0)
    # pericentre: the larger root of  2 m E r^2 + 2 m k r - L^2 = 0  (E < 0)
    a, b, c = 2 * m * energy, 2 * m * k, -(ang**2)
    pericentre = (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)
    assert np.all(pericentre > 0.25)
    np.testing.assert_allclose(system.energy(states), energy, rtol=1e-12)


def test_relativistic_box_is_subluminal_but_relativistic():
    system = builtin("relativistic_oscillator")
    c = system.parameters["c"]
    low, high = system.sampling["x_dot"]
    assert max(abs(low), abs(high)) < c
    assert max(abs(low), abs(high)) >= 0.5 * c  # gamma clearly above 1


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_to_dict_round_trip(name):
    system = builtin(name)
    data = system.to_dict()
    again = physym.System.from_dict(data)
    assert again == system
    assert again.to_dict() == data
    assert physym.System.from_json(system.to_json()) == system
    states = uniform_states(system, 16, seed=1)
    t, inputs = uniform_conditions(system, 16, seed=1)
    assert_rel_close(
        again.accelerations(states, t, inputs), system.accelerations(states, t, inputs), 1e-13
    )


def test_systems_with_different_lagrangians_are_not_equal():
    a = builtin("harmonic_oscillator")
    b = builtin("duffing")
    assert a != b
    data = a.to_dict()
    data["parameters"] = {**data["parameters"], "k": 2.0}
    assert physym.System.from_dict(data) != a


# ---------------------------------------------------------- the Python and dynamicsymbols routes


def _double_pendulum_parts():
    spec = builtin("double_pendulum")
    return spec, dict(spec.parameters), dict(spec.sampling)


def test_python_route_with_plain_symbols_equals_spec():
    spec, params, sampling = _double_pendulum_parts()
    t1, t2, w1, w2, m1, m2, l1, l2, g = sp.symbols(
        "theta1 theta2 theta1_dot theta2_dot m1 m2 l1 l2 g"
    )
    lagrangian = (
        (m1 + m2) / 2 * l1**2 * w1**2
        + m2 / 2 * l2**2 * w2**2
        + m2 * l1 * l2 * w1 * w2 * sp.cos(t1 - t2)
        + (m1 + m2) * g * l1 * sp.cos(t1)
        + m2 * g * l2 * sp.cos(t2)
    )
    system = physym.System(
        "double_pendulum",
        ["theta1", "theta2"],
        lagrangian,
        params,
        sampling,
        periodic=("theta1", "theta2"),
    )
    assert system == spec


def test_dynamicsymbols_double_pendulum_matches_spec():
    spec, params, sampling = _double_pendulum_parts()
    t = dynamicsymbols._t
    th1, th2 = dynamicsymbols("theta1 theta2")
    m1, m2, l1, l2, g = sp.symbols("m1 m2 l1 l2 g", positive=True)
    # Built from Cartesian positions, as one would on paper.
    x1, y1 = l1 * sp.sin(th1), -l1 * sp.cos(th1)
    x2, y2 = x1 + l2 * sp.sin(th2), y1 - l2 * sp.cos(th2)
    kinetic = (
        m1 * (x1.diff(t) ** 2 + y1.diff(t) ** 2) + m2 * (x2.diff(t) ** 2 + y2.diff(t) ** 2)
    ) / 2
    potential = m1 * g * y1 + m2 * g * y2
    system = physym.System(
        "double_pendulum",
        [th1, th2],
        kinetic - potential,
        params,
        sampling,
        periodic=("theta1", "theta2"),
    )
    assert system.coordinates == ("theta1", "theta2")
    assert system == spec
    states = uniform_states(spec, 64, seed=2)
    assert_rel_close(
        system.accelerations(states), spec.accelerations(states), 1e-12, elementwise=True
    )


def test_dynamicsymbols_velocity_dependent_potential_matches_spec():
    spec = builtin("charged_particle_magnetic")
    t = dynamicsymbols._t
    x, y = dynamicsymbols("x y")
    m, q, B, k = sp.symbols("m q B k")
    # L = T + q A.v - V with A = B/2 (-y, x).
    lagrangian = (
        m / 2 * (x.diff(t) ** 2 + y.diff(t) ** 2)
        + q * (-B / 2 * y * x.diff(t) + B / 2 * x * y.diff(t))
        - k / 2 * (x**2 + y**2)
    )
    system = physym.System(
        "charged_particle_magnetic", [x, y], lagrangian, dict(spec.parameters), dict(spec.sampling)
    )
    states = uniform_states(spec, 64, seed=3)
    assert_rel_close(
        system.accelerations(states), spec.accelerations(states), 1e-12, elementwise=True
    )


def test_dynamicsymbols_second_derivative_is_rejected():
    t = dynamicsymbols._t
    x = dynamicsymbols("x")
    with pytest.raises(SpecError) as info:
        physym.System(
            "bad", [x], x.diff(t, 2) * x - x.diff(t) ** 2, {}, {"x": (-1, 1), "x_dot": (-1, 1)}
        )
    assert_one_line_message(info.value, "bad")


def test_python_file_defining_system_loads(tmp_path):
    path = tmp_path / "my_oscillator.py"
    path.write_text(
        textwrap.dedent("""
        import sympy as sp
        import physym

        x, x_dot, m, k = sp.symbols("x x_dot m k")
        system = physym.System(
            "harmonic_oscillator", ["x"], m / 2 * x_dot**2 - k / 2 * x**2,
            {"m": 1.0, "k": 1.0}, {"x": (-2.0, 2.0), "x_dot": (-2.0, 2.0)},
        )
    """)
    )
    loaded = physym.load_system(path)
    assert loaded == physym.load_system(str(path))
    assert loaded == builtin("harmonic_oscillator")
    states = uniform_states(loaded, 8, seed=4)
    np.testing.assert_allclose(loaded.accelerations(states), -states[:, :1], rtol=1e-14)


def test_python_file_with_dynamicsymbols_loads(tmp_path):
    path = tmp_path / "dyn_pendulum.py"
    path.write_text(
        textwrap.dedent("""
        import sympy as sp
        from sympy.physics.mechanics import dynamicsymbols
        import physym

        theta = dynamicsymbols("theta")
        t = dynamicsymbols._t
        m, l, g = sp.symbols("m l g")
        L = m / 2 * l**2 * theta.diff(t)**2 + m * g * l * sp.cos(theta)
        system = physym.System("pendulum", [theta], L, {"m": 1.0, "l": 1.0, "g": 9.81},
                               {"theta": (-3.14159, 3.14159), "theta_dot": (-3.0, 3.0)},
                               periodic=["theta"])
    """)
    )
    assert physym.load_system(path) == builtin("pendulum")


def test_python_file_without_system_is_a_spec_error(tmp_path):
    path = tmp_path / "nothing.py"
    path.write_text("x = 1\n")
    with pytest.raises(SpecError) as info:
        physym.load_system(path)
    assert_one_line_message(info.value, "nothing.py", "system")


@pytest.mark.parametrize("ref", ["no_such_system", "missing.toml", "missing.py", "a b c"])
def test_unknown_reference_is_a_one_line_spec_error(ref, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as info:
        physym.load_system(ref)
    assert_one_line_message(info.value, ref)


def test_load_system_returns_a_system_unchanged():
    system = builtin("pendulum")
    assert physym.load_system(system) is system


def test_spec_outside_the_library_loads(tmp_path):
    source = Path(builtin_path("duffing")).read_text(encoding="utf-8")
    copy = tmp_path / "my_duffing.toml"
    copy.write_text(source.replace("beta = 1.0", "beta = 0.5"), encoding="utf-8")
    system = physym.load_system(copy)
    assert system.parameters["beta"] == 0.5
    assert system != builtin("duffing")


@pytest.mark.parametrize("assumption", [{}, {"positive": True}, {"nonnegative": True}])
def test_parameter_symbols_with_any_assumptions_are_substituted(assumption):
    x, v = sp.symbols("x x_dot", real=True)
    k = sp.Symbol("k", **assumption)
    system = physym.System(
        "osc", ["x"], v**2 / 2 - k * x**2 / 2, {"k": 4.0}, {"x": (-1, 1), "x_dot": (-1, 1)}
    )
    np.testing.assert_allclose(system.accelerations([[0.5, 0.0]]), [[-2.0]], rtol=1e-15)
    assert system == physym.System.from_dict(system.to_dict())
