"""Hostile Lagrangians: each is read, derived and evaluated, or refused in one clean line.

The inputs of the hardening issue (powers of sums that SymPy combines, constants beyond
float64, ``Abs`` of a velocity, unbalanced brackets, look-alike letters…) each get a
one-line :class:`SpecError` naming the spec, the key and the problem, from the library and
from ``physym show``; a grammar of expressions drives the parser and ``derive`` and may
only ever succeed or raise such an error. Time is bounded by pytest-timeout, never by an
assert on the clock.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from helpers import assert_one_line_message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import physym
from physym.cli import main as cli_main
from physym.systems import DegenerateLagrangianError, SpecError, System, parse_expression

SPEC = '''\
name = "hostile"
coordinates = [{coordinates}]
lagrangian = """
  {lagrangian}
"""
[parameters]
m = 1.0
k = {k}
[sampling]
{sampling}
'''
LAGRANGIAN_LINE = 4


def write_spec(tmp_path, lagrangian, coordinates=("x",), k="1.0"):
    sampling = "\n".join(f'"{q}" = [-1.0, 1.0]\n"{q}_dot" = [-1.0, 1.0]' for q in coordinates)
    text = SPEC.format(
        coordinates=", ".join(f'"{q}"' for q in coordinates),
        lagrangian=lagrangian,
        k=k,
        sampling=sampling,
    )
    path = tmp_path / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path) -> str:
    """The one-line error of loading, deriving and evaluating the spec at ``path``."""
    with pytest.raises(SpecError) as info:
        system = physym.load_system(path)
        system.accelerations(np.zeros((1, 2 * system.n_dof)) + 0.3)
    assert_one_line_message(info.value)
    return str(info.value)


# (id, lagrangian, words the message must contain): the inputs of the issue, and kin
CASES = [
    ("power_of_sum_combined", "(((x+k)**16)**16)**16", ["power 4096 of a sum", "(k + x)**4096"]),
    ("many_sums_multiplied", "(x+1)**16*(x+2)**16*(x_dot+3)**16", ["more than", "terms"]),
    ("slow_constant", "tanh(sinh(1e10))*x + m*x_dot**2/2", ["'sinh(1e10)'", "too large"]),
    ("overflowing_constant", "tanh(sinh(1e100))*x + m*x_dot**2/2", ["'sinh(1e100)'"]),
    ("tower_of_exponentials", "exp(exp(exp(exp(1000))))*x + x_dot**2", ["'exp(1000)'"]),
    ("accumulation_bounds", "atan(csc(pi))*x + x_dot**2", ["'csc(pi)'", "undefined"]),
    ("abs_of_velocity", "x*abs(x_dot)", ["DiracDelta(x_dot)", "mass matrix"]),
    ("abs_of_complex", "Abs(acosh(sinh(x_dot*1e10)))", ["Derivative", "mass matrix"]),
    ("unbalanced_brackets", "m*x_dot**2/2) + (k*x**2", ["unmatched ')'", "syntax error"]),
    ("fullwidth_letter", "ｍ*x_dot**2/2 - k*x**2/2", ["'ｍ'", "look-alike", "'m'"]),
    ("math_bold_letter", "m*x_dot**2/2 - k*𝐱**2/2", ["'𝐱'", "look-alike", "'x'"]),
    ("superscript", "m*x_dot**2/2 - k*x²/2", ["'x²'", "look-alike"]),
    ("huge_coefficients", "m*x_dot**2/2 + (x + 1e100)**16", ["beyond float64"]),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("lagrangian", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_lagrangian_is_refused_in_one_line(tmp_path, lagrangian, words):
    message = refusal(write_spec(tmp_path, lagrangian))
    for word in words:
        assert word in message, message
    # the spec (its file, or its name once parsed) and the key are named
    assert "hostile" in message and "lagrangian" in message, message


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("lagrangian", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_show_prints_the_refusal_as_one_line(tmp_path, capsys, lagrangian, words):
    status = cli_main.main(["show", str(write_spec(tmp_path, lagrangian))])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.startswith("physym: error: ") and err.count("\n") == 1, err
    assert words[0] in err


def test_parse_error_names_the_line_of_the_file(tmp_path):
    message = refusal(write_spec(tmp_path, "m*x_dot**2/2 - k*ｘ**2"))
    assert f"line {LAGRANGIAN_LINE}" in message and "hostile.toml" in message


def test_colliding_coordinate_names_are_refused(tmp_path):
    # NFKC folds "ｘ" into "x": two coordinates would share one name in the equations
    message = refusal(write_spec(tmp_path, "m*x_dot**2/2 - k*x**2/2", coordinates=("x", "ｘ")))
    assert "'ｘ'" in message and "look-alike" in message and "hostile.toml" in message


def test_colliding_coordinate_names_are_refused_in_python():
    x = sp.Symbol("x", real=True)
    with pytest.raises(SpecError, match="look-alike"):
        System(
            "twins",
            ["x", "ｘ"],
            sp.Symbol("x_dot", real=True) ** 2 - x**2,
            {},
            {s: (-1, 1) for s in ("x", "ｘ", "x_dot", "ｘ_dot")},
        )


def test_a_parameter_of_400_digits_is_refused(tmp_path):
    message = refusal(write_spec(tmp_path, "m*x_dot**2/2 - k*x**2/2", k="1" + "0" * 400))
    assert "'k'" in message and "too large" in message and "401 digits" in message


def test_letters_python_keeps_are_accepted():
    theta = sp.Symbol("θ", real=True)
    assert parse_expression("θ**2", {"θ": theta}) == theta**2


def test_exact_constants_evaluate_in_torch():
    torch = pytest.importorskip("torch")
    system = System(
        "consts",
        ["x"],
        "sqrt(2)*x_dot**2/2 - sin(1)*exp(2)*log(3)*x**2/2",
        {},
        {"x": (-1, 1), "x_dot": (-1, 1)},
    )
    states = torch.tensor([[0.5, 0.1]], dtype=torch.float64)
    expected = -np.sin(1) * np.exp(2) * np.log(3) * 0.5 / np.sqrt(2)
    assert system.torch_accelerations(states).item() == pytest.approx(expected, rel=1e-12)
    assert system.accelerations(states.numpy())[0, 0] == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------ did you mean …


def test_unknown_symbol_suggests_a_name_and_lists_the_parameters(tmp_path):
    message = refusal(write_spec(tmp_path, "m*x_dot**2/2 - kk*x**2/2"))
    assert "unknown symbol 'kk'" in message and "did you mean 'k'?" in message
    assert "declared parameters: m, k" in message


def test_undeclared_parameter_lists_the_declared_ones(tmp_path):
    message = refusal(write_spec(tmp_path, "m*x_dot**2/2 + m*g*x"))
    assert "unknown symbol 'g'" in message and "declared parameters: m, k" in message


def test_unknown_function_suggests_the_allowed_one():
    with pytest.raises(SpecError, match=r"'Sin' \(did you mean 'sin'\?\)"):
        parse_expression("Sin(x)", {"x": sp.Symbol("x")})


def test_unknown_symbol_of_a_python_system_lists_the_parameters():
    x, v, g = sp.symbols("x x_dot g", real=True)
    with pytest.raises(SpecError, match=r"'g'.*declared parameters: m"):
        System("s", ["x"], v**2 / 2 + g * x, {"m": 1.0}, {"x": (-1, 1), "x_dot": (-1, 1)})


# ----------------------------------------------------------------------- the grammar

LEAVES = [
    "x",
    "x_dot",
    "y",
    "y_dot",
    "k",
    "m",
    "0",
    "1",
    "2",
    "16",
    "0.5",
    "1e10",
    "1e100",
    "1e308",
    "9" * 400,
    "pi",
    "E",
]
UNARY = [
    "sin",
    "cos",
    "tan",
    "cot",
    "sec",
    "csc",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "exp",
    "log",
    "sqrt",
    "Abs",
    "abs",
]
OPERATORS = ["+", "-", "*", "/", "**", "^"]

expressions = st.recursive(
    st.sampled_from(LEAVES),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(st.sampled_from(UNARY), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"atan2({t[0]}, {t[1]})"),
        inner.map(lambda s: f"-{s}"),
    ),
    max_leaves=10,
)
# half of them get a kinetic term, so that derive has a regular mass matrix to work with
lagrangians = st.tuples(st.booleans(), expressions).map(
    lambda t: f"m*(x_dot**2 + y_dot**2)/2 + {t[1]}" if t[0] else t[1]
)

SYMBOLS = {name: sp.Symbol(name, real=True) for name in ("x", "x_dot", "y", "y_dot", "k", "m")}
BOX = {s: (-1.0, 1.0) for s in ("x", "y", "x_dot", "y_dot")}
STATES = np.random.default_rng(0).uniform(-1.0, 1.0, size=(8, 4))


def read_and_derive(text: str) -> None:
    """Parse, build, derive and evaluate: success, or a one-line SpecError (or a
    DegenerateLagrangianError, the clear refusal of a singular mass matrix)."""
    try:
        system = System("grammar", ["x", "y"], text, {"k": 2.0, "m": 1.5}, BOX)
        values = system.accelerations(STATES)
    except (SpecError, DegenerateLagrangianError) as exc:
        assert_one_line_message(exc)
        assert str(exc).startswith("system 'grammar'"), exc
        return
    assert values.shape == (8, 2)


GRAMMAR_SETTINGS = settings(
    deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.timeout(120)
@settings(GRAMMAR_SETTINGS, max_examples=150)
@given(lagrangians)
def test_grammar_expressions_derive_or_fail_in_one_line(text):
    read_and_derive(text)


@pytest.mark.slow
@pytest.mark.timeout(1200)
@settings(GRAMMAR_SETTINGS, max_examples=1000)
@given(lagrangians)
def test_many_grammar_expressions_derive_or_fail_in_one_line(text):
    read_and_derive(text)


def test_show_answers_quickly_when_simplifying_is_slow(tmp_path, capsys, monkeypatch):
    from physym.cli import show_cmd

    monkeypatch.setattr(show_cmd, "SIMPLIFY_BUDGET_S", 0.05)
    path = write_spec(tmp_path, "m*x_dot**2/2 + asin(atan2(x_dot, x) + x_dot)")
    assert cli_main.main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "shown expanded: simplifying took over 0.05 s" in out
    assert "x_ddot" in out and "E =" in out


def test_show_numeric_substitutes_the_parameters_into_l(capsys):
    assert cli_main.main(["show", "--numeric", "harmonic_oscillator"]) == 0
    lagrangian = next(
        line for line in capsys.readouterr().out.splitlines() if line.startswith("L =")
    )
    assert "k" not in lagrangian.replace("L =", "") and "x_dot" in lagrangian


def test_reading_has_a_time_budget(monkeypatch):
    from physym.systems import expression_parser
    from physym.timeouts import SymbolicTimeoutError

    def slow_sin(*args):  # the parser's own alarm firing while sin() is built
        raise SymbolicTimeoutError

    monkeypatch.setitem(expression_parser.ALLOWED_FUNCTIONS, "sin", slow_sin)
    monkeypatch.setattr(expression_parser._Translator, "out_of_time", lambda self: True)
    with pytest.raises(SpecError, match=r"line 1: too costly to evaluate: 'sin\(2\)'"):
        parse_expression("1 + sin(2)", {})


def test_a_callers_time_limit_is_not_mistaken_for_the_parsers(monkeypatch):
    from physym.systems import expression_parser
    from physym.timeouts import SymbolicTimeoutError

    def callers_alarm(*args):  # a caller's time limit firing while sin() is built
        raise SymbolicTimeoutError

    monkeypatch.setitem(expression_parser.ALLOWED_FUNCTIONS, "sin", callers_alarm)
    with pytest.raises(SymbolicTimeoutError):
        parse_expression("1 + sin(2)", {})


def test_a_look_alike_parameter_name_is_named_before_the_lagrangian(tmp_path):
    path = write_spec(tmp_path, "m*x_dot**2/2 - k*x**2/2")
    path.write_text(
        path.read_text(encoding="utf-8").replace("k = 1.0", '"ｋ" = 1.0'), encoding="utf-8"
    )
    message = refusal(path)
    assert "parameter name 'ｋ'" in message and "look-alike" in message, message
    assert "hostile.toml (line 8)" in message, message
