"""``SweepResult``: the table of a sweep, printable, plottable, and reloadable from disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from physym.sweep.checks import SweepError
from physym.sweep.plot import plot_sweep, save_sweep_plot
from physym.sweep.table import columns_of, read_csv, to_csv_text, write_csv

__all__ = ["CSV_NAME", "PLOT_NAME", "SweepResult", "load_sweep"]

CSV_NAME, PLOT_NAME = "sweep.csv", "sweep.png"


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The rows of a sweep, one per point, in grid order.

    Attributes
    ----------
    path : Path
        The sweep directory (``sweep.csv``, ``sweep.png``, ``points/<name>/``).
    varied : tuple of str
        The varied settings, ``seed`` last (the columns after ``point``).
    rows : tuple of dict
        One per point; keys ``point``, :attr:`varied` and
        :data:`~physym.sweep.table.METRIC_COLUMNS`.

    Examples
    --------
    >>> result = load_sweep("runs/sweep")                       # doctest: +SKIP
    >>> result.plot()                                           # doctest: +SKIP
    """

    path: Path
    varied: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """The CSV's columns."""
        return columns_of(self.varied)

    @property
    def series(self) -> tuple[str, ...]:
        """Settings that tell the plot's lines apart: the varied ones except the sample
        count (the x axis) and the seed (averaged over)."""
        return tuple(k for k in self.varied if k not in ("samples", "seed"))

    def to_csv(self, path: str | Path | None = None) -> str | Path:
        """Write the table to ``path`` (atomically) or, without one, return its text."""
        if path is None:
            return to_csv_text(self.rows, self.columns)
        return write_csv(path, self.rows, self.columns)

    def plot(self, axes: Any = None) -> Any:
        """Error, valid-prediction time and exact-recovery rate vs ``N/P`` (three Axes,
        created with pyplot when ``axes`` is omitted); see :func:`plot_sweep`."""
        return plot_sweep(self.rows, self.series, axes)

    def save_plot(self, path: str | Path | None = None) -> Path:
        """Write the figure as a PNG (default ``sweep.png`` in the sweep directory)."""
        return save_sweep_plot(path or self.path / PLOT_NAME, self.rows, self.series)

    def count(self, status: str) -> int:
        """Number of points with ``status`` (``done``, ``reused``, ``failed``, ``pending``)."""
        return sum(row["status"] == status for row in self.rows)

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{self.count(s)} {s}" for s in ("done", "reused", "failed", "pending") if self.count(s)
        )
        lines = [f"SweepResult({str(self.path)!r}: {len(self.rows)} points, {counts})"]
        header = [*self.varied, "N/P", "accel err", "valid t", "exact", "status"]
        table = [header] + [
            [
                *(str(row[k]) for k in self.varied),
                _fmt(row["n_over_p"]),
                _fmt(row["accel_rel_error"]),
                _fmt(row["valid_time_s"]),
                _fmt(row["exact"]),
                row["status"],
            ]
            for row in self.rows
        ]
        widths = [max(len(line[i]) for line in table) for i in range(len(header))]
        lines += [
            "  " + "  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True))
            for line in table
        ]
        return "\n".join(lines)


def load_sweep(path: str | Path) -> SweepResult:
    """Read a sweep directory's ``sweep.csv`` back into a :class:`SweepResult`."""
    path = Path(path)
    if not (path / CSV_NAME).is_file():
        raise SweepError(f"{path} holds no sweep: {CSV_NAME} is missing")
    columns, rows = read_csv(path / CSV_NAME)
    if "point" not in columns or "status" not in columns:
        raise SweepError(f"{path / CSV_NAME}: not a sweep table (no point/status columns)")
    varied = tuple(columns[columns.index("point") + 1 : columns.index("status")])
    return SweepResult(path, varied, tuple(rows))


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.3g}" if isinstance(value, float) else str(value)
