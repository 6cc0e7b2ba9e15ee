"""Drawing primitives: trajectories, coordinate errors, energy, loss curves, scatter.

Every ``plot_*`` function draws on a given Axes and returns it; without one it creates a
figure with pyplot (imported only then) and never calls ``plt.show()``. ``save_*`` helpers
draw on a bare :class:`matplotlib.figure.Figure` with the Agg canvas, which touches no
global pyplot state, and write the PNG atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from physym.io import atomic_write

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "LEARNING_CURVES",
    "learning_curves",
    "loss_curves",
    "plot_acceleration_scatter",
    "plot_coordinate_errors",
    "plot_energy",
    "plot_loss",
    "plot_trajectories",
    "save_figure",
]

_STYLES = {"exact": ("k", "-"), "network": ("tab:blue", ":"), "recovered": ("tab:red", "--")}


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(7, 4))
    return ax


def save_figure(
    path: str | Path,
    draw: Callable[[Figure], Any],
    *,
    size: tuple[float, float] = (8, 5),
    dpi: int = 110,
) -> Path:
    """Call ``draw(figure)`` on a fresh Agg figure and write it to ``path`` as PNG atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "line.png"
    >>> save_figure(out, lambda fig: fig.add_subplot().plot([0, 1])).name
    'line.png'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(figure)
    draw(figure)
    return atomic_write(path, lambda f: figure.savefig(f, format="png", dpi=dpi))


