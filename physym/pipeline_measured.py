"""``fit`` from measured positions over time (``config.data``): the stages that differ.

The loop is the usual one, ``data → train → evaluate → rollout → plots → distill →
compare``, with the data estimated from positions (:mod:`physym.data.state_estimate`)
and two cases for what the result is compared with:

* **with a reference system** (``physym fit REF --data FILE``): the file's columns are
  REF's coordinates. REF's sampling box is replaced by the box the data cover (the network
  knows nothing outside it), the held-out errors are against REF's exact accelerations at
  the estimated states, and the comparison with REF's Lagrangian runs as usual;
* **without one** (``physym fit --data FILE --coordinates x,theta``): there is no true
  Lagrangian. Distillation samples the box the data cover (:class:`~physym.distill.
  StateSpace`), ``accel_rel_error`` is against the *estimated* accelerations of the
  held-out time blocks, and ``true_lagrangian``, ``equivalent``, ``exact`` and ``scale``
  are ``null`` in ``summary.json``.

In both cases the network and the recovered ``L`` are rolled out from the first state of
each measured trajectory and compared with the measured positions over its time span
(:mod:`physym.rollout.measured`): ``summary["rollout"]`` without a reference, and
``summary["measured"]["rollout"]`` beside the exact rollouts with one. The distillation
accepts a larger worsening of the data fit (``distill_slack``, 0.5) when it prunes terms
or rationalises constants, since the estimated accelerations carry a systematic
smoothing error that spurious small terms would otherwise absorb.

The training targets are the estimated ``q̈``. The multi-step rollout loss
(``multistep_steps``, :mod:`physym.training.multistep`) is the usual alternative to
pointwise targets for noisy data — it compares short rollouts with states rather than
second derivatives — but it integrates *exact* segments of a reference system: with REF
it runs, from the estimated states, on REF's own equations (a study setting, not a
measured-data method); without REF it is refused. Segments cut from the measured
trajectories themselves are not implemented yet.

Files added to the run directory:
``measured.npz`` (positions, smoothed positions, estimated derivatives, kept samples),
``rollout_measured.npz`` and ``trajectories_measured.png`` / ``energy_measured.png``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from physym.io import save_npz, write_json
from physym.runs import DATA, SYSTEM
from physym.systems import System

__all__ = ["MEASURED", "MEASURED_ROLLOUT", "check_measured_config", "measured_compare_stage",
           "measured_data_stage",
           "measured_plots_stage", "measured_rollout_stage", "measured_stages",
           "restore_measured", "run_name"]

MEASURED = "measured.npz"
MEASURED_ROLLOUT = "rollout_measured.npz"
TRAJECTORY_PNG = "trajectories_measured.png"
ENERGY_PNG = "energy_measured.png"
MIN_SAMPLES_PER_TRAJECTORY = 10


def run_name(config: Any, system: System | None) -> str:
    """The name a run goes by: the system's, or the data file's without one."""
    return system.name if system is not None else Path(config.data).name


def measured_stages(stages: Any) -> tuple[Any, ...]:
    """``stages`` with rollout, plots and compare replaced by their measured-data versions
    (which call the standard ones too when there is a reference system)."""
    from physym.pipeline import Stage

    replacement = {"rollout": measured_rollout_stage, "plots": measured_plots_stage,
                   "compare": measured_compare_stage}
    return tuple(Stage(s.name, replacement[s.name]) if s.name in replacement else s
                 for s in stages)


# ------------------------------------------------------------------ data


def check_measured_config(config: Any, system: System | None) -> None:
    """Settings that need the system or the file: errors before the run directory exists.

    Raises
    ------
    ConfigError
        Coordinates or periodic flags that contradict the reference system; the multi-step
        loss without one.
    DataError
        The file cannot be read as positions over time (see
        :func:`~physym.data.measured.load_measured_positions`).
    """
    from physym.data.measured import load_measured_positions
    from physym.data.state_estimate import check_time_steps
    from physym.training.config import ConfigError

    if system is not None:
        for key, given, own in (("coordinates", config.coordinates, system.coordinates),
                                ("periodic", config.periodic, system.periodic)):
            if given is not None and set(given) != set(own):
                raise ConfigError(f"fit: {key} {', '.join(given) or '(none)'} differ from "
                                  f"those of {system.name!r} ({', '.join(own) or 'none'}); "
                                  f"leave {key} out to use the system's")
    elif config.multistep_steps:
        raise ConfigError("fit: the multi-step loss (multistep_steps) integrates exact "
                          "segments of a reference system; give REF or set multistep_steps=0")
    coordinates = config.coordinates if system is None else system.coordinates
    measured = load_measured_positions(config.data, coordinates, config.time_column,
                                       config.trajectory_column, MIN_SAMPLES_PER_TRAJECTORY)
    check_time_steps(measured, config.derivative)


def measured_data_stage(ctx: Any) -> None:
    """Read positions, estimate ``q̇`` and ``q̈``, trim, split: ``data.npz``, ``measured.npz``."""
    from physym.data import Dataset
    from physym.data.measured import load_measured_positions
    from physym.data.state_estimate import estimate_states, measured_dataset

    cfg = ctx.config
    if ctx.resume and (ctx.run_dir / DATA).is_file() and (ctx.run_dir / MEASURED).is_file():
        ctx.dataset = Dataset.load(ctx.run_dir / DATA)
        restore_measured(ctx)
        return
    system = ctx.system
    coordinates = system.coordinates if system is not None else cfg.coordinates
    periodic = system.periodic if system is not None else cfg.periodic or ()
    measured = load_measured_positions(cfg.data, coordinates, cfg.time_column,
                                       cfg.trajectory_column, MIN_SAMPLES_PER_TRAJECTORY)
    estimate = estimate_states(measured, periodic=periodic, method=cfg.derivative,
                               window=cfg.derivative_window, order=cfg.derivative_order,
                               smoothing=cfg.derivative_smoothing, trim=cfg.derivative_trim)
    clean = None
    if system is not None:
        ctx.system = _within_box(system, *_box(estimate))
        write_json(ctx.run_dir / SYSTEM, ctx.system.to_dict())
        clean = ctx.system.accelerations(estimate.states)
    ctx.dataset = measured_dataset(estimate, run_name(cfg, system), accelerations_clean=clean,
                                   splits=cfg.splits, seed=cfg.seed, max_samples=cfg.samples)
    ctx.dataset.save(ctx.run_dir / DATA)
    save_npz(ctx.run_dir / MEASURED, {**estimate.to_arrays(),
                                      "settings": np.str_(json.dumps(estimate.settings)),
                                      "labels": np.array(measured.labels, dtype=np.str_)})
    _attach(ctx, estimate, measured.labels)


def restore_measured(ctx: Any) -> None:
    """Reload ``measured.npz`` of a run into ``ctx`` (on resume and for ``redistill``)."""
    from physym.data.state_estimate import StateEstimate

    with np.load(ctx.run_dir / MEASURED, allow_pickle=False) as saved:
        arrays = {key: saved[key] for key in saved.files}
    estimate = StateEstimate.from_arrays(arrays, json.loads(str(arrays["settings"])))
    _attach(ctx, estimate, tuple(str(v) for v in np.atleast_1d(arrays["labels"])))


def _attach(ctx: Any, estimate: Any, labels: tuple[str, ...]) -> None:
    from physym.distill import StateSpace

    ctx.measured = estimate
    ctx.space = StateSpace(estimate.coordinates, estimate.periodic, *_box(estimate))
    cfg = ctx.config
    settings = estimate.settings
    info: dict[str, Any] = {
        "file": str(cfg.data), "coordinates": list(estimate.coordinates),
        "periodic": [q for q, p in zip(estimate.coordinates, estimate.periodic, strict=True)
                     if p],
        "trajectories": len(labels), "samples": len(estimate.t),
        "kept": int(estimate.kept.sum()), "used": len(ctx.dataset),
        "split": "contiguous time blocks",
        "derivative": {key: settings.get(key) for key in
                       ("method", "windows", "orders", "smoothing", "trim", "step")},
        "position_noise": dict(zip(estimate.coordinates, settings.get("noise") or [],
                                   strict=False)),
        "target_noise": estimate.target_noise(),
        "reference": None if ctx.system is None else ctx.system.name,
    }
    clean = ctx.dataset.accelerations_clean
    if clean is not None:  # how far the estimated targets are from the reference's
        info["derivative_error"] = float(np.linalg.norm(ctx.dataset.accelerations - clean)
                                         / np.linalg.norm(clean))
    ctx.summary["measured"] = {**(ctx.summary.get("measured") or {}), **info}
    if ctx.system is None:
        ctx.summary["accel_rel_error_against"] = ("accelerations estimated from the measured "
                                                  "positions (no true Lagrangian)")


def _box(estimate: Any) -> tuple[np.ndarray, np.ndarray]:
    from physym.data.state_estimate import state_box

    return state_box(estimate.states, estimate.periodic)


def _within_box(system: System, low: np.ndarray, high: np.ndarray) -> System:
    """``system`` sampled from the box the data cover."""
    sampling = {name: (float(a), float(b))
                for name, a, b in zip(system.state_names, low, high, strict=True)}
    return System(system.name, system.coordinates, system.lagrangian, system.parameters,
                  sampling, description=system.description, periodic=system.periodic,
                  source=system.source)


# ------------------------------------------------------------------ rollout and plots


def _measured_rollout(ctx: Any) -> dict[str, Any] | None:
    """The rollout against the measured positions: ``summary["rollout"]`` without a
    reference system, ``summary["measured"]["rollout"]`` beside the exact one with it."""
    if ctx.system is None:
        return ctx.summary.get("rollout")
    return ctx.summary["measured"].get("rollout")


def _set_measured_rollout(ctx: Any, report: dict[str, Any]) -> None:
    if ctx.system is None:
        ctx.summary["rollout"] = report
    else:
        ctx.summary["measured"]["rollout"] = report


def measured_rollout_stage(ctx: Any) -> None:
    """The network from each trajectory's first state against the measured positions."""
    from physym.pipeline import _threads, rollout_stage
    from physym.rollout import model_accelerations
    from physym.rollout.measured import model_energy, rollout_against_measured

    if ctx.system is not None:
        rollout_stage(ctx)
    cfg = ctx.config
    if cfg.rollout_states == 0:
        return
    with _threads(1):
        result = rollout_against_measured(model_accelerations(ctx.model),
                                          model_energy(ctx.model), ctx.measured,
                                          n_trajectories=cfg.rollout_states,
                                          dt=cfg.rollout_dt)
    _set_measured_rollout(ctx, result.to_dict())
    save_npz(ctx.run_dir / MEASURED_ROLLOUT, {
        "t": result.t, "measured": result.measured, "smoothed": result.smoothed,
        "network": result.predicted, "energy_network": result.energy, "spans": result.spans})


