"""Dissipation, forces, inputs and time through every route: spec keys, ``System(...)``,
dynamicsymbols, ``.py`` files, plain data; their flags, strings and one-line errors."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import sympy as sp
from helpers import (
    assert_one_line_message,
    assert_rel_close,
    builtin,
    uniform_conditions,
    uniform_states,
)
from sympy.physics.mechanics import dynamicsymbols

import physym
from physym.systems import (
    SpecError,
    UnsupportedSystemError,
    parse_spec,
    require_conservative,
    truth_strings,
)
from physym.systems.truth_strings import summary_symbols

OSCILLATOR = """
name = "forced"
coordinates = ["x"]
lagrangian = "m/2*x_dot**2 - k/2*x**2"
{extra}
[parameters]
m = 1.0
k = 4.0
c = 0.5
[sampling]
x = [-1.0, 1.0]
x_dot = [-1.0, 1.0]
{sampling}
"""


def spec(extra: str = "", sampling: str = "") -> str:
    return textwrap.dedent(OSCILLATOR).format(extra=extra, sampling=sampling)


# ------------------------------------------------------------------ the routes agree


def test_python_route_equals_the_cart_pole_spec():
    truth = builtin("cart_pole")
    th, xd, thd, u, M, m, length, g, b = sp.symbols("theta x_dot theta_dot u M m l g b")
    lagrangian = (
        (M + m) / 2 * xd**2
        + m * length * xd * thd * sp.cos(th)
        + m / 2 * length**2 * thd**2
        + m * g * length * sp.cos(th)
    )
    system = physym.System(
        "cart_pole",
        ["x", "theta"],
        lagrangian,
        dict(truth.parameters),
        dict(truth.sampling),
        periodic=["theta"],
        dissipation=b / 2 * xd**2,
        forces={"x": u},
        inputs=["u"],
    )
    assert system == truth
    states = uniform_states(truth, 32, seed=1)
    _, inputs = uniform_conditions(truth, 32, seed=1)
    np.testing.assert_array_equal(
        system.accelerations(states, inputs=inputs), truth.accelerations(states, inputs=inputs)
    )


def test_dynamicsymbols_with_time_from_cartesian_positions_match_the_spec():
    # The Kapitza pendulum built on paper: bob at (l sin θ, a cos ωt − l cos θ). This L has
    # the terms the spec drops as total derivatives, including one where ∂L/∂θ̇ depends on t.
    truth = builtin("kapitza_pendulum")
    t = dynamicsymbols._t
    theta = dynamicsymbols("theta")
    m, length, g, a, w = sp.symbols("m l g a w", positive=True)
    bx = length * sp.sin(theta)
    by = a * sp.cos(w * t) - length * sp.cos(theta)
    lagrangian = m / 2 * (bx.diff(t) ** 2 + by.diff(t) ** 2) - m * g * by
    system = physym.System(
        "kapitza_pendulum",
        [theta],
        lagrangian,
        dict(truth.parameters),
        dict(truth.sampling),
        periodic=["theta"],
    )
    assert system.time_dependent and system.coordinates == ("theta",)
    states = uniform_states(truth, 64, seed=2)
    times, _ = uniform_conditions(truth, 64, seed=2)
    assert_rel_close(
        system.accelerations(states, times),
        truth.accelerations(states, times),
        1e-11,
        elementwise=True,
    )
    assert system != truth  # another Lagrangian of the same motion


def test_dynamicsymbols_inputs_forces_and_dissipation():
    truth = builtin("cart_pole")
    t = dynamicsymbols._t
    x, th, u = dynamicsymbols("x theta u")
    M, m, length, g, b = sp.symbols("M m l g b")
    lagrangian = (
        (M + m) / 2 * x.diff(t) ** 2
        + m * length * x.diff(t) * th.diff(t) * sp.cos(th)
        + m / 2 * length**2 * th.diff(t) ** 2
        + m * g * length * sp.cos(th)
    )
    system = physym.System(
        "cart_pole",
        [x, th],
        lagrangian,
        dict(truth.parameters),
        dict(truth.sampling),
        periodic=["theta"],
        dissipation=b / 2 * x.diff(t) ** 2,
        forces={x: u},
        inputs=[u],
    )
    assert system == truth


def test_python_file_with_dissipation_and_forces_loads(tmp_path):
    path = tmp_path / "driven.py"
    path.write_text(
        textwrap.dedent("""
        import sympy as sp
        import physym

        theta, theta_dot, t = sp.symbols("theta theta_dot t")
        system = physym.System(
            "driven_damped_pendulum", ["theta"],
            "m/2 * l**2 * theta_dot**2 + m*g*l*cos(theta)",
            {"m": 1.0, "l": 1.0, "g": 1.0, "b": 0.5, "A": 1.5, "w": 0.6666666666666666},
            {"theta": (-3.14159, 3.14159), "theta_dot": (-3.0, 3.0),
             "t": (0.0, 9.42477796076938)},
            periodic=["theta"], dissipation="b/2 * theta_dot**2",
            forces={"theta": "A*cos(w*t)"},
        )
    """)
    )
    assert physym.load_system(path) == builtin("driven_damped_pendulum")


@pytest.mark.parametrize("name", physym.builtin_names(conservative=False))
def test_plain_data_round_trip_keeps_the_new_keys(name):
    system = builtin(name)
    data = system.to_dict()
    assert ("dissipation" in data) == system.has_dissipation
    assert ("inputs" in data) == system.has_inputs
    again = physym.System.from_json(system.to_json())
    assert again == system and again.to_dict() == data
    assert (again.time_dependent, again.is_conservative) == (system.time_dependent, False)


def test_conservative_plain_data_has_no_new_keys():
    data = builtin("double_pendulum").to_dict()
    assert not {"dissipation", "forces", "inputs"} & set(data)
    assert "t" not in data["sampling"]


# ------------------------------------------------------------------------ flags, strings


def test_kind_flags():
    flags = {
        name: (s.has_dissipation, s.has_forces, s.has_inputs, s.time_dependent)
        for name in physym.builtin_names(conservative=False)
        for s in [builtin(name)]
    }
    assert flags == {
        "damped_oscillator": (True, False, False, False),
        "driven_damped_pendulum": (True, True, False, True),
        "cart_pole": (True, True, True, False),
        "kapitza_pendulum": (False, False, False, True),
        "damped_double_pendulum": (True, False, False, False),
    }
    pendulum = builtin("pendulum")
    assert pendulum.is_conservative and pendulum.time_range is None
    assert pendulum.dissipation is None and dict(pendulum.forces) == {}


def test_zero_dissipation_is_conservative():
    system = parse_spec(spec('dissipation = "0*x_dot"'))
    assert system.is_conservative and system.dissipation is None


@pytest.mark.parametrize(
    "name", ["cart_pole", "driven_damped_pendulum", "damped_oscillator", "pendulum"]
)
def test_truth_strings_read_back_with_sympify(name):
    system = builtin(name)
    strings = truth_strings(system)
    names = summary_symbols(system)
    lagrangian = sp.sympify(strings["true_lagrangian"], locals=names)
    assert sp.simplify(lagrangian - system.lagrangian_numeric) == 0
    if system.has_dissipation:
        dissipation = sp.sympify(strings["true_dissipation"], locals=names)
        assert sp.simplify(dissipation - system.dissipation_numeric) == 0
    else:
        assert strings["true_dissipation"] is None
    assert set(strings["forces"]) == set(system.forces)
    for q, text in strings["forces"].items():
        i = system.coordinates.index(q)
        difference = sp.sympify(text, locals=names) - system.forces_numeric[i]
        assert float(abs(difference.subs({names["t"]: 1.3, names.get("u", 0): 0.7}))) < 1e-14


def test_fit_refuses_non_conservative_systems_with_one_line():
    for name in physym.builtin_names(conservative=False):
        with pytest.raises(UnsupportedSystemError) as info:
            require_conservative(builtin(name))
        assert_one_line_message(info.value, "physym fit", name, "not support")
    with pytest.raises(UnsupportedSystemError, match="inputs \\(u\\)"):
        require_conservative(builtin("cart_pole"))
    require_conservative(builtin("double_pendulum"))  # nothing to refuse


# ------------------------------------------------------------------- numeric arguments


def test_time_and_inputs_broadcast_every_way():
    cart = builtin("cart_pole")
    states = uniform_states(cart, 5, seed=3)
    row = cart.accelerations(states, inputs=np.full((5, 1), 2.0))
    for inputs in (
        [2.0],
        2.0,
        {"u": 2.0},
        {"u": np.full(5, 2.0)},
        np.full(5, 2.0),
        np.array([[2.0]]),
    ):
        np.testing.assert_array_equal(cart.accelerations(states, inputs=inputs), row)
    pendulum = builtin("driven_damped_pendulum")
    states = uniform_states(pendulum, 4, seed=4)
    np.testing.assert_array_equal(
        pendulum.accelerations(states, 1.5), pendulum.accelerations(states, np.full(4, 1.5))
    )
    # A system that does not depend on time ignores t.
    x = np.full((4, 4), 0.1)
    np.testing.assert_array_equal(
        cart.accelerations(x, t=3.0, inputs=[1.0]), cart.accelerations(x, inputs=[1.0])
    )


@pytest.mark.parametrize(
    ("name", "kwargs", "tokens"),
    [
        ("driven_damped_pendulum", {}, ("driven_damped_pendulum", "depends on time", "t")),
        ("cart_pole", {}, ("cart_pole", "inputs (u)")),
        ("cart_pole", {"inputs": np.zeros((3, 2))}, ("cart_pole", "shape")),
        ("cart_pole", {"inputs": {"v": 1.0}}, ("unknown input 'v'",)),
        ("damped_oscillator", {"inputs": [1.0]}, ("damped_oscillator", "no inputs")),
        ("kapitza_pendulum", {"t": np.zeros(2)}, ("t must be",)),
    ],
)
def test_missing_or_malformed_arguments_are_one_line_errors(name, kwargs, tokens):
    system = builtin(name)
    states = uniform_states(system, 3, seed=5)
    with pytest.raises(ValueError) as info:
        system.accelerations(states, **kwargs)
    assert_one_line_message(info.value, *tokens)


# ------------------------------------------------------------------------- spec errors


@pytest.mark.parametrize(
    ("extra", "sampling", "tokens"),
    [
        ('inputs = ["u"]\n[forces]\nx = "u"', "", ("sampling box does not cover 'u'",)),
        ('inputs = ["u"]', "u = [0.0, 1.0]", ("input 'u'", "no force", "line 5")),
        ("lagrangian_note = 1", "", ("unknown key 'lagrangian_note'", "line")),
        ('[forces]\nx = "cos(t)"', "", ("does not cover 't'",)),
        (
            'dissipation = "c*x_dot**2/2"',
            "t = [0.0, 1.0]",
            ("'t'", "nothing in the system depends on time"),
        ),
        ('[forces]\ny = "1.0"', "", ("force given for 'y'", "not a coordinate", "line 6")),
        ('dissipation = "c*x_dot**2/2 + d"', "", ("dissipation", "d")),
        ('[forces]\nx = "u"', "", ("forced.toml", "u")),
        ('forces = "x"', "", ("[forces] must be a table",)),
        ('inputs = "u"', "", ("'inputs' must be a list",)),
        ('inputs = ["t"]\n[forces]\nx = "t"', "t = [0.0, 1.0]", ("'t'", "reserved for time")),
        ('inputs = ["k"]\n[forces]\nx = "k"', "k = [0.0, 1.0]", ("input 'k'", "clashes", "line 5")),
    ],
)
def test_bad_forcing_keys_are_one_line_spec_errors(extra, sampling, tokens):
    with pytest.raises(SpecError) as info:
        parse_spec(spec(extra, sampling), where="forced.toml")
    assert_one_line_message(info.value, *tokens)


def test_input_in_the_lagrangian_is_refused():
    text = spec('inputs = ["u"]\n[forces]\nx = "u"', "u = [0.0, 1.0]").replace(
        '"m/2*x_dot**2 - k/2*x**2"', '"m/2*x_dot**2 - k/2*x**2 + u*x"'
    )
    with pytest.raises(SpecError) as info:
        parse_spec(text, where="forced.toml")
    assert_one_line_message(info.value, "input 'u'", "Lagrangian", "forces and the dissipation")


def test_error_in_a_force_expression_names_its_line():
    text = spec('[forces]\nx = "cos(t) +* 2"', "t = [0.0, 1.0]")
    with pytest.raises(SpecError) as info:
        parse_spec(text, where="forced.toml")
    assert_one_line_message(info.value, "forced.toml", "force on 'x'", "line 6")


def test_physym_fit_stops_before_any_work_on_what_it_cannot_do_with_forces(tmp_path):
    from physym.config import ConfigError

    out = tmp_path / "run"
    with pytest.raises(ConfigError) as info:
        physym.fit("cart_pole", out, multistep_steps=2)
    assert_one_line_message(info.value, "multi-step loss", "cart_pole", "multistep_steps=0")
    assert not out.exists()
