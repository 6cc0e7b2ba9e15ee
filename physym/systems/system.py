"""The :class:`System`: a Lagrangian in SymPy plus the box of states it is sampled from."""

from __future__ import annotations

import json
import keyword
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from physym.systems.expression_limits import lookalike_name
from physym.systems.expression_parser import ALLOWED_CONSTANTS, ALLOWED_FUNCTIONS, SpecError

if TYPE_CHECKING:
    import torch

    from physym.systems.dynamics import Dynamics

__all__ = ["System", "coordinate_symbol", "velocity_name", "velocity_symbol"]

VELOCITY_SUFFIX = "_dot"
_RESERVED = set(ALLOWED_FUNCTIONS) | set(ALLOWED_CONSTANTS) | {"t"}


def velocity_name(coordinate: str) -> str:
    """Name of the velocity of ``coordinate`` (``theta`` -> ``theta_dot``)."""
    return coordinate + VELOCITY_SUFFIX


def coordinate_symbol(name: str) -> sp.Symbol:
    """The SymPy symbol physym uses for a coordinate or parameter (real-valued)."""
    return sp.Symbol(name, real=True)


def velocity_symbol(coordinate: str) -> sp.Symbol:
    """The SymPy symbol physym uses for the velocity of ``coordinate``."""
    return sp.Symbol(velocity_name(coordinate), real=True)


