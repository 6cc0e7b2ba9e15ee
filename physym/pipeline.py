"""The ``fit`` verb: named stages over one run directory, each timed.

``fit`` resolves the configuration, prepares the run directory (DESIGN.md §5) and runs
:data:`STAGES` in order, ``data → train → evaluate → rollout → plots → distill →
compare`` (the last two in :mod:`physym.recovery_stages`), then writes ``summary.json``
and ``report.md``. A stage is a :class:`Stage` (a name and a function of the shared
:class:`RunContext`) whose entries go into ``ctx.summary``; ``summary["timings"]`` holds
the seconds of every stage.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from physym.io import read_json, save_npz, write_json
from physym.runs import (
    CHECKPOINT,
    CONFIG,
    DATA,
    METRICS,
    MODEL,
    ROLLOUT,
    SUMMARY,
    SYSTEM,
    FitResult,
    RunDirError,
    json_safe,
    prepare_run_dir,
    save_model,
    versions,
)
from physym.systems import System, load_system
from physym.training.config import ConfigError, FitConfig, read_toml

__all__ = [
    "STAGES",
    "RunContext",
    "Stage",
    "check_config",
    "fit",
    "model_build_options",
    "resolve_config",
    "resolve_model_defaults",
]


@dataclass
class RunContext:
    """What the stages share: inputs, intermediate results and the summary being built."""

    config: FitConfig
    system: System | None  # None: measured data without a reference (pipeline_measured)
    run_dir: Path
    resume: bool = False
    progress: bool | None = None
    dataset: Any = None
    model: Any = None
    train_result: Any = None
    rollout_arrays: dict[str, np.ndarray] | None = None
    distillation: Any = None
    measured: Any = None  # StateEstimate of a fit from measured positions
    space: Any = None  # its StateSpace (the box the data cover)
    summary: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Stage:
    """A named step of :func:`fit`: ``run(ctx)`` reads and extends the context."""

    name: str
    run: Callable[[RunContext], None]


# ------------------------------------------------------------------ stages


def data_stage(ctx: RunContext) -> None:
    """Sample states with exact accelerations (or reload them on resume): ``data.npz``."""
    from physym.data import Dataset, make_dataset

    path = ctx.run_dir / DATA
    cfg = ctx.config
    if cfg.data is not None:  # positions over time: physym.pipeline_measured
        from physym.pipeline_measured import measured_data_stage

        measured_data_stage(ctx)
        return
    if ctx.resume and path.is_file():
        ctx.dataset = Dataset.load(path)
        return
    ctx.dataset = make_dataset(ctx.system, cfg.samples, seed=cfg.seed, noise=cfg.noise,
                               splits=cfg.splits)
    ctx.dataset.save(path)


def train_stage(ctx: RunContext) -> None:
    """Build the seeded network and train it with checkpoints: ``model.pt``, ``metrics.json``.

    If the model's validation error stalls above ``fallback_threshold``, ``fallback_model``
    is trained too and the better of the two is kept (:mod:`physym.training.fallback`).
    """
    from physym.training.fallback import (
        FALLBACK_CHECKPOINT,
        fallback_record,
        should_fall_back,
        val_errors,
    )

    cfg = ctx.config
    name, (result, options) = cfg.model, _train_model(ctx, cfg.model, CHECKPOINT)
    first, second = result, None
    if should_fall_back(cfg, val_errors(result)):
        second, second_options = _train_model(ctx, cfg.fallback_model, FALLBACK_CHECKPOINT)
        fallback = fallback_record(cfg, first, second)
        if fallback["used"]:
            name, result, options = cfg.fallback_model, second, second_options
    else:
        fallback = fallback_record(cfg, first, None)
    metrics = {**json_safe(result.metrics), "fallback": json_safe(fallback)}
    write_json(ctx.run_dir / METRICS, metrics)
    save_model(ctx.run_dir / MODEL, result.model, name, options)
    ctx.model, ctx.train_result = result.model, result
    last = result.history[-1] if result.history else {}
    ctx.summary["training"] = {
        "model": name,
        "epochs_run": result.epochs_run, "best_epoch": result.best_epoch,
        "best_val_rel_error": result.best_val_rel_error, "stopped_early": result.stopped_early,
        "skipped_updates": result.skipped_updates, "nonfinite_losses": result.nonfinite_losses,
        "final_lr": last.get("lr"),
        "wall_s": first.wall_s + (second.wall_s if second is not None else 0.0),
        "fallback": fallback,
    }


def _train_model(ctx: RunContext, name: str, checkpoint_name: str) -> tuple[Any, dict[str, Any]]:
    """Train one registry model on ``ctx.dataset``: its ``TrainResult`` and build options."""
    import torch

    from physym.network import build_model
    from physym.training import train

    cfg = ctx.config.replace(model=name)
    options = model_build_options(cfg, ctx.system)
    model = build_model(name, ctx.dataset.n_dof, **{
        **options, "dtype": getattr(torch, cfg.dtype)})
    checkpoint = ctx.run_dir / checkpoint_name
    metrics_path = ctx.run_dir / METRICS
    result = train(model, ctx.dataset, cfg, system=ctx.system, checkpoint=checkpoint,
                   resume=ctx.resume and checkpoint.is_file(), progress=ctx.progress,
                   periodic=tuple(options["periodic"]),
                   on_epoch=lambda metrics: write_json(metrics_path, json_safe(metrics)))
    return result, options


def evaluate_stage(ctx: RunContext) -> None:
    """Relative acceleration error (float64) per split and velocity-Hessian health."""
    import torch

    from physym.training import hessian_health, predict, relative_error

    model = copy.deepcopy(ctx.model).to(torch.float64)
    errors = {}
    for split in ("train", "val", "test"):
        states, targets = _clean_split(ctx.dataset, split)
        errors[split] = relative_error(predict(model, states), targets) if len(states) else None
    held_out = "test" if errors["test"] is not None else "val"
    ctx.summary["accel_rel_error"] = {"network": errors[held_out], "recovered": None}
    ctx.summary["accel_rel_error_splits"] = {**errors, "held_out": held_out}
    ctx.summary["hessian"] = hessian_health(model, _clean_split(ctx.dataset, held_out)[0])
    ctx.summary["network"] = {
        "model": (ctx.summary.get("training") or {}).get("model", ctx.config.model),
        "width": ctx.config.width, "depth": ctx.config.depth,
        "activation": ctx.config.activation, "dtype": ctx.config.dtype,
        "parameters": sum(p.numel() for p in ctx.model.parameters()),
    }


def rollout_stage(ctx: RunContext) -> None:
    """Rollouts from held-out states against the exact system, and the energy metric."""
    from physym.rollout import (
        compare_rollouts,
        energy_metric,
        model_accelerations,
        system_accelerations,
    )

    cfg = ctx.config
    accelerations = model_accelerations(ctx.model)
    exact = system_accelerations(ctx.system)  # nan, not an error, where RK4 ends singular
    report: dict[str, Any] = {}
    with _threads(1):  # small batches: one thread avoids OpenMP overhead
        states = _clean_split(ctx.dataset, "test")[0]
        if len(states) == 0:
            states = _clean_split(ctx.dataset, "val")[0]
        x0 = states[: cfg.rollout_states]
        if len(x0) and cfg.rollout_t_end > 0:
            n_points = min(501, round(cfg.rollout_t_end / cfg.rollout_dt) + 1)
            comparison = compare_rollouts(ctx.system, accelerations, x0, cfg.rollout_t_end,
                                          cfg.rollout_dt, n_points=n_points, seed=cfg.seed)
            report.update(comparison.to_dict())
            report["integrator_floor"] = comparison.integrator_floor(exact)
            ctx.rollout_arrays = {
                "t": comparison.t, "true": comparison.true, "predicted": comparison.predicted,
                "perturbed": comparison.perturbed, "energy_true": comparison.energy_true,
                "energy_predicted": comparison.energy_predicted}
            save_npz(ctx.run_dir / ROLLOUT, ctx.rollout_arrays)
        if cfg.energy_states and cfg.energy_t_end > 0:
            kwargs = {"ic_box": cfg.energy_ic_box, "n_states": cfg.energy_states,
                      "t_end": cfg.energy_t_end, "dt": cfg.rollout_dt, "seed": cfg.seed}
            metric = energy_metric(ctx.system, accelerations, **kwargs).to_dict()
            metric["integrator_floor"] = energy_metric(ctx.system, exact, **kwargs).value
            report["energy_metric"] = metric
    ctx.summary["rollout"] = report or None


def plots_stage(ctx: RunContext) -> None:
    """``loss.png``, ``trajectories.png``, ``energy.png``."""
    from physym.data import energy_scale
    from physym.plots import save_run_plots

    history = ctx.train_result.history if ctx.train_result is not None else ()
    save_run_plots(ctx.run_dir, history, ctx.rollout_arrays, ctx.system.coordinates,
                   energy_scale(ctx.system))


def _distill(ctx: RunContext) -> None:
    from physym.recovery_stages import distill_stage

    distill_stage(ctx)


def _compare(ctx: RunContext) -> None:
    from physym.recovery_stages import compare_stage

    compare_stage(ctx)


STAGES: tuple[Stage, ...] = (
    Stage("data", data_stage),
    Stage("train", train_stage),
    Stage("evaluate", evaluate_stage),
    Stage("rollout", rollout_stage),
    Stage("plots", plots_stage),
    Stage("distill", _distill),
    Stage("compare", _compare),
)


# ------------------------------------------------------------------ the verb


def fit(
    system: str | Path | System | None,
    out: str | Path | None = None,
    *,
    config: FitConfig | str | Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
    stages: Sequence[Stage] = STAGES,
    **overrides: Any,
) -> FitResult:
    """Train a Lagrangian neural network on a system and evaluate it; write a run directory.

    Parameters
    ----------
    system : str, Path, System or None
        A built-in name, a ``.toml`` / ``.py`` spec, or a :class:`~physym.System`; ``None``
        to fit measured positions alone (``data=…, coordinates=[…]``; see
        :mod:`physym.pipeline_measured`).
    out : path, optional
        The run directory: must be missing or empty (unless ``resume``). Default: a new
        temporary directory.
    config : FitConfig or path to a TOML file, optional
        Settings; ``overrides`` (fields of :class:`~physym.training.FitConfig`) win.
    resume : bool
        Continue the run in ``out`` from its last checkpoint. Settings given explicitly
        must equal the run's own.
    progress : bool, optional
        Progress bar (default: only when stderr is a terminal).
    stages : sequence of Stage
        The stages to run, :data:`STAGES` by default (with ``data`` set, their
        measured-data versions).

    Returns
    -------
    FitResult
        ``.model``, ``.config``, ``.summary``, ``.metrics``, ``.path``.

    Examples
    --------
    >>> import physym
    >>> run = physym.fit("pendulum", "runs/pendulum", epochs=20)  # doctest: +SKIP
    >>> run.accel_rel_error < 0.05                                # doctest: +SKIP
    True
    >>> run = physym.fit(None, "runs/measured", data="traj.csv",  # doctest: +SKIP
    ...                  coordinates=["x", "theta"], periodic=["theta"])
    """
    started = time.perf_counter()
    if out is None:
        import tempfile

        out = tempfile.mkdtemp(prefix="physym-fit-")
    run_dir = Path(out)
    cfg, system_obj = resolve_config(system, run_dir, config, resume, overrides)
    prepare_run_dir(run_dir, resume)
    if cfg.data is not None and stages is STAGES:
        from physym.pipeline_measured import measured_stages

        stages = measured_stages(stages)
    if not resume:
        if system_obj is not None:
            write_json(run_dir / SYSTEM, system_obj.to_dict())
        write_json(run_dir / CONFIG, cfg.to_dict())
    ctx = RunContext(config=cfg, system=system_obj, run_dir=run_dir, resume=resume,
                     progress=progress)
    for stage in stages:
        begin = time.perf_counter()
        stage.run(ctx)
        ctx.timings[stage.name] = time.perf_counter() - begin
    ctx.timings["total"] = time.perf_counter() - started
    summary = _summary(ctx)
    write_json(run_dir / SUMMARY, summary)
    if any(stage.name == "compare" for stage in stages):
        from physym.recovery_stages import write_report

        begin = time.perf_counter()
        note = write_report(run_dir)
        summary["timings"]["report"] = time.perf_counter() - begin
        if note:
            summary["report_error"] = note
        summary["timings"].pop("total", None)
        summary["timings"]["total"] = time.perf_counter() - started
        write_json(run_dir / SUMMARY, summary)
    result = FitResult(path=run_dir, config=cfg, system=ctx.system, summary=summary,
                       metrics=read_json(run_dir / METRICS) if (run_dir / METRICS).is_file()
                       else {})
    if ctx.model is not None:
        result.__dict__["model"] = ctx.model.eval()
        result.__dict__["data"] = ctx.dataset
    return result


def resolve_config(
    system: str | Path | System | None,
    run_dir: Path,
    config: FitConfig | str | Path | None,
    resume: bool,
    overrides: Mapping[str, Any],
) -> tuple[FitConfig, System | None]:
    """The configuration and system of a run (on resume: the run's own, checked); no
    system when the run fits measured data alone."""
    explicit = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(set(explicit) - set(FitConfig.field_names()))
    if unknown:
        raise ConfigError(f"fit: unknown setting {unknown[0]!r}")
    if isinstance(config, FitConfig):
        settings = config.to_dict()
    elif config is not None:
        settings = read_toml(config)
        FitConfig.from_dict({"system": "-", **settings}, where=str(config))  # validate file
    else:
        settings = {}
    settings.pop("system", None)
    settings.update(explicit)
    if resume:  # None means "the default", which the stored config has resolved
        return _resume_config(system, run_dir,
                              {k: v for k, v in settings.items() if v is not None})
    if isinstance(system, System):
        system_obj, ref = system, system.name
    elif system is None:  # measured data alone (config.data and config.coordinates)
        system_obj, ref = None, None
    else:
        ref = str(system)
        system_obj = load_system(ref)
    config = FitConfig.from_dict({**settings, "system": ref}, where="fit")
    check_config(config, system_obj)
    return resolve_model_defaults(config), system_obj


def resolve_model_defaults(config: FitConfig) -> FitConfig:
    """``width``, ``depth`` and ``activation`` left ``None`` take the values the network
    registry would use (a preset's, e.g. ``seed``: 32 × 4, or the model class's), so that
    ``config.json`` states the network that was trained."""
    import inspect

    from physym.network import MODELS, PRESETS

    name, preset = config.model, {}
    if name in PRESETS:
        name, preset = PRESETS[name]
    parameters = inspect.signature(MODELS[name].__init__).parameters
    resolved = {}
    for key in ("width", "depth", "activation"):
        if getattr(config, key) is None:
            value = preset.get(key, parameters[key].default if key in parameters else None)
            resolved[key] = value if isinstance(value, int | str) else None
    return config.replace(**resolved)


def check_config(config: FitConfig, system: System | None) -> None:
    """What only the system or the network registry can tell: a :class:`ConfigError` now
    rather than a failure after the data are made."""
    import torch

    from physym.network import build_model
    from physym.systems import require_conservative

    require_conservative(system)  # the fit cannot train on R, Q, inputs or t yet
    if config.data is not None:
        from physym.pipeline_measured import check_measured_config

        check_measured_config(config, system)
    coordinates = system.coordinates if system is not None else tuple(config.coordinates)
    names = (*coordinates, *(f"{q}_dot" for q in coordinates))
    for key, interval in (config.energy_ic_box or {}).items():
        if key not in names:
            raise ConfigError(f"fit: energy_ic_box names {key!r}, which is not a state of "
                              f"{config.system or config.data!r} ({', '.join(names)})")
        if not (isinstance(interval, list | tuple) and len(interval) == 2
                and all(isinstance(v, int | float) for v in interval)
                and interval[0] <= interval[1]):
            raise ConfigError(f"fit: energy_ic_box[{key!r}] must be [low, high], "
                              f"got {interval!r}")
    names = [config.model] + ([config.fallback_model] if config.fallback_model != "none" else [])
    for name in names:
        options = model_build_options(config.replace(model=name), system)
        try:
            build_model(name, len(coordinates), **{**options, "dtype": torch.float64})
        except (ValueError, TypeError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            key = "model" if name == config.model else "fallback_model"
            raise ConfigError(f"fit: {key} {name!r} with these settings: {message}") from None


def _resume_config(system: Any, run_dir: Path, explicit: dict[str, Any]
                   ) -> tuple[FitConfig, System]:
    if not (run_dir / CONFIG).is_file():
        raise RunDirError(f"nothing to resume in {run_dir}: no {CONFIG} (start a new run "
                          "without --resume)")
    stored = FitConfig.from_dict(read_json(run_dir / CONFIG), where=str(run_dir / CONFIG))
    system_obj = None if stored.system is None else System.from_dict(
        read_json(run_dir / SYSTEM), where=str(run_dir / SYSTEM))
    given = system.name if isinstance(system, System) else None if system is None \
        else str(system)
    if given not in (stored.system, getattr(system_obj, "name", None)):
        raise RunDirError(f"{run_dir} is a run of {stored.system!r}, not {given!r}")
    requested = FitConfig.from_dict({**stored.to_dict(), **explicit}, where="fit")
    for name in FitConfig.field_names():
        if getattr(requested, name) != getattr(stored, name):
            raise RunDirError(
                f"--resume continues {run_dir} as configured: {name} = "
                f"{getattr(stored, name)!r} there, {getattr(requested, name)!r} asked")
    return stored, system_obj


def model_build_options(config: FitConfig, system: System | None) -> dict[str, Any]:
    """Keyword arguments of :func:`physym.network.build_model` for this run (``dtype``
    as a string). ``epsilon > 0`` becomes the MLP's ``epsilon`` (``ε/2 ‖q̇‖²`` added to
    ``L``) or the structured model's ``mass_epsilon`` (``M + εI``, the same thing).
    Without a system (measured data alone) the coordinates come from the config."""
    coordinates = system.coordinates if system is not None else config.coordinates
    periodic = system.periodic if system is not None else config.periodic or ()
    options: dict[str, Any] = {
        "width": config.width, "depth": config.depth, "activation": config.activation,
        "periodic": [q in periodic for q in coordinates],
        "seed": config.seed, "dtype": config.dtype, **config.model_options,
    }
    options = {k: v for k, v in options.items() if v is not None}  # None: registry default
    if config.epsilon > 0:
        options["mass_epsilon" if config.model == "structured" else "epsilon"] = config.epsilon
    return options


def _summary(ctx: RunContext) -> dict[str, Any]:
    import sympy as sp

    system = ctx.system
    summary: dict[str, Any] = {
        "system": system.name if system is not None else Path(ctx.config.data).name,
        "true_lagrangian": None if system is None else sp.sstr(system.lagrangian_numeric),
        "recovered_lagrangian": None, "equivalent": None, "exact": None, "scale": None,
        "accel_rel_error": {"network": None, "recovered": None},
        "rollout": None, "backend": None,
    }
    summary.update(ctx.summary)
    summary["timings"] = dict(ctx.timings)
    summary["versions"] = versions()
    return json_safe(summary)


def _clean_split(dataset: Any, split: str) -> tuple[np.ndarray, np.ndarray]:
    """States and *exact* accelerations of a split (the truth, when targets are noisy)."""
    index = getattr(dataset, f"{split}_index")
    clean = dataset.accelerations_clean
    targets = dataset.accelerations if clean is None else clean
    return dataset.states[index], targets[index]


@contextlib.contextmanager
def _threads(count: int) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)

