"""The :class:`System`: a Lagrangian in SymPy plus the box of states it is sampled from.

Beyond conservative systems, a system may carry a Rayleigh dissipation function
``R(q, q̇, t, u)``, known generalised forces ``Q_i(q, q̇, t, u)``, external inputs ``u``,
and explicit time ``t`` in ``L``, ``R`` and ``Q``. Its equations of motion are then
``d/dt ∂L/∂q̇ − ∂L/∂q + ∂R/∂q̇ = Q`` (see :mod:`physym.systems.dynamics`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from physym.systems.checks import (
    as_real_symbols,
    check_coordinate_names,
    check_expression,
    check_forces,
    check_identifier,
    check_inputs,
    check_number,
    check_sampling,
    plain_names,
    same_expression,
)
from physym.systems.dynamics import Dynamics, derive
from physym.systems.expression_parser import SpecError
from physym.systems.ground_truth import GroundTruthMethods
from physym.systems.names import (
    TIME_NAME,
    VELOCITY_SUFFIX,
    coordinate_symbol,
    time_symbol,
    velocity_name,
    velocity_symbol,
)
from physym.systems.spec import located_system_error, read_spec_mapping

if TYPE_CHECKING:
    pass

# VELOCITY_SUFFIX and the symbol helpers stay importable from here (physym.comparison,
# physym.distill and users' scripts import them from this module).
__all__ = ["VELOCITY_SUFFIX", "System", "coordinate_symbol", "velocity_name", "velocity_symbol"]

_as_real_symbols = as_real_symbols  # the name physym.comparison imports
_NO_TIME = "but nothing in the system depends on time"


@dataclass(frozen=True, eq=False)
class System(GroundTruthMethods):
    """A mechanical system defined by its Lagrangian (and, optionally, friction and forces).

    Parameters
    ----------
    name : str
        Short identifier, e.g. ``"double_pendulum"``.
    coordinates : sequence of str or sympy dynamicsymbols
        Generalised coordinates ``q``. Velocities are named ``<q>_dot``.
    lagrangian : sympy.Expr or str
        ``L(q, q_dot, t; parameters)`` in coordinate and velocity symbols, or in
        ``sympy.physics.mechanics.dynamicsymbols`` (converted to plain symbols). A string
        is read with the safe spec parser.
    parameters : mapping of str (or Symbol) to float
        Numerical values of the parameters appearing in the expressions.
    sampling : mapping of str to (low, high)
        Uniform sampling box: one interval for every coordinate and velocity, for ``t``
        when anything depends on time, and for every input.
    description : str
        One line saying what the system is.
    periodic : sequence of str
        Coordinates that are angles (a sin/cos embedding may be used for them).
    source : str
        Where the Lagrangian comes from (a textbook reference).
    dissipation : sympy.Expr or str, optional
        Rayleigh's dissipation function ``R(q, q̇, t, u)``; the friction is ``−∂R/∂q̇``.
    forces : mapping of coordinate to sympy.Expr or str, optional
        Known generalised forces ``Q_i(q, q̇, t, u)``; coordinates left out get none.
    inputs : sequence of str or dynamicsymbols, optional
        External inputs (control signals) ``u``. They may enter ``Q`` and ``R``, never
        ``L`` (that would need their time derivatives).

    Examples
    --------
    >>> import sympy as sp
    >>> x, v, k = sp.symbols("x x_dot k", real=True)
    >>> osc = System("osc", ["x"], v**2 / 2 - k * x**2 / 2, {"k": 4.0},
    ...              {"x": (-1, 1), "x_dot": (-1, 1)})
    >>> osc.accelerations([[0.5, 0.0]])
    array([[-2.]])
    >>> damped = System("damped", ["x"], v**2 / 2 - k * x**2 / 2, {"k": 4.0},
    ...                 {"x": (-1, 1), "x_dot": (-1, 1), "u": (-1, 1)},
    ...                 dissipation="x_dot**2/2", forces={"x": "u"}, inputs=["u"])
    >>> damped.accelerations([[0.5, 1.0]], inputs=[3.0])   # -4*0.5 - 1 + 3
    array([[0.]])
    """

    name: str
    coordinates: tuple[str, ...]
    lagrangian: sp.Expr
    parameters: Mapping[str, float]
    sampling: Mapping[str, tuple[float, float]]
    description: str = ""
    periodic: tuple[str, ...] = field(default=())
    source: str = ""
    dissipation: sp.Expr | None = None
    forces: Mapping[str, sp.Expr] = field(default_factory=dict)
    inputs: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        where = f"system {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise SpecError("system: name must be a non-empty string")
        coordinates, coordinate_subs = plain_names(
            self.coordinates, "coordinates", where, with_velocity=True
        )
        check_coordinate_names(coordinates, where)
        velocities = tuple(velocity_name(q) for q in coordinates)
        inputs, input_subs = plain_names(self.inputs, "inputs", where, with_velocity=False)
        parameters = {}
        for key, value in dict(self.parameters).items():
            pname = check_identifier(str(key), "parameter", where)
            if pname in coordinates or pname in velocities:
                raise SpecError(f"{where}: parameter {pname!r} clashes with a coordinate")
            parameters[pname] = check_number(value, f"parameter {pname!r}", where)
        check_inputs(inputs, {*coordinates, *velocities, *parameters}, where)
        names = [*coordinates, *velocities, *parameters, TIME_NAME, *inputs]
        expression: dict[str, Any] = {
            "where": where,
            "symbols": {n: coordinate_symbol(n) for n in names},
            "replacements": coordinate_subs + input_subs,
            "parameters": tuple(parameters),
        }
        lagrangian = check_expression(
            self.lagrangian, "the Lagrangian", label="lagrangian", **expression
        )
        in_lagrangian = [u for u in inputs if coordinate_symbol(u) in lagrangian.free_symbols]
        if in_lagrangian:
            raise SpecError(
                f"{where}: input {in_lagrangian[0]!r} appears in the Lagrangian; "
                "inputs may enter only the forces and the dissipation"
            )
        dissipation = None
        if self.dissipation is not None:
            dissipation = check_expression(
                self.dissipation, "the dissipation", label="dissipation", **expression
            )
            dissipation = None if dissipation == 0 else dissipation
        forces = check_forces(self.forces, coordinates, expression)
        used = lagrangian.free_symbols.union(
            *(e.free_symbols for e in (dissipation, *forces.values()) if e is not None)
        )
        unused = [u for u in inputs if coordinate_symbol(u) not in used]
        if unused:
            raise SpecError(
                f"{where}: input {unused[0]!r} appears in no force and not in the dissipation"
            )
        depends_on_time = time_symbol() in used
        required = [*coordinates, *velocities, *([TIME_NAME] if depends_on_time else []), *inputs]
        sampling = check_sampling(
            self.sampling, required, where, explain={} if depends_on_time else {TIME_NAME: _NO_TIME}
        )
        periodic = tuple(self.periodic)
        for q in periodic:
            if q not in coordinates:
                raise SpecError(f"{where}: periodic coordinate {q!r} is not a coordinate")
        checked: dict[str, Any] = {
            "coordinates": tuple(coordinates),
            "lagrangian": lagrangian,
            "parameters": parameters,
            "sampling": sampling,
            "periodic": periodic,
            "dissipation": dissipation,
            "forces": forces,
            "inputs": tuple(inputs),
        }
        for key, value in checked.items():
            object.__setattr__(self, key, value)

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
    def input_symbols(self) -> tuple[sp.Symbol, ...]:
        """SymPy symbols of the inputs."""
        return tuple(coordinate_symbol(u) for u in self.inputs)

    @property
    def parameter_symbols(self) -> dict[sp.Symbol, float]:
        """Parameter symbols mapped to their values."""
        return {coordinate_symbol(k): v for k, v in self.parameters.items()}

    # ------------------------------------------------------------------ kinds

    @cached_property
    def time_dependent(self) -> bool:
        """Whether ``t`` appears in ``L``, ``R`` or a force."""
        expressions = (self.lagrangian, self.dissipation, *self.forces.values())
        return any(e is not None and time_symbol() in e.free_symbols for e in expressions)

    @property
    def has_dissipation(self) -> bool:
        """Whether a (nonzero) Rayleigh dissipation function is given."""
        return self.dissipation is not None

    @property
    def has_forces(self) -> bool:
        """Whether any known generalised force is nonzero."""
        return any(e != 0 for e in self.forces.values())

    @property
    def has_inputs(self) -> bool:
        """Whether the system declares external inputs."""
        return bool(self.inputs)

    @property
    def is_conservative(self) -> bool:
        """No dissipation, no forces and no explicit time: the energy is conserved."""
        return not (self.has_dissipation or self.has_forces or self.time_dependent)

    # ------------------------------------------------------- numeric pieces

    def _with_values(self, expr: sp.Expr) -> sp.Expr:
        values = {
            s: sp.nsimplify(v, rational=True) if float(v).is_integer() else v
            for s, v in self.parameter_symbols.items()
        }
        return sp.expand(expr.subs(values)) if values else expr

    @cached_property
    def lagrangian_numeric(self) -> sp.Expr:
        """The Lagrangian with parameter values substituted (exact rationals kept)."""
        return self._with_values(self.lagrangian)

    @cached_property
    def dissipation_numeric(self) -> sp.Expr:
        """``R`` with parameter values substituted (0 without dissipation)."""
        return sp.S.Zero if self.dissipation is None else self._with_values(self.dissipation)

    @cached_property
    def forces_numeric(self) -> tuple[sp.Expr, ...]:
        """``Q_i`` with parameter values substituted, one per coordinate (0 where none)."""
        return tuple(
            self._with_values(self.forces[q]) if q in self.forces else sp.S.Zero
            for q in self.coordinates
        )

    @property
    def box(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper corners of the sampling box of the states, each ``(2n,)``."""
        low = np.array([self.sampling[s][0] for s in self.state_names], dtype=np.float64)
        high = np.array([self.sampling[s][1] for s in self.state_names], dtype=np.float64)
        return low, high

    @property
    def time_range(self) -> tuple[float, float] | None:
        """``(t0, t1)`` for sampled states of a time-dependent system, else None."""
        return self.sampling.get(TIME_NAME) if self.time_dependent else None

    @property
    def input_box(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper corners of the input box, each of shape ``(m,)``."""
        low = np.array([self.sampling[u][0] for u in self.inputs], dtype=np.float64)
        high = np.array([self.sampling[u][1] for u in self.inputs], dtype=np.float64)
        return low, high

    # --------------------------------------------------------------- dynamics

    @cached_property
    def dynamics(self) -> Dynamics:
        """Symbolic Euler-Lagrange quantities and their batched numeric versions (cached)."""
        return derive(self)

    # ---------------------------------------------------------- serialisation

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, the same keys as a TOML spec (reloads with :meth:`from_dict`).

        The keys ``dissipation``, ``forces`` and ``inputs`` appear only when given.
        """
        data: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "coordinates": list(self.coordinates),
            "periodic": list(self.periodic),
            "lagrangian": sp.sstr(self.lagrangian),
            "parameters": dict(self.parameters),
            "sampling": {k: list(v) for k, v in self.sampling.items()},
        }
        if self.dissipation is not None:
            data["dissipation"] = sp.sstr(self.dissipation)
        if self.forces:
            data["forces"] = {q: sp.sstr(e) for q, e in self.forces.items()}
        if self.inputs:
            data["inputs"] = list(self.inputs)
        return data

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, where: str = "system", text: str | None = None
    ) -> System:
        """Build a system from plain data (a parsed TOML spec or :meth:`to_dict` output).

        Expression strings are parsed with the safe parser, never evaluated. ``text``, the
        raw spec file, lets error messages name lines.
        """
        fields = read_spec_mapping(data, where=where, text=text)
        try:
            return cls(**fields)
        except SpecError as exc:
            raise SpecError(located_system_error(str(exc), fields["name"], where, text)) from None

    @classmethod
    def from_json(cls, text: str) -> System:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    # ------------------------------------------------------------- notebooks

    def __repr__(self) -> str:
        return f"System({self.name!r}, coordinates={list(self.coordinates)}, L={self.lagrangian})"

    def _repr_latex_(self) -> str:
        from physym.systems.latex import expression_latex, latex_text

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
            and self.inputs == other.inputs
            and same_expression(self.dissipation, other.dissipation)
            and set(self.forces) == set(other.forces)
            and all(same_expression(e, other.forces[q]) for q, e in self.forces.items())
        )

    __hash__ = None  # type: ignore[assignment]
