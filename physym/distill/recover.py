"""One route from chosen target models to a polished, rationalised Lagrangian."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp

from physym.distill.assemble import assemble, scale_term, split_terms
from physym.distill.euler_lagrange import TermDynamics
from physym.distill.finish import finish
from physym.distill.pareto import Candidate
from physym.distill.polish import Polisher, ScaleFix, polish_terms
from physym.distill.space import StateSpace

__all__ = ["RouteResult", "recover"]


@dataclass(frozen=True, eq=False)
class RouteResult:
    """What one route produced (see :class:`~physym.distill.result.Distillation`)."""

    route: str
    lagrangian: sp.Expr
    names: list[str]
    scale: dict
    before: np.ndarray
    after: np.ndarray | None
    final: dict[int, sp.Number]
    params: dict[sp.Symbol, sp.Number]
    errors: tuple[float, float, float]


def _scale(route: str, terms: list[sp.Expr], coefficients: np.ndarray, space: StateSpace,
           dynamics: TermDynamics, params: Mapping[sp.Symbol, float]
           ) -> tuple[ScaleFix, float, dict]:
    anchor = scale_term(terms, space) if route == "M,A,V" else None
    if anchor is not None:
        convention = f"coefficient of {sp.sstr(terms[anchor])} is 1/2"
        return (ScaleFix("term", 0.5, index=anchor), 2.0 * float(coefficients[anchor]),
                {"convention": convention, "term": sp.sstr(terms[anchor])})
    reference = np.concatenate([space.q_reference, np.zeros(space.n_dof)])
    mass = dynamics.evaluate(reference[None, :], params)[0][0]
    diagonal = np.einsum("k,kii->i", coefficients, mass)
    usable = np.abs(diagonal) > 1e-8 * max(np.max(np.abs(diagonal)), 1e-300)
    i = int(np.argmax(usable))
    state = reference.copy()
    convention = f"d2L/d{space.coordinates[i]}_dot2 = 1 at (q_ref, 0)"
    fix = ScaleFix("mass", 1.0, index=i, state=tuple(state))
    return fix, float(diagonal[i]), {"convention": convention, "term": None}


def recover(route: str, chosen: Mapping[str, Candidate], space: StateSpace,
            states: np.ndarray, accelerations: np.ndarray, polish: bool) -> RouteResult:
    """Assemble ``L``, fix its scale, polish on ``(states, accelerations)``, rationalise."""
    raw, params = assemble(chosen, space, route)
    terms, coefficients = split_terms(raw, space)
    if not terms:
        raise ValueError("distillation found no term that depends on the state")
    dynamics = TermDynamics(terms, space.q_symbols, space.v_symbols, tuple(params))
    fix, alpha, scale = _scale(route, terms, coefficients, space, dynamics, params)
    if alpha == 0 or not np.isfinite(alpha):
        alpha = 1.0
        scale["convention"] += " (not applicable: the fitted L is degenerate there)"
    coefficients = coefficients / alpha
    polisher = Polisher(dynamics, states, accelerations, fix, params, coefficients)
    error_before = polisher.error(coefficients)
    polished = None
    if polish:
        fastest = float(np.max(np.linalg.norm(states[:, space.n_dof:], axis=1)))
        polished = polish_terms(polisher, fastest, 0.05, 1e-12)
    current = coefficients if polished is None else polished
    error_after = polisher.error(current)
    lagrangian, final, final_params, error_final = finish(polisher, current, polish)
    return RouteResult(route, lagrangian, [sp.sstr(t) for t in terms],
                       scale | {"alpha": float(alpha)}, coefficients, polished, final,
                       final_params, (error_before, error_after, error_final))
