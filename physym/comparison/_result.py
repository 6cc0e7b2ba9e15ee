"""The :class:`Comparison` result: verdicts, evidence, and how they print and plot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from physym.systems.latex import lagrangian_latex, parse_lagrangian
from physym.systems.system import velocity_name

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Comparison"]

_EXPRESSIONS = ("true_lagrangian", "recovered_lagrangian", "normalised_lagrangian")
_ARRAYS = ("true_accelerations", "recovered_accelerations")


@dataclass(frozen=True)
class Comparison:
    """How a recovered Lagrangian compares with the true one (see :func:`compare`).

    Attributes
    ----------
    system : str
        Name of the true system.
    coordinates : tuple of str
    true_lagrangian : sympy.Expr
        ``L_true`` with parameter values substituted.
    recovered_lagrangian : sympy.Expr
        ``L_rec`` as given.
    normalised_lagrangian : sympy.Expr or None
        ``L_rec / α`` with coefficients rationalised (None where the mass matrices are not
        proportional, so no constant ``α`` exists).
    equivalent : bool
        The Euler–Lagrange accelerations of ``L_rec`` equal the truth within ``tolerance``.
    exact : bool
        Also ``L_rec/α − L_true`` is a null Lagrangian (shown symbolically).
    exact_decided : bool
        Whether ``exact`` is settled: proven, or disproved (not equivalent, mass matrices
        not proportional, or a nonzero Euler–Lagrange expression). False where SymPy could
        not decide or ran out of time, so ``exact = False`` means "not shown".
    check : {"symbolic", "numeric"}
        What decided ``equivalent``: a SymPy proof, or held-out states only.
    scale : float or None
        ``α``, the least-squares ratio of the mass matrices, ``M_rec ≈ α M_true``.
    scale_rational : str or None
        ``α`` as a simple fraction (``"3/2"``) where it is one within ``tolerance``.
    scale_residual : float or None
        ``‖M_rec − α M_true‖ / ‖M_rec‖`` over the states (0 for a constant scale).
    accel_rel_error : float or None
        ``‖â − a‖ / ‖a‖`` over the held-out states (None when ``â`` is undefined).
    max_abs_error : float or None
        Largest ``|â − a|`` of any component.
    n_states : int
    tolerance : float
    reason : str
        The evidence in words.
    seconds : float
        Wall time of the comparison.
    true_accelerations, recovered_accelerations : numpy.ndarray or None
        ``(n_states, n)`` arrays behind the verdict, kept for :meth:`plot`; not serialised.
    """

    system: str
    coordinates: tuple[str, ...]
    true_lagrangian: sp.Expr
    recovered_lagrangian: sp.Expr
    normalised_lagrangian: sp.Expr | None
    equivalent: bool
    exact: bool
    exact_decided: bool
    check: str
    scale: float | None
    scale_rational: str | None
    scale_residual: float | None
    accel_rel_error: float | None
    max_abs_error: float | None
    n_states: int
    tolerance: float
    reason: str
    seconds: float = 0.0
    true_accelerations: np.ndarray | None = field(default=None, repr=False, compare=False)
    recovered_accelerations: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def constant_scale(self) -> bool:
        """Whether ``M_rec = α M_true`` holds (relative misfit at most ``sqrt(tolerance)``)."""
        return self.scale_residual is not None and self.scale_residual <= self.tolerance**0.5

    # ---------------------------------------------------------- serialisation

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (expressions as strings; the acceleration arrays are left out).

        Examples
        --------
        >>> from physym import load_system
        >>> from physym.comparison import compare
        >>> pendulum = load_system("pendulum")
        >>> c = compare(pendulum, 2 * pendulum.lagrangian_numeric, n_states=50)
        >>> Comparison.from_dict(c.to_dict()) == c
        True
        """
        data: dict[str, Any] = {}
        for f in fields(self):
            if f.name in _ARRAYS:
                continue
            value = getattr(self, f.name)
            if f.name in _EXPRESSIONS:
                value = None if value is None else sp.sstr(value)
            elif f.name == "coordinates":
                value = list(value)
            data[f.name] = value
        return data

    def to_summary(self, network_error: float | None = None) -> dict[str, Any]:
        """The ``summary.json`` keys of DESIGN.md §5 that this comparison fills in.

        ``scale`` is a number (the fraction's value where ``α`` is one); the full result
        goes under ``comparison``.

        Examples
        --------
        >>> from physym import load_system
        >>> from physym.comparison import compare
        >>> pendulum = load_system("pendulum")
        >>> s = compare(pendulum, 2 * pendulum.lagrangian_numeric, n_states=50).to_summary(0.01)
        >>> s["equivalent"], s["scale"], s["accel_rel_error"]["network"]
        (True, 2.0, 0.01)
        """
        scale = float(Fraction(self.scale_rational)) if self.scale_rational else self.scale
        return {
            "recovered_lagrangian": sp.sstr(self.recovered_lagrangian),
            "equivalent": self.equivalent,
            "exact": self.exact,
            "scale": scale,
            "accel_rel_error": {"network": network_error, "recovered": self.accel_rel_error},
            "comparison": self.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comparison:
        """Inverse of :meth:`to_dict` (expressions parsed safely, never evaluated)."""
        coordinates = tuple(data["coordinates"])
        names = [*coordinates, *(velocity_name(q) for q in coordinates)]
        known = {f.name for f in fields(cls)} - set(_ARRAYS)
        values = {k: v for k, v in data.items() if k in known}
        values["coordinates"] = coordinates
        for key in _EXPRESSIONS:
            text = values.get(key)
            values[key] = None if text is None else parse_lagrangian(text, names, where=key)
        return cls(**values)

    # ------------------------------------------------------------ notebooks

    def _verdict_line(self) -> str:
        if self.equivalent:
            verdict = f"equivalent ({self.check} check)"
            verdict += (
                ", exact"
                if self.exact
                else ", not exact"
                if self.exact_decided
                else ", exactness undecided"
            )
        else:
            verdict = "NOT equivalent"
        return verdict

    def __str__(self) -> str:
        def number(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.3g}"

        scale = (
            f"{self.scale_rational or number(self.scale)} (mass-matrix misfit "
            f"{number(self.scale_residual)})"
        )
        if self.scale is not None and not self.constant_scale:
            scale = (
                f"{number(self.scale)} by least squares only: M_rec is not a constant "
                f"multiple of M_true (misfit {number(self.scale_residual)})"
            )
        lines = [
            f"Comparison with {self.system}: {self._verdict_line()}",
            f"  true L       = {sp.sstr(self.true_lagrangian)}",
            f"  recovered L  = {sp.sstr(self.recovered_lagrangian)}",
        ]
        if self.normalised_lagrangian is not None:
            lines.append(f"  recovered/α  = {sp.sstr(self.normalised_lagrangian)}")
        lines += [
            f"  scale α      = {scale}",
            f"  accel error  = {number(self.accel_rel_error)} relative, "
            f"{number(self.max_abs_error)} max abs, on {self.n_states} held-out states "
            f"(tolerance {self.tolerance:g})",
            f"  evidence     : {self.reason}",
        ]
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        rows = [
            rf"L_{{\mathrm{{true}}}} &= {lagrangian_latex(self.true_lagrangian)}",
            rf"L_{{\mathrm{{rec}}}} &= {lagrangian_latex(self.recovered_lagrangian)}",
        ]
        if self.normalised_lagrangian is not None:
            alpha = self.scale_rational or f"{self.scale:.6g}"
            rows.append(
                rf"L_{{\mathrm{{rec}}}} / \alpha &= "
                rf"{lagrangian_latex(self.normalised_lagrangian)}"
                rf"\quad (\alpha = {alpha})"
            )
        rows.append(rf"&\text{{{self._verdict_line()}}}")
        body = r" \\ ".join(rows)
        return rf"$$\begin{{aligned}} {body} \end{{aligned}}$$"

    def plot(self, ax: Axes | None = None) -> Axes:
        """Scatter recovered against true accelerations on the held-out states.

        Returns the Axes; never calls ``plt.show()``.
        """
        if self.true_accelerations is None or self.recovered_accelerations is None:
            raise ValueError(
                "this Comparison keeps no accelerations (it was loaded from "
                "JSON); run compare() again to plot"
            )
        from physym.figures import plot_acceleration_scatter

        return plot_acceleration_scatter(
            self.true_accelerations,
            self.recovered_accelerations,
            self.coordinates,
            ax=ax,
            title=f"{self.system}: {self._verdict_line()}",
        )
