"""A small grammar of forms: the linear candidate terms of one target, from its structure.

Not a list of answers: the terms are generated from the *arguments* a target depends on
(:mod:`physym.distill.structure`) by a few rules.

Arguments: each coordinate the target depends on; ``q_i − q_j`` or ``q_i + q_j`` for a pair
that interacts through it; ``ρ = √(Σ q²)`` for a group of coordinates that enters radially.

Terms of one argument ``u`` with range ``[lo, hi]`` over the box:

* ``cos(k u)``, ``sin(k u)``, ``k = 1 … harmonics``, when ``u`` is an angle (declared
  periodic) or spans at least :data:`TRIG_SPAN` (1 rad) — declared periodic or not;
* ``u⁻¹, u⁻², u⁻³`` where the range excludes 0; ``√u, 1/√u, u^{3/2}, log u`` where ``u > 0``
  (mirrored for ``u < 0``); powers ``u … u⁴`` of coordinates come with the monomials;
* for a radial group: ``ρ, 1/ρ, 1/ρ², 1/ρ³, log ρ``.

Products, for a pair that interacts jointly: every product of two *basic* terms, one of
each coordinate (``q, q²``, first and second harmonics, ``1/q, 1/q²``).

Nonlinear forms (``exp(a u)``, ``1/(u + c)``, ``u^p`` …) are fitted separately
(:mod:`physym.distill.families`) on the same arguments.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from physym.distill.library import LibraryConfig, q_terms
from physym.distill.space import StateSpace
from physym.distill.structure import Structure

__all__ = ["TRIG_SPAN", "Argument", "argument_terms", "arguments", "form_terms"]

#: Smallest range (in radians) over which a coordinate that is not declared periodic
#: may carry trigonometric terms.
TRIG_SPAN = 1.0


@dataclass(frozen=True)
class Argument:
    """One argument ``u`` of a target: a coordinate, a sum or difference, or a radius.

    Attributes
    ----------
    expr : sympy.Expr
    low, high : float
        Its range over the sampling box.
    periodic : bool
        Whether ``u`` is an angle by declaration (or a sum or difference of two).
    coordinates : tuple of int
        The coordinates it is made of.
    params : mapping of Symbol to float
        Values of parameters inside ``expr`` (the weights of an ellipsoidal radius).
    """

    expr: sp.Expr
    low: float
    high: float
    periodic: bool
    coordinates: tuple[int, ...]
    params: Mapping[sp.Symbol, float] = field(default_factory=dict)

    @property
    def span(self) -> float:
        return self.high - self.low

    @property
    def trigonometric(self) -> bool:
        return self.periodic or self.span >= TRIG_SPAN


def _box(space: StateSpace) -> tuple[np.ndarray, np.ndarray]:
    n = space.n_dof
    return space.low[:n], space.high[:n]


def arguments(space: StateSpace, structure: Structure) -> list[Argument]:
    """The arguments of a target with this structure (coordinates first)."""
    q = space.q_symbols
    low, high = _box(space)
    out = [
        Argument(q[i], float(low[i]), float(high[i]), space.periodic[i], (i,))
        for i in structure.variables
    ]
    for (i, j), kind in structure.pairs.items():
        periodic = space.periodic[i] and space.periodic[j]
        if kind == "difference":
            out.append(
                Argument(
                    q[i] - q[j], float(low[i] - high[j]), float(high[i] - low[j]), periodic, (i, j)
                )
            )
        elif kind == "sum":
            out.append(
                Argument(
                    q[i] + q[j], float(low[i] + low[j]), float(high[i] + high[j]), periodic, (i, j)
                )
            )
    if structure.radial:
        out.append(_radius(space, structure))
    return out


def _radius(space: StateSpace, structure: Structure) -> Argument:
    """``ρ = √(Σ w_i q_i²)``; weights other than 1 are parameters the polish refines."""
    q = space.q_symbols
    low, high = _box(space)
    group = list(structure.radial)
    weights = structure.weights or (1.0,) * len(group)
    params: dict[sp.Symbol, float] = {}
    squares = []
    for i, weight in zip(group, weights, strict=True):
        if weight == 1.0:
            squares.append(q[i] ** 2)
        else:
            symbol = sp.Symbol(f"w_{space.coordinates[i]}", positive=True)
            params[symbol] = weight
            squares.append(symbol * q[i] ** 2)
    nearest = np.where(
        (low[group] <= 0) & (high[group] >= 0),
        0.0,
        np.minimum(np.abs(low[group]), np.abs(high[group])),
    )
    farthest = np.maximum(np.abs(low[group]), np.abs(high[group]))
    w = np.asarray(weights)
    return Argument(
        sp.sqrt(sp.Add(*squares)),
        float(np.sqrt(np.sum(w * nearest**2))),
        float(np.sqrt(np.sum(w * farthest**2))),
        False,
        tuple(group),
        params,
    )


def argument_terms(argument: Argument, harmonics: int = 3) -> list[sp.Expr]:
    """The single-argument terms of the module docstring (no constant, no monomials)."""
    u = argument.expr
    out: list[sp.Expr] = []
    if argument.trigonometric:
        for k in range(1, harmonics + 1):
            out += [sp.cos(k * u), sp.sin(k * u)]
    radius = len(argument.coordinates) > 1 and not u.is_Add
    if radius:
        if argument.low > 0:
            out += [u, 1 / u, 1 / u**2, 1 / u**3, sp.log(u)]
        return out
    if argument.low > 0 or argument.high < 0:
        out += [1 / u, 1 / u**2, 1 / u**3]
        positive = u if argument.low > 0 else -u
        out += [
            sp.sqrt(positive),
            1 / sp.sqrt(positive),
            positive ** sp.Rational(3, 2),
            sp.log(positive),
        ]
    return out


def _basic_terms(argument: Argument) -> list[sp.Expr]:
    """The factors of joint products: low powers, two harmonics, low inverse powers."""
    u = argument.expr
    out: list[sp.Expr] = [] if argument.periodic else [u, u**2]
    if argument.trigonometric:
        out += [sp.cos(u), sp.sin(u), sp.cos(2 * u), sp.sin(2 * u)]
    if argument.low > 0 or argument.high < 0:
        out += [1 / u, 1 / u**2]
    return out


def form_terms(
    space: StateSpace, structure: Structure, library: LibraryConfig, harmonics: int = 3
) -> list[sp.Expr]:
    """Linear candidate terms of a target: the library's, then the grammar's (unique)."""
    args = arguments(space, structure)
    terms: list[sp.Expr] = list(q_terms(space, library))
    q = space.q_symbols
    free = [q[i] for i in structure.variables if not space.periodic[i]]
    for degree in range(1, library.poly_degree + 1):
        terms += [sp.Mul(*c) for c in itertools.combinations_with_replacement(free, degree)]
    for argument in args:
        terms += argument_terms(argument, harmonics)
    single = {a.coordinates[0]: a for a in args if len(a.coordinates) == 1}
    for (i, j), kind in structure.pairs.items():
        if kind == "joint":
            terms += [a * b for a in _basic_terms(single[i]) for b in _basic_terms(single[j])]
    seen: set[sp.Expr] = set()
    unique = []
    for term in terms:
        if term not in seen and term.free_symbols:
            seen.add(term)
            unique.append(term)
    return [sp.Integer(1), *unique]
