"""The closed form's constants refitted to the measured positions by multiple shooting.

After the distill stage of a fit from measured positions, the distillation's terms are
kept and their constants (coefficients and nonlinear parameters) are fitted to the
positions themselves (:func:`physym.shooting.fit_constants`), starting from the
Euler–Lagrange polish and weighted by the measured noise. Terms whose 95 % interval holds 0
are dropped where the F-test agrees; a constant becomes a rational only where one lies in
its interval (:func:`physym.shooting.rationalise`). The refined ``L`` replaces the
distillation's as the recovered Lagrangian; the distillation's own record
(``distillation.json``) is kept as it was.

Never fatal: a failure (terms the data cannot determine, diverging trajectories…) is
recorded in ``summary["shooting"]`` and the fit goes on with the polish's result.

Summary entries: ``shooting`` (``status`` ``"applied"``, ``"failed"``, ``"skipped"`` or
``"off"``, with the fit's χ², windows, re-selection and the polish's Lagrangian) and
``constants`` (one entry per constant: ``name``, ``kind``, ``value``, ``sigma``,
``interval_95``, ``rational``, ``in_lagrangian``, ``start``, ``role``). The whole result,
covariance included, goes to ``shooting.json``.
"""

from __future__ import annotations

import dataclasses
import time
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from physym.io import write_json
from physym.runs import json_safe

if TYPE_CHECKING:
    from physym.data import StateEstimate
    from physym.distill import Distillation
    from physym.distill.euler_lagrange import TermDynamics
    from physym.distill.polish import ScaleFix
    from physym.run.sources.base import StageView
    from physym.shooting import ShootingResult

__all__ = ["SHOOTING_FILE", "closed_form_terms", "constants_summary", "refine_by_shooting"]

#: The shooting result (constants, covariance, stages) in the run directory.
SHOOTING_FILE = "shooting.json"


def refine_by_shooting(ctx: StageView, estimate: StateEstimate) -> None:
    """Refit ``ctx.distillation``'s constants to ``estimate``'s positions (see the module
    docstring); replaces ``ctx.distillation`` with the refined ``L`` on success."""
    distillation = ctx.distillation
    if distillation is None:
        return
    if not ctx.config.distill.shooting:
        ctx.summary["shooting"] = {"status": "off"}
        return
    if distillation.closed_form == "none":
        ctx.summary["shooting"] = {
            "status": "skipped",
            "reason": "no closed form was found: there are no terms to refit",
        }
        return
    begin, cpu = time.perf_counter(), time.process_time()
    try:
        result, lagrangian, values = _shoot(distillation, estimate, ctx.progress)
    except Exception as exc:  # a refinement must never cost the fit its result
        message = str(exc).splitlines()[0] if str(exc) else ""
        ctx.summary["shooting"] = {
            "status": "failed",
            "error": f"{type(exc).__name__}: {message}",
            "seconds": time.perf_counter() - begin,
            "cpu_seconds": time.process_time() - cpu,
        }
        return
    write_json(ctx.run_dir / SHOOTING_FILE, json_safe(result.to_dict()))
    ctx.summary["constants"] = constants_summary(result, values)
    ctx.summary["shooting"] = {
        "status": "applied",
        "polish_lagrangian": sp.sstr(distillation.lagrangian),
        "chi2": result.chi2,
        "dof": result.dof,
        "reduced_chi2": result.reduced_chi2,
        "noise": list(result.noise),
        "windows": dict(result.windows),
        "continuity": dict(result.continuity),
        "dropped": [r["term"] for r in result.reselection if r["dropped"]],
        "reselection": [dict(r) for r in result.reselection],
        "converged": result.converged,
        "iterations": result.iterations,
        "scale": {k: result.scale[k] for k in ("kind", "value", "pivot_term")},
        "seconds": time.perf_counter() - begin,
        "cpu_seconds": time.process_time() - cpu,
    }
    coefficients = {
        term: sp.sstr(v) for term, v in zip(result.terms, values, strict=False) if v != 0
    }
    ctx.distillation = dataclasses.replace(
        distillation, lagrangian=lagrangian, coefficients=coefficients
    )


