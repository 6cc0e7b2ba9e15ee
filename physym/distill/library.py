"""Candidate-term libraries, built from the coordinates alone.

Functions of ``q`` (for the mass matrix, the potential and the curl of ``A``):

* monomials of the non-periodic coordinates up to ``poly_degree`` (the constant included);
* ``sin`` / ``cos`` of each trigonometric coordinate (the periodic ones by default) and of
  the sums and differences of each pair, with harmonics up to ``harmonics``;
* monomials up to ``mixed_degree`` times those trigonometric features (``r cos θ``);
* ``1/q``, ``1/q²`` for coordinates whose box excludes 0, ``1/√q`` where it is positive,
  and ``1/√(Σ q²)``, ``1/Σ q²`` of the non-periodic coordinates where the box excludes
  the origin;
* ``extra_terms``, expressions given as strings.

Functions of ``(q, q̇)`` for the non-quadratic fallback: ``q̇_i q̇_j`` times the functions
above, velocity monomials of degree 3 to ``velocity_degree``, and the Lorentz form
``c² (1 − √(1 − |q̇|²/c²))`` whose speed ``c`` is a fitted nonlinear parameter.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import sympy as sp

from physym.distill.space import StateSpace
from physym.systems.expression_parser import parse_expression

__all__ = ["LORENTZ_SPEED", "LibraryConfig", "evaluate_terms", "kinetic_terms", "q_terms"]

LORENTZ_SPEED = sp.Symbol("c_lorentz", positive=True)
_TRIG = ("periodic", "all", "none")


@dataclass(frozen=True)
class LibraryConfig:
    """Which candidate terms the sparse backend may use (see the module docstring).

    Examples
    --------
    >>> LibraryConfig.from_dict({"poly_degree": 2}).poly_degree
    2
    """

    poly_degree: int = 4
    trig: str = "periodic"
    harmonics: int = 1
    trig_pairs: bool = True
    mixed_degree: int = 1
    inverse: bool = True
    velocity_degree: int = 4
    lorentz: bool = True
    extra_terms: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.trig not in _TRIG:
            raise ValueError(f"library trig must be one of {_TRIG}, got {self.trig!r}")
        for name in ("poly_degree", "harmonics", "mixed_degree", "velocity_degree"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"library {name} must be a non-negative integer, got {value!r}")
        object.__setattr__(self, "extra_terms", tuple(self.extra_terms))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (the ``[distill.library]`` table of a TOML config)."""
        data = asdict(self)
        data["extra_terms"] = list(self.extra_terms)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> LibraryConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error naming the key."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown library option {unknown[0]!r}; known: {sorted(known)}")
        return cls(**data)

    @classmethod
    def from_toml(cls, text: str, table: str = "library") -> LibraryConfig:
        """Read the ``[table]`` of a TOML document (or its top level if there is none).

        Examples
        --------
        >>> LibraryConfig.from_toml("[library]\\ntrig = 'all'").trig
        'all'
        """
        import tomllib

        document = tomllib.loads(text)
        return cls.from_dict(document.get(table, document))


def _monomials(symbols: Sequence[sp.Symbol], degree: int) -> list[sp.Expr]:
    out: list[sp.Expr] = []
    for d in range(degree + 1):
        for combo in itertools.combinations_with_replacement(symbols, d):
            out.append(sp.Mul(*combo))
    return out


def _trig_features(symbols: Sequence[sp.Symbol], config: LibraryConfig) -> list[sp.Expr]:
    arguments: list[sp.Expr] = list(symbols)
    if config.trig_pairs:
        for a, b in itertools.combinations(symbols, 2):
            arguments += [a - b, a + b]
    out: list[sp.Expr] = []
    for k in range(1, config.harmonics + 1):
        for arg in arguments:
            out += [sp.cos(k * arg), sp.sin(k * arg)]
    return out


def _inverse_terms(space: StateSpace, free: Sequence[int]) -> list[sp.Expr]:
    q = space.q_symbols
    out: list[sp.Expr] = []
    for i in free:
        low, high = space.low[i], space.high[i]
        if low > 0 or high < 0:
            out += [1 / q[i], 1 / q[i] ** 2]
        if low > 0:
            out.append(1 / sp.sqrt(q[i]))
    excludes_origin = any(space.low[i] > 0 or space.high[i] < 0 for i in free)
    if len(free) >= 2 and excludes_origin:
        radius2 = sp.Add(*(q[i] ** 2 for i in free))
        out += [1 / sp.sqrt(radius2), 1 / radius2]
    return out


