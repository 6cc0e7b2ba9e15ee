"""Positions measured over time (``data.measured``): states and accelerations estimated
from them (:mod:`physym.data.state_estimate`).

Two cases for what the result is compared with:

* **with a reference system** (``physym fit REF --data FILE``): the file's columns are
  REF's coordinates. REF's sampling box is replaced by the box the data cover (the network
  knows nothing outside it), held-out errors are against REF's exact accelerations at the
  estimated states, and the comparison with REF's Lagrangian runs as usual;
* **without one** (``physym fit --data FILE --coordinates x,theta``): there is no true
  Lagrangian. ``accel_rel_error`` is against the *estimated* accelerations of the held-out
  time blocks, and ``true_lagrangian``, ``equivalent``, ``exact`` and ``scale`` are
  ``null``.

In both cases the network and the recovered ``L`` are rolled out from the first state of
each measured trajectory and compared with the measured positions over its time span
(:mod:`physym.rollout.measured`): ``summary["rollout"]`` without a reference and
``summary["measured"]["rollout"]`` beside the exact rollouts with one. The noise floor is
the smoothing estimate of the targets' noise (``StateEstimate.target_noise``), and the
distillation's slack is 0.5: estimated accelerations carry a systematic smoothing error
that spurious small terms would otherwise absorb.

After the distillation, the closed form's constants are refitted to the positions
themselves by multiple shooting (``distill.shooting``, on by default): the refined ``L``
is the recovered one, each constant with its standard error and 95 % interval
(``summary["constants"]``, :mod:`physym.run.sources.shooting_refit`).

Files added to the run directory: ``measured.npz`` (positions, smoothed positions,
estimated derivatives, kept samples), ``rollout_measured.npz`` and ``shooting.json``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from physym.config import ConfigError, RunConfig
from physym.io import save_npz, write_json
from physym.run.sources.base import FLOOR_MARGIN, DataSource, SourceData, StageView
from physym.runs import DATA, MEASURED, MEASURED_ROLLOUT, SYSTEM, read_arrays
from physym.systems import System

if TYPE_CHECKING:
    from physym.data import StateEstimate
    from physym.run.sources.shooting_check import ShootingCheck

__all__ = ["MIN_SAMPLES_PER_TRAJECTORY", "MeasuredPositions"]

MIN_SAMPLES_PER_TRAJECTORY = 10


class MeasuredPositions(DataSource):
    """Positions over time from a ``.csv`` / ``.npz`` file (see the module docstring)."""

    name = "measured positions"
    slack = 0.5

    def __init__(self) -> None:
        self.estimate: StateEstimate | None = None
        self._check: ShootingCheck | None = None

    # ------------------------------------------------------------ data

    def check(self, config: RunConfig, system: System | None) -> None:
        """Coordinates that contradict REF, the multi-step loss without REF, and a file
        that cannot be read as positions over time (:class:`~physym.data.DataError`)."""
        from physym.data.state_estimate import check_time_steps

        measured = config.data.measured
        assert measured is not None
        if system is not None:
            for key, given, own in (
                ("coordinates", measured.coordinates, system.coordinates),
                ("periodic", measured.periodic, system.periodic),
            ):
                if given is not None and set(given) != set(own):
                    raise ConfigError(
                        f"fit: {key} {', '.join(given) or '(none)'} differ "
                        f"from those of {system.name!r} "
                        f"({', '.join(own) or 'none'}); leave {key} out to "
                        "use the system's"
                    )
        elif config.train.multistep.steps:
            raise ConfigError(
                "fit: the multi-step loss (multistep_steps) integrates exact "
                "segments of a reference system; give REF or set "
                "multistep_steps=0"
            )
        check_time_steps(self._positions(config, system), measured.derivative.method)
        if system is not None and system.has_inputs:
            _input_columns(config, system)

    def _positions(self, config: RunConfig, system: System | None) -> Any:
        from physym.data.measured import load_measured_positions

        measured = config.data.measured
        assert measured is not None
        coordinates = system.coordinates if system is not None else measured.coordinates or ()
        return load_measured_positions(
            measured.file,
            coordinates,
            measured.time_column,
            measured.trajectory_column,
            MIN_SAMPLES_PER_TRAJECTORY,
        )

    def make(self, config: RunConfig, system: System | None, run_dir: Path) -> SourceData:
        from physym.data.state_estimate import estimate_states, measured_dataset

        measured = config.data.measured
        assert measured is not None
        positions = self._positions(config, system)
        derivative = measured.derivative
        periodic = system.periodic if system is not None else measured.periodic or ()
        estimate = estimate_states(
            positions,
            periodic=periodic,
            method=derivative.method,
            window=derivative.window,
            order=derivative.order,
            smoothing=derivative.smoothing,
            trim=derivative.trim,
        )
        clean = None
        conditions: dict[str, Any] = {}
        if system is not None:
            system = _within_box(system, *_box(estimate))
            write_json(run_dir / SYSTEM, system.to_dict())
            conditions = _conditions(config, system, estimate)
            clean = system.accelerations(
                estimate.states, conditions.get("t"), conditions.get("inputs")
            )
        name = system.name if system is not None else Path(measured.file).name
        dataset = measured_dataset(
            estimate,
            name,
            accelerations_clean=clean,
            splits=config.data.splits,
            seed=config.seed,
            max_samples=config.data.samples,
            **conditions,
        )
        dataset.save(run_dir / DATA)
        save_npz(
            run_dir / MEASURED,
            {
                **estimate.to_arrays(),
                "settings": np.array(json.dumps(estimate.settings)),
                "labels": np.array(positions.labels, dtype=np.str_),
            },
        )
        return self._yield(config, system, dataset, estimate, tuple(positions.labels))

    def load(self, config: RunConfig, system: System | None, run_dir: Path) -> SourceData | None:
        from physym.data import Dataset
        from physym.data.state_estimate import StateEstimate

        arrays = read_arrays(run_dir / MEASURED)
        if arrays is None or not (run_dir / DATA).is_file():
            return None
        estimate = StateEstimate.from_arrays(arrays, json.loads(str(arrays["settings"])))
        labels = tuple(str(v) for v in np.atleast_1d(arrays["labels"]))
        if system is not None and (run_dir / SYSTEM).is_file():
            from physym.io import read_json

            system = System.from_dict(read_json(run_dir / SYSTEM), where=str(run_dir / SYSTEM))
        return self._yield(config, system, Dataset.load(run_dir / DATA), estimate, labels)

    def _yield(
        self,
        config: RunConfig,
        system: System | None,
        dataset: Any,
        estimate: StateEstimate,
        labels: tuple[str, ...],
    ) -> SourceData:
        from physym.distill import StateSpace

        self.estimate = estimate
        measured = config.data.measured
        assert measured is not None
        settings = estimate.settings
        expected = estimate.target_noise()
        info: dict[str, Any] = {
            "file": str(measured.file),
            "coordinates": list(estimate.coordinates),
            "periodic": [
                q for q, p in zip(estimate.coordinates, estimate.periodic, strict=True) if p
            ],
            "trajectories": len(labels),
            "samples": len(estimate.t),
            "kept": int(estimate.kept.sum()),
            "used": len(dataset),
            "split": "contiguous time blocks",
            "derivative": {
                key: settings.get(key)
                for key in ("method", "windows", "orders", "smoothing", "trim", "step")
            },
            "position_noise": dict(
                zip(estimate.coordinates, settings.get("noise") or [], strict=False)
            ),
            "target_noise": expected,
            "reference": None if system is None else system.name,
        }
        clean = dataset.accelerations_clean
        if clean is not None:  # how far the estimated targets are from the reference's
            info["derivative_error"] = float(
                np.linalg.norm(dataset.accelerations - clean) / np.linalg.norm(clean)
            )
        space = StateSpace(estimate.coordinates, estimate.periodic, *_box(estimate))
        times = estimate.t[estimate.kept]
        return SourceData(
            dataset=dataset,
            noise_floor=FLOOR_MARGIN * (expected or 0.0),
            space=space,
            system=system,
            t=times if len(times) == len(dataset) else None,
            info={"measured": info},
        )

    # ------------------------------------------------------------ refine, evaluate, compare

    def refine(self, ctx: StageView) -> None:
        """The closed form's constants refitted to the measured positions by multiple
        shooting, with uncertainties (:mod:`physym.run.sources.shooting_refit`)."""
        from physym.run.distillation_record import record_distillation
        from physym.run.sources.shooting_refit import refine_by_shooting

        if self.estimate is None or ctx.distillation is None:
            return
        if not _shootable(ctx.system):
            ctx.summary["shooting"] = {"skipped": NOT_SHOOTABLE}
            return
        if self._check is not None:  # a training check's refit: record the polish's first
            original = self._check.original(ctx.distillation)
            if original is not ctx.distillation:
                record_distillation(ctx, original)
        refine_by_shooting(ctx, self.estimate)

    def check_refinement(self, data: SourceData) -> Any:
        """The training checks judge the closed form with its constants refitted to the
        positions (:class:`~physym.run.sources.shooting_check.ShootingCheck`)."""
        from physym.run.sources.shooting_check import ShootingCheck

        estimate = self.estimate
        shootable = estimate is not None and _shootable(data.system)
        self._check = ShootingCheck(estimate, data) if estimate is not None and shootable else None
        return self._check

    def evaluate(self, ctx: StageView) -> None:
        """The network from each trajectory's first state against the measured positions."""
        from physym.rollout import model_accelerations
        from physym.rollout.measured import model_energy, rollout_against_measured

        rollout = ctx.config.evaluate.rollout
        if rollout.states == 0 or ctx.model is None or self.estimate is None:
            return
        result = rollout_against_measured(
            model_accelerations(ctx.model),
            model_energy(ctx.model),
            self.estimate,
            n_trajectories=rollout.states,
            dt=rollout.dt,
        )
        _set_rollout(ctx, result.to_dict())
        save_npz(
            ctx.run_dir / MEASURED_ROLLOUT,
            {
                "t": result.t,
                "measured": result.measured,
                "smoothed": result.smoothed,
                "network": result.predicted,
                "energy_network": result.energy,
                "spans": result.spans,
                "coordinates": np.array(self.estimate.coordinates, dtype=np.str_),
                "periodic": np.array(self.estimate.periodic, dtype=bool),
            },
        )

    def compare(self, ctx: StageView) -> None:
        """The recovered ``L`` against the held-out estimated accelerations and rolled out
        against the measured positions."""
        import sympy as sp

        distillation = ctx.distillation
        if distillation is None or ctx.data is None:
            return
        if ctx.system is None:
            ctx.summary["recovered_lagrangian"] = sp.sstr(distillation.lagrangian)
        info = ctx.summary.setdefault("measured", {})
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
        try:
            self._rollout_recovered(ctx, recovered)
        except Exception as exc:  # evaluation must never cost the result (e.g. a rollout
            # that leaves the region where the recovered L's mass matrix is definite)
            note = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            info.setdefault("rollout", {})["recovered"] = {"failed": note}

    def _rollout_recovered(self, ctx: StageView, recovered: System) -> None:
        from physym.rollout.measured import rollout_against_measured

        rollout = ctx.config.evaluate.rollout
        path = ctx.run_dir / MEASURED_ROLLOUT
        arrays = read_arrays(path)
        if rollout.states == 0 or arrays is None or self.estimate is None:
            return
        result = rollout_against_measured(
            recovered.accelerations,
            recovered.energy,
            self.estimate,
            n_trajectories=rollout.states,
            dt=rollout.dt,
        )
        network = _rollout(ctx) or {}
        _set_rollout(ctx, {**network, "recovered": result.to_dict()})
        arrays.update(recovered=result.predicted, energy_recovered=result.energy)
        save_npz(path, arrays)


