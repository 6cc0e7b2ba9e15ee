"""Safe parser for Lagrangian expressions written in spec files.

The text is parsed with :mod:`ast` and translated node by node into SymPy. Nothing is
ever passed to ``eval``/``sympify``: only numbers, the declared names, arithmetic and a
whitelist of functions are accepted. Anything else raises :class:`SpecError` naming the
offending token and its line.
"""

from __future__ import annotations

import ast
import difflib
import io
import math
import time
import tokenize
import warnings
from collections.abc import Callable, Collection, Mapping

import sympy as sp

from physym.errors import PhysymError
from physym.systems.expression_limits import (
    ConstantTracker,
    expansion_problem,
    lookalike,
)

__all__ = ["ALLOWED_CONSTANTS", "ALLOWED_FUNCTIONS", "SpecError", "parse_expression"]

MAX_EXPRESSION_LENGTH = 20_000
MAX_CONSTANT_EXPONENT = 16  # larger powers of sums make the derivation explode
READ_TIME_BUDGET_S = 10.0  # reading a spec takes milliseconds; 20 000 characters a few s
_MAX_NUMBER = sp.Integer(10) ** 300


class SpecError(PhysymError, ValueError):
    """A system specification (or one of its expressions) is invalid.

    The message is a single line naming the problem, the offending token and the line.
    """


ALLOWED_FUNCTIONS: dict[str, Callable[..., sp.Expr]] = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "cot": sp.cot,
    "sec": sp.sec,
    "csc": sp.csc,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "atan2": sp.atan2,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "asinh": sp.asinh,
    "acosh": sp.acosh,
    "atanh": sp.atanh,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "Abs": sp.Abs,
    "abs": sp.Abs,
}

ALLOWED_CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

_FUNCTION_ARITY = {"atan2": 2}

_BINARY_OPERATORS: dict[type, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


def operator_neg(value: sp.Expr) -> sp.Expr:
    """``-value`` (a function, so that the constant checks can replay it on values)."""
    return -value


def _add(*terms: sp.Expr) -> sp.Expr:
    return sp.Add(*terms)


_COMPARISONS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}


def _describe(node: ast.AST) -> str:
    try:
        return ast.unparse(node)[:40]
    except Exception:  # pragma: no cover - unparse failures are exotic
        return type(node).__name__


def parse_expression(
    text: str,
    symbols: Mapping[str, sp.Symbol],
    *,
    where: str = "expression",
    line_offset: int = 0,
    parameters: Collection[str] | None = None,
) -> sp.Expr:
    """Parse ``text`` into a SymPy expression using only whitelisted constructs.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"m/2*x_dot**2 - k/2*x**2"``. It may span several lines.
    symbols : Mapping[str, sympy.Symbol]
        The names the expression may use (coordinates, velocities, parameters).
    where : str
        Prefix for error messages, e.g. ``"pendulum.toml: lagrangian"``.
    line_offset : int
        Added to line numbers in messages (the line of the expression in its file).
    parameters : collection of str, optional
        The declared parameters among ``symbols``, listed in the hint of an
        unknown-symbol error.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    SpecError
        One line naming the token and line of the first construct that is not allowed,
        of a constant that is infinite, complex or beyond float64, of look-alike
        characters, or of an expression that would be too large once expanded.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> parse_expression("x^2 + sin(x)", {"x": x})
    x**2 + sin(x)
    """
    if not isinstance(text, str):
        raise SpecError(f"{where}: expected a string expression, got {type(text).__name__}")
    if not text.strip():
        raise SpecError(f"{where}: empty expression")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise SpecError(f"{where}: expression longer than {MAX_EXPRESSION_LENGTH} characters")
    if "\x00" in text:
        raise SpecError(f"{where}: expression contains a NUL character")
    folded = lookalike(text)
    if folded is not None:
        line, word, plain = folded
        raise SpecError(
            f"{where}: line {line + line_offset}: {word!r} contains look-alike "
            f"characters (Python would read it as {plain!r}); write {plain!r} in "
            "plain characters"
        )
    # Parentheses let the expression continue over several lines, as in the TOML specs.
    # Physicists write x^2 for a power. Python's ^ is XOR, which binds more loosely than +
    # (x^2 + y would read x**(2 + y)), so it is rewritten to ** before parsing rather than
    # mapped on the tree. Strings are rejected anyway, so no literal is altered.
    text = text.replace("^", "**")
    source = "(" + text + "\n)"
    try:
        with warnings.catch_warnings():
            # e.g. "invalid decimal literal" for 1if: noise about text we reject or accept
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise _syntax_error(text, exc, where, line_offset) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise SpecError(f"{where}: expression cannot be parsed ({type(exc).__name__})") from None
    except SystemError as exc:
        # A signal handler that raised inside the C parser (a caller's time limit) shows
        # up as "AST constructor recursion depth mismatch": let the real exception out.
        if isinstance(exc.__context__, Exception):
            raise exc.__context__ from None
        raise SpecError(f"{where}: expression cannot be parsed (SystemError)") from None
    if _wrapper_closes_early(source):
        # "a) + (b" parses once wrapped in parentheses, but is unbalanced as written
        first = "(" + (text.splitlines() or [""])[0]
        unbalanced = SyntaxError("unbalanced brackets", ("<expression>", 1, 1, first))
        raise _syntax_error(text, unbalanced, where, line_offset)
    translator = _Translator(symbols, where, line_offset, source, parameters)
    result = _translate(translator, tree.body, where)
    if not isinstance(result, sp.Expr):
        raise SpecError(f"{where}: does not evaluate to a scalar expression")
    if result.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise SpecError(f"{where}: expression is infinite or undefined (division by zero?)")
    if result.has(sp.I):
        raise SpecError(f"{where}: expression is complex (square root or log of a negative?)")
    too_large = expansion_problem(result)
    if too_large is not None:
        raise SpecError(f"{where}: expression is too large: it {too_large}")
    return result


