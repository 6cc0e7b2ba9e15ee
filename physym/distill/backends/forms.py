"""The forms backend: sparse regression over a grammar of forms built for each target.

For a target of the coordinates it (1) probes the target's structure through the network
(:mod:`physym.distill.structure`: which coordinates, which pairs interact and how),
(2) generates the linear terms of the grammar for that structure
(:mod:`physym.distill.grammar`), (3) fits the nonlinear families of each argument by
variable projection (:mod:`physym.distill.families`) and (4) runs the sparse backend's
paths over all of these columns, nonlinear parameters held at their fitted values. The
parameters travel with the candidates; the polish refines them on the data.

Targets of the whole state (the fallback route's ``T``) go to the sparse backend unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from physym.distill.backends.sparse import SparseBackend
from physym.distill.base import Problem
from physym.distill.families import FittedFamily, View, derivative_terms, fit_families
from physym.distill.grammar import Argument, argument_terms, arguments, form_terms
from physym.distill.library import LibraryConfig, evaluate_terms
from physym.distill.pareto import Candidate
from physym.distill.structure import Structure, analyse_structure, full_structure

__all__ = ["FormsBackend"]


class FormsBackend(SparseBackend):
    """Grammar-of-forms regression (see the module docstring).

    Parameters
    ----------
    library : LibraryConfig or mapping, optional
        The sparse library the grammar extends.
    harmonics : int
        Highest harmonic of trigonometric arguments.
    families : bool
        Fit the nonlinear families.
    probe_structure : bool
        Probe the target's structure through the network (else: every coordinate, every
        pair jointly).
    """

    name = "forms"

    def __init__(
        self,
        library: LibraryConfig | Mapping[str, Any] | None = None,
        harmonics: int = 3,
        families: bool = True,
        probe_structure: bool = True,
    ):
        super().__init__(library)
        self.harmonics = harmonics
        self.families = families
        self.probe_structure = probe_structure
        self.structures: dict[str, Structure] = {}
        self._counter = itertools.count()

    def structure(self, problem: Problem, seed: int = 0) -> Structure:
        """The probed structure of ``problem`` (every coordinate jointly without a probe)."""
        if not self.probe_structure or problem.function is None:
            return full_structure(problem.space)
        rng = np.random.default_rng(seed + 101)
        return analyse_structure(
            problem.function, problem.space, problem.scale, rng, noise=problem.noise
        )

    def fit(self, problem: Problem, *, seed: int = 0) -> list[Candidate]:
        if problem.domain != "q":
            return super().fit(problem, seed=seed)
        structure = self.structure(problem, seed)
        self.structures[problem.name] = structure
        terms = form_terms(problem.space, structure, self.library, self.harmonics)
        params: dict[sp.Symbol, float] = {
            s: v for a in arguments(problem.space, structure) for s, v in a.params.items()
        }
        supports: list[list[int]] = []
        if self.families:
            best: dict[tuple[int, ...], list[int]] = {}
            for fitted in self._families(problem, structure):
                columns = list(range(len(terms), len(terms) + len(fitted.terms)))
                terms += list(fitted.terms)
                params[fitted.symbol] = fitted.value
                supports.append([0, *columns])  # the constant and the family alone
                best.setdefault(fitted.argument.coordinates, columns)
            if len(best) > 1:  # every argument's best family together
                supports.append([0, *(k for columns in best.values() for k in columns)])
        design = evaluate_terms(terms, problem.symbols, problem.inputs, params)
        rows = self._path(problem, terms, design, supports)
        out = []
        for candidate in self._build(problem, terms, rows, params):
            used = {s: v for s, v in params.items() if s in candidate.expr.free_symbols}
            out.append(
                Candidate(candidate.expr, candidate.error, candidate.complexity, self.name, used)
            )
        return out

    def _families(self, problem: Problem, structure: Structure) -> list[FittedFamily]:
        args = arguments(problem.space, structure)
        views = [self._view(problem, structure, a, args) for a in args]
        return fit_families(
            args,
            views,
            problem.inputs,
            problem.symbols,
            self._new_symbol,
            values=problem.target - np.mean(problem.target),
        )

    def _view(
        self, problem: Problem, structure: Structure, argument: Argument, args: list[Argument]
    ) -> View:
        """The target, or the derivative of it that isolates ``argument``'s part."""
        coordinates = argument.coordinates
        in_pairs = {k for pair in structure.pairs for k in pair}
        pair = len(coordinates) == 2 and argument.expr.is_Add
        if (
            problem.function is not None
            and (pair or coordinates[0] not in in_pairs)
            and len(coordinates) <= 2
        ):
            # Only low powers beside the family: a rich base (trig, Laurent, roots) spans
            # any smooth function of one variable on a short range to 1e-9 and would
            # leave the family's parameter nothing to decide.
            order = 2 if pair else 1
            target = _derivative(problem, coordinates)
            powers = [] if argument.periodic else [argument.expr, argument.expr**2]
            return View(target, order, derivative_terms(powers, argument, order))
        base: list[sp.Expr] = [sp.Integer(1)]
        for other in args:
            if not set(other.coordinates) & set(coordinates):
                base += _own_terms(other, 2)
        return View(problem.target - np.mean(problem.target), 0, base)

    def _new_symbol(self) -> sp.Symbol:
        return sp.Symbol(f"p_form{next(self._counter)}", real=True)


def _own_terms(argument: Argument, harmonics: int = 3) -> list[sp.Expr]:
    """The argument's linear terms with its powers ``u … u⁴`` (unless it is an angle)."""
    powers = [] if argument.periodic else [argument.expr**k for k in (1, 2, 3, 4)]
    return powers + argument_terms(argument, harmonics)


def _derivative(problem: Problem, coordinates: tuple[int, ...]) -> np.ndarray:
    """``∂_i f`` or ``∂_i∂_j f`` at the problem's inputs by central differences."""
    assert problem.function is not None
    n = problem.space.n_dof
    span = problem.space.high[:n] - problem.space.low[:n]
    steps = []
    for i in coordinates:
        step = np.zeros(n)
        step[i] = 1e-3 * span[i]
        steps.append(step)
    x = problem.inputs
    if len(steps) == 1:
        (a,) = steps
        values = problem.function(np.concatenate([x + a, x - a]))
        plus, minus = np.split(values, 2)
        return (plus - minus) / (2 * a.sum())
    a, b = steps
    values = problem.function(np.concatenate([x + a + b, x + a - b, x - a + b, x - a - b]))
    pp, pm, mp, mm = np.split(values, 4)
    return (pp - pm - mp + mm) / (4 * a.sum() * b.sum())
