"""The safe expression parser: correct on valid input, and on *any* text it either returns a
SymPy expression or raises SpecError, quickly, without ever running code."""

from __future__ import annotations

import sys

import pytest
import sympy as sp
from helpers import assert_one_line_message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from physym.systems import SpecError, parse_expression

X, XD, K = sp.symbols("x x_dot k", real=True)
SYMBOLS = {"x": X, "x_dot": XD, "k": K}

# ---------------------------------------------------------------- an audit-hook tripwire

# Audit events that would mean the parser ran, imported or opened something. The hook is
# process-wide and cannot be removed, so it only records while ``_WATCH`` is armed.
_FORBIDDEN_EVENTS = {
    "exec",
    "open",
    "os.system",
    "subprocess.Popen",
    "os.exec",
    "os.spawn",
    "os.posix_spawn",
    "os.remove",
    "os.mkdir",
    "shutil.rmtree",
    "socket.connect",
    "builtins.input",
    "ctypes.dlopen",
}
_WATCH = {"armed": False, "events": []}


def _is_library_import(event: str, args: tuple) -> bool:
    """SymPy imports some of its own modules lazily: reading and running their files is
    fine. Code compiled from a string (``<string>``) or any write is not."""
    if event == "exec":
        filename = getattr(args[0], "co_filename", "<?>") if args else "<?>"
        return not filename.startswith("<")
    if event == "open":
        path, mode = str(args[0]), str(args[1]) if len(args) > 1 and args[1] else "r"
        writing = any(c in mode for c in "wax+")
        return not writing and MARKER not in path and path.endswith((".py", ".pyc"))
    return False


def _audit(event: str, args: tuple) -> None:
    if _WATCH["armed"] and event in _FORBIDDEN_EVENTS and not _is_library_import(event, args):
        _WATCH["events"].append((event, repr(args)[:80]))


sys.addaudithook(_audit)


def guarded_parse(text: str):
    """Parse ``text``; return the result or the SpecError, and the forbidden events seen."""
    _WATCH["events"] = []
    _WATCH["armed"] = True
    try:
        result = parse_expression(text, SYMBOLS, where="fuzz")
    except SpecError as exc:
        result = exc
    finally:
        _WATCH["armed"] = False
    return result, list(_WATCH["events"])


def assert_well_behaved(text: str) -> None:
    # Slowness is caught by pytest-timeout (pyproject.toml and the marks below), never by
    # an assert on the clock, which fails on a busy machine.
    result, events = guarded_parse(text)
    assert not events, f"parser triggered {events} on {text!r}"
    if isinstance(result, SpecError):
        assert_one_line_message(result)
        assert str(result).startswith("fuzz")
    else:
        assert isinstance(result, sp.Expr), type(result)
        assert result.free_symbols <= {X, XD, K}
        assert not result.has(sp.I, sp.zoo, sp.oo, sp.nan)


def test_tripwire_sees_code_execution():
    # The guard itself must be able to see what it guards against.
    _WATCH["events"] = []
    _WATCH["armed"] = True
    try:
        exec("1")
    finally:
        _WATCH["armed"] = False
    assert _WATCH["events"]


# ------------------------------------------------------------------ valid expressions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x^2 + sin(x)", X**2 + sp.sin(X)),
        ("k/2 * x**2", K * X**2 / 2),
        ("-x_dot", -XD),
        ("+x", X),
        ("2.5 * x", sp.Float("2.5") * X),
        ("sqrt(1 - x_dot**2)", sp.sqrt(1 - XD**2)),
        ("atan2(x, k)", sp.atan2(X, K)),
        ("pi * E", sp.pi * sp.E),
        ("abs(x) + Abs(x_dot)", sp.Abs(X) + sp.Abs(XD)),
        ("exp(log(k))", K),
        ("\n  x\n  + k\n", X + K),
        ("(x\n + 1) * 2", 2 * (X + 1)),
        ("cosh(x)**2 - sinh(x)**2", sp.cosh(X) ** 2 - sp.sinh(X) ** 2),
        ("x**-1", 1 / X),
        ("1/2 * x", X / 2),  # exact rational, not 0.5
    ],
)
def test_valid_expressions(text, expected):
    result = parse_expression(text, SYMBOLS)
    assert sp.simplify(result - expected) == 0


def test_integer_division_is_exact():
    assert parse_expression("1/3", {}) == sp.Rational(1, 3)


def test_line_offset_shifts_reported_lines():
    with pytest.raises(SpecError) as info:
        parse_expression("x +\n  y", SYMBOLS, where="f.toml", line_offset=10)
    assert_one_line_message(info.value, "f.toml", "'y'", "line 12")


