"""The figures of a run directory, drawn from the arrays the run saved and nothing else.

* ``loss.png``: learning curves from ``metrics.json``;
* ``trajectories.png`` / ``energy.png``: the first held-out rollout of ``rollout.npz``,
  exact vs network, when no recovered ``L`` was rolled out; otherwise
  ``trajectories_recovered.png`` / ``energy_recovered.png``: exact, network and the
  recovered ``L`` (``rollout.npz``'s ``recovered``), the very trajectories whose errors
  ``summary.json`` reports;
* ``trajectories_measured.png`` / ``energy_measured.png``: the first measured trajectory
  of ``rollout_measured.npz`` against the rollouts from its first state.

Nothing is integrated here: a figure whose arrays are missing is not drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from physym.figures.drawing import (
    learning_curves,
    plot_coordinate_errors,
    plot_energy,
    plot_loss,
    plot_trajectories,
    save_figure,
)

__all__ = [
    "ENERGY_PNG",
    "LOSS_PNG",
    "MEASURED_ENERGY_PNG",
    "MEASURED_TRAJECTORY_PNG",
    "RECOVERED_ENERGY_PNG",
    "RECOVERED_TRAJECTORY_PNG",
    "TRAJECTORY_PNG",
    "draw_loss",
    "draw_measured",
    "draw_rollout",
    "plot_run",
    "save_loss",
    "save_measured",
    "save_rollout",
]

LOSS_PNG = "loss.png"
TRAJECTORY_PNG, ENERGY_PNG = "trajectories.png", "energy.png"
RECOVERED_TRAJECTORY_PNG, RECOVERED_ENERGY_PNG = (
    "trajectories_recovered.png",
    "energy_recovered.png",
)
MEASURED_TRAJECTORY_PNG, MEASURED_ENERGY_PNG = ("trajectories_measured.png", "energy_measured.png")
Arrays = Mapping[str, np.ndarray]


def draw_loss(metrics: Any, ax: Any = None) -> Any:
    """Learning curves of ``metrics.json`` on ``ax`` (pyplot Axes if omitted)."""
    ax = plot_loss(learning_curves(metrics), ax=ax)
    ax.set_title("training")
    return ax


def save_loss(run_dir: str | Path, metrics: Any) -> Path | None:
    """``loss.png`` (``None`` when ``metrics`` hold no numeric series)."""
    if not learning_curves(metrics):
        return None
    return save_figure(Path(run_dir) / LOSS_PNG, lambda fig: draw_loss(metrics, fig.add_subplot()))


def _first(arrays: Arrays, key: str) -> np.ndarray | None:
    value = arrays.get(key)
    return None if value is None else value[:, 0]


def draw_rollout(
    arrays: Arrays,
    coordinates: Sequence[str],
    periodic: Sequence[str],
    energy_scale: float,
    *,
    trajectory_ax: Any = None,
    error_ax: Any = None,
    energy_ax: Any = None,
    recovered: bool = True,
) -> None:
    """The first held-out trajectory of ``rollout.npz`` (exact, network and, with
    ``recovered``, the recovered ``L``), its coordinate errors and its true energy."""
    t, exact = arrays["t"], arrays["true"][:, 0]
    network = _first(arrays, "predicted") if "predicted" in arrays else _first(arrays, "network")
    mine = _first(arrays, "recovered") if recovered else None
    if trajectory_ax is not None:
        plot_trajectories(t, exact, coordinates, network=network, recovered=mine, ax=trajectory_ax)
    if error_ax is not None:
        if trajectory_ax is not None:
            trajectory_ax.set_xlabel("")
        plot_coordinate_errors(
            t,
            exact,
            {"network": network, "recovered": mine},
            coordinates,
            periodic=periodic,
            ax=error_ax,
        )
    if energy_ax is not None:
        energies = {"exact": arrays["energy_true"][:, 0]}
        for label, key in (("network", "energy_predicted"), ("recovered", "energy_recovered")):
            if key in arrays and (label == "network" or recovered):
                energies[label] = arrays[key][:, 0]
        reference = max(abs(float(energies["exact"][0])), energy_scale)
        plot_energy(t, energies, reference=reference, ax=energy_ax)


def save_rollout(
    run_dir: str | Path,
    arrays: Arrays,
    coordinates: Sequence[str],
    periodic: Sequence[str],
    energy_scale: float,
    *,
    recovered: bool,
    title: str = "",
) -> list[Path]:
    """``trajectories.png`` and ``energy.png`` (exact vs network), or with ``recovered``
    ``trajectories_recovered.png`` and ``energy_recovered.png`` (the recovered ``L`` too).
    Nothing is drawn without the arrays it needs."""
    if len(arrays.get("t", ())) < 2 or (recovered and "recovered" not in arrays):
        return []
    names = (
        (RECOVERED_TRAJECTORY_PNG, RECOVERED_ENERGY_PNG)
        if recovered
        else (TRAJECTORY_PNG, ENERGY_PNG)
    )
    shown = "exact, network and recovered-L" if recovered else "exact and network"

    def trajectories(fig: Any) -> None:
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
        draw_rollout(
            arrays,
            coordinates,
            periodic,
            energy_scale,
            trajectory_ax=top,
            error_ax=bottom,
            recovered=recovered,
        )
        top.set_title(f"{title + ': ' if title else ''}first held-out trajectory, {shown}")

    def energy(fig: Any) -> None:
        ax = fig.add_subplot()
        draw_rollout(arrays, coordinates, periodic, energy_scale, energy_ax=ax, recovered=recovered)
        ax.set_title(
            "change of the true energy along the trajectory "
            "(E_ref = max(|E₀|, std of E over the box))"
        )

    return [
        save_figure(Path(run_dir) / names[0], trajectories, size=(8, 6.5)),
        save_figure(Path(run_dir) / names[1], energy),
    ]


def draw_measured(
    arrays: Arrays,
    coordinates: Sequence[str],
    periodic: Sequence[bool],
    *,
    trajectory_ax: Any = None,
    error_ax: Any = None,
    energy_ax: Any = None,
) -> None:
    """The first measured trajectory of ``rollout_measured.npz`` and the rollouts of the
    network and the recovered ``L`` from its first state (positions, errors, own energy)."""
    t = arrays["t"]
    inside = t <= arrays["spans"][0] + 1e-12
    t = t[inside]
    measured = arrays["measured"][inside, 0]
    models = {
        label: arrays[label][inside, 0] for label in ("network", "recovered") if label in arrays
    }
    if trajectory_ax is not None:
        for j, name in enumerate(coordinates):
            trajectory_ax.plot(
                t, measured[:, j], ".", color=f"C{j}", markersize=2, label=f"{name} (measured)"
            )
            for label, style in (("network", ":"), ("recovered", "--")):
                if label in models:
                    trajectory_ax.plot(
                        t, models[label][:, j], style, color=f"C{j}", label=f"{name} ({label})"
                    )
        trajectory_ax.set_ylabel("q")
        trajectory_ax.legend(fontsize="small", ncol=max(1, len(coordinates)))
    if error_ax is not None:
        exact = np.hstack((measured, np.zeros_like(measured)))
        angles = [q for q, p in zip(coordinates, periodic, strict=True) if p]
        plot_coordinate_errors(t, exact, dict(models), coordinates, periodic=angles, ax=error_ax)
        error_ax.set_ylabel("‖q − q_measured‖")
    if energy_ax is not None:
        energies = {
            label: arrays[f"energy_{label}"][inside, 0]
            for label in ("network", "recovered")
            if f"energy_{label}" in arrays
        }
        reference = max([abs(float(e[0])) for e in energies.values()] + [1e-12])
        plot_energy(t, energies, reference=reference, ax=energy_ax)
        energy_ax.set_ylabel("(E − E₀) / |E₀|")


def save_measured(
    run_dir: str | Path, arrays: Arrays, coordinates: Sequence[str], periodic: Sequence[bool]
) -> list[Path]:
    """``trajectories_measured.png`` and ``energy_measured.png``."""
    if len(arrays.get("t", ())) < 2:
        return []

    def trajectories(fig: Any) -> None:
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
        draw_measured(arrays, coordinates, periodic, trajectory_ax=top, error_ax=bottom)
        top.set_title("first measured trajectory and the rollouts from its first state")

    def energy(fig: Any) -> None:
        ax = fig.add_subplot()
        draw_measured(arrays, coordinates, periodic, energy_ax=ax)
        ax.set_title("each model's own energy E = q̇·∂L/∂q̇ − L along its rollout")

    return [
        save_figure(Path(run_dir) / MEASURED_TRAJECTORY_PNG, trajectories, size=(8, 6.5)),
        save_figure(Path(run_dir) / MEASURED_ENERGY_PNG, energy),
    ]


def plot_run(
    metrics: Any,
    rollout: Arrays | None,
    coordinates: Sequence[str],
    periodic: Sequence[str],
    energy_scale: float,
) -> Any:
    """A notebook figure of a run: learning curves, then (with rollout arrays) the first
    held-out trajectory (exact, network, recovered ``L``) and its true energy.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    panels = 3 if rollout is not None and len(rollout.get("t", ())) > 1 else 1
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.8), squeeze=False)
    draw_loss(metrics, ax=axes[0, 0])
    if rollout is not None and panels == 3:
        draw_rollout(
            rollout,
            coordinates,
            periodic,
            energy_scale,
            trajectory_ax=axes[0, 1],
            energy_ax=axes[0, 2],
        )
        axes[0, 1].set_title("held-out trajectory")
        axes[0, 2].set_title("true energy along it")
    fig.tight_layout()
    return fig
