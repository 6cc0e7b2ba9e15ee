"""The closed form's constants refitted to the measured positions by multiple shooting.

After the distill stage of a fit from measured positions, the distillation's constants
(coefficients and nonlinear parameters) are fitted to the positions themselves
(:func:`physym.shooting.fit_constants`), starting from the Euler–Lagrange polish and
weighted by the measured noise. Its terms are revisited first: the distillation chose
them on noisy derivatives, which can leave a look-alike in place of the true form, so
its alternatives (:mod:`physym.run.sources.shooting_candidates`: limits of nonlinear
parameters, the search's other candidates, other models of each target) are fitted too
and the positions choose (:func:`physym.shooting.choice.choose_closed_form`: an
information criterion on common windows, then on the full fits). Terms whose 95 %
interval holds 0 are dropped where the F-test agrees; a constant becomes a rational only
where one lies in its interval (:func:`physym.shooting.rationalise`). The refined ``L``
replaces the distillation's as the recovered Lagrangian; the distillation's own record
(``distillation.json``) is kept as it was.

The refined ``L`` is judged again by the acceptance rule (DESIGN.md §4) on the validation
blocks: the polish's constants may have failed it (a closed form whose constants carry the
derivative estimate's noise) where the positions' constants pass. The better of the two
verdicts stands: the derivative targets carry the smoothing's bias, which the polish (and
the network) fit and the positions' constants do not, so the rule on those targets cannot
downgrade constants that match the positions better.

Never fatal: a failure (terms the data cannot determine, diverging trajectories…) is
recorded in ``summary["shooting"]`` and the fit goes on with the polish's result.

Summary entries: ``shooting`` (``status`` ``"applied"``, ``"failed"``, ``"skipped"`` or
``"off"``, with the fit's χ², windows, re-selection, the polish's Lagrangian and
``forms``: the closed forms compared, each with its χ² and criterion, and the one
chosen) and ``constants`` (one entry per constant: ``name``, ``kind``, ``value``,
``sigma``, ``interval_95``, ``rational``, ``in_lagrangian``, ``start``, ``role``). The
whole result, covariance included, goes to ``shooting.json``.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass
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
    from physym.network.base import LagrangianModel
    from physym.run.sources.base import SourceData, StageView
    from physym.shooting import ShootingResult

__all__ = [
    "SHOOTING_FILE",
    "Refit",
    "closed_form_terms",
    "compare_forms",
    "constants_summary",
    "misses_positions",
    "one_line",
    "refine_by_shooting",
    "refit_closed_form",
]

#: Relative error allowed the measured noise when χ²/dof is read as a misfit.
MISFIT_SLACK = 0.05
#: The acceptance rule's verdicts, worst first.
VERDICTS = ("none", "approximate", "found")
#: The shooting result (constants, covariance, stages) in the run directory.
SHOOTING_FILE = "shooting.json"


@dataclass(frozen=True, eq=False)
class Refit:
    """A distillation's closed form refitted by multiple shooting.

    Attributes
    ----------
    result : ShootingResult
        The constants with their covariance.
    values : tuple of sympy numbers
        Each constant as it stands in ``L`` (rational where its interval allows).
    distillation : Distillation
        The input with the refined ``lagrangian`` and ``coefficients``, and the verdict of
        the acceptance rule on the refined ``L`` (``closed_form``, ``acceptance``) when it
        could be judged; ``polish["lagrangian"]`` keeps the polish's ``L``.
    judged : dict or None
        That verdict's evidence (``None``: not judged, the polish's verdict stands).
    forms : dict
        The closed forms compared by the positions (:func:`compare_forms`): ``chosen``
        (its label), ``rule``, ``compared`` (one record per form) and ``cpu_seconds``.
    """

    result: ShootingResult
    values: tuple[sp.Expr, ...]
    distillation: Distillation
    judged: dict[str, Any] | None
    forms: dict[str, Any] = dataclasses.field(default_factory=dict)


def refit_closed_form(
    distillation: Distillation,
    estimate: StateEstimate,
    model: LagrangianModel | None,
    data: SourceData | None,
    *,
    progress: bool = False,
    alternatives: bool = True,
) -> Refit:
    """Refit ``distillation``'s constants to ``estimate``'s positions and judge the refined
    ``L`` against ``model`` on ``data``'s validation blocks (see the module docstring).

    ``alternatives``: compare the distillation's closed form with its alternatives
    (:func:`compare_forms`); without, its own terms are refitted.

    Raises
    ------
    Exception
        Whatever the shooting fit raises (:class:`~physym.shooting.ShootingError` for
        constants the data cannot determine or diverging trajectories); the callers record
        it.
    """
    from physym.shooting import rationalise

    result, forms = compare_forms(
        distillation, estimate, data, progress=progress, alternatives=alternatives
    )
    values = rationalise(result)
    lagrangian = result.lagrangian(values)
    if not lagrangian.free_symbols:
        raise ValueError("the refit dropped every state-dependent term")
    judged = _judge(model, data, lagrangian)
    coefficients = {
        term: sp.sstr(v) for term, v in zip(result.terms, values, strict=False) if v != 0
    }
    before = (distillation.polish or {}).get("lagrangian") or sp.sstr(distillation.lagrangian)
    changes: dict[str, Any] = {
        "lagrangian": lagrangian,
        "coefficients": coefficients,
        "polish": {**(distillation.polish or {}), "lagrangian": before},
    }
    if judged is not None:
        verdict = max(distillation.closed_form, judged["verdict"], key=VERDICTS.index)
        acceptance = {**judged, "polish": distillation.acceptance}
        changes.update(closed_form=verdict, acceptance=acceptance)
    return Refit(result, values, dataclasses.replace(distillation, **changes), judged, forms)


def compare_forms(
    distillation: Distillation,
    estimate: StateEstimate,
    data: SourceData | None,
    *,
    progress: bool = False,
    alternatives: bool = True,
) -> tuple[ShootingResult, dict[str, Any]]:
    """The distillation's closed form and its alternatives
    (:func:`~physym.run.sources.shooting_candidates.alternative_forms`) fitted to the
    positions; the chosen one's full fit (:func:`physym.shooting.choice.choose_closed_form`)
    and the record of the comparison.

    Raises
    ------
    Exception
        Whatever the distillation's own closed form's fit raises (an alternative that
        fails, or alternatives that cannot be built, are only recorded).
    """
    from physym.run.sources.shooting_candidates import alternative_forms
    from physym.shooting.choice import Candidate, choose_closed_form

    dynamics, start, params, scale = closed_form_terms(distillation)
    incumbent = Candidate("distillation", dynamics, start, params, scale)
    record: dict[str, Any] = {}
    candidates = [incumbent]
    try:
        space = data.space if data is not None else _estimate_space(estimate)
        if alternatives:
            candidates = alternative_forms(incumbent, distillation, estimate, space)
    except Exception as exc:  # the alternatives are a refinement: never fatal
        record["error"] = one_line(exc)
    choice = choose_closed_form(candidates, estimate, progress=progress)
    record.update(
        chosen=candidates[choice.index].label,
        changed=choice.index != 0,
        rule=choice.rule,
        compared=[dict(c) for c in choice.compared],
        cpu_seconds=choice.cpu_seconds,
    )
    return choice.result, record


def refine_by_shooting(ctx: StageView, estimate: StateEstimate) -> None:
    """The refine stage's work: :func:`refit_closed_form` on ``ctx.distillation``, recorded
    in the summary and ``shooting.json``; a failure is recorded and changes nothing."""
    distillation = ctx.distillation
    if distillation is None:
        return
    if not ctx.config.distill.shooting:
        ctx.summary["shooting"] = {"status": "off"}
        return
    begin, cpu = time.perf_counter(), time.process_time()
    try:
        refit = refit_closed_form(
            distillation, estimate, ctx.model, ctx.data, progress=ctx.progress
        )
    except Exception as exc:  # a refinement must never cost the fit its result
        ctx.summary["shooting"] = {
            "status": "failed",
            "error": one_line(exc),
            "seconds": time.perf_counter() - begin,
            "cpu_seconds": time.process_time() - cpu,
        }
        return
    result = refit.result
    write_json(ctx.run_dir / SHOOTING_FILE, json_safe(result.to_dict()))
    ctx.summary["constants"] = constants_summary(result, refit.values)
    ctx.summary["shooting"] = {
        "status": "applied",
        "polish_lagrangian": refit.distillation.polish["lagrangian"],
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
        "misses_positions": misses_positions(result),
        "closed_form_before": distillation.closed_form,
        "acceptance": refit.judged,
        "forms": refit.forms,
        "seconds": time.perf_counter() - begin,
        "cpu_seconds": time.process_time() - cpu,
    }
    ctx.distillation = refit.distillation
    ctx.summary["closed_form"] = refit.distillation.closed_form


def _estimate_space(estimate: StateEstimate) -> Any:
    """The state space the estimate covers (where no run data name one)."""
    from physym.data.state_estimate import state_box
    from physym.distill.space import StateSpace

    low, high = state_box(estimate.states, estimate.periodic)
    return StateSpace(tuple(estimate.coordinates), tuple(estimate.periodic), low, high)


def misses_positions(result: ShootingResult) -> bool:
    """Whether the refined ``L`` misses the measured positions: χ²/dof beyond
    ``1 + MISFIT_SLACK + 3·√(2/dof)`` (three standard deviations of χ²/dof, plus a slack
    for the noise estimate's own error). A recorded warning, not a verdict."""
    limit = 1 + MISFIT_SLACK + 3 * float(np.sqrt(2 / max(result.dof, 1)))
    return bool(result.reduced_chi2 > limit)


def one_line(exc: BaseException) -> str:
    """``"Type: first line of the message"``."""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _judge(
    model: LagrangianModel | None, data: SourceData | None, lagrangian: sp.Expr
) -> dict[str, Any] | None:
    """The acceptance rule (:mod:`physym.distill.acceptance`) on the refined ``L``: against
    the network on the validation blocks (not used by the distillation), with the data's
    noise floor. ``None`` without a network or validation samples."""
    import torch

    from physym.distill.acceptance import Acceptance

    if model is None or data is None:
        return None
    dataset = data.dataset
    index = dataset.val_index if len(dataset.val_index) else dataset.test_index
    if not len(index):
        return None
    network = copy.deepcopy(model).to(torch.float64).eval()
    held_out = (dataset.states[index], dataset.accelerations[index])
    rule = Acceptance(
        network, data.space, held_out, network_is_truth=False, noise_floor=data.noise_floor
    )
    return {**rule.judge(lagrangian), "held_out": "validation blocks"}


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
