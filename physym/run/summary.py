"""``summary.json``: the keys every run has (DESIGN.md §5), then what the stages found."""

from __future__ import annotations

import time
from typing import Any

from physym.run.context import RunContext
from physym.runs import json_safe, versions

__all__ = ["build_summary"]


def build_summary(ctx: RunContext, started: float, cpu_started: float) -> dict[str, Any]:
    """The summary of a run so far, with wall (``timings``) and CPU (``cpu_seconds``)
    seconds per stage and in total (process start-up and imports before :func:`fit`
    excluded)."""
    import sympy as sp

    system = ctx.system
    summary: dict[str, Any] = {
        "system": ctx.name,
        "true_lagrangian": None if system is None else sp.sstr(system.lagrangian_numeric),
        "recovered_lagrangian": None,
        "equivalent": None,
        "exact": None,
        "scale": None,
        "closed_form": None,
        "accel_rel_error": {"network": None, "recovered": None},
        "rollout": None,
        "backend": None,
        "data_source": ctx.source.name,
        "warnings": [],
        "constants": None,  # with uncertainties where the data give them (measured positions)
    }
    if system is not None and not (system.is_conservative and not system.has_inputs):
        summary |= {
            "true_dissipation": None
            if system.dissipation is None
            else sp.sstr(system.dissipation_numeric),
            "recovered_dissipation": None,
            "forces": {q: sp.sstr(e) for q, e in system.forces.items()},
            "inputs": list(system.inputs),
        }
    summary.update(ctx.summary)
    summary["timings"] = {**ctx.timings, "total": time.perf_counter() - started}
    summary["cpu_seconds"] = {**ctx.cpu_seconds, "total": time.process_time() - cpu_started}
    summary["versions"] = versions()
    return json_safe(summary)
