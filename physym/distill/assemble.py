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

__all__ = ["assemble", "scale_term", "split_terms", "vector_potential"]


def vector_potential(curl: Mapping[tuple[int, int], sp.Expr], q: Sequence[sp.Symbol],
                     reference: Sequence[float]) -> list[sp.Expr]:
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


def assemble(chosen: Mapping[str, Candidate], space: StateSpace, route: str
             ) -> tuple[sp.Expr, dict[sp.Symbol, float]]:
    """The Lagrangian (up to scale) from the chosen model of every target, and its params."""
    q, v, names = space.q_symbols, space.v_symbols, space.coordinates
    n = space.n_dof
    lagrangian = sp.Integer(0)
    if route == "M,A,V":
        for i in range(n):
            for j in range(i, n):
                entry = chosen[f"M[{names[i]},{names[j]}]"].expr
                lagrangian += entry * v[i] ** 2 / 2 if i == j else entry * v[i] * v[j]
    else:
        velocity_part = chosen["T"].expr
        at_rest = {s: 0 for s in v}
        momentum = sum(s * sp.diff(velocity_part, s).subs(at_rest) for s in v)
        lagrangian += velocity_part - velocity_part.subs(at_rest) - momentum
    curl = {}
    for i in range(n):
        for j in range(i + 1, n):
            key = f"curl[{names[i]},{names[j]}]"
            if key in chosen:
                curl[(i, j)] = chosen[key].expr
    if curl:
        potential = vector_potential(curl, q, space.q_reference)
        lagrangian += sum(a * s for a, s in zip(potential, v, strict=True))
    lagrangian -= chosen["V"].expr
    params: dict[sp.Symbol, float] = {}
    for candidate in chosen.values():
        params.update(candidate.params)
    return lagrangian, params


def split_terms(lagrangian: sp.Expr, space: StateSpace) -> tuple[list[sp.Expr], np.ndarray]:
    """Monic terms ``φ_k`` and float coefficients ``c_k`` of ``L = Σ c_k φ_k``.

    Constants (null Lagrangians) are dropped; terms are ordered by complexity.
    """
    variables = set(space.q_symbols) | set(space.v_symbols)
    collected: dict[sp.Expr, float] = {}
    for term in sp.Add.make_args(sp.expand(lagrangian)):
        coefficient, monic = term.as_coeff_Mul()
        if not monic.free_symbols & variables:
            continue
        collected[monic] = collected.get(monic, 0.0) + float(coefficient)
    terms = sorted(collected, key=lambda t: (complexity(t), sp.default_sort_key(t)))
    return terms, np.array([collected[t] for t in terms], dtype=np.float64)


def scale_term(terms: Sequence[sp.Expr], space: StateSpace) -> int | None:
    """Index of the simplest term of the form ``q̇_0² g(q)`` (the scale anchor), if any."""
    v0 = space.v_symbols[0]
    velocities = set(space.v_symbols)
    for k, term in enumerate(terms):  # already ordered by complexity
        rest = sp.cancel(term / v0**2)
        if not rest.free_symbols & velocities and rest != 0:
            return k
    return None