def measured_plots_stage(ctx: Any) -> None:
    """The usual figures (loss only, without a reference) and the measured-data ones."""
    from physym.pipeline import plots_stage
    from physym.plots import save_run_plots

    if ctx.system is not None:
        plots_stage(ctx)
    else:
        history = ctx.train_result.history if ctx.train_result is not None else ()
        save_run_plots(ctx.run_dir, history, None, ctx.measured.coordinates)
    draw_measured_figures(ctx.run_dir, ctx.measured.coordinates, ctx.measured.periodic)


def draw_measured_figures(run_dir: Path, coordinates: tuple[str, ...],
                          periodic: tuple[bool, ...]) -> None:
    """``trajectories_measured.png`` and ``energy_measured.png`` of the first trajectory."""
    from physym.report.plots import plot_coordinate_errors, plot_energy, save_figure

    path = Path(run_dir) / MEASURED_ROLLOUT
    if not path.is_file():
        return
    with np.load(path) as saved:
        arrays = {key: saved[key] for key in saved.files}
    t, n = arrays["t"], len(coordinates)
    inside = t <= arrays["spans"][0] + 1e-12
    t = t[inside]
    measured = arrays["measured"][inside, 0]
    models = {label: arrays[label][inside, 0] for label in ("network", "recovered")
              if label in arrays}

    def trajectories(fig: Any) -> None:
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
        for j, name in enumerate(coordinates):
            top.plot(t, measured[:, j], ".", color=f"C{j}", markersize=2,
                     label=f"{name} (measured)")
            for label, style in (("network", ":"), ("recovered", "--")):
                if label in models:
                    top.plot(t, models[label][:, j], style, color=f"C{j}",
                             label=f"{name} ({label})")
        top.set_ylabel("q")
        top.legend(fontsize="small", ncol=max(1, n))
        top.set_title("first measured trajectory and the rollouts from its first state")
        exact = np.hstack((measured, np.zeros_like(measured)))
        plot_coordinate_errors(t, exact, {k: v for k, v in models.items()},
                               coordinates, periodic=[q for q, p in
                                                      zip(coordinates, periodic, strict=True)
                                                      if p], ax=bottom)
        bottom.set_ylabel("‖q − q_measured‖")

    def energy(fig: Any) -> None:
        ax = fig.add_subplot()
        energies = {label: arrays[f"energy_{label}"][inside, 0]
                    for label in ("network", "recovered") if f"energy_{label}" in arrays}
        reference = max([abs(float(e[0])) for e in energies.values()] + [1e-12])
        plot_energy(t, energies, reference=reference, ax=ax)
        ax.set_ylabel("(E − E₀) / |E₀|")
        ax.set_title("each model's own energy E = q̇·∂L/∂q̇ − L along its rollout")

    save_figure(Path(run_dir) / TRAJECTORY_PNG, trajectories, size=(8, 6.5))
    save_figure(Path(run_dir) / ENERGY_PNG, energy)