def _rollout(ctx: StageView) -> dict[str, Any] | None:
    """The rollout against the measured positions: ``summary["rollout"]`` without a
    reference system, ``summary["measured"]["rollout"]`` beside the exact one with it."""
    if ctx.system is None:
        return ctx.summary.get("rollout")
    return ctx.summary.setdefault("measured", {}).get("rollout")


def _set_rollout(ctx: StageView, report: dict[str, Any]) -> None:
    if ctx.system is None:
        ctx.summary["rollout"] = report
    else:
        ctx.summary.setdefault("measured", {})["rollout"] = report


def _input_columns(config: RunConfig, system: System) -> np.ndarray:
    """The values of the system's inputs on every row of the file (its columns by the
    inputs' names), in the row order of the positions."""
    from physym.data import DataError
    from physym.data.measured import load_measured_positions

    measured = config.data.measured
    assert measured is not None
    try:
        columns = load_measured_positions(
            measured.file,
            system.inputs,
            measured.time_column,
            measured.trajectory_column,
            MIN_SAMPLES_PER_TRAJECTORY,
        )
    except DataError as exc:
        raise DataError(str(exc).replace("position column", "input column")) from None
    return np.asarray(columns.q, dtype=np.float64)


def _conditions(config: RunConfig, system: System, estimate: StateEstimate) -> dict[str, Any]:
    """``t`` and input values at the kept samples, for a system whose equations need them
    (friction alone needs neither)."""
    if not (system.time_dependent or system.has_forces or system.has_inputs):
        return {}
    kept = np.asarray(estimate.kept, dtype=bool)
    conditions: dict[str, Any] = {"t": np.asarray(estimate.t, dtype=np.float64)[kept]}
    if system.has_inputs:
        conditions |= {
            "inputs": _input_columns(config, system)[kept],
            "input_names": tuple(system.inputs),
        }
    return conditions


