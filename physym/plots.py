"""PNG figures of a fit: loss curves, trajectories true vs network, energy over time.

``import physym`` never imports pyplot. The ``save_*`` functions draw on a bare
``matplotlib.figure.Figure`` with an Agg canvas (no global backend state) and write the
PNG atomically; the ``plot_*`` functions draw on given Axes, or create them with pyplot
when none are given, and never call ``plt.show()``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from physym.io import atomic_write

__all__ = ["plot_energy", "plot_loss", "plot_trajectories", "save_figure", "save_run_plots"]


def _axes(ax: Any, n: int = 1, **kwargs: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, created = plt.subplots(n, 1, squeeze=n == 1, **kwargs)
    return created


def plot_loss(history: Sequence[dict[str, Any]], ax: Any = None) -> Any:
    """Training loss and validation relative error per epoch (log scale).

    Parameters
    ----------
    history : sequence of dict
        Per-epoch records with ``epoch``, ``train_loss`` and ``val_rel_error``.
    ax : matplotlib Axes, optional
    """
    ax = _axes(ax)
    epochs = [r["epoch"] for r in history]
    ax.semilogy(epochs, [_finite(r.get("train_loss")) for r in history], label="train loss")
    ax.semilogy(epochs, [_finite(r.get("val_rel_error")) for r in history],
                label="validation ‖â − a‖/‖a‖")
    ax.set_xlabel("epoch")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title("training")
    return ax


def plot_trajectories(t: np.ndarray, true: np.ndarray, predicted: np.ndarray,
                      names: Sequence[str], axes: Any = None) -> Any:
    """Coordinates of one trajectory, exact (solid) and network (dashed).

    Parameters
    ----------
    t : numpy.ndarray, ``(T,)``
    true, predicted : numpy.ndarray, ``(T, 2n)``
    names : sequence of str
        Coordinate names (the first ``n`` state names).
    axes : sequence of ``n`` Axes, optional
    """
    n = len(names)
    axes = _axes(axes, n, sharex=True, figsize=(8, 2.2 * n + 1))
    for j, (ax, name) in enumerate(zip(axes, names, strict=True)):
        line, = ax.plot(t, true[:, j], label="exact")
        ax.plot(t, predicted[:, j], "--", color=line.get_color(), alpha=0.8,
                label="network")
        ax.set_ylabel(name)
        ax.legend(loc="upper right")
    axes[-1].set_xlabel("t")
    axes[0].set_title("trajectory: exact vs network")
    return axes


def plot_energy(t: np.ndarray, energy_true: np.ndarray, energy_predicted: np.ndarray,
                ax: Any = None) -> Any:
    """True energy along exact and network trajectories, relative to ``E(0)``.

    Parameters
    ----------
    t : numpy.ndarray, ``(T,)``
    energy_true, energy_predicted : numpy.ndarray, ``(T, B)``
    """
    ax = _axes(ax)
    reference = np.maximum(np.abs(energy_true[0]), 1e-12)
    for i in range(energy_true.shape[1]):
        label = ("network", "exact") if i == 0 else (None, None)
        ax.plot(t, (energy_predicted[:, i] - energy_true[0, i]) / reference[i],
                color="tab:orange", alpha=0.6, label=label[0])
        ax.plot(t, (energy_true[:, i] - energy_true[0, i]) / reference[i],
                color="tab:blue", alpha=0.6, label=label[1])
    ax.set_xlabel("t")
    ax.set_ylabel("(E − E₀) / |E₀|")
    ax.set_title("true energy along the trajectories")
    ax.legend()
    return ax


def save_figure(path: str | Path, draw: Callable[[Any], None], figsize: tuple = (8, 5),
                dpi: int = 110) -> Path:
    """Draw with ``draw(figure)`` on an Agg figure and write a PNG atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(figure)
    draw(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return atomic_write(path, lambda f: f.write(buffer.getvalue()))


def save_run_plots(run_dir: str | Path, history: Sequence[dict[str, Any]],
                   rollout: dict[str, np.ndarray] | None, names: Sequence[str]) -> list[Path]:
    """Write ``loss.png``, and with rollouts ``trajectories.png`` and ``energy.png``.

    ``rollout`` holds ``t`` ``(T,)``, ``true`` / ``predicted`` ``(T, B, 2n)`` and
    ``energy_true`` / ``energy_predicted`` ``(T, B)``.
    """
    run_dir = Path(run_dir)
    paths = [save_figure(run_dir / "loss.png",
                         lambda fig: plot_loss(history, ax=fig.add_subplot()))]
    if rollout is None or len(rollout["t"]) < 2:
        return paths
    n = len(names)
    paths.append(save_figure(
        run_dir / "trajectories.png",
        lambda fig: plot_trajectories(rollout["t"], rollout["true"][:, 0],
                                      rollout["predicted"][:, 0], names,
                                      axes=fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]),
        figsize=(8, 2.2 * n + 1)))
    paths.append(save_figure(
        run_dir / "energy.png",
        lambda fig: plot_energy(rollout["t"], rollout["energy_true"],
                                rollout["energy_predicted"], ax=fig.add_subplot())))
    return paths


def _finite(value: Any) -> float:
    return float(value) if value is not None and np.isfinite(value) else np.nan