def _translate(translator: _Translator, body: ast.AST, where: str) -> sp.Expr:
    """Translate the tree within :data:`READ_TIME_BUDGET_S`, every failure a SpecError."""
    from physym.timeouts import SymbolicTimeoutError, time_limit

    translator.deadline = time.monotonic() + READ_TIME_BUDGET_S
    try:
        with time_limit(READ_TIME_BUDGET_S):
            return translator.visit(body)
    except SymbolicTimeoutError:
        if not translator.out_of_time():
            raise  # an outer time limit (a caller's), not this one
        raise SpecError(
            f"{where}: expression took over {READ_TIME_BUDGET_S:g} s to read "
            "(constants too costly to evaluate?)"
        ) from None
    except RecursionError:
        raise SpecError(f"{where}: expression is nested too deeply") from None
    except SpecError:
        raise
    except Exception as exc:  # SymPy failing on odd input (OverflowError, TypeError…)
        raise SpecError(
            f"{where}: SymPy cannot evaluate the expression ({_one_line(exc)})"
        ) from None


def _one_line(exc: BaseException) -> str:
    """``"TypeName: first line"`` of an exception, at most 80 characters of it."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def _wrapper_closes_early(source: str) -> bool:
    """Whether the wrapper's ``(`` is closed before the wrapper's final ``)``.

    ``source`` parsed, so it tokenizes; its brackets balance overall, and the user's text
    balances on its own exactly when depth 0 is reached only at the last bracket.
    """
    depth = 0
    closings = 0
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):  # pragma: no cover - it parsed
        return False
    brackets = [tok.string for tok in tokens if tok.type == tokenize.OP and tok.string in "()[]{}"]
    for position, bracket in enumerate(brackets):
        depth += 1 if bracket in "([{" else -1
        if depth == 0:
            closings += 1
            if position != len(brackets) - 1:
                return True
    return closings != 1


_OPENING_BRACKETS = {"(": ")", "[": "]", "{": "}"}
_CLOSING_BRACKETS = {close: open_ for open_, close in _OPENING_BRACKETS.items()}


def _bracket_problem(text: str) -> tuple[int, str, str] | None:
    """``(line, message, source line)`` of the first unbalanced bracket in ``text``.

    The parser wraps the text in parentheses (so that it may span several lines), which
    makes Python blame the wrapper for an unbalanced bracket of the user's; this scan finds
    the user's own bracket instead.
    """
    stack: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type != tokenize.OP:
                continue
            if tok.string in _OPENING_BRACKETS:
                stack.append(tok)
            elif tok.string in _CLOSING_BRACKETS:
                if not stack or stack[-1].string != _CLOSING_BRACKETS[tok.string]:
                    return tok.start[0], f"unmatched {tok.string!r}", tok.line
                stack.pop()
    except tokenize.TokenError:
        pass  # "EOF in multi-line statement": an open bracket, reported below
    except (SyntaxError, ValueError):
        return None  # indentation or encoding trouble: let the parser's message stand
    if stack:
        tok = stack[-1]
        return tok.start[0], f"{tok.string!r} was never closed", tok.line
    return None


def _syntax_error(text: str, exc: SyntaxError, where: str, line_offset: int) -> SpecError:
    """One-line :class:`SpecError` for a syntax error, with the user's line and token."""
    n_lines = max(1, len(text.splitlines()))
    problem = _bracket_problem(text)
    if problem is not None:
        line, message, source = problem
    else:
        line = min(exc.lineno or 1, n_lines)  # the wrapper's ")" sits one line past the end
        message = exc.msg
        source = exc.text or ""
        if (exc.lineno or 1) == 1 and source.startswith("("):
            source = source[1:]  # drop the wrapper's "("
        if (exc.lineno or 1) > n_lines:
            source = text.splitlines()[-1] if text.splitlines() else ""
    token = " ".join(source.split())[:40]
    message = " ".join(str(message).split())
    return SpecError(
        f"{where}: syntax error at line {line + line_offset}: {message} near {token!r}"
    )


