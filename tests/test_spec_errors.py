"""Bad specs fail with a clear one-line SpecError naming the token and the line, and
injected code never runs."""

from __future__ import annotations

import pytest
from helpers import assert_one_line_message

import physym
from physym.systems import SpecError, parse_expression, parse_spec

# Line numbers of the template below (1-based), used in the expected messages.
LAGRANGIAN_BAD_LINE = 8
PARAMETER_K_LINE = 12
SAMPLING_LINE = 14

TEMPLATE = '''\
# A deliberately broken spec (line 1).
name = "broken"
description = "For the error tests."
coordinates = ["x"]
lagrangian = """
  m/2 * x_dot**2
  - k/2 * x**2
  + {bad}
"""
[parameters]
m = 1.0
k = {k}

[sampling]
x = [-1.0, 1.0]
x_dot = [-1.0, 1.0]
'''


def make_spec(tmp_path, *, bad="0", k="1.0", drop=None, name="broken.toml"):
    text = TEMPLATE.format(bad=bad, k=k)
    if drop is not None:
        text = "\n".join(line for line in text.splitlines() if not line.startswith(drop))
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path) -> str:
    with pytest.raises(SpecError) as info:
        physym.load_system(path)
    return str(info.value)


def check(message: str, *tokens: str, line: int | None) -> None:
    class _E(Exception):
        pass

    assert_one_line_message(_E(message), *tokens)
    assert "broken.toml" in message
    if line is not None:
        assert f"line {line}" in message, message


def test_template_itself_is_valid(tmp_path):
    system = physym.load_system(make_spec(tmp_path))
    assert system.coordinates == ("x",)


# ------------------------------------------------------------------------ code injection


INJECTIONS = [
    "__import__('os').system('touch {marker}')",
    "__import__('pathlib').Path('{marker}').touch()",
    "open('{marker}', 'w')",
    "eval(\"open('{marker}', 'w')\")",
    "exec(\"open('{marker}', 'w')\")",
    "(lambda: open('{marker}', 'w'))()",
    "[open('{marker}', 'w') for _ in (1,)][0]",
    "f\"{{open('{marker}', 'w')}}\"",
    "().__class__.__base__.__subclasses__()",
    "sin.__globals__['__builtins__']['open']('{marker}', 'w')",
    "getattr(x, '__class__')",
    "x if open('{marker}', 'w') else x",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injected_code_never_runs(tmp_path, payload):
    marker = tmp_path / "pwned"
    path = make_spec(tmp_path, bad=payload.format(marker=marker))
    message = load_error(path)
    check(message, line=LAGRANGIAN_BAD_LINE)
    assert not marker.exists(), "injected code ran"


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injected_code_never_runs_through_other_routes(tmp_path, payload):
    marker = tmp_path / "pwned"
    expression = payload.format(marker=marker)
    base = physym.load_system("harmonic_oscillator")
    data = {**base.to_dict(), "lagrangian": expression}
    with pytest.raises(SpecError):
        physym.System.from_dict(data)
    with pytest.raises(SpecError):
        physym.System(
            "evil",
            ["x"],
            expression,
            {"m": 1.0, "k": 1.0},
            {"x": (-1.0, 1.0), "x_dot": (-1.0, 1.0)},
        )
    with pytest.raises(SpecError):
        parse_expression(expression, {})
    assert not marker.exists(), "injected code ran"


def test_import_call_is_named(tmp_path):
    message = load_error(make_spec(tmp_path, bad="__import__('os').system('true')"))
    check(message, "__import__", line=LAGRANGIAN_BAD_LINE)


# ---------------------------------------------------------------- one case per error class


EXPRESSION_CASES = [
    # (id, bad expression, tokens the message must name)
    ("attribute", "x.__class__", ["x.__class__", "attribute"]),
    ("unknown_symbol", "k*y**2", ["'y'", "unknown symbol"]),
    ("unknown_function", "erf(x)", ["'erf'"]),
    ("syntax_error", "x $ 2", ["syntax error", "$"]),
    ("unclosed_bracket", "(x**2", ["syntax error", "'('"]),
    ("unmatched_bracket", "x**2)", ["syntax error", "')'"]),
    ("lambda_call", "(lambda y: y)(x)", ["lambda"]),
    ("lambda", "(lambda: x)", ["lambda"]),
    ("subscript", "x[0]", ["x[0]", "indexing"]),
    ("keyword_args", "sin(x=1)", ["sin(x=1)", "keyword"]),
    ("huge_exponent", "10**10**10", ["10**10**10", "too large"]),
    ("huge_symbolic_exponent", "x**10**10", ["x**10**10", "too large"]),
    ("string_literal", "'abc'", ["'abc'"]),
    ("comparison", "x < 1", ["'<'", "comparison"]),
    ("boolean", "x and 1", ["'and'"]),
    ("comprehension", "[i for i in x]", ["[i for i in x]"]),
    ("walrus", "(y := 1)", ["y := 1"]),
    ("division_by_zero", "x/0", ["x/0", "division by zero"]),
    ("wrong_arity", "atan2(x)", ["'atan2'", "argument"]),
    ("bare_function", "sin", ["'sin'"]),
]


@pytest.mark.parametrize(
    ("bad", "tokens"), [c[1:] for c in EXPRESSION_CASES], ids=[c[0] for c in EXPRESSION_CASES]
)
def test_expression_errors_name_token_and_line(tmp_path, bad, tokens):
    message = load_error(make_spec(tmp_path, bad=bad))
    check(message, *tokens, line=LAGRANGIAN_BAD_LINE)
    assert "lagrangian" in message


@pytest.mark.timeout(30)  # a hang fails the test; the clock is never asserted
def test_huge_exponent_fails_fast(tmp_path):
    for bad in ("10**10**10", "9**9**9**9", "x**(10**10)", "2**2**2**2**2**2", "(x+1)**10**100"):
        path = make_spec(tmp_path, bad=bad)
        message = load_error(path)
        check(message, line=LAGRANGIAN_BAD_LINE)


@pytest.mark.parametrize("drop", ["x =", "x_dot ="])
def test_sampling_box_must_cover_every_state(tmp_path, drop):
    message = load_error(make_spec(tmp_path, drop=drop))
    missing = drop.split()[0]
    check(message, f"'{missing}'", "sampling", line=SAMPLING_LINE)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('"stiff"', "'stiff'"),
        ("true", "True"),
        ("false", "False"),
        ("[1.0]", "[1.0]"),
        ("nan", "nan"),
        ("inf", "inf"),
    ],
)
def test_parameter_must_be_a_finite_number(tmp_path, value, shown):
    message = load_error(make_spec(tmp_path, k=value))
    check(message, "'k'", shown, line=PARAMETER_K_LINE)


