"""The sweep figure: test acceleration error, valid-prediction time and exact-recovery rate
against ``N/P`` (log x), one line per network size, mean over seeds with a min–max band.

A dashed vertical line marks ``N = P``: to its left the network has more parameters than
training samples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["PANELS", "plot_sweep", "save_sweep_plot"]

#: (row key, y label, log y)
PANELS = (
    ("accel_rel_error", "test ‖â − a‖ / ‖a‖", True),
    ("valid_time_s", "valid-prediction time [s]", False),
    ("exact", "exact-recovery rate", False),
)
FINISHED = ("done", "reused")


def plot_sweep(
    rows: Sequence[dict[str, Any]], series: Sequence[str] = ("width",), axes: Any = None
) -> Any:
    """Draw the three panels of a sweep.

    Parameters
    ----------
    rows : sequence of dict
        Table rows (:mod:`physym.sweep.table`); only finished points are drawn.
    series : sequence of str
        Settings that tell the lines apart (default ``("width",)``).
    axes : sequence of three Axes, optional
        Created with pyplot (one row of three) when omitted.

    Returns
    -------
    numpy.ndarray of Axes
    """
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 3, sharex=True, figsize=(14, 4.2), layout="constrained")
    axes = np.asarray(axes).ravel()
    groups = _group(rows, series)
    for (key, label, log_y), ax in zip(PANELS, axes, strict=True):
        drawn = False
        for name, points in groups.items():
            drawn |= _draw_line(ax, points, key, name)
        ax.axvline(1.0, color="0.4", linestyle="--", linewidth=1, label="N = P")
        ax.set_xscale("log")
        if log_y and drawn:
            ax.set_yscale("log")
        if key == "exact":
            ax.set_ylim(-0.05, 1.05)
            if not drawn:
                ax.text(
                    0.5,
                    0.5,
                    "no exact-recovery verdicts\n(distillation not run)",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    color="0.4",
                )
        ax.set_xlabel("N / P  (training samples / parameters)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize="small")
    return axes


def save_sweep_plot(
    path: str | Path, rows: Sequence[dict[str, Any]], series: Sequence[str] = ("width",)
) -> Path:
    """Write the figure of :func:`plot_sweep` to a PNG (Agg, atomically)."""
    from physym.figures.drawing import save_figure

    def draw(figure: Any) -> None:
        plot_sweep(rows, series, figure.subplots(1, 3, sharex=True))

    return save_figure(path, draw, size=(14, 4.2))


def _group(
    rows: Sequence[dict[str, Any]], series: Sequence[str]
) -> dict[str, dict[float, list[dict[str, Any]]]]:
    """Finished rows by line label, then by ``N/P``."""
    groups: dict[str, dict[float, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row.get("status") in FINISHED and row.get("n_over_p"):
            label = ", ".join(f"{key} {row.get(key)}" for key in series) or "all points"
            groups[label][float(row["n_over_p"])].append(row)
    return dict(sorted(groups.items(), key=lambda item: _sort_key(item[0])))


def _draw_line(ax: Any, points: dict[float, list[dict[str, Any]]], key: str, label: str) -> bool:
    """Mean over seeds with a min–max band; for ``exact`` the rate. False if nothing."""
    x, mean, low, high = [], [], [], []
    for n_over_p in sorted(points):
        values = [
            float(r[key])
            for r in points[n_over_p]
            if r.get(key) is not None and np.isfinite(float(r[key]))
        ]
        if values:
            x.append(n_over_p)
            mean.append(np.mean(values))
            low.append(np.min(values))
            high.append(np.max(values))
    if not x:
        return False
    (line,) = ax.plot(x, mean, "o-", label=label)
    if key != "exact":
        ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    return True


def _sort_key(label: str) -> tuple:
    """Numeric order of labels such as ``width 16`` before ``width 128``."""
    parts = []
    for token in label.replace(",", " ").split():
        try:
            parts.append((0, float(token), ""))
        except ValueError:
            parts.append((1, 0.0, token))
    return tuple(parts)
