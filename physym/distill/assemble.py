"""From fitted targets to a Lagrangian, its additive terms and its scale.

``L = ½ q̇ᵀ M q̇ + A·q̇ − V`` (quadratic route) or ``L = T + A·q̇ − V`` (fallback). ``A`` is
rebuilt from its fitted curl in the axial gauge ``A_0 = 0``:
``A_j = ∫ F_0j dq_0`` for ``j ≥ 1``, and what is left of ``F`` among the remaining
coordinates (a field that no longer depends on ``q_0``) is handled the same way,
recursively. Any other gauge differs by a total derivative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import sympy as sp

from physym.distill.pareto import Candidate, complexity
from physym.distill.space import StateSpace

__all__ = ["MAX_PARAMETERS", "assemble", "scale_term", "target_terms", "vector_potential"]

#: Nonlinear parameters the polish refines at most (those of the chosen models always).
MAX_PARAMETERS = 8


def vector_potential(
    curl: Mapping[tuple[int, int], sp.Expr], q: Sequence[sp.Symbol], reference: Sequence[float]
) -> list[sp.Expr]:
    """A vector potential with ``∂_i A_j − ∂_j A_i = curl[(i, j)]`` (``i < j``).

    Examples
    --------
    >>> x, y = sp.symbols("x y", real=True)
    >>> vector_potential({(0, 1): sp.Integer(3)}, [x, y], [0.0, 0.0])
    [0, 3*x]
    """
    n = len(q)
    potential: list[sp.Expr] = [sp.Integer(0)] * n
    if n < 2:
        return potential
    for j in range(1, n):
        field = sp.sympify(curl.get((0, j), 0))
        integral = sp.integrate(field, q[0]) if field != 0 else sp.Integer(0)
        if integral.has(sp.Integral):
            raise ValueError(f"cannot integrate the fitted curl component {field}")
        potential[j] = integral
    rest: dict[tuple[int, int], sp.Expr] = {}
    for j in range(1, n):
        for k in range(j + 1, n):
            left = sp.sympify(curl.get((j, k), 0))
            induced = sp.diff(potential[k], q[j]) - sp.diff(potential[j], q[k])
            rest[(j - 1, k - 1)] = sp.expand(left - induced).subs(q[0], reference[0])
    if rest:
        inner = vector_potential(rest, q[1:], reference[1:])
        potential[1:] = [a + b for a, b in zip(potential[1:], inner, strict=True)]
    return potential


def _contribution(kind: tuple, expr: sp.Expr, space: StateSpace) -> sp.Expr:
    """What a model ``expr`` of one target adds to ``L`` (a linear map of ``expr``)."""
    q, v = space.q_symbols, space.v_symbols
    if kind[0] == "M":
        i, j = kind[1:]
        return expr * v[i] ** 2 / 2 if i == j else expr * v[i] * v[j]
    if kind[0] == "curl":
        potential = vector_potential({kind[1:]: expr}, q, list(space.q_reference))
        return sum((a * s for a, s in zip(potential, v, strict=True)), sp.Integer(0))
    if kind[0] == "T":
        at_rest = {s: 0 for s in v}
        momentum = sum(s * sp.diff(expr, s).subs(at_rest) for s in v)
        return expr - expr.subs(at_rest) - momentum
    return -expr


def _target_kinds(space: StateSpace) -> dict[str, tuple]:
    names, n = space.coordinates, space.n_dof
    kinds: dict[str, tuple] = {"V": ("V",), "T": ("T",)}
    for i in range(n):
        for j in range(i, n):
            kinds[f"M[{names[i]},{names[j]}]"] = ("M", i, j)
            if j > i:
                kinds[f"curl[{names[i]},{names[j]}]"] = ("curl", i, j)
    return kinds


def target_terms(expr: sp.Expr) -> list[sp.Expr]:
    """The monic additive terms of a target model (``2.5*r**2 + 1`` -> ``[1, r**2]``)."""
    return [t.as_coeff_Mul()[1] for t in sp.Add.make_args(sp.expand(expr, power_exp=False))]


def assemble(
    chosen: Mapping[str, Candidate],
    space: StateSpace,
    extras: Mapping[str, Sequence[Candidate]] | None = None,
) -> tuple[list[sp.Expr], np.ndarray, dict[sp.Symbol, float]]:
    """Terms ``φ_k`` and coefficients ``c_k`` of ``L = Σ c_k φ_k`` from the target models.

    ``L = ½ q̇ᵀ M q̇ + A·q̇ − V`` or ``T + A·q̇ − V``, depending on which targets are given.
    The terms of the ``extras`` (alternative models) are offered with coefficient 0; their
    nonlinear parameters are refined too, up to :data:`MAX_PARAMETERS` in all (beyond,
    they stay at their fitted values).
    Constants (null Lagrangians) are dropped; terms are ordered by complexity.
    """
    kinds = _target_kinds(space)
    variables = set(space.q_symbols) | set(space.v_symbols)
    collected: dict[sp.Expr, float] = {}

    def collect(piece: sp.Expr, weight: float) -> None:
        for term in sp.Add.make_args(sp.expand(piece, power_exp=False)):
            coefficient, monic = term.as_coeff_Mul()
            if monic.free_symbols & variables:
                collected[monic] = collected.get(monic, 0.0) + weight * float(coefficient)

    params: dict[sp.Symbol, float] = {}
    for name, candidate in chosen.items():
        params.update(candidate.params)
        collect(_contribution(kinds[name], candidate.expr, space), 1.0)
    for name, candidates in (extras or {}).items():
        for candidate in candidates:
            clash = any(params.get(s, v) != v for s, v in candidate.params.items())
            new = set(candidate.params) - set(params)
            clash = clash or len(params) + len(new) > MAX_PARAMETERS
            expr = candidate.numeric() if clash else candidate.expr
            if not clash:
                params.update(candidate.params)
            for term in target_terms(expr):
                collect(_contribution(kinds[name], term, space), 0.0)
    terms = sorted(collected, key=lambda t: (complexity(t), sp.default_sort_key(t)))
    return terms, np.array([collected[t] for t in terms], dtype=np.float64), params


def scale_term(
    terms: Sequence[sp.Expr],
    space: StateSpace,
    coefficients: Sequence[float] | None = None,
    index: int = 0,
) -> int | None:
    """Index of the simplest term ``q̇_i² g(q)`` (``i = index``) with a non-zero coefficient."""
    speed = space.v_symbols[index]
    velocities = set(space.v_symbols)
    for k, term in enumerate(terms):  # already ordered by complexity
        if coefficients is not None and coefficients[k] == 0:
            continue
        rest = sp.cancel(term / speed**2)
        if not rest.free_symbols & velocities and rest != 0:
            return k
    return None
