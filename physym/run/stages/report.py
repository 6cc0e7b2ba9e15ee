"""The plots and report stages: every figure drawn from the arrays the run saved, then
``report.md`` (:mod:`physym.report`)."""

from __future__ import annotations

from pathlib import Path

from physym.run.context import RunContext

__all__ = ["plots_stage", "write_report"]


def plots_stage(ctx: RunContext) -> None:
    """``loss.png``, the rollout figures and the measured-data figures (from the run's
    files only); a figure that fails becomes a note, never an error."""
    from physym.report import draw_run_figures

    notes = draw_run_figures(ctx.run_dir)
    if notes:
        ctx.summary["figure_notes"] = notes


def write_report(run_dir: Path) -> str | None:
    """Build ``report.md`` of a run; the first line of the error if it fails."""
    from physym.report import build_report

    try:
        build_report(run_dir)
    except Exception as exc:  # a report must never cost the run
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None
