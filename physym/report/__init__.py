"""Report: a run directory's ``report.md`` with equations, verdicts, metrics and figures.

``build_report(run_dir)`` writes it (``physym report DIR`` on the command line), drawing
the figures still missing from the arrays the run saved (:mod:`physym.figures`). Nothing
here imports pyplot.
"""

from physym.report.builder import REPORT_NAME, build_report
from physym.report.figures import draw_run_figures
from physym.runs import ReportError, RunData, read_run

__all__ = ["REPORT_NAME", "ReportError", "RunData", "build_report", "draw_run_figures", "read_run"]
