"""The configuration of a fit, resolved once at the boundary and checked against the
registries before anything runs.

:func:`resolve` merges the defaults, a config (a :class:`RunConfig`, a
:class:`~physym.training.FitConfig`, a table or a TOML file) and keyword overrides (short
names or sections), loads the system, fills in what the network registry decides
(``width``, ``depth``, ``activation``) and checks every name against its registry: the
model, the fallback, the loss, the schedule and the distillation backend. On resume the
run's own configuration is used, and settings given explicitly must equal it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from physym.config import FLAT, SECTIONS, ConfigError, RunConfig, merge_overrides, read_toml
from physym.io import read_json
from physym.runs import CONFIG, SYSTEM, RunDirError
from physym.systems import System, load_system

__all__ = [
    "check_backend",
    "check_config",
    "model_build_options",
    "resolve",
    "resolve_model_defaults",
]

ConfigLike = RunConfig | Mapping[str, Any] | str | Path | Any


def resolve(
    system: str | Path | System | None,
    run_dir: Path,
    config: ConfigLike | None,
    resume: bool,
    overrides: Mapping[str, Any],
) -> tuple[RunConfig, System | None]:
    """The configuration and system of a run (on resume: the run's own, checked); no
    system when the run fits measured data alone.

    Raises
    ------
    ConfigError
        An unknown or bad setting, or a name no registry knows.
    RunDirError
        A resume that does not match the run.
    """
    explicit = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(k for k in explicit if k not in FLAT and k not in SECTIONS)
    if unknown:
        raise ConfigError(f"fit: unknown setting {unknown[0]!r}")
    base = _base_settings(config)
    base.pop("system", None)
    settings = merge_overrides(base, explicit, where="fit")
    if resume:
        stored, stored_system = _resume(system, run_dir, settings)
        _check_resumed_budget(stored, stored_system)
        return stored, stored_system
    if isinstance(system, System):
        system_obj, ref = system, system.name
    elif system is None:
        system_obj, ref = None, None
    else:
        ref = str(system)
        system_obj = load_system(ref)
    resolved = RunConfig.from_dict({**settings, "system": ref}, where="fit")
    check_config(resolved, system_obj)
    return resolve_model_defaults(resolved), system_obj


def _given(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a request names, by short name (``None``: not given)."""
    from physym.config.flat import nested_to_flat

    flat = {k: v for k, v in settings.items() if k not in SECTIONS and k != "format"}
    flat.update(nested_to_flat({k: v for k, v in settings.items() if k in SECTIONS}))
    flat.pop("system", None)
    return {k: v for k, v in flat.items() if v is not None and k in FLAT}


def _base_settings(config: ConfigLike | None) -> dict[str, Any]:
    from physym.training.config import FitConfig

    if config is None:
        return {}
    if isinstance(config, FitConfig):
        config = config.nested
    if isinstance(config, RunConfig):
        table = config.to_dict()
        table.pop("format")
        return table
    if isinstance(config, Mapping):
        return dict(config)
    settings = read_toml(config)
    RunConfig.from_dict({"system": "-", **settings}, where=str(config))  # validate the file
    return settings


def resolve_model_defaults(config: RunConfig) -> RunConfig:
    """``width``, ``depth`` and ``activation`` left ``None`` take the values the network
    registry would use (a preset's, e.g. ``seed``: 32 × 4, or the model class's), so that
    ``config.json`` states the network that was trained."""
    import inspect

    from physym.network import MODELS, PRESETS

    model = config.model
    name, preset = model.name, dict[str, Any]()
    if name in PRESETS:
        name, preset = PRESETS[name]
    parameters = inspect.signature(MODELS[name].__init__).parameters
    resolved = {}
    for key in ("width", "depth", "activation"):
        if getattr(model, key) is None:
            value = preset.get(key, parameters[key].default if key in parameters else None)
            resolved[key] = value if isinstance(value, int | str) else None
    return config.replace(model=model.replace(**resolved))


def check_config(config: RunConfig, system: System | None) -> None:
    """What only the registries, the system or the data can tell: a :class:`ConfigError`
    now rather than a failure after the data are made."""
    from physym.run.sources import source_for
    from physym.run.sources.forced import check_forced_fit

    check_forced_fit(config, system)  # what the fit cannot do yet with R, Q, inputs or t
    _check_names(config)
    source_for(config, system).check(config, system)
    measured = config.data.measured
    coordinates = (
        system.coordinates
        if system is not None
        else tuple(measured.coordinates or ())
        if measured is not None
        else ()
    )
    _check_energy_box(config, system, coordinates)
    _check_models(config, system, coordinates)


def _check_names(config: RunConfig) -> None:
    from physym.training.losses import LOSS_FUNCTIONS
    from physym.training.schedule import SCHEDULES

    for key, value, known in (
        ("loss", config.train.guards.loss, tuple(LOSS_FUNCTIONS)),
        ("schedule", config.train.schedule, SCHEDULES),
    ):
        if value not in known:
            raise ConfigError(f"fit: {key} {value!r} is not one of {', '.join(known)}")
    check_backend(config)


def check_backend(config: RunConfig, where: str = "fit") -> None:
    """The distillation backend must be one of the registry's and, when the run distils,
    able to run here: an unavailable PySR or Operon is a one-line error now, not after
    training (the check looks for the package and Julia without importing PySR)."""
    import physym.distill.backends  # noqa: F401  (registers the built-in backends)
    from physym.distill import BACKENDS, BackendUnavailableError, get_backend

    name = config.distill.backend
    if name not in BACKENDS:
        raise ConfigError(f"{where}: backend {name!r} is not one of {', '.join(BACKENDS)}")
    if not config.distill.enabled:
        return
    try:
        get_backend(name).check_available()
    except BackendUnavailableError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _check_energy_box(
    config: RunConfig, system: System | None, coordinates: tuple[str, ...]
) -> None:
    names = (*coordinates, *(f"{q}_dot" for q in coordinates))
    for key, interval in (config.evaluate.energy.ic_box or {}).items():
        if key not in names:
            raise ConfigError(
                f"fit: energy_ic_box names {key!r}, which is not a state of "
                f"{config.system or 'the data'!r} ({', '.join(names)})"
            )
        if not (
            isinstance(interval, list | tuple)
            and len(interval) == 2
            and all(isinstance(v, int | float) and math.isfinite(v) for v in interval)
            and interval[0] <= interval[1]
        ):
            raise ConfigError(f"fit: energy_ic_box[{key!r}] must be [low, high], got {interval!r}")


def _check_models(config: RunConfig, system: System | None, coordinates: tuple[str, ...]) -> None:
    """Each network builds with these settings, first on the ``meta`` device (which
    allocates nothing) so that the run's memory and horizons are judged before a real
    build (:mod:`physym.run.budget`)."""
    from physym.run.budget import check_budget

    model = config.model
    names = [model.name] + ([model.fallback.name] if model.fallback.name != "none" else [])
    counts = {name: _build(config, system, name, len(coordinates), meta=True) for name in names}
    check_budget(config, len(coordinates), counts.__getitem__)
    for name in names:
        _build(config, system, name, len(coordinates), meta=False)


def _build(config: RunConfig, system: System | None, name: str, n_dof: int, *, meta: bool) -> int:
    """Build model ``name`` as the run will (on ``meta``: unseeded, uninitialised weights);
    its parameter count. A model class that refuses the settings is a :class:`ConfigError`."""
    import torch

    from physym.network import build_model
    from physym.run.budget import meta_parameter_count

    options = {**model_build_options(config, system, name), "dtype": torch.float64}
    if meta:
        options.update(init="torch", seed=None)
    try:
        if meta:
            try:
                return meta_parameter_count(lambda: build_model(name, n_dof, **options))
            except (RuntimeError, NotImplementedError):  # a model that computes on its weights
                return 0  # while built: not counted; the real build below still checks it
        return sum(p.numel() for p in build_model(name, n_dof, **options).parameters())
    except (ValueError, TypeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        key = "model" if name == config.model.name else "fallback_model"
        raise ConfigError(f"fit: {key} {name!r} with these settings: {message}") from None


def model_build_options(
    config: RunConfig, system: System | None, name: str | None = None
) -> dict[str, Any]:
    """Keyword arguments of :func:`physym.network.build_model` for this run (``dtype``
    as a string) for model ``name`` (default: ``config.model.name``). ``epsilon > 0``
    becomes the MLP's ``epsilon`` (``ε/2 ‖q̇‖²`` added to ``L``) or the structured
    model's ``mass_epsilon`` (``M + εI``, the same thing). A
    :class:`~physym.training.FitConfig` is read as its nested configuration."""
    config = getattr(config, "nested", config)
    model = config.model
    name = name or model.name
    measured = config.data.measured
    coordinates = (
        system.coordinates
        if system is not None
        else tuple((measured.coordinates if measured is not None else None) or ())
    )
    periodic = (
        system.periodic
        if system is not None
        else tuple((measured.periodic if measured is not None else None) or ())
    )
    options: dict[str, Any] = {
        "width": model.width,
        "depth": model.depth,
        "activation": model.activation,
        "periodic": [q in periodic for q in coordinates],
        "seed": config.seed,
        "dtype": model.dtype,
        **model.options,
    }
    options = {k: v for k, v in options.items() if v is not None}  # None: registry default
    if model.epsilon > 0:
        options["mass_epsilon" if name == "structured" else "epsilon"] = model.epsilon
    from physym.run.sources.forced import forced_model_options

    options |= {k: v for k, v in forced_model_options(system, name).items() if k not in options}
    return options


def _resume(
    system: Any, run_dir: Path, settings: Mapping[str, Any]
) -> tuple[RunConfig, System | None]:
    if not (run_dir / CONFIG).is_file():
        raise RunDirError(
            f"nothing to resume in {run_dir}: no {CONFIG} (start a new run without --resume)"
        )
    stored = RunConfig.from_dict(_read_run_json(run_dir / CONFIG), where=str(run_dir / CONFIG))
    system_obj = (
        None
        if stored.system is None
        else System.from_dict(_read_run_json(run_dir / SYSTEM), where=str(run_dir / SYSTEM))
    )
    given = system.name if isinstance(system, System) else None if system is None else str(system)
    if given not in (stored.system, getattr(system_obj, "name", None)):
        raise RunDirError(f"{run_dir} is a run of {stored.system!r}, not {given!r}")
    own = stored.flat()
    stretched = ("epochs", "patience", "warmup_epochs") if stored.train.min_steps else ()
    for name, value in _given(settings).items():
        asked = stored.with_settings({name: value}, where="fit").flat()[name]
        if asked == own[name] or (name in stretched and asked <= own[name]):
            continue  # a budget raised to min_steps is stored as it ran
        raise RunDirError(
            f"--resume continues {run_dir} as configured: {name} = "
            f"{own[name]!r} there, {asked!r} asked"
        )
    return stored, system_obj


def _check_resumed_budget(config: RunConfig, system: System | None) -> None:
    """A hand-edited ``config.json`` gets the horizon and memory checks of a new run (the
    model was built when the run began)."""
    from physym.run.budget import check_budget

    measured = config.data.measured
    coordinates = (
        system.coordinates
        if system is not None
        else tuple((measured.coordinates if measured is not None else None) or ())
    )
    check_budget(config, len(coordinates))


def _read_run_json(path: Path) -> Any:
    """A JSON file of the run to resume; a :class:`RunDirError` naming it when it is
    missing or unreadable (a broken file cannot be continued)."""
    try:
        return read_json(path)
    except FileNotFoundError:
        raise RunDirError(
            f"cannot resume {path.parent}: {path.name} is missing (start a new run in "
            "another --out directory)"
        ) from None
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError included
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RunDirError(
            f"cannot resume {path.parent}: {path} is not valid JSON ({reason}); repair it, "
            "or start a new run in another --out directory"
        ) from None