def _shoot(
    distillation: Distillation, estimate: StateEstimate, progress: bool
) -> tuple[ShootingResult, sp.Expr, tuple[sp.Expr, ...]]:
    from physym.shooting import fit_constants, rationalise

    dynamics, start, params, scale = closed_form_terms(distillation)
    result = fit_constants(dynamics, start, estimate, scale=scale, params=params, progress=progress)
    values = rationalise(result)
    lagrangian = result.lagrangian(values)
    if not lagrangian.free_symbols:
        raise ValueError("the refit dropped every state-dependent term")
    return result, lagrangian, values


def closed_form_terms(
    distillation: Distillation,
) -> tuple[TermDynamics, np.ndarray, dict[str, float], ScaleFix | None]:
    """The distillation's terms, their polished coefficients, nonlinear parameters and
    scale condition, ready for :func:`physym.shooting.fit_constants`.

    The terms are the distillation's final ones (``coefficients``); each starts from its
    Euler–Lagrange polish value (the final, possibly rational, value where none was
    recorded). The scale stays the distillation's: its anchor term keeps its coefficient;
    without one, the largest velocity-dependent coefficient keeps its value.

    Raises
    ------
    ValueError
        A term or parameter the safe parser cannot read, or no term at all.
    """
    from physym.distill.euler_lagrange import TermDynamics
    from physym.distill.polish import ScaleFix
    from physym.systems.expression_parser import parse_expression
    from physym.systems.names import coordinate_symbol, velocity_symbol

    coordinates = tuple(distillation.coordinates)
    raw_params = (distillation.polish or {}).get("params") or {}
    params = {str(name): _number(value) for name, value in raw_params.items()}
    names = [*coordinates, *(str(velocity_symbol(q)) for q in coordinates), *params]
    symbols = {name: coordinate_symbol(name) for name in names}
    texts = [t for t, v in distillation.coefficients.items() if _number(v) != 0]
    if not texts:
        raise ValueError("the distillation has no terms to refit")
    terms = [parse_expression(t, symbols, where=f"term {t!r}") for t in texts]
    polished = distillation.coefficients_after_polish
    start = np.array(
        [
            polished[t]
            if np.isfinite(polished.get(t, np.nan)) and polished.get(t, 0) != 0
            else _number(distillation.coefficients[t])
            for t in texts
        ]
    )
    used = sorted(set().union(*(term.free_symbols for term in terms)), key=str)
    param_symbols = tuple(s for s in used if str(s) in params)
    dynamics = TermDynamics(
        terms,
        tuple(symbols[q] for q in coordinates),
        tuple(symbols[str(velocity_symbol(q))] for q in coordinates),
        param_symbols,
    )
    anchor = (distillation.scale or {}).get("term")
    scale = None
    if anchor in texts:
        k = texts.index(anchor)
        value = _number(distillation.coefficients[anchor])
        start = start * (value / start[k]) if start[k] != 0 else start
        scale = ScaleFix("term", value, k)
    return dynamics, start, {str(s): params[str(s)] for s in param_symbols}, scale


def _number(text: Any) -> float:
    """A number the distillation wrote (``"981/100"``, ``"0.5"``, a float), never eval'd."""
    if isinstance(text, int | float):
        return float(text)
    try:
        return float(Fraction(str(text).strip()))
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"not a number: {text!r}") from exc


def constants_summary(result: ShootingResult, values: tuple[sp.Expr, ...]) -> list[dict[str, Any]]:
    """``summary["constants"]``: each constant's value ± σ, its 95 % interval, and the
    rational (or float) it has in the recovered ``L``."""
    rows = []
    for constant, value in zip(result.constants, values, strict=True):
        low, high = constant.interval(0.95)
        rational = value if isinstance(value, sp.Rational) and constant.role != "dropped" else None
        rows.append(
            {
                "name": constant.name,
                "kind": constant.kind,
                "value": constant.value,
                "sigma": constant.stderr,
                "interval_95": [low, high],
                "rational": None if rational is None else sp.sstr(rational),
                "in_lagrangian": sp.sstr(value),
                "start": constant.start,
                "role": constant.role,
            }
        )
    return rows
