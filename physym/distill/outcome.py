"""The honest outcome of a run: what to say when no closed form passed the acceptance rule.

A closed form is *the recovered Lagrangian* only when it explains held-out data better
than the network does (``closed_form == "found"``). Otherwise the run's summary says so:
``recovered_lagrangian`` is null, ``exact`` and ``equivalent`` are false, and the best
candidate is kept under ``best_candidate`` with its errors, so that a 15-digit imitation is
never presented as the answer. The report and the CLI print :data:`NO_CLOSED_FORM`.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import sympy as sp

__all__ = ["NO_CLOSED_FORM", "apply_outcome", "outcome_line", "outcome_markdown", "run_notes"]

NO_CLOSED_FORM = "no closed form found that explains the data better than the network"


def apply_outcome(summary: MutableMapping[str, Any], distillation: Any) -> None:
    """Make a run's summary honest about the distillation's verdict (after the comparison).

    Sets ``closed_form`` and ``best_candidate`` (null when a closed form was found); when
    none was, also ``recovered_lagrangian`` to null, ``exact`` and ``equivalent`` (and
    those of ``comparison``) to false, with :data:`NO_CLOSED_FORM` leading the reason.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> d = SimpleNamespace(closed_form="approximate", lagrangian=sp.S("x_dot**2/2"),
    ...                     acceptance={"error": 1e-4, "network_error": 2e-3})
    >>> s = {"exact": True, "equivalent": True, "recovered_lagrangian": "x_dot**2/2"}
    >>> apply_outcome(s, d)
    >>> s["exact"], s["recovered_lagrangian"], s["best_candidate"]["accel_rel_error"]
    (False, None, 0.0001)
    """
    verdict = distillation.closed_form
    summary["closed_form"] = verdict
    if verdict == "found":
        summary["best_candidate"] = None
        return
    acceptance = distillation.acceptance
    fresh = (summary.get("accel_rel_error") or {}).get("recovered")
    summary["best_candidate"] = {
        "lagrangian": sp.sstr(distillation.lagrangian),
        "accel_rel_error": acceptance.get("error"),
        "network_accel_rel_error": acceptance.get("network_error"),
        "fresh_accel_rel_error": fresh,
        "closed_form": verdict,
    }
    summary["recovered_lagrangian"] = None
    summary["exact"] = False
    summary["equivalent"] = False
    comparison = summary.get("comparison")
    if isinstance(comparison, MutableMapping):
        comparison["exact"] = False
        comparison["equivalent"] = False
        reason = comparison.get("reason")
        comparison["reason"] = NO_CLOSED_FORM + (
            f"; the best candidate: {reason}" if reason else ""
        )


def _errors(candidate: Mapping[str, Any]) -> str:
    error = candidate.get("accel_rel_error")
    network = candidate.get("network_accel_rel_error")
    if error is None:
        return "no held-out error"
    text = f"held-out ‖â−a‖/‖a‖ = {error:.3g}"
    return text + ("" if network is None else f" (the network's: {network:.3g})")


def outcome_line(summary: Mapping[str, Any] | None) -> str | None:
    """One line for the CLI when no closed form was found, else ``None``.

    Examples
    --------
    >>> print(outcome_line({"best_candidate": {"accel_rel_error": 1e-4}})[:60])
    physym: no closed form found that explains the data better t
    """
    candidate = (summary or {}).get("best_candidate")
    if not isinstance(candidate, Mapping):
        return None
    return f"physym: {NO_CLOSED_FORM} (best candidate: {_errors(candidate)})"


def outcome_markdown(summary: Mapping[str, Any] | None) -> str | None:
    """The report's paragraph when no closed form was found, else ``None``."""
    candidate = (summary or {}).get("best_candidate")
    if not isinstance(candidate, Mapping):
        return None
    parts = [
        f"**{NO_CLOSED_FORM.capitalize()}** (`closed_form = "
        f'"{candidate.get("closed_form")}"`). The best candidate, '
        f"{_errors(candidate)}, is not a recovered Lagrangian:"
    ]
    text = candidate.get("lagrangian")
    try:
        from physym.comparison import lagrangian_latex, parse_lagrangian

        expr = parse_lagrangian(str(text), where="best_candidate")
        parts.append(f"$$\nL_{{\\mathrm{{best}}}} = {lagrangian_latex(expr)}\n$$")
    except (ValueError, TypeError):
        parts.append(f"`{text}`")
    return "\n\n".join(parts)


def run_notes(summary: Mapping[str, Any] | None) -> list[str]:
    """The lines the CLI prints after a run's result: no closed form found, and what the
    data cannot identify (:mod:`physym.distill.identifiability`).

    Examples
    --------
    >>> run_notes({"identifiability": {"note": "the accelerations are the same"}})
    ['note: the accelerations are the same']
    """
    lines = [line] if (line := outcome_line(summary)) else []
    identifiability = (summary or {}).get("identifiability")
    if isinstance(identifiability, Mapping) and identifiability.get("note"):
        lines.append(f"note: {identifiability['note']}")
    return lines