def q_terms(space: StateSpace, config: LibraryConfig) -> list[sp.Expr]:
    """Candidate functions of the coordinates, constant first, without duplicates.

    Examples
    --------
    >>> import numpy as np
    >>> space = StateSpace(("theta",), (True,), np.array([-3.0, -1.0]), np.array([3.0, 1.0]))
    >>> q_terms(space, LibraryConfig())
    [1, cos(theta), sin(theta)]
    """
    q = space.q_symbols
    free = [i for i, p in enumerate(space.periodic) if not p]
    angular = {
        "periodic": [i for i, p in enumerate(space.periodic) if p],
        "all": list(range(space.n_dof)),
        "none": [],
    }[config.trig]
    polys = _monomials([q[i] for i in free], config.poly_degree)
    trig = _trig_features([q[i] for i in angular], config)
    mixed = [m * t for m in _monomials([q[i] for i in free], config.mixed_degree)[1:] for t in trig]
    inverse = _inverse_terms(space, free) if config.inverse else []
    names = {s.name: s for s in (*q, *space.v_symbols)}
    extra = [
        parse_expression(text, names, where="library extra term") for text in config.extra_terms
    ]
    extra = [e for e in extra if not e.free_symbols & set(space.v_symbols)]
    return _unique([*polys, *trig, *mixed, *inverse, *extra])


def kinetic_terms(space: StateSpace, config: LibraryConfig) -> list[sp.Expr]:
    """Candidate velocity terms for ``T = L − L(q, 0) − q̇·∂L/∂q̇(q, 0)`` (the fallback).

    Every term vanishes with its velocity gradient at ``q̇ = 0``. The Lorentz term contains
    :data:`LORENTZ_SPEED`, a nonlinear parameter fitted separately.
    """
    v = space.v_symbols
    base = q_terms(space, config)
    quadratic = [a * b * f for a, b in itertools.combinations_with_replacement(v, 2) for f in base]
    higher = [m for m in _monomials(v, config.velocity_degree) if sp.Poly(m, *v).total_degree() > 2]
    lorentz = []
    if config.lorentz:
        speed2 = sp.Add(*(s**2 for s in v))
        c = LORENTZ_SPEED
        lorentz = [c**2 * (1 - sp.sqrt(1 - speed2 / c**2))]
    names = {s.name: s for s in (*space.q_symbols, *v)}
    extra = [
        parse_expression(text, names, where="library extra term") for text in config.extra_terms
    ]
    extra = [e for e in extra if e.free_symbols & set(v)]
    return _unique([*quadratic, *higher, *lorentz, *extra])


def _unique(terms: Sequence[sp.Expr]) -> list[sp.Expr]:
    seen: set[sp.Expr] = set()
    out = []
    for term in map(sp.sympify, terms):
        if term not in seen:
            seen.add(term)
            out.append(term)
    return out


def evaluate_terms(
    terms: Sequence[sp.Expr],
    symbols: Sequence[sp.Symbol],
    inputs: np.ndarray,
    params: Mapping[sp.Symbol, float] | None = None,
) -> np.ndarray:
    """Columns ``terms[k](inputs)``, shape ``(batch, len(terms))``, float64.

    ``params`` gives the values of nonlinear parameters the terms contain. Compiled terms
    are cached, so evaluating the same term again (another target, another trial value of
    a parameter) costs no SymPy work.
    """
    params = dict(params or {})
    names = tuple(sorted(params, key=str))
    values = [float(params[s]) for s in names]
    columns = [inputs[:, i] for i in range(inputs.shape[1])]
    out = np.empty((inputs.shape[0], len(terms)), dtype=np.float64)
    for k, term in enumerate(terms):
        term = sp.sympify(term)
        used = tuple(s for s in names if s in term.free_symbols)
        fn = _compiled(term, tuple(symbols), used)
        with np.errstate(all="ignore"):
            value = fn(*columns, *(values[names.index(s)] for s in used))
        out[:, k] = np.broadcast_to(np.asarray(value, dtype=np.float64), (inputs.shape[0],))
    return out


@functools.lru_cache(maxsize=4096)
def _compiled(
    term: sp.Expr, symbols: tuple[sp.Symbol, ...], params: tuple[sp.Symbol, ...]
) -> Callable[..., Any]:
    return sp.lambdify((*symbols, *params), term, modules="numpy")