def _check_identifier(name: object, what: str, where: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise SpecError(f"{where}: {what} name {name!r} is not a valid identifier")
    if name in _RESERVED:
        raise SpecError(f"{where}: {what} name {name!r} clashes with a built-in function/constant")
    folded = lookalike_name(name)
    if folded is not None:
        raise SpecError(f"{where}: {what} name {name!r} {folded}")
    return name


def _check_number(value: object, what: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise SpecError(f"{where}: {what} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise SpecError(f"{where}: {what} is too large for a float: "
                        f"{str(value)[:12]}… ({len(str(value))} digits)") from None
    if not math.isfinite(number):
        raise SpecError(f"{where}: {what} must be finite, got {value!r}")
    return number


@dataclass(frozen=True, eq=False)
class System:
    """A mechanical system defined by its Lagrangian.

    Parameters
    ----------
    name : str
        Short identifier, e.g. ``"double_pendulum"``.
    coordinates : sequence of str or sympy dynamicsymbols
        Generalised coordinates ``q``. Velocities are named ``<q>_dot``.
    lagrangian : sympy.Expr
        ``L(q, q_dot; parameters)`` in coordinate and velocity symbols, or in
        ``sympy.physics.mechanics.dynamicsymbols`` (converted to plain symbols).
    parameters : mapping of str (or Symbol) to float
        Numerical values of the parameters appearing in ``lagrangian``.
    sampling : mapping of str to (low, high)
        Uniform sampling box, one interval for every coordinate and every velocity.
    description : str
        One line saying what the system is.
    periodic : sequence of str
        Coordinates that are angles (a sin/cos embedding may be used for them).
    source : str
        Where the Lagrangian comes from (a textbook reference).

    Examples
    --------
    >>> import sympy as sp
    >>> x, v, k = sp.symbols("x x_dot k", real=True)
    >>> osc = System("osc", ["x"], v**2 / 2 - k * x**2 / 2, {"k": 4.0},
    ...              {"x": (-1, 1), "x_dot": (-1, 1)})
    >>> osc.accelerations([[0.5, 0.0]])
    array([[-2.]])
    """

    name: str
    coordinates: tuple[str, ...]
    lagrangian: sp.Expr
    parameters: Mapping[str, float]
    sampling: Mapping[str, tuple[float, float]]
    description: str = ""
    periodic: tuple[str, ...] = field(default=())
    source: str = ""

    def __post_init__(self) -> None:
        where = f"system {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise SpecError("system: name must be a non-empty string")
        coordinates, lagrangian = _plain_coordinates(self.coordinates, self.lagrangian, where)
        if not coordinates:
            raise SpecError(f"{where}: at least one coordinate is needed")
        for q in coordinates:
            _check_identifier(q, "coordinate", where)
            if q.endswith(VELOCITY_SUFFIX):
                raise SpecError(f"{where}: coordinate name {q!r} must not end in '_dot'")
        if len(set(coordinates)) != len(coordinates):
            raise SpecError(f"{where}: duplicate coordinate names in {list(coordinates)}")
        parameters = {}
        for key, value in dict(self.parameters).items():
            pname = _check_identifier(str(key), "parameter", where)
            if pname in coordinates or pname in {velocity_name(q) for q in coordinates}:
                raise SpecError(f"{where}: parameter {pname!r} clashes with a coordinate")
            parameters[pname] = _check_number(value, f"parameter {pname!r}", where)
        if isinstance(lagrangian, str):
            # Never sympify() a string: that is eval(). Use the safe spec parser instead.
            from physym.systems.expression_parser import parse_expression

            names = [*coordinates, *(velocity_name(q) for q in coordinates), *parameters]
            lagrangian = parse_expression(lagrangian, {n: coordinate_symbol(n) for n in names},
                                          where=f"{where}: lagrangian", parameters=parameters)
        try:
            lagrangian = sp.sympify(lagrangian, strict=True)
        except sp.SympifyError:
            raise SpecError(f"{where}: the Lagrangian must be a SymPy expression or a string, "
                            f"got {type(lagrangian).__name__}") from None
        if not isinstance(lagrangian, sp.Expr):
            raise SpecError(f"{where}: the Lagrangian must be a scalar expression, "
                            f"got {type(lagrangian).__name__}")
        lagrangian = _as_real_symbols(lagrangian)
        known = set(coordinates) | {velocity_name(q) for q in coordinates} | set(parameters)
        unknown = sorted(str(s) for s in lagrangian.free_symbols if str(s) not in known)
        if unknown:
            declared = ", ".join(parameters) or "none"
            raise SpecError(f"{where}: unknown symbol {unknown[0]!r} in the Lagrangian; declared "
                            f"parameters: {declared} (give its value in parameters)")
        state_names = [*coordinates, *(velocity_name(q) for q in coordinates)]
        sampling = _check_sampling(self.sampling, state_names, where)
        periodic = tuple(self.periodic)
        for q in periodic:
            if q not in coordinates:
                raise SpecError(f"{where}: periodic coordinate {q!r} is not a coordinate")
        object.__setattr__(self, "coordinates", tuple(coordinates))
        object.__setattr__(self, "lagrangian", lagrangian)
        object.__setattr__(self, "parameters", parameters)
        object.__setattr__(self, "sampling", sampling)
        object.__setattr__(self, "periodic", periodic)

    # ------------------------------------------------------------------ names

    @property
    def n_dof(self) -> int:
        """Number of degrees of freedom ``n`` (states have ``2n`` entries)."""
        return len(self.coordinates)

    @property
    def velocity_names(self) -> tuple[str, ...]:
        """``<q>_dot`` for each coordinate."""
        return tuple(velocity_name(q) for q in self.coordinates)

    @property
    def state_names(self) -> tuple[str, ...]:
        """Coordinates then velocities: the column order of every state array."""
        return self.coordinates + self.velocity_names

    @property
    def q_symbols(self) -> tuple[sp.Symbol, ...]:
        """SymPy symbols of the coordinates."""
        return tuple(coordinate_symbol(q) for q in self.coordinates)

    @property
    def qdot_symbols(self) -> tuple[sp.Symbol, ...]:
        """SymPy symbols of the velocities."""
        return tuple(velocity_symbol(q) for q in self.coordinates)

    @property
    def parameter_symbols(self) -> dict[sp.Symbol, float]:
        """Parameter symbols mapped to their values."""
        return {coordinate_symbol(k): v for k, v in self.parameters.items()}

    @cached_property
    def lagrangian_numeric(self) -> sp.Expr:
        """The Lagrangian with parameter values substituted (exact rationals kept)."""
        values = {s: sp.nsimplify(v, rational=True) if float(v).is_integer() else v
                  for s, v in self.parameter_symbols.items()}
        return sp.expand(self.lagrangian.subs(values)) if values else self.lagrangian

    @property
    def box(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper corners of the sampling box, each of shape ``(2n,)``."""
        low = np.array([self.sampling[s][0] for s in self.state_names], dtype=np.float64)
        high = np.array([self.sampling[s][1] for s in self.state_names], dtype=np.float64)
        return low, high

    # --------------------------------------------------------------- dynamics

    @cached_property
    def dynamics(self) -> Dynamics:
        """Symbolic Euler-Lagrange quantities and their batched numeric versions (cached)."""
        from physym.systems.dynamics import derive

        return derive(self)

    def accelerations(self, states: Any) -> np.ndarray:
        """Exact accelerations ``q̈`` for a batch of states.

        Parameters
        ----------
        states : array_like, shape ``(batch, 2n)``
            Rows ``(q, q_dot)`` in :attr:`state_names` order.

        Returns
        -------
        numpy.ndarray, shape ``(batch, n)``, float64
        """
        return self.dynamics.accelerations(states)

    def energy(self, states: Any) -> np.ndarray:
        """Energy ``E = q̇·∂L/∂q̇ − L`` for a batch of states, shape ``(batch,)``."""
        return self.dynamics.energy(states)

    def lagrangian_value(self, states: Any) -> np.ndarray:
        """``L`` evaluated on a batch of states, shape ``(batch,)``."""
        return self.dynamics.lagrangian_value(states)

    def mass_matrix(self, states: Any) -> np.ndarray:
        """Mass matrix ``∂²L/∂q̇²`` for a batch of states, shape ``(batch, n, n)``."""
        return self.dynamics.mass_matrix(states)

    def torch_accelerations(self, states: torch.Tensor) -> torch.Tensor:
        """Exact accelerations in Torch, differentiable w.r.t. ``states`` ``(batch, 2n)``."""
        return self.dynamics.torch_accelerations(states)

    # ---------------------------------------------------------- serialisation

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, the same keys as a TOML spec (reloads with :meth:`from_dict`)."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "coordinates": list(self.coordinates),
            "periodic": list(self.periodic),
            "lagrangian": sp.sstr(self.lagrangian),
            "parameters": dict(self.parameters),
            "sampling": {k: list(v) for k, v in self.sampling.items()},
        }

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "system") -> System:
        """Build a system from plain data (a parsed TOML spec or :meth:`to_dict` output).

        The Lagrangian string is parsed with the safe parser, never evaluated.
        """
        from physym.systems.spec import system_from_mapping

        return system_from_mapping(data, where=where)

    @classmethod
    def from_json(cls, text: str) -> System:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    # ------------------------------------------------------------- notebooks

    def __repr__(self) -> str:
        return f"System({self.name!r}, coordinates={list(self.coordinates)}, L={self.lagrangian})"

    def _repr_latex_(self) -> str:
        from physym.comparison._latex import expression_latex, latex_text

        name = latex_text(self.name)
        return f"$L_{{\\mathrm{{{name}}}}} = {expression_latex(self.lagrangian)}$"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, System):
            return NotImplemented
        return (
            self.name == other.name
            and self.coordinates == other.coordinates
            and sp.simplify(self.lagrangian - other.lagrangian) == 0
            and dict(self.parameters) == dict(other.parameters)
            and dict(self.sampling) == dict(other.sampling)
            and self.periodic == other.periodic
        )

    __hash__ = None  # type: ignore[assignment]


def _as_real_symbols(expr: sp.Expr) -> sp.Expr:
    """Replace every free symbol by the real symbol of the same name.

    Symbols with other assumptions (plain, ``positive=True``, ``nonnegative=True``...) are
    different SymPy objects from ``Symbol(name, real=True)``; left alone, parameter values
    would never be substituted into them.
    """
    mapping = {s: coordinate_symbol(s.name) for s in expr.free_symbols
               if isinstance(s, sp.Symbol) and s != coordinate_symbol(s.name)}
    return expr.xreplace(mapping) if mapping else expr


def _plain_coordinates(
    coordinates: Iterable[Any], lagrangian: Any, where: str
) -> tuple[tuple[str, ...], Any]:
    """Accept coordinates as names or dynamicsymbols; return names and a plain-symbol L."""
    if isinstance(coordinates, str):
        raise SpecError(f"{where}: coordinates must be a list of names, got a string")
    names: list[str] = []
    replacements: list[tuple[sp.Expr, sp.Symbol]] = []
    for c in coordinates:
        if isinstance(c, sp.Function | sp.core.function.AppliedUndef) and c.args:
            name = type(c).__name__
            time = c.args[0]
            replacements.append((sp.Derivative(c, time), velocity_symbol(name)))
            replacements.append((c, coordinate_symbol(name)))
            names.append(name)
        elif isinstance(c, sp.Symbol):
            names.append(c.name)
        else:
            names.append(c if isinstance(c, str) else repr(c))
    if replacements and isinstance(lagrangian, sp.Basic):
        lagrangian = lagrangian.subs(replacements[0::2]).subs(replacements[1::2])
        remaining = [a for a in lagrangian.atoms(sp.Derivative, sp.core.function.AppliedUndef)]
        if remaining:
            raise SpecError(
                f"{where}: Lagrangian still depends on {remaining[0]} after replacing the "
                "coordinates' dynamicsymbols (undeclared coordinate or higher derivative?)"
            )
    return tuple(names), lagrangian


def _check_sampling(
    sampling: Mapping[str, Sequence[float]], state_names: Sequence[str], where: str
) -> dict[str, tuple[float, float]]:
    if not isinstance(sampling, Mapping):
        raise SpecError(f"{where}: sampling must be a table of [low, high] per state")
    missing = [s for s in state_names if s not in sampling]
    if missing:
        raise SpecError(f"{where}: sampling box does not cover {missing[0]!r}")
    extra = [s for s in sampling if s not in state_names]
    if extra:
        raise SpecError(f"{where}: sampling names {extra[0]!r}, which is not a coordinate "
                        "or velocity")
    box: dict[str, tuple[float, float]] = {}
    for s in state_names:
        interval = sampling[s]
        if isinstance(interval, str | bytes) or not isinstance(interval, Sequence | np.ndarray) \
                or len(interval) != 2:
            raise SpecError(f"{where}: sampling of {s!r} must be [low, high], got {interval!r}")
        low = _check_number(interval[0], f"sampling low of {s!r}", where)
        high = _check_number(interval[1], f"sampling high of {s!r}", where)
        if not low < high:
            raise SpecError(f"{where}: sampling of {s!r} needs low < high, got [{low}, {high}]")
        box[s] = (low, high)
    return box
