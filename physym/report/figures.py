"""The figures of a run, drawn from what its directory holds (``metrics.json`` and the
rollout arrays): ``physym fit`` calls :func:`draw_run_figures` once the arrays are saved,
and the report draws those still missing. Nothing is integrated here, so a figure always
shows the trajectories whose numbers ``summary.json`` reports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from physym.figures.run_figures import (
    ENERGY_PNG,
    LOSS_PNG,
    MEASURED_ENERGY_PNG,
    MEASURED_TRAJECTORY_PNG,
    RECOVERED_ENERGY_PNG,
    RECOVERED_TRAJECTORY_PNG,
    TRAJECTORY_PNG,
    save_loss,
    save_measured,
    save_rollout,
)
from physym.runs import MEASURED_ROLLOUT, ROLLOUT, RunData, read_run

__all__ = [
    "LOSS_PNG",
    "RECOVERED_ENERGY_PNG",
    "RECOVERED_TRAJECTORY_PNG",
    "draw_run_figures",
    "make_missing_figures",
]

_RECOVERED = (RECOVERED_TRAJECTORY_PNG, RECOVERED_ENERGY_PNG)


def draw_run_figures(run_dir: str | Path) -> list[str]:
    """Draw (again) every figure a run's arrays allow; returns notes on what could not be."""
    return make_missing_figures(read_run(run_dir), replot=True)


def make_missing_figures(
    run: RunData, recovered: object = None, *, replot: bool = False
) -> list[str]:
    """Write the figures that do not exist yet (all of them with ``replot``).

    Parameters
    ----------
    run : RunData
    recovered : object, optional
        Unused (the recovered ``L``'s rollout is read from ``rollout.npz``); kept for
        callers of the earlier signature.
    replot : bool
        Redraw every figure; those of the recovered ``L`` are deleted first, so none of an
        earlier result survives.

    Returns
    -------
    list of str
        Notes on figures that could not be made.
    """
    notes: list[str] = []
    path = run.path
    if replot:
        for name in _RECOVERED:
            (path / name).unlink(missing_ok=True)

    def wanted(*names: str) -> bool:
        return replot or not all((path / name).exists() for name in names)

    others = [p for p in path.glob("*loss*.png") if p.name != LOSS_PNG]
    if not others and wanted(LOSS_PNG) and run.metrics is not None:
        save_loss(path, run.metrics)
    try:
        notes += _rollout_figures(run, wanted)
    except Exception as exc:  # a figure must never stop a run or its report
        notes.append(
            f"figures failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        )
    return notes


def _rollout_figures(run: RunData, wanted: Callable[..., bool]) -> list[str]:
    notes: list[str] = []
    system, path = run.system, run.path
    arrays = run.arrays(ROLLOUT) if (path / ROLLOUT).is_file() else None
    if arrays is not None and not _well_shaped(arrays):
        notes.append("rollout.npz does not hold (T,), (T, B, 2n) arrays; not used")
        arrays = None
    title = system.name if system is not None else ""
    if arrays is not None and system is not None:
        from physym.data import energy_scale

        scale = energy_scale(system)
        # with a recovered L its figures show the network's rollout too: one pair suffices
        with_recovered = "recovered" in arrays
        names = _RECOVERED if with_recovered else (TRAJECTORY_PNG, ENERGY_PNG)
        if "energy_true" in arrays and wanted(*names):
            save_rollout(
                path,
                arrays,
                system.coordinates,
                system.periodic,
                scale,
                recovered=with_recovered,
                title=title,
            )
    summary = run.summary or {}
    rollout = summary.get("rollout") if isinstance(summary.get("rollout"), dict) else {}
    recovered_rollout = (rollout or {}).get("recovered")
    if isinstance(recovered_rollout, dict):
        notes += [
            f"the recovered Lagrangian's rollout stopped early: {why}"
            for why in recovered_rollout.get("failures") or []
        ]
    if (
        summary.get("recovered_lagrangian")
        and system is not None
        and (arrays is None or "recovered" not in arrays)
    ):
        notes.append(
            "no rollout of the recovered Lagrangian is saved in rollout.npz, so "
            "its figures are not drawn (`physym distill DIR` makes one)"
        )
    measured = run.arrays(MEASURED_ROLLOUT) if (path / MEASURED_ROLLOUT).is_file() else None
    if measured is not None and wanted(MEASURED_TRAJECTORY_PNG, MEASURED_ENERGY_PNG):
        coordinates = [str(q) for q in measured.get("coordinates", ())] or (
            list(system.coordinates) if system is not None else []
        )
        periodic = [bool(p) for p in measured.get("periodic", [False] * len(coordinates))]
        if coordinates:
            save_measured(path, measured, coordinates, periodic)
    return notes


def _well_shaped(arrays: dict[str, np.ndarray]) -> bool:
    t, true = arrays.get("t"), arrays.get("true")
    network = arrays.get("predicted", arrays.get("network"))
    return (
        t is not None
        and true is not None
        and true.ndim == 3
        and len(true) == len(t)
        and (network is None or network.shape == true.shape)
    )
