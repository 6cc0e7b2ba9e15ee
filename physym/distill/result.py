"""The result of :func:`physym.distill.distill`: a frozen, serialisable record."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import sympy as sp

from physym.systems.expression_parser import parse_expression
from physym.systems.system import coordinate_symbol, velocity_name, velocity_symbol

__all__ = ["Distillation"]


@dataclass(frozen=True, eq=False)
class Distillation:
    """A recovered closed-form Lagrangian and the evidence behind it.

    Attributes
    ----------
    lagrangian : sympy.Expr
        The recovered ``L`` in the coordinate and ``<q>_dot`` symbols (real), scale fixed
        by ``scale["convention"]``, constants dropped.
    coordinates : tuple of str
    backend : str
        The backend asked for (rows of ``pareto`` name the one that produced them).
    targets : {"M,A,V", "M,A,V+T", "L"}
        Quadratic route (mass matrix, curl of ``A``, potential), the same with velocity
        forms that are not quadratic in ``q̇`` offered to its polish, or the fallback.
    scale : dict
        ``convention`` (text), ``term`` (the anchor term, if any) and ``alpha``: the
        network's Lagrangian is about ``alpha × lagrangian`` (up to a total derivative).
    pareto : list of dict
        Per target, the complexity–error front: ``target``, ``complexity``, ``error``,
        ``expression``, ``backend``, ``chosen``.
    coefficients_before_polish, coefficients_after_polish : dict of str to float
        Term → coefficient, scale fixed, before and after the Euler–Lagrange refit
        (``after`` is empty when polishing was off).
    coefficients : dict of str to str
        Term → final coefficient (a rational where the data allowed it).
    quadratic_check, curl_check, polish : dict
        Measured values and tolerances of the checks; polish data source and
        acceleration errors before / after polishing and after rationalising.
    selection : dict
        The selection rule used (``ratio``, ``floor``, ``noise``), the network's relative
        acceleration error on the data (``None`` without data) and the error ``tolerance``
        above which the fallback backend was tried.
    timings : dict of str to float
        Seconds per stage.
    closed_form : {"found", "approximate", "none"}
        The verdict of the acceptance rule (DESIGN.md §4) on held-out data: ``"found"``
        when the polished closed form's accelerations are within the threshold
        (round-off on exact data, the stated noise floor otherwise) and better than the
        network's; ``"approximate"`` when it beats the network but misses the threshold;
        ``"none"`` when it does not explain the held-out data better than the network.
    acceptance : dict
        The evidence: ``error`` (held-out relative acceleration error of the closed form),
        ``network_error`` (of the network, on the same states), ``noise_floor``,
        ``threshold`` and ``n_states``.
    dissipation : sympy.Expr or None
        The recovered Rayleigh function ``R`` of a fit with friction (``None`` without).
    search : dict
        The search behind it: ``levels`` (per level its name, backend, targets fitted,
        seconds and whether a form passed), ``candidates`` (every closed form judged:
        level, route, Lagrangian, held-out ``error``, verdict, number of terms,
        complexity), ``level`` (where the result came from), ``failures`` and ``budget``.
    """

    lagrangian: sp.Expr
    coordinates: tuple[str, ...]
    backend: str
    targets: str
    scale: dict[str, Any]
    pareto: list[dict[str, Any]]
    coefficients_before_polish: dict[str, float]
    coefficients_after_polish: dict[str, float]
    coefficients: dict[str, str]
    quadratic_check: dict[str, Any]
    curl_check: dict[str, Any]
    polish: dict[str, Any] = field(default_factory=dict)
    selection: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    closed_form: str = "none"
    acceptance: dict[str, Any] = field(default_factory=dict)
    search: dict[str, Any] = field(default_factory=dict)
    dissipation: sp.Expr | None = None

    @property
    def found(self) -> bool:
        """Whether the closed form passed the acceptance rule."""
        return self.closed_form == "found"

    # ----------------------------------------------------------------- exports

    def sympy(self) -> sp.Expr:
        """The recovered Lagrangian as a SymPy expression."""
        return self.lagrangian

    def latex(self) -> str:
        """LaTeX of the recovered Lagrangian (without ``$``)."""
        return sp.latex(self.lagrangian)

    def _repr_latex_(self) -> str:
        return f"$L_{{\\mathrm{{rec}}}} = {self.latex()}$"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data; :meth:`from_dict` reloads it."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["lagrangian"] = sp.sstr(self.lagrangian)
        data["dissipation"] = None if self.dissipation is None else sp.sstr(self.dissipation)
        data["coordinates"] = list(self.coordinates)
        return json.loads(json.dumps(data, default=float))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Distillation:
        """Inverse of :meth:`to_dict` (the Lagrangian string is parsed safely)."""
        data = dict(data)
        coordinates = tuple(data["coordinates"])
        names = {q: coordinate_symbol(q) for q in coordinates}
        names |= {velocity_name(q): velocity_symbol(q) for q in coordinates}
        names["t"] = coordinate_symbol("t")  # a recovered L or R may depend on time
        text = data["lagrangian"]
        data["lagrangian"] = (
            sp.Integer(0)
            if text.strip() == "0"
            else parse_expression(text, names, where="distillation")
        )
        if data.get("dissipation") is not None:
            data["dissipation"] = parse_expression(data["dissipation"], names, where="distillation")
        data["coordinates"] = coordinates
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    # ------------------------------------------------------------------ display

    def __str__(self) -> str:
        label = "L" if self.found else "best candidate (no closed form found)"
        lines = [
            f"Distillation ({self.backend}, targets {self.targets})",
            f"  {label} = {sp.sstr(self.lagrangian)}",
            f"  closed form: {self.closed_form}{_acceptance(self.acceptance)}"
            + (f"; search level {self.search['level']}" if self.search.get("level") else ""),
            f"  scale: {self.scale.get('convention', '')}; alpha = "
            f"{self.scale.get('alpha', float('nan')):.6g}",
            f"  quadratic check: {_check(self.quadratic_check, 'passed')}",
            f"  curl check: {_check(self.curl_check, 'kept')}",
        ]
        if self.polish:
            lines.append(
                "  polish ({source}, {n_samples} samples): accel error "
                "{accel_error_before:.3g} -> {accel_error_after:.3g} -> "
                "{accel_error_final:.3g}".format(**self.polish)
            )
        width = max([len(t) for t in self.coefficients] + [4])
        lines.append(f"  {'term':<{width}} {'before':>14} {'after':>14}  final")
        for term, final in self.coefficients.items():
            before = self.coefficients_before_polish.get(term, float("nan"))
            after = self.coefficients_after_polish.get(term, float("nan"))
            lines.append(f"  {term:<{width}} {before:>14.8g} {after:>14.8g}  {final}")
        lines.append(f"  {'target':<18} {'complexity':>10} {'error':>10}  expression")
        for row in self.pareto:
            mark = "*" if row["chosen"] else " "
            lines.append(
                f" {mark}{row['target']:<18} {row['complexity']:>10d} "
                f"{row['error']:>10.3g}  {row['expression'][:60]}"
            )
        return "\n".join(lines)


def _acceptance(acceptance: Mapping[str, Any]) -> str:
    if "error" not in acceptance:
        return ""
    network = acceptance.get("network_error")
    return (
        f" (held-out accel error {acceptance['error']:.3g}"
        + ("" if network is None else f", network {network:.3g}")
        + f", threshold {acceptance.get('threshold', float('nan')):.3g})"
    )


def _check(check: Mapping[str, Any], flag: str) -> str:
    if not check:
        return "not run"
    return (
        f"{flag}={check.get(flag)} (measured {check.get('measured', float('nan')):.3g}, "
        f"tolerance {check.get('tolerance', float('nan')):.3g})"
    )
