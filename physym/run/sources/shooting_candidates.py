"""Alternative closed forms for the shooting re-selection, from what the distillation kept.

The distillation chose its terms on derivatives estimated from noisy positions; where
those could not tell a look-alike from the right form, the positions can
(:func:`physym.shooting.choice.choose_closed_form`). The alternatives offered, built from
general rules only:

- **limits of nonlinear parameters**: a parameter ``p`` of the incumbent set to 0 (its
  degenerate value: ``cos(p·x·y) → 1``, ``exp(−p x) → 1``), the term replaced by that limit
  (dropped where it becomes a constant); one at a time, all at once, and in each of the
  alternatives below;
- **other candidates of the search** (``search["candidates"]``: every closed form it
  assembled and judged), their numbers inside terms made fitted parameters;
- **a lower polynomial**: a coordinate's own terms (two or more, one a power ``x^k``,
  ``k ≥ 3``) replaced by ``x, …, x^{k−1}``, in the incumbent and in the other forms;
- **other models of each target** on its Pareto front (``pareto``): the incumbent's terms
  from that target replaced by the alternative's (``L = ½ q̇ᵀMq̇ + A·q̇ − V``, the target's
  part of ``L`` as the search assembles it): the nearest simpler models first (a look-alike
  is chosen over a simpler true form when the derivatives' noise hides the difference).

Every alternative starts from the least-squares coefficients of its terms on the
estimated derivatives (:mod:`physym.run.sources.shooting_starts`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sympy as sp

from physym.run.sources.shooting_starts import form_builder, term_key

if TYPE_CHECKING:
    from physym.data import StateEstimate
    from physym.distill import Distillation
    from physym.distill.space import StateSpace
    from physym.shooting.choice import Candidate

__all__ = ["MAX_CANDIDATES", "alternative_forms"]

#: Closed forms compared at most (the incumbent included): each costs a screening fit.
MAX_CANDIDATES = 16
#: Models of a target offered from its front: the nearest simpler ones and richer ones.
SIMPLER = 2
RICHER = 1
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
    for label, terms in others:  # each with the incumbent's parameters at their limit
        forms.append((label, terms))
        limited = _at_zero(terms, incumbent.dynamics.params)
        if limited is not None:
            forms.append((f"{label}, parameters -> 0", limited))
    for label, terms in others:
        lowered = _lower_polynomial(terms, q)
        if lowered is not None:
            forms.append((f"{label}, lower polynomial", lowered))
    seen = {term_key(incumbent.dynamics.terms, variables)}
    out = [incumbent]
    build = form_builder(incumbent, estimate)
    for label, terms in forms:
        if len(out) >= MAX_CANDIDATES:
            break
        terms = [t for t in terms if t.free_symbols & variables]
        key = term_key(terms, variables)
        if not terms or key in seen:
            continue
        seen.add(key)
        candidate = build(label, terms, {})
        if candidate is not None:
            out.append(candidate)
    return out


def _limits(incumbent: Candidate) -> list[tuple[str, list[sp.Expr]]]:
    """The incumbent with one nonlinear parameter at 0 (where every term stays finite and
    smooth), then with all such parameters at 0 at once."""
    out = []
    for p in incumbent.dynamics.params:
        terms = _at_zero(list(incumbent.dynamics.terms), [p])
        if terms is not None:
            out.append((f"limit {p} -> 0", terms))
    if len(out) > 1:
        every = _at_zero(list(incumbent.dynamics.terms), incumbent.dynamics.params)
        if every is not None:
            out.append(("limits of all parameters -> 0", every))
    return out


def _at_zero(terms: list[sp.Expr], params: Sequence[sp.Symbol]) -> list[sp.Expr] | None:
    """``terms`` with each of ``params`` at 0 where the terms stay finite and smooth (a
    parameter whose limit is not is left as it is); ``None`` if none could be."""
    changed = False
    for p in params:
        limits = [t.subs(p, 0) if p in t.free_symbols else t for t in terms]
        if any(t.has(sp.zoo, sp.oo, -sp.oo, sp.nan, *_NOT_SMOOTH) for t in limits):
            continue  # no limit, or one without smooth equations of motion (1/|x|)
        changed = changed or limits != terms
        terms = [sp.expand(t, power_exp=False) for t in limits]
    return _split(terms) if changed else None


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
    order = sorted(range(len(rows)), key=lambda i: float(rows[i].get("error", float("inf"))))
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
    variables = frozenset(symbols.values())
    for target, rows in fronts.items():
        contributed: list[tuple[dict[str, Any], list[sp.Expr]]] = []
        for row in sorted(rows, key=lambda r: r["complexity"]):
            try:
                terms = _contributed(assemble, Model, parse_expression, target, row, space, symbols)
            except (ValueError, KeyError, TypeError):
                continue
            contributed.append((row, terms))
        own = _target_part(target, incumbent.dynamics.terms, space)
        chosen = next((r for r in rows if r.get("chosen")), None)
        if own is None:  # a part the terms' form does not tell: the chosen model's
            own = next((t for r, t in contributed if r is chosen), None)
        if own is None:
            continue
        mine = {term_key([t], variables) for t in own}
        kept = [t for t in incumbent.dynamics.terms if term_key([t], variables) not in mine]
        # the incumbent's own model on the front (else the chosen one) splits it
        same = next((r for r, t in contributed if _same(t, own, variables)), chosen)
        reference = same["complexity"] if same is not None else 0
        simpler = [(r, t) for r, t in contributed if r["complexity"] < reference]
        richer = [(r, t) for r, t in contributed if r["complexity"] > reference]
        nearest = simpler[::-1][:SIMPLER] + richer[:RICHER]
        ranked.append(
            [(f"{target} model of complexity {r['complexity']}", kept + t) for r, t in nearest]
        )
    # round robin over the targets: every target's nearest alternative first
    return [swap for rank in itertools.zip_longest(*ranked) for swap in rank if swap is not None]


def _target_part(target: str, terms: Sequence[sp.Expr], space: StateSpace) -> list[sp.Expr] | None:
    """The terms of ``L`` that a target's model makes (``V``: those without velocities;
    ``M[a,b]``: those whose velocities are ``q̇_a q̇_b``); ``None`` for other targets."""
    v = space.v_symbols
    names = list(space.coordinates)
    if target == "V":
        return [t for t in terms if not t.free_symbols & set(v)]
    if not (target.startswith("M[") and target.endswith("]")):
        return None
    pair = target[2:-1].split(",")
    if len(pair) != 2 or any(name not in names for name in pair):
        return None
    i, j = (names.index(name) for name in pair)
    product = v[i] * v[j]
    return [
        t
        for t in terms
        if t.free_symbols & set(v) and not sp.cancel(t / product).free_symbols & set(v)
    ]


def _same(terms: Sequence[sp.Expr], other: Sequence[sp.Expr], variables: frozenset) -> bool:
    return term_key(terms, variables) == term_key(other, variables)


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