# ------------------------------------------------------------------ compare


def measured_compare_stage(ctx: Any) -> None:
    """Compare with the reference (if any); check the recovered ``L`` against the data."""
    import sympy as sp

    from physym.recovery_stages import compare_stage

    distillation = getattr(ctx, "distillation", None)
    if distillation is None:
        return
    if ctx.system is not None:
        compare_stage(ctx)
    else:
        ctx.summary["recovered_lagrangian"] = sp.sstr(distillation.lagrangian)
    info = ctx.summary["measured"]
    try:
        recovered = _recovered_system(ctx, distillation.lagrangian)
        error = _held_out_error(ctx, recovered)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        note = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        info["recovered"] = {"skipped": note}
        return
    info["recovered_accel_error_vs_data"] = error
    if ctx.system is None:
        ctx.summary.setdefault("accel_rel_error", {})["recovered"] = error
    _rollout_recovered(ctx, recovered)


def _recovered_system(ctx: Any, lagrangian: Any) -> System:
    space = ctx.space
    names = (*space.coordinates, *(f"{q}_dot" for q in space.coordinates))
    sampling = {name: (float(a), float(b))
                for name, a, b in zip(names, space.low, space.high, strict=True)}
    periodic = [q for q, p in zip(space.coordinates, space.periodic, strict=True) if p]
    name = run_name(ctx.config, ctx.system).replace(".", "_")
    return System(f"{name}_recovered", space.coordinates, lagrangian, {}, sampling,
                  periodic=periodic)


