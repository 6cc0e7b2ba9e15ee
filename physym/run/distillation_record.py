"""What a distillation leaves in a run: ``distillation.json`` and its summary entries.

Shared by the distill stage and by data sources that replace the distillation (the
measured-data refit), so that neither imports the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from physym.io import write_json
from physym.runs import DISTILLATION, json_safe

if TYPE_CHECKING:
    from physym.distill import Distillation
    from physym.run.sources.base import StageView

__all__ = ["record_distillation"]


def record_distillation(ctx: StageView, result: Distillation) -> None:
    """``distillation.json`` and the summary entries of a distillation."""
    write_json(ctx.run_dir / DISTILLATION, json_safe(result.to_dict()))
    ctx.distillation = result
    ctx.summary["backend"] = result.backend
    ctx.summary["closed_form"] = result.closed_form
    if result.dissipation is not None or (
        ctx.system is not None and not ctx.system.is_conservative
    ):
        import sympy as sp

        ctx.summary["recovered_dissipation"] = (
            None if result.dissipation is None else sp.sstr(result.dissipation)
        )
    details: dict[str, Any] = {
        "acceptance": result.acceptance,
        "targets": result.targets,
        "scale_convention": result.scale.get("convention"),
        "alpha": result.scale.get("alpha"),
        "polish": result.polish,
        "quadratic_check": result.quadratic_check,
        "curl_check": result.curl_check,
        "timings": result.timings,
        "search": {"level": result.search.get("level"), "levels": result.search.get("levels")},
    }
    ctx.summary["distillation"] = details