def test_sampling_interval_errors_name_the_state_line(tmp_path):
    path = make_spec(tmp_path)
    text = path.read_text().replace("x = [-1.0, 1.0]", "x = [1.0, -1.0]")
    path.write_text(text)
    check(load_error(path), "'x'", "low < high", line=SAMPLING_LINE + 1)


def test_sampling_of_unknown_state(tmp_path):
    path = make_spec(tmp_path)
    path.write_text(path.read_text() + "z = [0.0, 1.0]\n")
    check(load_error(path), "'z'", line=SAMPLING_LINE + 3)


def test_unknown_top_level_key(tmp_path):
    path = make_spec(tmp_path)
    path.write_text(path.read_text().replace("description =", "descripton ="))
    check(load_error(path), "'descripton'", line=3)


def test_periodic_must_name_a_coordinate(tmp_path):
    path = make_spec(tmp_path)
    path.write_text(
        path.read_text().replace('coordinates = ["x"]', 'coordinates = ["x"]\nperiodic = ["z"]')
    )
    check(load_error(path), "'z'", "periodic", line=5)


def test_invalid_toml_names_the_line(tmp_path):
    path = make_spec(tmp_path)
    path.write_text(path.read_text().replace("[sampling]", "[sampling"))
    check(load_error(path), "TOML", line=SAMPLING_LINE)


def test_missing_lagrangian(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(
        'name = "broken"\ncoordinates = ["x"]\n[sampling]\nx = [0.0, 1.0]\nx_dot = [0.0, 1.0]\n'
    )
    check(load_error(path), "'lagrangian'", line=None)


def test_single_line_lagrangian_reports_its_own_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(
        'name = "broken"\ncoordinates = ["x"]\n'
        'lagrangian = "x_dot**2/2 - x.real"\n'
        "[sampling]\nx = [0.0, 1.0]\nx_dot = [0.0, 1.0]\n"
    )
    check(load_error(path), "x.real", line=3)


def test_parse_spec_without_a_file_still_one_line():
    with pytest.raises(SpecError) as info:
        parse_spec(
            'name = "n"\ncoordinates = ["x"]\nlagrangian = """\n  x_dot**2\n'
            '  + x[1]\n"""\n[sampling]\nx = [0.0, 1.0]\nx_dot = [0.0, 1.0]\n',
            where="inline",
        )
    assert_one_line_message(info.value, "inline", "x[1]", "line 5")


@pytest.mark.parametrize(
    "bad",
    ["\n".join(["x +"] * 3 + ["("]), "x +\n\n  (\n y", "sin(\nx\n", "x\n)\n)", "x\n\n$"],
)
def test_multiline_syntax_errors_stay_one_line(bad):
    with pytest.raises(SpecError) as info:
        parse_expression(bad, {})
    assert_one_line_message(info.value, "line")
