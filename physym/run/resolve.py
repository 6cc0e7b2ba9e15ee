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
        return _resume(system, run_dir, settings)
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


def check_backend(config: RunConfig) -> None:
    """The distillation backend must be one of the registry's."""
    import physym.distill.backends  # noqa: F401  (registers the built-in backends)
    from physym.distill import BACKENDS

    if config.distill.backend not in BACKENDS:
        raise ConfigError(
            f"fit: backend {config.distill.backend!r} is not one of {', '.join(BACKENDS)}"
        )


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
            and all(isinstance(v, int | float) for v in interval)
            and interval[0] <= interval[1]
        ):
            raise ConfigError(f"fit: energy_ic_box[{key!r}] must be [low, high], got {interval!r}")


def _check_models(config: RunConfig, system: System | None, coordinates: tuple[str, ...]) -> None:
    import torch

    from physym.network import build_model

    model = config.model
    names = [model.name] + ([model.fallback.name] if model.fallback.name != "none" else [])
    for name in names:
        options = model_build_options(config, system, name)
        try:
            build_model(name, len(coordinates), **{**options, "dtype": torch.float64})
        except (ValueError, TypeError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            key = "model" if name == model.name else "fallback_model"
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
    stored = RunConfig.from_dict(read_json(run_dir / CONFIG), where=str(run_dir / CONFIG))
    system_obj = (
        None
        if stored.system is None
        else System.from_dict(read_json(run_dir / SYSTEM), where=str(run_dir / SYSTEM))
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