@pytest.mark.parametrize("bad", ["", "   \n  ", "x" * 20_001, "x\x00"])
def test_empty_huge_or_nul_text_is_rejected(bad):
    with pytest.raises(SpecError):
        parse_expression(bad, SYMBOLS)


def test_non_string_is_rejected():
    with pytest.raises(SpecError):
        parse_expression(42, SYMBOLS)  # type: ignore[arg-type]


@pytest.mark.timeout(60)
def test_deep_nesting_is_a_spec_error():
    assert_well_behaved("(" * 500 + "x" + ")" * 500)
    assert_well_behaved("-" * 5000 + "x")
    assert_well_behaved("+".join(["x"] * 5000))


# ---------------------------------------------------------------------------- fuzzing

MARKER = "physym_fuzz_marker_should_not_exist"

TOKENS = [
    # declared names, unknown names, functions, constants
    "x",
    "x_dot",
    "k",
    "y",
    "t",
    "sin",
    "cos",
    "sqrt",
    "atan2",
    "log",
    "exp",
    "Abs",
    "pi",
    "E",
    # dangerous names
    "__import__",
    "__class__",
    "__builtins__",
    "__globals__",
    "__subclasses__",
    "os",
    "system",
    "eval",
    "exec",
    "open",
    "getattr",
    "compile",
    "globals",
    "breakpoint",
    "input",
    f"'{MARKER}'",
    "'w'",
    "'os'",
    '"touch"',
    # keywords
    "lambda",
    "if",
    "else",
    "for",
    "in",
    "and",
    "or",
    "not",
    "is",
    "None",
    "True",
    "yield",
    "await",
    "import",
    # numbers
    "0",
    "1",
    "2",
    "10",
    "256",
    "2.5",
    "1e308",
    "1e-320",
    "0.0",
    "0x1f",
    "1_000",
    "1j",
    "9" * 40,
    # operators and punctuation
    "+",
    "-",
    "*",
    "/",
    "**",
    "^",
    "%",
    "//",
    "@",
    "<",
    "==",
    "&",
    "|",
    "~",
    "<<",
    ">>",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ".",
    ",",
    ":",
    ":=",
    ";",
    "=",
    "\\",
    "#",
    "$",
    "`",
    "!",
    "'",
    '"',
    '"""',
    "\n",
    " ",
    "\t",
]

grammarish = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map(
    lambda parts: " ".join(parts)
)
glued = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map("".join)
injection_templates = st.sampled_from(
    [
        "__import__('os').system('touch {m}')",
        "open('{m}', 'w')",
        "(lambda: open('{m}', 'w'))()",
        "[open('{m}','w') for _ in x]",
        "x.__class__.__base__.__subclasses__()",
        "eval(\"open('{m}', 'w')\")",
    ]
).map(lambda s: s.format(m=MARKER))
mixed = st.tuples(grammarish, injection_templates, grammarish).map(" ".join)

FUZZ_SETTINGS = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.timeout(300)
@FUZZ_SETTINGS
@given(st.text(max_size=200))
def test_any_text_parses_or_raises_spec_error(text):
    assert_well_behaved(text)


@pytest.mark.timeout(300)
@FUZZ_SETTINGS
@given(st.one_of(grammarish, glued, mixed))
def test_token_soup_parses_or_raises_spec_error(text):
    assert_well_behaved(text)


@pytest.mark.timeout(300)
@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.recursive(
        st.sampled_from(["x", "x_dot", "k", "1", "2", "0.5", "pi"]),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "^"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(st.sampled_from(["sin", "cos", "exp", "sqrt", "log", "tanh"]), inner).map(
                lambda t: f"{t[0]}({t[1]})"
            ),
            inner.map(lambda s: f"-{s}"),
        ),
        max_leaves=12,
    )
)
def test_well_formed_arithmetic_round_trips(text):
    result, events = guarded_parse(text)
    assert not events
    if isinstance(result, SpecError):
        # Only a few well-formed expressions are rejected, for a stated numeric reason.
        assert any(
            word in str(result)
            for word in ("division by zero", "too large", "infinite", "complex", "not a real")
        ), result
        return
    assert isinstance(result, sp.Expr)
    # Compare with SymPy's own reading of the same arithmetic (safe here: the strategy only
    # produces names, numbers and whitelisted functions).
    reference = sp.sympify(text.replace("^", "**"), locals={"x": X, "x_dot": XD, "k": K})
    assert result == reference or sp.simplify(result - reference) == 0


def test_marker_was_never_created(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for text in ["__import__('os').system('touch " + MARKER + "')", "open('" + MARKER + "', 'w')"]:
        assert_well_behaved(text)
    assert not (tmp_path / MARKER).exists()