def _box(estimate: StateEstimate) -> tuple[np.ndarray, np.ndarray]:
    from physym.data.state_estimate import state_box

    return state_box(estimate.states, estimate.periodic)


def _within_box(system: System, low: np.ndarray, high: np.ndarray) -> System:
    """``system`` sampled from the box the data cover (its friction, forces, inputs and
    the ranges of ``t`` and the inputs kept)."""
    sampling = dict(system.sampling) | {
        name: (float(a), float(b)) for name, a, b in zip(system.state_names, low, high, strict=True)
    }
    return dataclasses.replace(system, sampling=sampling)


def _recovered_system(ctx: StageView, lagrangian: Any) -> System:
    assert ctx.data is not None
    space = ctx.data.space
    names = (*space.coordinates, *(f"{q}_dot" for q in space.coordinates))
    sampling = {
        name: (float(a), float(b)) for name, a, b in zip(names, space.low, space.high, strict=True)
    }
    periodic = tuple(q for q, p in zip(space.coordinates, space.periodic, strict=True) if p)
    name = ctx.name.replace(".", "_")
    dissipation = getattr(ctx.distillation, "dissipation", None)  # the recovered R, if any
    system = ctx.system
    if system is None or (system.is_conservative and not system.has_inputs):
        return System(
            f"{name}_recovered",
            space.coordinates,
            lagrangian,
            {},
            sampling,
            periodic=periodic,
            dissipation=dissipation,
        )
    # the true known forces, with the inputs and t they need (and their ranges)
    sampling = dict(system.sampling) | sampling
    forces = {
        q: f
        for q, f in zip(system.coordinates, system.forces_numeric, strict=True)
        if q in system.forces
    }
    return System(
        f"{name}_recovered",
        space.coordinates,
        lagrangian,
        {},
        sampling,
        periodic=periodic,
        dissipation=dissipation,
        forces=forces,
        inputs=system.inputs,
    )


def _held_out_error(ctx: StageView, recovered: System) -> float:
    """``‖â − a‖/‖a‖`` of the recovered ``L`` against the estimated accelerations."""
    dataset = ctx.dataset
    index = dataset.test_index if len(dataset.test_index) else dataset.val_index
    states, targets = dataset.states[index], dataset.accelerations[index]
    t = None if dataset.t is None else dataset.t[index]
    inputs = None if dataset.inputs is None else dataset.inputs[index]
    predicted = recovered.accelerations(states, t, inputs)
    return float(np.linalg.norm(predicted - targets) / np.linalg.norm(targets))


NOT_SHOOTABLE = (
    "the multiple-shooting refit integrates conservative equations only; systems with "
    "friction, forces, inputs or time keep the Euler–Lagrange polish's constants"
)


def _shootable(system: Any) -> bool:
    """Whether the refit's integrator covers ``system`` (conservative, no inputs)."""
    return system is None or (system.is_conservative and not system.has_inputs)
