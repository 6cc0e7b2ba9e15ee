"""Genetic-programming symbolic regression through pyoperon (the ``physym[operon]`` extra).

For forms the sparse library cannot express. Operon evolves expression trees with two
objectives (R² and length) and returns its whole Pareto front; its own pick (minimum
description length) often prefers ``k·cos(εq)`` imitating ``q²``, so physym ignores it and
applies its common selection rule (the simplest model within the error tolerance) to the
front. Model strings are parsed with physym's safe expression parser (never ``eval``),
variables ``x0, x1, …`` mapped to the coordinate (and velocity) symbols; constants that
are within round-off of a simple rational are snapped when that does not worsen the fit,
and the remaining inner constants become parameters that the polish refines on the data
(and snaps to simple numbers where the data allow), so ``cos(0.9996 θ)`` ends as ``cos θ``;
spurious additive terms are dropped by the polish's prune.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import sympy as sp

from physym.distill.base import Backend, BackendUnavailableError, Problem
from physym.distill.library import evaluate_terms
from physym.distill.pareto import Candidate, complexity
from physym.distill.rationalise import snap_inner_constants
from physym.systems.expression_parser import SpecError, parse_expression

__all__ = ["OperonBackend", "parse_model_string"]

_INSTALL = "the 'operon' backend needs pyoperon: pip install 'physym[operon]'"
#: Inner constants of one model that become polish parameters (the rest stay numbers).
MAX_INNER_PARAMETERS = 6
_COUNTER = itertools.count()


def parse_model_string(text: str, symbols: tuple[sp.Symbol, ...]) -> sp.Expr:
    """Operon's infix string (variables ``x0, x1, …``) as SymPy in ``symbols``.

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> parse_model_string("(1.5 + (2.0 * cos((1.0 * x0))))", (x,))
    2.0*cos(1.0*x) + 1.5
    """
    names = {f"x{i}": s for i, s in enumerate(symbols)}
    return parse_expression(text, names, where="operon model")


class OperonBackend(Backend):
    """pyoperon's ``SymbolicRegressor``, one run per target.

    Parameters
    ----------
    allowed_symbols : str
        Operon primitives; the default covers polynomials, trigonometry and roots.
    generations, population_size, max_length, max_time : int
        Search budget (``max_time`` in seconds per target).
    n_threads : int
        Operon worker threads.
    """

    name = "operon"

    def __init__(
        self,
        allowed_symbols: str = "add,sub,mul,div,constant,variable,sin,cos,sqrt",
        generations: int = 200,
        population_size: int = 500,
        max_length: int = 40,
        max_time: int = 30,
        n_threads: int = 1,
        **options: Any,
    ):
        self.options = dict(
            allowed_symbols=allowed_symbols,
            generations=generations,
            population_size=population_size,
            max_length=max_length,
            max_time=max_time,
            n_threads=n_threads,
            objectives=["r2", "length"],
            optimizer_iterations=5,
            **options,
        )

    def check_available(self) -> None:
        try:
            from pyoperon.sklearn import SymbolicRegressor  # noqa: F401
        except Exception as exc:  # ImportError or a broken binary wheel
            raise BackendUnavailableError(f"{_INSTALL} ({type(exc).__name__}: {exc})") from None

    def fit(self, problem: Problem, *, seed: int = 0) -> list[Candidate]:
        self.check_available()
        from pyoperon.sklearn import SymbolicRegressor

        regressor = SymbolicRegressor(random_state=seed, **self.options)
        names = [f"x{i}" for i in range(len(problem.symbols))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            regressor.fit(problem.inputs, problem.target / problem.scale)
            rows = list(regressor.pareto_front_)
            strings = [regressor.get_model_string(row["tree"], 17, names) for row in rows]
        candidates = [
            Candidate(sp.S(0), problem.error(np.zeros_like(problem.target)), 1, self.name)
        ]
        for text in strings:
            try:
                expr = problem.scale * parse_model_string(text, problem.symbols)
            except SpecError:
                continue  # a primitive the safe parser does not know: skip that model
            expr, error = refit_linear(problem, expr)
            expr = snap_inner_constants(expr, lambda e: refit_linear(problem, e)[1])
            expr, error = refit_linear(problem, expr)
            if np.isfinite(error):
                expr, params = self._parametrise(expr)
                candidates.append(Candidate(expr, error, complexity(expr), self.name, params))
        return candidates

    def _parametrise(self, expr: sp.Expr) -> tuple[sp.Expr, dict[sp.Symbol, float]]:
        """Inner constants (``cos(0.9996 θ)``) as parameters that the polish refines on the
        data and snaps where the data allow; the outer coefficients stay linear."""
        pieces: list[sp.Expr] = []
        params: dict[sp.Symbol, float] = {}
        for term in sp.Add.make_args(expr):
            coefficient, monic = term.as_coeff_Mul()
            for number in sorted(monic.atoms(sp.Float), key=lambda f: -abs(float(f))):
                if len(params) >= MAX_INNER_PARAMETERS:
                    break
                symbol = sp.Symbol(f"p_gp{next(_COUNTER)}", real=True)
                params[symbol] = float(number)
                monic = monic.xreplace({number: symbol})
            pieces.append(coefficient * monic)
        return sp.Add(*pieces), params


def refit_linear(problem: Problem, expr: sp.Expr) -> tuple[sp.Expr, float]:
    """Refit the outer coefficients of ``expr``'s additive terms in float64 on the data.

    Operon optimises its constants in float32; the outer ones are linear and cheap to
    redo exactly, which also lets an inner constant snap to a rational (``cos(1.0000014 q)``
    to ``cos(q)``) without the fit looking worse.
    """
    coefficients: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        coefficient, monic = term.as_coeff_Mul()
        coefficients[monic] = coefficients.get(monic, 0) + coefficient
    monic_terms = list(coefficients)
    design = evaluate_terms(monic_terms, problem.symbols, problem.inputs)
    if not np.all(np.isfinite(design)):
        return expr, float("inf")
    solution = np.linalg.lstsq(design, problem.target, rcond=None)[0]
    refitted = sp.Add(*(sp.Float(c) * t for c, t in zip(solution, monic_terms, strict=True)))
    return refitted, problem.error(design @ solution)
