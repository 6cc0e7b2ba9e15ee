"""What a shooting fit found: the constants with their uncertainties, and how it got there."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["FittedConstant", "ShootingResult", "z_value"]

ROLES = ("free", "scale", "fixed", "dropped")


def z_value(level: float) -> float:
    """Half-width of the central ``level`` interval in standard errors (1.96 for 95 %)."""
    return NormalDist().inv_cdf(0.5 + level / 2)


@dataclass(frozen=True)
class FittedConstant:
    """One constant of ``L``: a term's coefficient or a nonlinear parameter inside terms.

    Attributes
    ----------
    name : str
        The term (``"theta_dot**2"``) or the parameter's name.
    kind : {"coefficient", "parameter"}
    value, stderr : float
        The estimate and its standard error (0 for constants not fitted).
    start : float
        The value the fit started from (the Euler–Lagrange polish).
    role : {"free", "scale", "fixed", "dropped"}
        ``scale``: determined by the others through the scale condition; ``dropped``:
        removed by the re-selection (value 0).
    """

    name: str
    kind: str
    value: float
    stderr: float
    start: float
    role: str

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """The central ``level`` interval ``value ± z·stderr`` (normal: dof are thousands)."""
        half = z_value(level) * self.stderr
        return self.value - half, self.value + half

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "value": self.value,
            "stderr": self.stderr,
            "interval_68": list(self.interval(0.6826894921370859)),
            "interval_95": list(self.interval(0.95)),
            "start": self.start,
            "role": self.role,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FittedConstant:
        return cls(
            str(data["name"]),
            str(data["kind"]),
            float(data["value"]),
            float(data["stderr"]),
            float(data["start"]),
            str(data["role"]),
        )


@dataclass(frozen=True, eq=False)
class ShootingResult:
    """Constants of ``L = Σ_k c_k φ_k`` fitted to measured positions by multiple shooting.

    Attributes
    ----------
    coordinates : tuple of str
    constants : tuple of FittedConstant
        The ``K`` coefficients in term order, then the nonlinear parameters.
    covariance : numpy.ndarray, shape ``(K + P, K + P)``
        Of the constants in that order (rescaled by the reduced χ² if ``rescaled``).
    chi2 : float
        ``Σ ((q_model − q)/σ)²`` at the solution.
    dof : int
        Residuals minus fitted parameters (window states included).
    rescaled : bool
        Whether the covariance was multiplied by ``χ²/dof``.
    noise : tuple of float
        The ``σ`` per coordinate the residuals were weighted with.
    scale : dict
        The scale condition (``kind``, ``value``, ``index``, ``state``) and its ``pivot``.
    windows : dict
        The final layout: ``count``, ``samples`` (longest), ``seconds``, ``substeps``.
    stages : tuple of dict
        One per window length tried: ``samples``, ``windows``, ``chi2``, ``dof``,
        ``iterations``, ``converged``, ``F``, ``F_limit``, ``accepted``, ``seconds``.
    reselection : tuple of dict
        One per term tested for removal: ``term``, ``value``, ``stderr``, ``F``,
        ``F_limit``, ``dropped``.
    continuity : dict
        Jumps where neighbouring windows meet: ``boundaries``, ``position_rms_sigma``
        (in units of ``σ``), ``velocity_rms_relative`` (to the rms velocity).
    iterations : int
    converged : bool
    timings : dict
        Wall seconds per step (``compile``, ``fit``, ``reselect``, ``total``) and ``cpu``.
    """

    coordinates: tuple[str, ...]
    constants: tuple[FittedConstant, ...]
    covariance: np.ndarray
    chi2: float
    dof: int
    rescaled: bool
    noise: tuple[float, ...]
    scale: dict[str, Any]
    windows: dict[str, Any]
    stages: tuple[dict[str, Any], ...] = ()
    reselection: tuple[dict[str, Any], ...] = ()
    continuity: dict[str, Any] = field(default_factory=dict)
    iterations: int = 0
    converged: bool = True
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def reduced_chi2(self) -> float:
        return self.chi2 / max(self.dof, 1)

    @property
    def coefficients(self) -> np.ndarray:
        """The ``K`` term coefficients, shape ``(K,)``."""
        return np.array([c.value for c in self.constants if c.kind == "coefficient"])

    @property
    def params(self) -> dict[str, float]:
        """The nonlinear parameters by name."""
        return {c.name: c.value for c in self.constants if c.kind == "parameter"}

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.constants if c.kind == "coefficient")

    def lagrangian(self, values: Sequence[sp.Expr | float] | None = None) -> sp.Expr:
        """``Σ_k c_k φ_k`` with the fitted (or given, e.g. rationalised) constants.

        The term strings are parsed with physym's safe parser, never evaluated.
        """
        from physym.systems.expression_parser import parse_expression
        from physym.systems.system import coordinate_symbol, velocity_name

        values = [c.value for c in self.constants] if values is None else list(values)
        names = [*self.coordinates, *(velocity_name(q) for q in self.coordinates), *self.params]
        symbols = {name: coordinate_symbol(name) for name in names}
        k = len(self.terms)
        substitution = {
            symbols[name]: sp.sympify(v) for name, v in zip(self.params, values[k:], strict=True)
        }
        return sp.Add(
            *(
                sp.sympify(v) * parse_expression(term, symbols, where="term")
                for term, v in zip(self.terms, values[:k], strict=True)
                if v != 0
            )
        ).xreplace(substitution)

    def table(self, level: float = 0.95) -> str:
        """The constants as a markdown table with their standard errors and intervals."""
        pct = f"{100 * level:g} %"
        lines = [
            f"| constant | value | std. error | {pct} interval | start | role |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for c in self.constants:
            low, high = c.interval(level)
            lines.append(
                f"| `{c.name}` | {c.value:.10g} | {c.stderr:.3g} | "
                f"[{low:.8g}, {high:.8g}] | {c.start:.8g} | {c.role} |"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return (
            f"Shooting fit: χ²/dof = {self.reduced_chi2:.4g} ({self.dof} dof), "
            f"{self.windows.get('count')} windows of up to "
            f"{self.windows.get('seconds', float('nan')):.3g} s, "
            f"{self.iterations} iterations, {self.timings.get('total', 0.0):.1f} s\n" + self.table()
        )

    def _repr_markdown_(self) -> str:
        return str(self).replace("\n", "\n\n", 1)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``summary.json`` (:meth:`from_dict` reads it back)."""
        return {
            "coordinates": list(self.coordinates),
            "constants": [c.to_dict() for c in self.constants],
            "covariance": np.asarray(self.covariance).tolist(),
            "chi2": self.chi2,
            "dof": self.dof,
            "reduced_chi2": self.reduced_chi2,
            "rescaled": self.rescaled,
            "noise": list(self.noise),
            "scale": dict(self.scale),
            "windows": dict(self.windows),
            "stages": [dict(s) for s in self.stages],
            "reselection": [dict(r) for r in self.reselection],
            "continuity": dict(self.continuity),
            "iterations": self.iterations,
            "converged": self.converged,
            "timings": dict(self.timings),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShootingResult:
        return cls(
            tuple(data["coordinates"]),
            tuple(FittedConstant.from_dict(c) for c in data["constants"]),
            np.asarray(data["covariance"], dtype=np.float64),
            float(data["chi2"]),
            int(data["dof"]),
            bool(data["rescaled"]),
            tuple(data["noise"]),
            dict(data["scale"]),
            dict(data["windows"]),
            tuple(dict(s) for s in data.get("stages", ())),
            tuple(dict(r) for r in data.get("reselection", ())),
            dict(data.get("continuity", {})),
            int(data.get("iterations", 0)),
            bool(data.get("converged", True)),
            dict(data.get("timings", {})),
        )
