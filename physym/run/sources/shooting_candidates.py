"""Alternative closed forms for the shooting re-selection, from what the distillation kept.

The distillation chose its terms on derivatives estimated from noisy positions; where
those could not tell a look-alike from the right form, the positions can
(:func:`physym.shooting.choice.choose_closed_form`). The alternatives offered, built from
general rules only:

- **limits of nonlinear parameters**: a parameter ``p`` of the incumbent set to 0 (its
  degenerate value: ``cos(p·x·y) → 1``, ``exp(−p x) → 1``), the term replaced by that limit
  (dropped where it becomes a constant);
- **other candidates of the search** (``search["candidates"]``: every closed form it
  assembled and judged), their numbers inside terms made fitted parameters;
- **a lower polynomial**: a coordinate's own terms (two or more, one a power ``x^k``,
  ``k ≥ 3``) replaced by ``x, …, x^{k−1}``, in the incumbent and in the other forms;
- **other models of each target** on its Pareto front (``pareto``): the incumbent's terms
  from that target replaced by the alternative's (``L = ½ q̇ᵀMq̇ + A·q̇ − V``, the target's
  part of ``L`` as the search assembles it): the nearest simpler models first (a look-alike
  is chosen over a simpler true form when the derivatives' noise hides the difference).

Every alternative starts from the least-squares coefficients of its terms on the
estimated derivatives (the Euler–Lagrange residual, weighted by the incumbent's inverse
mass matrix) with the incumbent's scale condition.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

if TYPE_CHECKING:
    from physym.data import StateEstimate
    from physym.distill import Distillation
    from physym.distill.euler_lagrange import TermDynamics
    from physym.distill.space import StateSpace
    from physym.shooting.choice import Candidate

__all__ = ["MAX_CANDIDATES", "alternative_forms", "linear_start"]

#: Closed forms compared at most (the incumbent included): each costs a screening fit.
MAX_CANDIDATES = 12
#: Nonlinear parameters of an alternative at most (each is fitted).
MAX_PARAMETERS = 4
#: Models of a target offered from its front: the nearest simpler ones and richer ones.
SIMPLER = 2
RICHER = 1
#: Samples of the estimate the starting coefficients are solved on.
START_SAMPLES = 4000
_WILD = sp.Symbol("_any_constant")
_NOT_SMOOTH = (sp.Abs, sp.sign, sp.Heaviside, sp.Piecewise)


def alternative_forms(
    incumbent: Candidate,
    distillation: Distillation,
    estimate: StateEstimate,
    space: StateSpace | None,
) -> list[Candidate]:
    """The incumbent first, then distinct alternatives (at most :data:`MAX_CANDIDATES`)."""

    q, v = incumbent.dynamics.q_symbols, incumbent.dynamics.v_symbols
    symbols = {str(s): s for s in (*q, *v)}
    variables = frozenset((*q, *v))
    forms: list[tuple[str, list[sp.Expr]]] = []
    forms += _limits(incumbent)
    lowered = _lower_polynomial(list(incumbent.dynamics.terms), q)
    if lowered is not None:
        forms.append(("lower polynomial", lowered))
    others = _search_forms(distillation, symbols)
    if space is not None:
        others += _front_swaps(incumbent, distillation, space, symbols)
    forms += others
    for label, terms in others:
        lowered = _lower_polynomial(terms, q)
        if lowered is not None:
            forms.append((f"{label}, lower polynomial", lowered))
    seen = {_key(incumbent.dynamics.terms, variables)}
    out = [incumbent]
    build = form_builder(incumbent, estimate)
    for label, terms in forms:
        if len(out) >= MAX_CANDIDATES:
            break
        terms = [t for t in terms if t.free_symbols & variables]
        key = _key(terms, variables)
        if not terms or key in seen:
            continue
        seen.add(key)
        candidate = build(label, terms, {})
        if candidate is not None:
            out.append(candidate)
    return out


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
    keys = [_key([t], variables) for t in dynamics.terms]
    if scale.kind != "term" or _key([term], variables) not in keys:
        return None
    return ScaleFix("term", float(scale.value), keys.index(_key([term], variables)))


def _limits(incumbent: Candidate) -> list[tuple[str, list[sp.Expr]]]:
    """The incumbent with one nonlinear parameter at 0 (where every term stays finite and
    smooth)."""
    out = []
    for p in incumbent.dynamics.params:
        terms = []
        for term in incumbent.dynamics.terms:
            limit = term.subs(p, 0) if p in term.free_symbols else term
            if limit.has(sp.zoo, sp.oo, -sp.oo, sp.nan, *_NOT_SMOOTH):
                break  # no limit, or one without smooth equations of motion (1/|x|)
            terms.append(sp.expand(limit, power_exp=False) if limit != term else term)
        else:
            out.append((f"limit {p} -> 0", _split(terms)))
    return out


def _lower_polynomial(terms: list[sp.Expr], q: Sequence[sp.Symbol]) -> list[sp.Expr] | None:
    """The terms with each coordinate's own part (terms of that coordinate alone, two or
    more of them, one a power ``x^k`` with ``k ≥ 3``) replaced by the polynomial
    ``x, …, x^{k−1}``: on a short range, such a combination (``r⁴, r³, 1/√r``) is most often
    a look-alike of a polynomial of lower degree. ``None`` where nothing is replaced."""
    out, changed = list(terms), False
    for x in q:
        own = [t for t in out if t.free_symbols == {x}]
        powers = [
            int(power)
            for base, power in (t.as_base_exp() for t in own)
            if base == x and power.is_Integer and int(power) >= 3
        ]
        if not powers or len(own) < 2:
            continue
        out = [t for t in out if t not in own] + [x**j for j in range(1, max(powers))]
        changed = True
    return out if changed else None


def _search_forms(
    distillation: Distillation, symbols: dict[str, sp.Symbol]
) -> list[tuple[str, list[sp.Expr]]]:
    """Every closed form the search judged, as monic terms (best held-out error first)."""
    from physym.systems.expression_parser import parse_expression

    rows = list((distillation.search or {}).get("candidates") or [])
    order = sorted(range(len(rows)), key=lambda i: float(rows[i].get("error", np.inf)))
    out = []
    for i in order:
        try:
            expr = parse_expression(str(rows[i]["lagrangian"]), symbols, where="candidate")
        except (ValueError, KeyError):
            continue
        out.append((f"search candidate {i} ({rows[i].get('level')})", _split([expr])))
    return out


def _front_swaps(
    incumbent: Candidate,
    distillation: Distillation,
    space: StateSpace,
    symbols: dict[str, sp.Symbol],
) -> list[tuple[str, list[sp.Expr]]]:
    """The incumbent with one target's model replaced by another on that target's front:
    the :data:`SIMPLER` nearest simpler ones and :data:`RICHER` richer ones, the targets
    taken in turn."""
    from physym.distill.assemble import assemble
    from physym.distill.pareto import Candidate as Model
    from physym.systems.expression_parser import parse_expression

    fronts: dict[str, list[dict[str, Any]]] = {}
    for row in distillation.pareto or []:
        fronts.setdefault(str(row["target"]), []).append(row)
    ranked: list[list[tuple[str, list[sp.Expr]]]] = []
    for target, rows in fronts.items():
        chosen = next((r for r in rows if r.get("chosen")), None)
        if chosen is None:
            continue
        try:
            own = _contributed(assemble, Model, parse_expression, target, chosen, space, symbols)
        except (ValueError, KeyError, TypeError):
            continue
        variables = frozenset(symbols.values())
        mine = {_key([t], variables) for t in own}
        kept = [t for t in incumbent.dynamics.terms if _key([t], variables) not in mine]
        simpler = [r for r in rows if r["complexity"] < chosen["complexity"]]
        richer = [r for r in rows if r["complexity"] > chosen["complexity"]]
        nearest = sorted(simpler, key=lambda r: -r["complexity"])[:SIMPLER] + richer[:RICHER]
        swaps = []
        for row in nearest:
            try:
                terms = _contributed(assemble, Model, parse_expression, target, row, space, symbols)
            except (ValueError, KeyError, TypeError):
                continue
            swaps.append((f"{target} model of complexity {row['complexity']}", kept + terms))
        ranked.append(swaps)
    # round robin over the targets: every target's nearest alternative first
    return [swap for rank in itertools.zip_longest(*ranked) for swap in rank if swap is not None]


def _contributed(
    assemble: Any,
    model: Any,
    parse: Any,
    target: str,
    row: dict[str, Any],
    space: StateSpace,
    symbols: dict[str, sp.Symbol],
) -> list[sp.Expr]:
    """The monic terms a target model adds to ``L`` (as the search assembles them)."""
    expr = parse(str(row["expression"]), symbols, where="front model")
    terms, _, _ = assemble({target: model(expr, float(row["error"]), 1, "front")}, space)
    return list(terms)


def _split(exprs: Iterable[sp.Expr]) -> list[sp.Expr]:
    """Monic additive terms (numbers in front dropped)."""
    out: list[sp.Expr] = []
    for expr in exprs:
        for part in sp.Add.make_args(sp.expand(expr, power_exp=False)):
            term = part.as_coeff_Mul()[1]
            if term.free_symbols and term not in out:
                out.append(term)
    return out


def _key(terms: Sequence[sp.Expr], variables: frozenset[sp.Symbol]) -> frozenset[str]:
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