class _Translator:
    def __init__(
        self,
        symbols: Mapping[str, sp.Symbol],
        where: str,
        line_offset: int,
        source: str = "",
        parameters: Collection[str] | None = None,
    ):
        self.symbols = symbols
        self.where = where
        self.line_offset = line_offset
        self.source = source
        self.parameters = parameters
        self.constants = ConstantTracker()
        self.deadline = math.inf

    def out_of_time(self) -> bool:
        """Whether the reading budget is spent (else a timeout is a caller's own)."""
        return time.monotonic() >= self.deadline - 0.01

    def describe(self, node: ast.AST) -> str:
        """The node as the user wrote it (whitespace collapsed to one line), for messages."""
        segment = None
        if self.source:
            try:
                segment = ast.get_source_segment(self.source, node)
            except (IndexError, ValueError):  # pragma: no cover - positions out of range
                segment = None
        if not segment:
            return _describe(node)
        return " ".join(segment.split())[:40]

    def fail(self, node: ast.AST, message: str) -> SpecError:
        line = getattr(node, "lineno", 1) + self.line_offset
        return SpecError(f"{self.where}: line {line}: {message}")

    def visit(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand)
            if isinstance(node.op, ast.USub):
                return self.checked(node, operator_neg, operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            raise self.fail(node, f"operator not allowed: {self.describe(node)!r}")
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            raise self.fail(node, f"attribute access not allowed: {self.describe(node)!r}")
        if isinstance(node, ast.Subscript):
            raise self.fail(node, f"indexing not allowed: {self.describe(node)!r}")
        if isinstance(node, ast.Compare):
            operator = _COMPARISONS.get(type(node.ops[0]), type(node.ops[0]).__name__)
            raise self.fail(
                node.comparators[0],
                f"comparison not allowed: {operator!r} in {self.describe(node)!r}",
            )
        if isinstance(node, ast.BoolOp):
            operator = "and" if isinstance(node.op, ast.And) else "or"
            raise self.fail(
                node.values[1],
                f"boolean operator not allowed: {operator!r} in {self.describe(node)!r}",
            )
        if isinstance(node, ast.Tuple):
            where = node.elts[1] if len(node.elts) > 1 else node  # the line after the comma
            raise self.fail(where, f"comma (tuple) not allowed: {self.describe(node)!r}")
        if isinstance(node, ast.IfExp):
            raise self.fail(
                node.test,
                f"conditional expression (if/else) not allowed: {self.describe(node.test)!r}",
            )
        if isinstance(node, ast.Lambda):
            raise self.fail(node, f"lambda not allowed: {self.describe(node)!r}")
        raise self.fail(node, f"construct not allowed: {self.describe(node)!r}")

    def constant(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(node, f"not a number: {self.describe(node)!r}")
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.fail(node, f"number is not finite: {self.describe(node)!r}")
            return sp.Float(repr(value))
        if abs(value) > _MAX_NUMBER:
            raise self.fail(node, f"number too large: {self.describe(node)[:20]!r}")
        return sp.Integer(value)

    def name(self, node: ast.Name) -> sp.Expr:
        if node.id in self.symbols:
            return self.symbols[node.id]
        if node.id in ALLOWED_CONSTANTS:
            return ALLOWED_CONSTANTS[node.id]
        if node.id in ALLOWED_FUNCTIONS:
            raise self.fail(node, f"function {node.id!r} used without arguments")
        raise self.fail(node, f"unknown symbol {node.id!r}{self.hint(node.id)}")

    def hint(self, name: str) -> str:
        """``" (did you mean 'k'?); declared parameters: m, k"`` for an unknown name."""
        known = [*self.symbols, *ALLOWED_CONSTANTS, *ALLOWED_FUNCTIONS]
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        if not close:
            folded = {k.casefold(): k for k in known}
            close = [folded[name.casefold()]] if name.casefold() in folded else []
        text = f" (did you mean {close[0]!r}?)" if close else ""
        if self.parameters is not None:
            declared = ", ".join(self.parameters) or "none"
            text += f"; declared parameters: {declared}"
        else:
            text += f"; known names: {', '.join(self.symbols) or 'none'}"
        return text

    def checked(
        self, node: ast.AST, function: Callable[..., sp.Expr], *operands: sp.Expr
    ) -> sp.Expr:
        """``function(*operands)``, with SymPy's failures and unusable constants named at
        ``node``."""
        from physym.timeouts import SymbolicTimeoutError

        try:
            result = function(*operands)
            problem = self.constants.problem(result, function, operands)
        except SymbolicTimeoutError:
            if not self.out_of_time():
                raise
            raise self.fail(node, f"too costly to evaluate: {self.describe(node)!r}") from None
        except (ArithmeticError, ValueError, TypeError, AttributeError, MemoryError) as exc:
            raise self.fail(
                node, f"SymPy cannot evaluate {self.describe(node)!r} ({_one_line(exc)})"
            ) from None
        if problem is not None:
            raise self.fail(node, f"{self.describe(node)!r} {problem}")
        return result

    def binary(self, node: ast.BinOp) -> sp.Expr:
        operator = _BINARY_OPERATORS.get(type(node.op))
        if operator is None:
            raise self.fail(node, f"operator not allowed: {self.describe(node)!r}")
        if isinstance(node.op, ast.Add | ast.Sub):
            return self.sum(node)
        left = self.visit(node.left)
        right = self.visit(node.right)
        if isinstance(node.op, ast.Pow):
            self.check_exponent(node, left, right)
        if isinstance(node.op, ast.Div) and right == 0:
            raise self.fail(node, f"division by zero: {self.describe(node)!r}")
        return self.checked(node, operator, left, right)

    def sum(self, node: ast.BinOp) -> sp.Expr:
        """A chain ``a + b - c + …`` read as one sum: no recursion per term, and no
        quadratic rebuilding of the partial sums (a Lagrangian may have hundreds of terms)."""
        terms: list[tuple[bool, ast.AST]] = []
        current: ast.AST = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add | ast.Sub):
            terms.append((isinstance(current.op, ast.Sub), current.right))
            current = current.left
        terms.append((False, current))
        values = []
        for negative, term in reversed(terms):
            value = self.visit(term)
            values.append(self.checked(term, operator_neg, value) if negative else value)
        return self.checked(node, _add, *values)

    def check_exponent(self, node: ast.AST, base: sp.Expr, exponent: sp.Expr) -> None:
        # A huge constant exponent (10**10**10) would make SymPy compute for ever.
        if exponent.is_number and not exponent.has(sp.I):
            try:
                magnitude = abs(float(exponent))
            except (TypeError, ValueError):
                raise self.fail(
                    node, f"exponent is not a real number: {self.describe(node)!r}"
                ) from None
            if magnitude > MAX_CONSTANT_EXPONENT:
                raise self.fail(node, f"exponent too large: {self.describe(node)!r}")
            if base.is_Number and base != 0:
                digits = magnitude * abs(math.log10(abs(float(base))))
                if digits > 300:
                    raise self.fail(node, f"number too large: {self.describe(node)[:20]!r}")
        if base == 0 and exponent.is_number and exponent.is_negative:
            raise self.fail(node, f"division by zero: {self.describe(node)!r}")

    def call(self, node: ast.Call) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, f"call not allowed: {self.describe(node)!r}")
        name = node.func.id
        if name not in ALLOWED_FUNCTIONS:
            close = difflib.get_close_matches(name, list(ALLOWED_FUNCTIONS), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise self.fail(node, f"function not allowed: {name!r}{hint}")
        if node.keywords:
            raise self.fail(node, f"keyword arguments not allowed: {self.describe(node)!r}")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.fail(node, f"starred arguments not allowed in {name!r}")
        arity = _FUNCTION_ARITY.get(name, 1)
        if len(node.args) != arity:
            raise self.fail(node, f"{name!r} takes {arity} argument(s), got {len(node.args)}")
        args = [self.visit(arg) for arg in node.args]
        return self.checked(node, ALLOWED_FUNCTIONS[name], *args)
