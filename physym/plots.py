"""The figures ``physym fit`` writes: ``loss.png``, ``trajectories.png``, ``energy.png``.

Drawing is shared with the report (:mod:`physym.report.plots`): bare Agg figures written
atomically, pyplot imported only when a notebook asks for new Axes, never ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["loss_series", "plot_history", "plot_run", "save_run_plots"]


def loss_series(history: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Training loss and validation relative error per epoch, ``nan`` where missing."""

    def column(key: str) -> np.ndarray:
        return np.array([np.nan if r.get(key) is None else r[key] for r in history],
                        dtype=float)

    return {"train loss": column("train_loss"),
            "validation ‖â − a‖/‖a‖": column("val_rel_error")}


def plot_history(history: Sequence[Mapping[str, Any]], ax: Any = None) -> Any:
    """Loss curves of a fit on ``ax`` (created with pyplot if omitted); returns the Axes."""
    from physym.report.plots import plot_loss

    ax = plot_loss(loss_series(history), ax=ax)
    ax.set_title("training")
    return ax


def save_run_plots(run_dir: str | Path, history: Sequence[Mapping[str, Any]],
                   rollout: Mapping[str, np.ndarray] | None, coordinates: Sequence[str],
                   energy_scale: float = 1.0) -> list[Path]:
    """Write ``loss.png``, and with rollouts ``trajectories.png`` and ``energy.png``.

    Parameters
    ----------
    run_dir : path
    history : sequence of dict
        Per-epoch records (``train_loss``, ``val_rel_error``).
    rollout : mapping, optional
        ``t`` ``(T,)``, ``true`` / ``predicted`` ``(T, B, 2n)`` and ``energy_true`` /
        ``energy_predicted`` ``(T, B)``; the first trajectory is drawn.
    coordinates : sequence of str
    energy_scale : float
        Energy changes are drawn relative to ``max(|E(0)|, energy_scale)``.
    """
    from physym.report.plots import plot_energy, plot_trajectories, save_figure

    run_dir = Path(run_dir)
    paths = [save_figure(run_dir / "loss.png",
                         lambda fig: plot_history(history, ax=fig.add_subplot()))]
    if rollout is None or len(rollout["t"]) < 2:
        return paths
    t = rollout["t"]

    def trajectories(fig: Any) -> None:
        ax = plot_trajectories(t, rollout["true"][:, 0], coordinates,
                               network=rollout["predicted"][:, 0], ax=fig.add_subplot())
        ax.set_title("held-out trajectory: exact vs network")

    def energy(fig: Any) -> None:
        reference = max(abs(float(rollout["energy_true"][0, 0])), energy_scale)
        ax = plot_energy(t, {"exact": rollout["energy_true"][:, 0],
                             "network": rollout["energy_predicted"][:, 0]},
                         reference=reference, ax=fig.add_subplot())
        ax.set_title("true energy along the trajectory")

    paths.append(save_figure(run_dir / "trajectories.png", trajectories))
    paths.append(save_figure(run_dir / "energy.png", energy))
    return paths


def plot_run(run_dir: str | Path, history: Sequence[Mapping[str, Any]], system: Any) -> Any:
    """A notebook figure of a run: loss curves, then (with ``rollout.npz``) the first held-out
    trajectory, exact vs network vs recovered ``L``, and its true energy.

    Parameters
    ----------
    run_dir : path
    history : sequence of dict
        Per-epoch records (``metrics.json``'s ``epochs``).
    system : System
        The true system (its coordinates and energy scale).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from physym.data import energy_scale
    from physym.report.plots import plot_energy, plot_trajectories

    path = Path(run_dir) / "rollout.npz"
    rollout = None
    if path.is_file():
        with np.load(path) as saved:
            rollout = {k: saved[k] for k in saved.files}
    panels = 3 if rollout is not None and len(rollout["t"]) > 1 else 1
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.8), squeeze=False)
    plot_history(history, ax=axes[0, 0])
    if panels == 1 or rollout is None:
        return fig
    t = rollout["t"]
    recovered = rollout.get("recovered")
    plot_trajectories(t, rollout["true"][:, 0], system.coordinates,
                      network=rollout["predicted"][:, 0],
                      recovered=None if recovered is None else recovered[:, 0], ax=axes[0, 1])
    axes[0, 1].set_title("held-out trajectory")
    energies = {"exact": rollout["energy_true"][:, 0],
                "network": rollout["energy_predicted"][:, 0]}
    if "energy_recovered" in rollout:
        energies["recovered"] = rollout["energy_recovered"][:, 0]
    reference = max(abs(float(rollout["energy_true"][0, 0])), energy_scale(system))
    plot_energy(t, energies, reference=reference, ax=axes[0, 2])
    axes[0, 2].set_title("true energy along it")
    fig.tight_layout()
    return fig
