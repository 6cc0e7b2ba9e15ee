"""The default backend: sparse regression over a library built from the coordinates.

For each target the library's columns are normalised, columns that are combinations of
earlier (simpler) ones are removed, and two cheap paths propose supports: sequentially
thresholded least squares over a log-spaced range of thresholds, and backward elimination
from the full library. Every support is refitted on the original columns; the resulting
candidates form the complexity–error front. The Lorentz term's speed ``c`` (fallback
route only) is a nonlinear parameter: scanned on a grid, then refined by a bounded
one-dimensional minimisation of the refitted error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
from scipy.optimize import minimize_scalar

from physym.distill.base import Backend, Problem, register_backend
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


@register_backend("sparse")
class SparseBackend(Backend):
    """Sparse regression over a candidate library (see the module docstring).

    Parameters
    ----------
    library : LibraryConfig or mapping, optional
        Which terms to offer; a mapping is read with :meth:`LibraryConfig.from_dict`.
    """

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
        candidates = [c for c, _ in self._path(problem, fixed, design, {})]
        if nonlinear:
            candidates += self._speed_scan(problem, fixed, design, nonlinear)
        return candidates

    def _path(self, problem: Problem, terms: Sequence[sp.Expr], design: np.ndarray,
              params: dict[sp.Symbol, float]) -> list[tuple[Candidate, tuple[int, ...]]]:
        """Front candidates with their supports (indices into ``terms``)."""
        finite = np.all(np.isfinite(design), axis=0)
        normalised, norms = normalise(np.where(np.isfinite(design), design, 0.0))
        kept = [k for k in independent_columns(normalised) if finite[k]]
        fit = SubsetLeastSquares(normalised[:, kept], problem.target / problem.scale)
        supports = fit.stlsq_path(_THRESHOLDS) | {frozenset()}
        if kept:
            supports |= set(fit.backward_path())
        cost = [complexity(sp.Float(1.5) * terms[k]) for k in kept]
        scored = []
        for support in supports:
            coef, rms = fit.solve(support)
            size = sum(cost[s] for s in support) + (len(support) > 1) or 1
            scored.append((size, rms, sorted(support), coef))
        scored.sort(key=lambda row: (row[0], row[1]))
        out, best = [], np.inf
        for _size, rms, support, coef in scored:
            if rms >= best:
                continue  # not on the front: skip building its expression
            best = rms
            expr = sp.Add(*(sp.Float(coef[s] * problem.scale / norms[kept[s]]) * terms[kept[s]]
                            for s in support))
            candidate = Candidate(expr, rms, complexity(expr), self.name, dict(params))
            out.append((candidate, tuple(kept[s] for s in support)))
        return out

    def _speed_scan(self, problem: Problem, fixed: Sequence[sp.Expr], design: np.ndarray,
                    nonlinear: Sequence[sp.Expr]) -> list[Candidate]:
        n = problem.space.n_dof
        fastest = float(np.max(np.linalg.norm(problem.inputs[:, n:], axis=1)))
        terms = [*fixed, *nonlinear]

        def columns(speed: float) -> np.ndarray:
            extra = evaluate_terms(nonlinear, problem.symbols, problem.inputs,
                                   {LORENTZ_SPEED: speed})
            return np.hstack([design, extra])

        scanned = []
        for factor in _SPEED_GRID:
            speed = fastest * factor
            scanned += self._path(problem, terms, columns(speed), {LORENTZ_SPEED: speed})
        uses_speed = [(c, s) for c, s in scanned if c.expr.has(LORENTZ_SPEED)]
        if not uses_speed:
            return [c for c, _ in scanned]
        best, support = min(uses_speed, key=lambda pair: pair[0].error)
        start = float(best.params[LORENTZ_SPEED])
        target = problem.target / problem.scale

        def error(log_speed: float) -> float:
            sub = columns(float(np.exp(log_speed)))[:, list(support)] / problem.scale
            return SubsetLeastSquares(sub, target).solve(range(len(support)))[1]

        low = np.log(max(fastest * 1.0001, start / 1.5))
        result = minimize_scalar(error, bounds=(low, np.log(start * 1.5)), method="bounded",
                                 options={"xatol": 1e-12})
        speed = float(np.exp(result.x))
        refined = self._path(problem, terms, columns(speed), {LORENTZ_SPEED: speed})
        return [c for c, _ in scanned] + [c for c, _ in refined if c.expr.has(LORENTZ_SPEED)]
