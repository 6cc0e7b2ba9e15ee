"""The centres backend: sums of shifted point centres for targets that do not separate.

For a target of the coordinates whose probed structure
(:mod:`physym.distill.structure`) joins two or three non-periodic coordinates by *joint*
interactions (neither through their sum or difference nor separable), it (1) reads the
mixed second derivatives ``∂_i∂_j f`` of the target through the network, (2) fits one,
two (or more) point centres ``c_k g(|x − a_k|² + e_k)`` of each kind to them by variable
projection (:mod:`physym.distill.centres`) and keeps the count and kind the derivatives
prefer (:func:`~physym.distill.centres.preferred_fit`), if they explain the derivatives
clearly better than a smooth polynomial would (:func:`~physym.distill.centres.credible`),
and (3) fits by least squares the centres' columns alone, with the polynomials of degree
≤ 2 of the group, and with the grammar's terms of the other arguments too, the centres
held at their fitted positions. The positions travel with the candidates as nonlinear
parameters; the polish refines them on the data and snaps them to simple numbers where
the data allow.

Other targets get no candidates here (the earlier levels have them).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from physym.distill.backends.sparse import SparseBackend
from physym.distill.base import Problem
from physym.distill.centres import CentreFit, credible, fit_centres, preferred_fit
from physym.distill.grammar import argument_terms, arguments
from physym.distill.library import LibraryConfig, evaluate_terms
from physym.distill.pareto import Candidate, complexity
from physym.distill.space import StateSpace
from physym.distill.stlsq import normalise
from physym.distill.structure import Structure, analyse_structure

__all__ = ["CentresBackend", "joint_groups"]

_STEP = 1e-3  # finite-difference step of the mixed derivatives, share of each span


def joint_groups(space: StateSpace, structure: Structure) -> list[tuple[int, ...]]:
    """Groups of 2–3 non-periodic coordinates joined by joint interactions.

    Examples
    --------
    >>> space = StateSpace(("x", "y", "z"), (False,) * 3, -np.ones(6), np.ones(6))
    >>> joint_groups(space, Structure((0, 1, 2), {(0, 1): "joint", (1, 2): "difference"}))
    [(0, 1)]
    """
    parent = {i: i for i in structure.variables}

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for (i, j), kind in structure.pairs.items():
        if kind == "joint" and not (space.periodic[i] or space.periodic[j]):
            parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in structure.variables:
        groups.setdefault(root(i), []).append(i)
    return [tuple(sorted(g)) for g in groups.values() if 2 <= len(g) <= 3]


def mixed_derivatives(problem: Problem, group: tuple[int, ...], step: float = _STEP) -> np.ndarray:
    """``∂_i∂_j f`` at the problem's inputs for the pairs of ``group``: ``(N, pairs)``.

    Central differences with steps ``step`` × each coordinate's span.
    """
    assert problem.function is not None
    n = problem.space.n_dof
    span = problem.space.high[:n] - problem.space.low[:n]
    x = problem.inputs
    out = []
    for i, j in itertools.combinations(group, 2):
        a, b = np.zeros(n), np.zeros(n)
        a[i], b[j] = step * span[i], step * span[j]
        values = problem.function(np.concatenate([x + a + b, x + a - b, x - a + b, x - a - b]))
        pp, pm, mp, mm = np.split(np.asarray(values, dtype=np.float64), 4)
        out.append((pp - pm - mp + mm) / (4 * a[i] * b[j]))
    return np.column_stack(out)


class CentresBackend(SparseBackend):
    """Point-centre regression (see the module docstring).

    Parameters
    ----------
    library : LibraryConfig or mapping, optional
        The sparse library (its constant and monomials of the group are used).
    max_centres : int
        Most centres fitted per group.
    kinds : tuple of str
        Point-centre kinds (:data:`physym.distill.centres.KINDS`); ``"log"`` only for
        groups of two coordinates.
    """

    name = "centres"

    def __init__(
        self,
        library: LibraryConfig | Mapping[str, Any] | None = None,
        max_centres: int = 2,
        kinds: tuple[str, ...] = ("inverse", "log"),
    ):
        super().__init__(library)
        self.max_centres = max_centres
        self.kinds = kinds
        self.fits: dict[str, list[CentreFit]] = {}
        self._counter = itertools.count()

    def fit(self, problem: Problem, *, seed: int = 0) -> list[Candidate]:
        if problem.domain != "q" or problem.function is None:
            return []
        space = problem.space
        rng = np.random.default_rng(seed + 101)
        structure = analyse_structure(
            problem.function, space, problem.scale, rng, noise=problem.noise
        )
        groups = joint_groups(space, structure)
        if not groups:
            return []
        q = space.q_symbols
        terms: list[sp.Expr] = [sp.Integer(1)]
        params: dict[sp.Symbol, float] = {}
        supports: list[list[int]] = []
        for group in groups:
            low, high = space.low[list(group)], space.high[list(group)]
            mixed = mixed_derivatives(problem, group)
            # Richardson: the error of a central difference grows fourfold with its step
            coarse = mixed_derivatives(problem, group, 2 * _STEP)
            floor = _rms(coarse - mixed) / (3.0 * max(_rms(mixed), 1e-300))
            points = problem.inputs[:, list(group)]
            polynomial = [sp.Mul(*c) for d in (1, 2) for c in _combinations(q, group, d)]
            start = len(terms)
            terms += polynomial
            poly_columns = list(range(start, len(terms)))
            fits = [
                fit
                for kind in self.kinds
                if kind != "log" or len(group) == 2
                for fit in fit_centres(
                    points,
                    mixed,
                    low,
                    high,
                    kind=kind,
                    max_centres=self.max_centres,
                    floor=floor,
                )
            ]
            if not fits:
                continue
            fit = preferred_fit(fits)
            self.fits.setdefault(problem.name, []).append(fit)
            if not credible(fit, points, mixed):
                continue
            new, values = self._centre_terms(fit, [q[i] for i in group])
            columns = list(range(len(terms), len(terms) + len(new)))
            terms += new
            params |= values
            supports += [[0, *columns], [0, *columns, *poly_columns]]
        if not supports:
            return []
        if len(supports) > 2:  # every group's centres and polynomials together
            supports.append(sorted({k for support in supports[1::2] for k in support}))
        others = _other_terms(space, structure, {i for g in groups for i in g})
        start = len(terms)
        terms += others
        if others:
            supports += [[*s, *range(start, len(terms))] for s in supports if len(s) > 1]
        design = evaluate_terms(terms, problem.symbols, problem.inputs, params)
        return self._fit_supports(problem, terms, design, supports, params)

    def _fit_supports(
        self,
        problem: Problem,
        terms: list[sp.Expr],
        design: np.ndarray,
        supports: list[list[int]],
        params: dict[sp.Symbol, float],
    ) -> list[Candidate]:
        """One least-squares model per support: a few clean candidates, not a sparse path
        whose every mixture of centres and spare columns the polish would be offered."""
        out = []
        for support in supports:
            columns = design[:, support]
            if not np.all(np.isfinite(columns)):
                continue
            normalised, norms = normalise(columns)
            coefficients = np.linalg.lstsq(normalised, problem.target, rcond=None)[0] / norms
            error = problem.error(columns @ coefficients)
            expr = sp.Add(
                *(sp.Float(c) * terms[k] for k, c in zip(support, coefficients, strict=True))
            )
            used = {s: v for s, v in params.items() if s in expr.free_symbols}
            out.append(Candidate(expr, error, complexity(expr), self.name, used))
        return out

    def _centre_terms(
        self, fit: CentreFit, symbols: list[sp.Symbol]
    ) -> tuple[list[sp.Expr], dict[sp.Symbol, float]]:
        """One term per centre, its free coordinates and softening as parameters."""
        terms: list[sp.Expr] = []
        values: dict[sp.Symbol, float] = {}
        for centre, softening, fixed in zip(fit.centres, fit.softenings, fit.fixed, strict=True):
            square: sp.Expr = sp.Integer(0)
            for symbol, value, zero in zip(symbols, centre, fixed, strict=True):
                if zero:
                    square += symbol**2
                else:
                    shift = self._new_symbol()
                    values[shift] = value
                    square += (symbol - shift) ** 2
            if softening > 0:
                soft = self._new_symbol()
                values[soft] = softening
                square += soft
            terms.append(1 / sp.sqrt(square) if fit.kind == "inverse" else sp.log(square))
        return terms, values

    def _new_symbol(self) -> sp.Symbol:
        return sp.Symbol(f"p_centre{next(self._counter)}", real=True)


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(values))))


def _combinations(
    q: tuple[sp.Symbol, ...], group: tuple[int, ...], degree: int
) -> list[tuple[sp.Symbol, ...]]:
    return list(itertools.combinations_with_replacement([q[i] for i in group], degree))


def _other_terms(space: StateSpace, structure: Structure, grouped: set[int]) -> list[sp.Expr]:
    """The grammar's terms (with powers up to 4) of the arguments outside the groups."""
    out: list[sp.Expr] = []
    for argument in arguments(space, structure):
        if set(argument.coordinates) & grouped:
            continue
        if not argument.periodic:
            out += [argument.expr**k for k in (1, 2, 3, 4)]
        out += argument_terms(argument)
    return list(dict.fromkeys(out))