def _held_out_error(ctx: Any, recovered: System) -> float:
    """``‖â − a‖/‖a‖`` of the recovered ``L`` against the estimated accelerations."""
    dataset = ctx.dataset
    index = dataset.test_index if len(dataset.test_index) else dataset.val_index
    states, targets = dataset.states[index], dataset.accelerations[index]
    predicted = recovered.accelerations(states)
    return float(np.linalg.norm(predicted - targets) / np.linalg.norm(targets))


def _rollout_recovered(ctx: Any, recovered: System) -> None:
    from physym.rollout.measured import rollout_against_measured

    cfg = ctx.config
    path = ctx.run_dir / MEASURED_ROLLOUT
    if cfg.rollout_states == 0 or not path.is_file():
        return
    result = rollout_against_measured(recovered.accelerations, recovered.energy,
                                      ctx.measured, n_trajectories=cfg.rollout_states,
                                      dt=cfg.rollout_dt)
    network = _measured_rollout(ctx) or {}
    _set_measured_rollout(ctx, {**network, "recovered": result.to_dict()})
    with np.load(path) as saved:
        arrays = {key: saved[key] for key in saved.files}
    arrays.update(recovered=result.predicted, energy_recovered=result.energy)
    save_npz(path, arrays)
    draw_measured_figures(ctx.run_dir, ctx.measured.coordinates, ctx.measured.periodic)
