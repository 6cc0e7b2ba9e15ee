"""The default backend: sparse regression over a library built from the coordinates.

For each target the library's columns are normalised, columns that are combinations of
earlier (simpler) ones are removed, and supports are proposed by sequentially thresholded
least squares over a log-spaced range of thresholds, by backward elimination from the full
library, and by trying every one- and two-term support. Every support is refitted; the
resulting candidates form the complexity–error front. The Lorentz term's speed ``c`` (fallback
route only) is a nonlinear parameter: scanned on a grid, then refined by a bounded
one-dimensional minimisation of the refitted error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from scipy.optimize import minimize_scalar

from physym.distill.base import Backend, Problem
from physym.distill.library import (
    LORENTZ_SPEED,
    LibraryConfig,
    evaluate_terms,
    kinetic_terms,
    q_terms,
)
from physym.distill.pareto import Candidate, complexity
from physym.distill.stlsq import SubsetLeastSquares, independent_columns, normalise

__all__ = ["SparseBackend"]

_THRESHOLDS = np.logspace(-10, 0.5, 43)
_SPEED_GRID = (1.001, 1.003, 1.01, 1.03, 1.1, 1.3, 1.6, 2.0, 3.0, 5.0, 10.0)


class SparseBackend(Backend):
    """Sparse regression over a candidate library (see the module docstring).

    Parameters
    ----------
    library : LibraryConfig or mapping, optional
        Which terms to offer; a mapping is read with :meth:`LibraryConfig.from_dict`.
    """

    name = "sparse"

    def __init__(self, library: LibraryConfig | Mapping[str, Any] | None = None):
        if not isinstance(library, LibraryConfig):
            library = LibraryConfig.from_dict(library)
        self.library = library

    def terms(self, problem: Problem) -> list[sp.Expr]:
        """The library offered for ``problem``."""
        if problem.domain == "q":
            return q_terms(problem.space, self.library)
        return kinetic_terms(problem.space, self.library)

    def fit(self, problem: Problem, *, seed: int = 0) -> list[Candidate]:
        terms = self.terms(problem)
        fixed = [t for t in terms if LORENTZ_SPEED not in t.free_symbols]
        nonlinear = [t for t in terms if LORENTZ_SPEED in t.free_symbols]
        design = evaluate_terms(fixed, problem.symbols, problem.inputs)
        candidates = self._build(problem, fixed, self._path(problem, fixed, design), {})
        if nonlinear:
            candidates += self._speed_scan(problem, fixed, design, nonlinear)
        return candidates

    def _path(
        self,
        problem: Problem,
        terms: Sequence[sp.Expr],
        design: np.ndarray,
        extra: Sequence[Sequence[int]] = (),
    ) -> list[_Row]:
        """The complexity–error front as rows (no SymPy expressions built yet).

        ``extra``: supports (indices into ``terms``) to try besides the paths.
        """
        finite = np.all(np.isfinite(design), axis=0)
        normalised, norms = normalise(np.where(np.isfinite(design), design, 0.0))
        kept = [k for k in independent_columns(normalised) if finite[k]]
        fit = SubsetLeastSquares(normalised[:, kept], problem.target / problem.scale)
        supports: set[frozenset[int]] = fit.stlsq_path(_THRESHOLDS) | {frozenset()}
        if kept:
            supports |= set(fit.backward_path()) | fit.small_supports()
            supports |= set(fit.forward_path()) | fit.beam_path()
        cost = [complexity(sp.Float(1.5) * terms[k]) for k in kept]
        rows = []
        for support in supports:
            coef, rms = fit.solve(support)
            size = sum(cost[s] for s in support) + (len(support) > 1) or 1
            ordered = sorted(support)
            rows.append(
                _Row(
                    size,
                    rms,
                    tuple(kept[s] for s in ordered),
                    tuple(coef[s] * problem.scale / norms[kept[s]] for s in ordered),
                )
            )
        for chosen in extra:  # fitted alone: their columns may be near earlier ones
            ordered = sorted(set(chosen))
            if not ordered or not all(finite[k] for k in ordered):
                continue
            own = SubsetLeastSquares(normalised[:, ordered], problem.target / problem.scale)
            coef, rms = own.solve(range(len(ordered)))
            size = sum(complexity(sp.Float(1.5) * terms[k]) for k in ordered) + (len(ordered) > 1)
            rows.append(
                _Row(
                    size,
                    rms,
                    tuple(ordered),
                    tuple(c * problem.scale / norms[k] for c, k in zip(coef, ordered, strict=True)),
                )
            )
        rows.sort(key=lambda row: (row.size, row.error))
        front: list[_Row] = []
        for row in rows:  # keep a richer model only if it is at least 1 % more accurate
            if not front or (row.error < 0.99 * front[-1].error and front[-1].error > 1e-12):
                front.append(row)
        return front

    def _build(
        self,
        problem: Problem,
        terms: Sequence[sp.Expr],
        rows: Sequence[_Row],
        params: dict[sp.Symbol, float],
    ) -> list[Candidate]:
        out = []
        for row in rows:
            expr = sp.Add(
                *(
                    sp.Float(c) * terms[k]
                    for k, c in zip(row.support, row.coefficients, strict=True)
                )
            )
            out.append(Candidate(expr, row.error, complexity(expr), self.name, dict(params)))
        return out

    def _speed_scan(
        self,
        problem: Problem,
        fixed: Sequence[sp.Expr],
        design: np.ndarray,
        nonlinear: Sequence[sp.Expr],
    ) -> list[Candidate]:
        n = problem.space.n_dof
        fastest = float(np.max(np.linalg.norm(problem.inputs[:, n:], axis=1)))
        terms = [*fixed, *nonlinear]
        first = len(fixed)

        compiled = sp.lambdify((*problem.symbols, LORENTZ_SPEED), list(nonlinear), "numpy")
        inputs = list(problem.inputs.T)

        def columns(speed: float) -> np.ndarray:
            with np.errstate(all="ignore"):
                extra = [
                    np.broadcast_to(np.asarray(c, dtype=np.float64), (len(inputs[0]),))
                    for c in compiled(*inputs, speed)
                ]
            return np.column_stack([design, *extra])

        scanned = []  # (error, speed, support) of front rows that use a nonlinear term
        for factor in _SPEED_GRID:
            speed = fastest * factor
            scanned += [
                (row.error, speed, row.support)
                for row in self._path(problem, terms, columns(speed))
                if max(row.support, default=-1) >= first
            ]
        if not scanned:
            return []
        _, start, support = min(scanned)
        target = problem.target / problem.scale

        def error(log_speed: float) -> float:
            sub = columns(float(np.exp(log_speed)))[:, list(support)] / problem.scale
            return SubsetLeastSquares(sub, target).solve(range(len(support)))[1]

        low = np.log(max(fastest * 1.0001, start / 1.5))
        result = minimize_scalar(
            error, bounds=(low, np.log(start * 1.5)), method="bounded", options={"xatol": 1e-12}
        )
        speed = float(np.exp(result.x))
        rows = [
            row
            for row in self._path(problem, terms, columns(speed))
            if max(row.support, default=-1) >= first
        ]
        return self._build(problem, terms, rows, {LORENTZ_SPEED: speed})


@dataclass(frozen=True)
class _Row:
    size: int
    error: float
    support: tuple[int, ...]
    coefficients: tuple[float, ...]