def plot_trajectories(
    t: np.ndarray,
    exact: np.ndarray,
    coordinates: Sequence[str],
    *,
    recovered: np.ndarray | None = None,
    network: np.ndarray | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Coordinates against time: exact (solid), network (dotted), recovered L (dashed).

    Parameters
    ----------
    t : numpy.ndarray, shape ``(T,)``
    exact, recovered, network : numpy.ndarray, shape ``(T, 2n)``
        One trajectory each; only the first ``n`` columns (the coordinates) are drawn.
    coordinates : sequence of str
    ax : Axes, optional

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> t = np.linspace(0, 1, 5)
    >>> exact = np.stack([np.cos(t), -np.sin(t)], axis=1)
    >>> ax = plot_trajectories(t, exact, ["q"], recovered=exact, ax=Figure().add_subplot())
    >>> len(ax.lines)
    2
    """
    ax = _axes(ax)
    n = len(coordinates)
    colours = [f"C{j}" for j in range(n)]
    for label, states in (("exact", exact), ("network", network), ("recovered", recovered)):
        if states is None:
            continue
        _, style = _STYLES[label]
        for j, name in enumerate(coordinates):
            ax.plot(
                t,
                states[:, j],
                linestyle=style,
                color=colours[j],
                label=f"{name} ({label})",
                linewidth=1.6 if label == "exact" else 1.2,
            )
    ax.set_xlabel("t")
    ax.set_ylabel("q")
    ax.legend(fontsize="small", ncol=max(1, n))
    return ax


def plot_coordinate_errors(
    t: np.ndarray,
    exact: np.ndarray,
    others: Mapping[str, np.ndarray | None],
    coordinates: Sequence[str],
    *,
    periodic: Sequence[str] = (),
    ax: Axes | None = None,
) -> Axes:
    """``‖q(t) − q_exact(t)‖`` on a log scale, one line per labelled trajectory ``(T, 2n)``.

    Differences of ``periodic`` coordinates are wrapped to ``(−π, π]``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> t = np.linspace(0, 1, 3)
    >>> exact = np.zeros((3, 2))
    >>> ax = plot_coordinate_errors(t, exact, {"recovered": exact + 0.1}, ["q"],
    ...                             ax=Figure().add_subplot())
    >>> ax.get_yscale()
    'log'
    """
    ax = _axes(ax)
    n = len(coordinates)
    wrap = np.array([q in periodic for q in coordinates])
    for label, states in others.items():
        if states is None:
            continue
        diff = states[:, :n] - exact[:, :n]
        diff[:, wrap] = np.angle(np.exp(1j * diff[:, wrap]))
        colour, style = _STYLES.get(label, (None, "-"))
        error = np.linalg.norm(diff, axis=1)
        ax.plot(t, np.maximum(error, 1e-17), color=colour, linestyle=style, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("t")
    ax.set_ylabel("‖q − q_exact‖")
    ax.legend(fontsize="small")
    return ax


def plot_energy(
    t: np.ndarray,
    energies: Mapping[str, np.ndarray],
    *,
    reference: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """True energy along trajectories, one line per labelled series ``(T,)``.

    With ``reference``, draws the relative change ``(E(t) − E(0)) / reference`` instead.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = plot_energy(np.arange(3.0), {"exact": np.ones(3)}, ax=Figure().add_subplot())
    >>> ax.get_ylabel()
    'true energy E'
    """
    ax = _axes(ax)
    for label, energy in energies.items():
        colour, style = _STYLES.get(label, (None, "-"))
        values = energy if reference is None else (energy - energy[0]) / reference
        ax.plot(t, values, color=colour, linestyle=style, label=label)
    ax.set_xlabel("t")
    ax.set_ylabel("true energy E" if reference is None else "(E − E₀) / E_ref")
    if reference is not None:
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    ax.legend(fontsize="small")
    return ax


def loss_curves(metrics: Any) -> dict[str, np.ndarray]:
    """Numeric per-epoch series of a ``metrics.json``, whatever its layout.

    Accepts ``{"train_loss": [...], ...}``, ``{"epochs": [{"train_loss": ..}, ...]}`` or
    ``[{"epoch": 1, "train_loss": ..}, ...]``; keys naming the epoch or time are dropped.

    Examples
    --------
    >>> sorted(loss_curves([{"epoch": 1, "loss": 2.0}, {"epoch": 2, "loss": 1.0}]))
    ['loss']
    """
    if isinstance(metrics, Mapping):
        rows = next(
            (
                v
                for v in metrics.values()
                if isinstance(v, list) and v and all(isinstance(r, Mapping) for r in v)
            ),
            None,
        )
        if rows is None:
            series = {k: v for k, v in metrics.items() if isinstance(v, list)}
            return {
                k: np.asarray(v, dtype=float)
                for k, v in series.items()
                if _numeric(v) and not _is_clock(k)
            }
        metrics = rows
    if not isinstance(metrics, list) or not all(isinstance(r, Mapping) for r in metrics):
        return {}
    keys = [k for k in metrics[0] if not _is_clock(k)] if metrics else []
    series = {k: [r.get(k) for r in metrics] for k in keys}
    return {
        k: np.array([np.nan if x is None else x for x in v], dtype=float)
        for k, v in series.items()
        if _numeric([x for x in v if x is not None])
    }


def _numeric(values: Sequence[Any]) -> bool:
    return bool(values) and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in values
    )


def _is_clock(key: str) -> bool:
    return key.lower() in {
        "epoch",
        "epochs",
        "step",
        "steps",
        "time",
        "seconds",
        "wall_s",
        "lr",
        "learning_rate",
        "time_s",
        "cpu_s",
    }


#: The learning curves of physym's own ``metrics.json``, with their labels.
LEARNING_CURVES = {"train_loss": "train loss", "val_rel_error": "validation ‖â − a‖/‖a‖"}


def learning_curves(metrics: Any) -> dict[str, np.ndarray]:
    """The curves worth a loss figure: training loss and validation error when a fit
    recorded them (:data:`LEARNING_CURVES`), else every series of :func:`loss_curves`."""
    curves = loss_curves(metrics)
    chosen = {label: curves[key] for key, label in LEARNING_CURVES.items() if key in curves}
    return chosen or curves


def plot_loss(curves: Mapping[str, np.ndarray], *, ax: Axes | None = None) -> Axes:
    """Loss curves against epoch, on a log scale when every series is positive.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> plot_loss({"train": np.array([1.0, 0.1])}, ax=Figure().add_subplot()).get_yscale()
    'log'
    """
    ax = _axes(ax)
    for label, values in curves.items():
        epochs = np.arange(1, len(values) + 1)
        ax.plot(epochs, values, label=label)
    if all(np.nanmin(v) > 0 for v in curves.values() if np.isfinite(v).any()):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss / error")
    ax.legend(fontsize="small")
    return ax


def plot_acceleration_scatter(
    true: np.ndarray,
    recovered: np.ndarray,
    coordinates: Sequence[str],
    *,
    ax: Axes | None = None,
    title: str = "",
) -> Axes:
    """Recovered against true accelerations ``(batch, n)``, with the diagonal.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> a = np.array([[1.0], [2.0]])
    >>> len(plot_acceleration_scatter(a, a, ["q"], ax=Figure().add_subplot()).collections)
    1
    """
    ax = _axes(ax)
    for j, name in enumerate(coordinates):
        ax.scatter(true[:, j], recovered[:, j], s=4, alpha=0.6, label=f"{name}̈")
    finite = np.isfinite(true)
    if finite.any():
        low, high = float(np.min(true[finite])), float(np.max(true[finite]))
        ax.plot([low, high], [low, high], color="k", linewidth=0.8)
    ax.set_xlabel("true q̈")
    ax.set_ylabel("recovered q̈")
    ax.set_title(title, fontsize="small")
    ax.legend(fontsize="small")
    return ax
