"""Kinetic forms that are not quadratic in the velocities, offered to the polish.

The default network is quadratic in ``q̇`` by construction,
``L_θ = ½ q̇ᵀ M(q) q̇ + A·q̇ − V``. On a system whose Lagrangian is not (a relativistic
particle, a post-Newtonian correction, a velocity-dependent mass) its ``M(q)`` is an average
over the velocities, and the quadratic route's closed form misses the data by about the
network's own error however well its targets are fitted. The network still tells which
coordinates carry kinetic energy and how (``M_ii(q)``); the data, through the
Euler–Lagrange equations, can tell how that energy depends on the speed.

So, when no closed form of the quadratic route passes the acceptance rule on independent
data, its best attempt is polished again with velocity forms offered beside its terms (at
coefficient 0; the prune drops those the data do not need). The forms are generated from
the chosen mass model, never from a list of systems:

* two kinetic scalars ``u = Σ_i w_i g_i(q) q̇_i²``: the *plain* one (``g_i = 1``), and,
  where it differs, the *metric* one (``g_i`` the leading term of the chosen ``M_ii``
  model, the term with the largest share of it over the samples, e.g. ``r²`` beside
  ``θ̇²``). ``w_0 = 1``; each other ``w_i`` is a nonlinear parameter (refined on the data,
  snapped to a simple number where the data allow), started at 1 in the plain scalar and
  at the ratio of the leading coefficients in the metric one. A network that imitates a
  non-quadratic ``L`` bends its ``M(q)`` to do so (masses off by a factor two, spurious
  ``q``-dependence), so the plain scalar takes nothing from its models;
* *geometric* scalars: the plain one with ``q̇_i²`` scaled by a factor another coordinate
  puts there in a line element (``q_j``, ``q_j²`` of a coordinate of one sign, a radius;
  ``sin² q_j``, ``cos² q_j`` of an angle): ``ṙ² + r² θ̇²`` when the network's masses say
  nothing usable;
* the square-root form ``c² (1 − √(1 − u/c²))`` of each scalar, with the speed ``c`` a
  nonlinear parameter (the Lorentz form; the polish scans ``c`` on a grid);
* polynomials: ``q̇_i q̇_j``, ``u²`` and ``u³`` of the plain and metric scalars
  (expanded: each monomial gets its own coefficient), the even quartic monomials
  ``q̇_i² q̇_j²``, and ``q̇_i⁴`` times the other terms of the chosen ``M_ii`` model and
  of its front (a quartic term whose coefficient depends on ``q``).

They enter as parts of the velocity part ``T`` (:func:`~physym.distill.assemble.assemble`
keeps of each what vanishes with its gradient at ``q̇ = 0``). The polynomial forms and
each square-root form are offered in separate polishes (beside ``q̇_i q̇_j``, and the
potential library the caller offers): together their free coefficients
and speed imitate any smooth even function of the speed on a short range to 1e-9 (a
``cosh ẋ`` kinetic term, say), which would pass for a closed form. Whether any of them is
kept is for the acceptance rule to say: a closed form with them is judged like any other.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import sympy as sp

from physym.distill.assemble import target_terms
from physym.distill.library import LORENTZ_SPEED, evaluate_terms
from physym.distill.pareto import Candidate, complexity
from physym.distill.space import StateSpace

__all__ = ["KINETIC_WEIGHT", "velocity_forms"]

#: Prefix of the weight parameters ``w_i`` of the kinetic scalar.
KINETIC_WEIGHT = "w_kinetic"
#: Start of the square-root form's speed, in units of the largest ``√u`` of the samples.
_SPEED_START = 1.5
#: Other terms of an ``M_ii`` model that multiply ``q̇_i⁴`` at most (the largest first).
_OTHERS = 3


def _leading(
    expr: sp.Expr, space: StateSpace, q: np.ndarray
) -> tuple[sp.Expr, float, list[sp.Expr]] | None:
    """The leading monic term of a model of ``M_ii``, its coefficient and the other terms,
    largest first (``None`` for a model that is zero or undefined on the samples)."""
    expr = sp.expand(sp.sympify(expr), power_exp=False)
    if expr == 0:
        return None
    pairs = [t.as_coeff_Mul() for t in sp.Add.make_args(expr)]
    monic = [m for _, m in pairs]
    values = evaluate_terms(monic, space.q_symbols, q)
    size = np.sqrt(np.mean(values**2, axis=0)) * np.abs([float(c) for c, _ in pairs])
    if not np.all(np.isfinite(size)) or float(np.max(size)) <= 0:
        return None
    k = int(np.argmax(size))
    order = [j for j in np.argsort(-size) if j != k]
    return monic[k], float(pairs[k][0]), [monic[j] for j in order]


def velocity_forms(
    chosen: Mapping[str, Candidate],
    space: StateSpace,
    states: np.ndarray,
    fronts: Mapping[str, Sequence[Candidate]] | None = None,
) -> list[Candidate]:
    """The velocity forms of the module docstring, in groups offered one at a time.

    Parameters
    ----------
    chosen : mapping of str to Candidate
        The quadratic route's models (``M[x,x]`` and so on).
    space : StateSpace
    states : numpy.ndarray
        Samples ``(N, 2n)``; they set the start of the nonlinear parameters.
    fronts : mapping of str to list of Candidate, optional
        The targets' fronts: the terms of the ``M_ii`` front models, simplest first, also
        multiply ``q̇_i⁴`` (the chosen model can be a constant where the network's mass
        varies a little with ``q``).

    Returns
    -------
    list of Candidate
        Models of ``T``: the polynomial forms, and the square-root form (when the samples
        move), each a sum of its terms (the coefficients are placeholders: only the terms
        are used) with the starting values of its parameters; empty when no diagonal mass
        model is usable.

    Examples
    --------
    >>> space = StateSpace(("x",), (False,), np.array([-1.0, -1.0]), np.array([1.0, 1.0]))
    >>> model = Candidate(sp.Float(0.98), 0.0, 1, "sparse")
    >>> states = np.array([[0.0, 0.5], [0.3, -0.8]])
    >>> polynomial, root = velocity_forms({"M[x,x]": model}, space, states)
    >>> polynomial.expr
    x_dot**6 + x_dot**4 + x_dot**2
    >>> root.expr
    c_lorentz**2*sqrt(1 - x_dot**2/c_lorentz**2) + c_lorentz**2 + x_dot**2
    """
    v = space.v_symbols
    leads, quartic = _diagonal(chosen, space, states[:, : space.n_dof], fronts or {})
    if not leads:
        return []
    quadratic = [a * b for a, b in itertools.combinations_with_replacement(v, 2)]
    polynomial: list[sp.Expr] = [*quadratic, *quartic]
    groups: list[tuple[str, list[sp.Expr], dict[sp.Symbol, float]]] = []
    for name, u, params in _scalars(leads, space):
        if not name.startswith("geometric"):
            plain = u.subs(dict.fromkeys(params, 1))  # a polynomial's coefficients are free
            polynomial += [plain**2, plain**3]
        sizes = evaluate_terms([u], (*space.q_symbols, *v), states, params)[:, 0]
        if not np.all(np.isfinite(sizes)) or not np.max(np.abs(sizes)) > 0:
            continue
        c = LORENTZ_SPEED
        start = _SPEED_START * float(np.sqrt(np.max(np.abs(sizes))))
        root = c**2 * (1 - sp.sqrt(1 - u / c**2))
        groups.append((f"root ({name})", [*quadratic, root], {**params, c: start}))
    groups.insert(0, ("polynomial", polynomial, {}))
    return [_candidate(name, forms, values) for name, forms, values in groups]


def _diagonal(
    chosen: Mapping[str, Candidate],
    space: StateSpace,
    q: np.ndarray,
    fronts: Mapping[str, Sequence[Candidate]],
) -> tuple[dict[int, tuple[sp.Expr, float]], list[sp.Expr]]:
    """Per usable ``M_ii`` model ``(g_i, its coefficient)``, and the quartic monomials,
    with ``q̇_i⁴`` times up to :data:`_OTHERS` other terms: the chosen model's, largest
    first, then those of its front, simplest model first."""
    v, names = space.v_symbols, space.coordinates
    leads: dict[int, tuple[sp.Expr, float]] = {}
    quartic = [a**2 * b**2 for a, b in itertools.combinations_with_replacement(v, 2)]
    for i in range(space.n_dof):
        model = chosen.get(f"M[{names[i]},{names[i]}]")
        lead = None if model is None else _leading(model.numeric(), space, q)
        if lead is None or model is None:
            continue
        leads[i] = (lead[0], lead[1])
        others = list(lead[2])
        front = sorted(fronts.get(f"M[{names[i]},{names[i]}]", []), key=lambda c: c.complexity)
        for candidate in front:
            others += [t for t in target_terms(candidate.numeric()) if t.free_symbols]
        unique = [t for k, t in enumerate(others) if t != lead[0] and t not in others[:k]]
        quartic += [other * v[i] ** 4 for other in unique[:_OTHERS]]
    return leads, quartic


def _scalars(
    leads: Mapping[int, tuple[sp.Expr, float]], space: StateSpace
) -> list[tuple[str, sp.Expr, dict[sp.Symbol, float]]]:
    """The kinetic scalars with their weights: plain, metric (where it differs from the
    plain one) and, for coordinates that other coordinates may scale (polar, spherical),
    one geometric scalar per factor of :func:`_geometric_factors`."""
    first = min(leads)
    plain = {i: (sp.Integer(1), 1.0) for i in leads}
    kinds = {"plain": plain}
    if any(g != 1 for g, _ in leads.values()):
        kinds["metric"] = {i: (g, c / leads[first][1]) for i, (g, c) in leads.items()}
    for i in leads:
        for k, factor in enumerate(_geometric_factors(space, i)):
            kinds[f"geometric{i}_{k}"] = {**plain, i: (factor, 1.0)}
    return [_scalar(name, parts, first, space) for name, parts in kinds.items()]


def _scalar(
    name: str, parts: Mapping[int, tuple[sp.Expr, float]], first: int, space: StateSpace
) -> tuple[str, sp.Expr, dict[sp.Symbol, float]]:
    """``u = Σ_i w_i g_i q̇_i²`` with ``w_first = 1`` and the other weights parameters."""
    v, names = space.v_symbols, space.coordinates
    params: dict[sp.Symbol, float] = {}
    scalar = []
    for i, (g, weight) in parts.items():
        if i == first:
            scalar.append(g * v[i] ** 2)
            continue
        symbol = sp.Symbol(f"{KINETIC_WEIGHT}_{name}_{names[i]}", positive=True)
        params[symbol] = abs(weight)
        scalar.append(symbol * g * v[i] ** 2)
    return name, sp.Add(*scalar), params


def _geometric_factors(space: StateSpace, i: int) -> list[sp.Expr]:
    """Factors another coordinate may put before ``q̇_i²`` in a line element: ``q_j`` and
    ``q_j²`` of a coordinate that keeps one sign over the box (a radius), ``sin²`` and
    ``cos²`` of an angle (declared periodic)."""
    q, n = space.q_symbols, space.n_dof
    out: list[sp.Expr] = []
    for j in range(n):
        if j == i:
            continue
        if space.periodic[j]:
            out += [sp.sin(q[j]) ** 2, sp.cos(q[j]) ** 2]
        elif space.low[j] > 0 or space.high[j] < 0:
            out += [q[j], q[j] ** 2]
    return out


def _candidate(name: str, forms: list[sp.Expr], values: dict[sp.Symbol, float]) -> Candidate:
    """One group as a model of ``T``: the sum of its monic terms, and its parameters."""
    monic: list[sp.Expr] = []
    for form in forms:
        for term in target_terms(form):
            if term not in monic:
                monic.append(term)
    expr = sp.Add(*monic)
    return Candidate(expr, float("inf"), complexity(expr), f"velocity {name}", values)
