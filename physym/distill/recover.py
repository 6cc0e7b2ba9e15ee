"""One route from chosen target models to a polished, rationalised Lagrangian."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from physym.distill.assemble import assemble, scale_term
from physym.distill.euler_lagrange import TermDynamics
from physym.distill.finish import finish
from physym.distill.pareto import Candidate
from physym.distill.polish import Polisher, ScaleFix, polish_terms
from physym.distill.space import StateSpace

__all__ = ["PRUNE_ABSOLUTE", "RouteResult", "recover", "unpolished_fit"]

#: Absolute acceleration error a dropped term may add on exact data: round-off of an
#: ill-conditioned design of a few dozen terms reaches 1e-12, and the acceptance
#: threshold (1e-9) is ten times above this.
PRUNE_ABSOLUTE = 1e-10


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


def _reference_mass(
    space: StateSpace,
    dynamics: TermDynamics,
    coefficients: np.ndarray,
    params: Mapping[sp.Symbol, float],
) -> tuple[int, float, tuple[float, ...]]:
    """First coordinate ``i`` with a usable ``M_ii`` at ``(q_ref, 0)``, and that mass."""
    reference = np.concatenate([space.q_reference, np.zeros(space.n_dof)])
    mass = dynamics.evaluate(reference[None, :], params)[0][0]
    diagonal = np.einsum("k,kii->i", coefficients, mass)
    usable = np.abs(diagonal) > 1e-8 * max(np.max(np.abs(diagonal)), 1e-300)
    i = int(np.argmax(usable))
    return i, float(diagonal[i]), tuple(reference)


def _at_most_quadratic(term: sp.Expr, velocities: Sequence[sp.Symbol]) -> bool:
    """Whether ``term`` is a polynomial of degree two at most in the velocities."""
    poly = term.as_poly(*velocities)
    return poly is not None and poly.total_degree() <= 2


def _polisher(
    chosen: Mapping[str, Candidate],
    space: StateSpace,
    states: np.ndarray,
    accelerations: np.ndarray,
    extras: Mapping[str, Sequence[Candidate]] | None,
) -> tuple[list[sp.Expr], Polisher, float]:
    """The assembled terms, their polisher (the mass ``M_ii`` at ``(q_ref, 0)`` fixed, the
    start from ``chosen``) and the network's mass there."""
    terms, raw, params = assemble(chosen, space, extras)
    if not terms:
        raise ValueError("distillation found no term that depends on the state")
    dynamics = TermDynamics(terms, space.q_symbols, space.v_symbols, tuple(params))
    i, network_mass, reference = _reference_mass(space, dynamics, raw, params)
    if network_mass == 0 or not np.isfinite(network_mass):
        network_mass = 1.0
    start = raw / network_mass
    polisher = Polisher(
        dynamics, states, accelerations, ScaleFix("mass", 1.0, i, reference), params, start
    )
    return terms, polisher, network_mass


def unpolished_fit(
    chosen: Mapping[str, Candidate],
    space: StateSpace,
    states: np.ndarray,
    accelerations: np.ndarray,
    extras: Mapping[str, Sequence[Candidate]] | None = None,
    keep: Callable[[sp.Expr], bool] | None = None,
) -> float:
    """Data error of one least-squares solve over the assembled terms (those ``keep``
    accepts): no parameter refined, nothing pruned. A cheap screen of what the offered
    terms can add."""
    terms, polisher, _ = _polisher(chosen, space, states, accelerations, extras)
    polisher.drop_dependent()
    if keep is not None:
        polisher.active = [k for k in polisher.active if keep(terms[k])]
    return polisher.error(polisher.solve())


def recover(
    route: str,
    chosen: Mapping[str, Candidate],
    space: StateSpace,
    states: np.ndarray,
    accelerations: np.ndarray,
    polish: bool,
    extras: Mapping[str, Sequence[Candidate]] | None = None,
    slack: float = 0.05,
) -> RouteResult:
    """Assemble ``L``, polish it on ``(states, accelerations)``, fix its scale, rationalise.

    ``extras``: alternative models of the targets, whose terms are offered to the polish
    with coefficient 0 (the data keep those they need; the prune drops the rest). The
    polish holds the mass ``M_ii`` at ``(q_ref, 0)`` fixed; afterwards, on the quadratic
    route (with velocity forms offered: when the data dropped all of them), ``L`` is
    rescaled so that its simplest ``q̇_i² g(q)`` term has coefficient 1/2 (a rescaling
    changes no equation of motion). ``slack``: the relative worsening of the
    data fit accepted when a term is pruned or a constant rationalised.
    """
    terms, polisher, network_mass = _polisher(chosen, space, states, accelerations, extras)
    start = polisher._weights_from
    i, reference = polisher.scale.index, polisher.scale.state
    error_before = polisher.error(start)
    fastest = float(np.max(np.linalg.norm(states[:, space.n_dof :], axis=1)))
    polished = polish_terms(polisher, fastest, slack, PRUNE_ABSOLUTE) if polish else start
    quadratic = route == "M,A,V" or all(
        _at_most_quadratic(terms[k], space.v_symbols) for k in np.flatnonzero(polished)
    )
    anchor = scale_term(terms, space, list(polished), i) if quadratic and route != "L" else None
    if anchor is not None:
        factor = 0.5 / float(polished[anchor])
        # Same condition, rescaled: refits during rationalisation stay on this solution.
        polisher.set_scale(ScaleFix("mass", factor, i, reference))
        convention = f"coefficient of {sp.sstr(terms[anchor])} is 1/2"
    else:
        factor = 1.0
        convention = f"d2L/d{space.coordinates[i]}_dot2 = 1 at (q_ref, 0)"
    polished = polished * factor
    error_after = polisher.error(polished)
    lagrangian, final, final_params, error_final = finish(polisher, polished, polish, slack)
    scale = {
        "convention": convention,
        "alpha": network_mass / factor,
        "term": sp.sstr(terms[anchor]) if anchor is not None else None,
    }
    return RouteResult(
        route,
        lagrangian,
        [sp.sstr(t) for t in terms],
        scale,
        start * factor,
        polished if polish else None,
        final,
        final_params,
        (error_before, error_after, error_final),
    )
