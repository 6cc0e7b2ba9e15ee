"""Candidate closed forms ready for a shooting fit: their terms, parameters, scale and
starting coefficients.

An alternative's coefficients start from least squares on the estimated derivatives: the
Euler–Lagrange residual ``Σ_k c_k (H_k q̈ − f_k)`` is linear in them
(:mod:`physym.distill.euler_lagrange`), weighted by the incumbent's inverse mass matrix
(force residuals become acceleration residuals), with the incumbent's scale condition.
Numbers inside terms become fitted nonlinear parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

if TYPE_CHECKING:
    from physym.data import StateEstimate
    from physym.distill.euler_lagrange import TermDynamics
    from physym.shooting.choice import Candidate

__all__ = ["MAX_PARAMETERS", "form_builder", "linear_start", "term_key"]

#: Nonlinear parameters of an alternative at most (each is fitted).
MAX_PARAMETERS = 4
#: Samples of the estimate the starting coefficients are solved on.
START_SAMPLES = 4000
_WILD = sp.Symbol("_any_constant")


def form_builder(
    incumbent: Candidate, estimate: StateEstimate
) -> Callable[[str, Sequence[sp.Expr], dict[str, float]], Candidate | None]:
    """``build(label, terms, params)``: a candidate of those terms, its numbers inside terms
    made parameters, started by :func:`linear_start` on the estimate's derivatives with the
    incumbent's scale; ``None`` where that cannot be done."""
    from physym.shooting.choice import Candidate

    q, v = incumbent.dynamics.q_symbols, incumbent.dynamics.v_symbols
    states, accelerations = _samples(estimate)
    weights = _inverse_mass(incumbent, states)

    def build(label: str, terms: Sequence[sp.Expr], params: dict[str, float]) -> Candidate | None:
        known = {**dict(incumbent.params), **params}
        try:
            dynamics, values = _parametrised(terms, q, v, known)
        except ValueError:
            return None
        if len(values) > MAX_PARAMETERS:
            return None
        scale = _scale_for(incumbent, dynamics)
        if scale is None:
            return None
        try:
            start = linear_start(dynamics, values, states, accelerations, weights, scale)
        except (ValueError, np.linalg.LinAlgError):
            return None
        return Candidate(label, dynamics, start, values, scale)

    return build


def linear_start(
    dynamics: TermDynamics,
    params: dict[str, float],
    states: np.ndarray,
    accelerations: np.ndarray,
    weights: np.ndarray,
    scale: Any,
) -> np.ndarray:
    """Least-squares coefficients of the Euler–Lagrange residual ``Σ c_k (H_k q̈ − f_k)``
    (rows multiplied by ``weights``, inverse mass matrices), coefficient ``scale.index``
    held at ``scale.value``.

    Raises
    ------
    ValueError
        No finite sample, or a solution that is not finite.
    """
    from physym.distill.stlsq import normalise

    values = {s: params[str(s)] for s in dynamics.params}
    with np.errstate(all="ignore"):
        mass, force = dynamics.evaluate(states, values)
        columns = dynamics.columns(mass, force, accelerations)  # (batch, K, n)
        design = np.einsum("bij,bkj->bik", weights, columns).reshape(-1, len(dynamics.terms))
    design = design[np.isfinite(design).all(axis=1)]
    if not len(design):
        raise ValueError("no sample where the terms are finite")
    k = scale.index
    rest = [j for j in range(len(dynamics.terms)) if j != k]
    coefficients = np.zeros(len(dynamics.terms))
    coefficients[k] = scale.value
    if rest:
        matrix, norms = normalise(design[:, rest])
        if not np.all(np.isfinite(matrix)):  # LAPACK would print to stderr
            raise ValueError("the terms overflow on the samples")
        solution = np.linalg.lstsq(matrix, -design[:, k] * scale.value, rcond=None)[0]
        coefficients[rest] = solution / norms
    if not np.all(np.isfinite(coefficients)):
        raise ValueError("the starting coefficients are not finite")
    return coefficients


def _samples(estimate: StateEstimate) -> tuple[np.ndarray, np.ndarray]:
    states, accelerations = estimate.states, estimate.accelerations
    every = max(1, len(states) // START_SAMPLES)
    return states[::every], accelerations[::every]


def _inverse_mass(incumbent: Candidate, states: np.ndarray) -> np.ndarray:
    """``M⁻¹`` of the incumbent at ``states`` (the identity where it is singular)."""
    dynamics = incumbent.dynamics
    values = {s: incumbent.params[str(s)] for s in dynamics.params}
    with np.errstate(all="ignore"):
        mass, _ = dynamics.evaluate(states, values)
        total = np.einsum("k,bkij->bij", np.asarray(incumbent.coefficients), mass)
    n = dynamics.n_dof
    weights = np.broadcast_to(np.eye(n), total.shape).copy()
    good = np.isfinite(total).all(axis=(1, 2))
    good[good] &= np.linalg.cond(total[good]) < 1e10
    weights[good] = np.linalg.inv(total[good])
    return weights


def _scale_for(incumbent: Candidate, dynamics: TermDynamics) -> Any:
    """The incumbent's scale term (else its largest kinetic term) if the candidate has it."""
    from physym.distill.polish import ScaleFix
    from physym.shooting.fit import default_scale

    scale = incumbent.scale or default_scale(incumbent.dynamics, np.asarray(incumbent.coefficients))
    term = incumbent.dynamics.terms[scale.index]
    variables = frozenset((*dynamics.q_symbols, *dynamics.v_symbols))
    keys = [term_key([t], variables) for t in dynamics.terms]
    if scale.kind != "term" or term_key([term], variables) not in keys:
        return None
    return ScaleFix("term", float(scale.value), keys.index(term_key([term], variables)))


def term_key(terms: Sequence[sp.Expr], variables: frozenset[sp.Symbol]) -> frozenset[str]:
    """Terms up to the values of the constants inside them (numbers and parameters: every
    symbol that is not among ``variables``, the coordinates and velocities)."""
    keys = set()
    for term in terms:
        names = term.free_symbols - variables
        wild = {s: _WILD for s in names} | {f: _WILD for f in term.atoms(sp.Float)}
        keys.add(sp.sstr(term.xreplace(wild)))
    return frozenset(keys)


def _parametrised(
    terms: Sequence[sp.Expr],
    q: Sequence[sp.Symbol],
    v: Sequence[sp.Symbol],
    known: dict[str, float],
) -> tuple[TermDynamics, dict[str, float]]:
    """The terms with every number that is not a simple rational made a fitted parameter
    (``known``: values of the parameters the terms already have)."""
    from physym.distill.euler_lagrange import TermDynamics

    variables = {*q, *v}
    params: dict[str, float] = {}
    out = []
    for term in terms:
        replace = {}
        for number in sorted(term.atoms(sp.Float), key=float):
            name = f"p_alt{len(params)}"
            while name in known:
                name += "_"
            params[name] = float(number)
            replace[number] = sp.Symbol(name, real=True)
        for s in term.free_symbols - variables:
            if str(s) not in known:
                raise ValueError(f"no value for the parameter {s} of {term}")
            params[str(s)] = float(known[str(s)])
        out.append(term.xreplace(replace))
    used = sorted({s for t in out for s in t.free_symbols if str(s) in params}, key=str)
    return TermDynamics(out, q, v, tuple(used)), {str(s): params[str(s)] for s in used}
