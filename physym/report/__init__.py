"""Report: a run directory's ``report.md`` with equations, verdicts, metrics and figures.

``build_report(run_dir)`` writes it (``physym report DIR`` on the command line); the
plotting helpers in :mod:`physym.report.plots` draw the figures and are also what the result
objects' ``.plot()`` methods use. Nothing here imports pyplot at import time.
"""

from physym.report.builder import REPORT_NAME, build_report
from physym.report.run_data import ReportError, RunData, read_run

__all__ = ["REPORT_NAME", "ReportError", "RunData", "build_report", "read_run"]
