"""Regression stage: fit every target with the backend, falling back where it misses.

Each target gets a complexity–error front; the common :class:`SelectionRule` picks a model.
When even the most accurate model of the sparse front stays above the error tolerance (the
library cannot express the target), the target is retried with the fallback backend
(operon by default) and the two fronts are merged.
"""

from __future__ import annotations

import warnings

from physym.distill.base import Backend, BackendUnavailableError, Problem
from physym.distill.registry import get_backend
from physym.distill.pareto import Candidate, SelectionRule, pareto_front

__all__ = ["alternatives", "fit_target"]

ALTERNATIVES = 5


def fit_target(regressor: Backend, problem: Problem, rule: SelectionRule, tolerance: float,
               fallback: str | None, seed: int) -> list[Candidate]:
    """The front of ``problem`` (merged with the fallback backend's if the fit misses)."""
    front = pareto_front(regressor.fit(problem, seed=seed))
    if not front:
        raise ValueError(f"backend {regressor.name!r} returned no usable model for target "
                         f"{problem.name}")
    best = min(c.error for c in front)  # even the richest library model misses: escalate
    if best <= tolerance or not fallback or regressor.name != "sparse":
        return front
    try:
        extra = get_backend(fallback)
        extra.check_available()
    except BackendUnavailableError as exc:
        warnings.warn(f"{problem.name}: best sparse fit error {best:.3g} > "
                      f"tolerance {tolerance:g}; {exc}", stacklevel=3)
        return front
    return pareto_front(front + extra.fit(problem, seed=seed))


def alternatives(front: list[Candidate], choice: Candidate) -> list[Candidate]:
    """The simpler front models and a few richer ones (up to ``2 × complexity + 20``)."""
    simpler = [c for c in front if c.complexity < choice.complexity]
    budget = 2 * choice.complexity + 20
    richer = [c for c in front if choice.complexity < c.complexity <= budget]
    return simpler + richer[:ALTERNATIVES]
