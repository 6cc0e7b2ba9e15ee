"""The refine stage: what the data source can add to the distilled ``L`` before it is
compared (measured positions: the constants refitted by multiple shooting, with
uncertainties; sampled states: nothing)."""

from __future__ import annotations

from physym.run.context import RunContext

__all__ = ["refine_stage"]


def refine_stage(ctx: RunContext) -> None:
    """``ctx.source.refine(ctx)`` once there is a distillation (it may replace it)."""
    if ctx.distillation is None or ctx.data is None:
        return
    ctx.source.refine(ctx)
