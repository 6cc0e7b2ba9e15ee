"""Figures a report needs that the run does not have yet, made from the run's own data.

* ``loss.png`` from ``metrics.json`` (unless the run has a ``*loss*.png`` already);
* ``trajectories_recovered.png`` and ``energy_recovered.png``: the exact trajectory and the
  recovered Lagrangian's, integrated from the same initial state, with the network's
  rollout drawn too when the run saved one in ``rollout.npz`` (keys ``t``, ``true`` and
  ``predicted`` or ``network``, shaped ``(T,)``, ``(T, B, 2n)``, ``(T, B, 2n)``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from physym.report.plots import (
    loss_curves,
    plot_coordinate_errors,
    plot_energy,
    plot_loss,
    plot_trajectories,
    save_figure,
)
from physym.report.run_data import RunData

__all__ = ["LOSS_PNG", "RECOVERED_ENERGY_PNG", "RECOVERED_TRAJECTORY_PNG", "make_missing_figures"]

LOSS_PNG = "loss.png"
RECOVERED_TRAJECTORY_PNG = "trajectories_recovered.png"
RECOVERED_ENERGY_PNG = "energy_recovered.png"
DEFAULT_HORIZON = 10.0


def make_missing_figures(run: RunData, recovered: Any, *, replot: bool = False) -> list[str]:
    """Write the figures that do not exist yet (all of them with ``replot``).

    Parameters
    ----------
    run : RunData
    recovered : sympy.Expr, str or None
        The recovered Lagrangian (None: no recovered figures).
    replot : bool
        Redraw the figures this module makes (those of the recovered Lagrangian are
        deleted first, so none of an earlier result survives).

    Returns
    -------
    list of str
        Notes on figures that could not be made.
    """
    notes: list[str] = []
    others = [p for p in run.path.glob("*loss*.png") if p.name != LOSS_PNG]
    if not others and (replot or not (run.path / LOSS_PNG).exists()):
        curves = loss_curves(run.metrics) if run.metrics is not None else {}
        if curves:
            save_figure(run.path / LOSS_PNG, lambda fig: plot_loss(curves, ax=fig.add_subplot()))
    wanted = [RECOVERED_TRAJECTORY_PNG, RECOVERED_ENERGY_PNG]
    if replot:  # never leave a figure of an earlier recovered L next to the new report
        for name in wanted:
            (run.path / name).unlink(missing_ok=True)
    if recovered is None or run.system is None:
        return notes
    if not replot and all((run.path / name).exists() for name in wanted):
        return notes
    try:
        notes += _recovered_figures(run, recovered)
    except Exception as exc:  # a figure must never stop the report
        notes.append(f"figures of the recovered Lagrangian failed: "
                     f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    return notes


def _rollout_arrays(run: RunData) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    arrays = run.arrays("rollout.npz")
    if not arrays or "t" not in arrays or "true" not in arrays:
        return None
    network = arrays.get("predicted", arrays.get("network"))
    t, true = arrays["t"], arrays["true"]
    if true.ndim != 3 or len(true) != len(t) or (network is not None
                                                 and network.shape != true.shape):
        run.notes.append("rollout.npz does not hold (T,), (T, B, 2n) arrays; not used")
        return None
    return t, true[:, 0], None if network is None else network[:, 0]


def _recovered_figures(run: RunData, recovered: Any) -> list[str]:
    from physym.comparison import rollout_compare
    from physym.data import sample_states

    system = run.system
    assert system is not None
    saved = _rollout_arrays(run)
    network = None
    if saved is not None:
        t, true, network = saved
        start, t_end, n_points = true[0], float(t[-1]), len(t)
    else:
        seed = int((run.config or {}).get("seed", 0) or 0)
        start = sample_states(system, 1, seed=seed)[0]
        t_end = float((run.config or {}).get("rollout_t_end") or DEFAULT_HORIZON)
        n_points = 501
    rollout = rollout_compare(system, recovered, start[None], t_end, n_points=n_points)
    t = rollout.t
    exact = rollout.true[:, 0]
    mine: np.ndarray | None = rollout.recovered[:, 0]
    notes = [f"the recovered Lagrangian's trajectory stopped early: {why}"
             for why in rollout.failures]
    if mine is not None and not np.isfinite(mine).any():
        mine = None
        if network is None:
            return notes

    def draw_trajectories(fig: Any) -> None:
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
        plot_trajectories(t, exact, system.coordinates, recovered=mine, network=network,
                          ax=top)
        top.set_xlabel("")
        shown = ["exact"] + [label for label, states in (("network", network),
                                                         ("recovered-L", mine))
                             if states is not None]
        top.set_title(f"{system.name}: {', '.join(shown)} trajectories")
        plot_coordinate_errors(t, exact, {"network": network, "recovered": mine},
                               system.coordinates, periodic=system.periodic, ax=bottom)

    energies = {"exact": rollout.energy_true[:, 0]}
    if network is not None:
        finite = np.isfinite(network).all(axis=1)
        network_energy = np.full(len(network), np.nan)
        if finite.any():
            network_energy[finite] = system.energy(network[finite])
        energies["network"] = network_energy
    if mine is not None:
        energies["recovered"] = rollout.energy_recovered[:, 0]
    reference = max(abs(float(energies["exact"][0])), rollout.energy_scale)

    def draw_energy(fig: Any) -> None:
        ax = fig.add_subplot()
        plot_energy(t, energies, reference=reference, ax=ax)
        ax.set_title("change of the true energy along each trajectory "
                     "(E_ref = max(|E₀|, std of E over the box))")

    save_figure(Path(run.path) / RECOVERED_TRAJECTORY_PNG, draw_trajectories, size=(8, 6.5))
    save_figure(Path(run.path) / RECOVERED_ENERGY_PNG, draw_energy)
    return notes
