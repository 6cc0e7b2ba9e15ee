"""The flat setting names (``epochs``, ``rollout_states`` …) and where each lives now.

Before the configuration was nested, a fit had one flat table of 54 keys; every one of
them still works as a short name, in TOML files, ``--set KEY=VALUE``, sweep specs,
``physym.fit(..., KEY=VALUE)`` and :class:`physym.training.FitConfig`. :data:`FLAT` maps
each short name to its dotted path in :class:`~physym.config.RunConfig`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from physym.config.settings import ConfigError

__all__ = ["FLAT", "MEASURED_KEYS", "flat_to_nested", "nested_to_flat"]

#: short name -> dotted path in the nested configuration
FLAT: dict[str, str] = {
    "system": "system",
    "seed": "seed",
    # data
    "samples": "data.samples",
    "noise": "data.noise",
    "splits": "data.splits",
    "data": "data.measured.file",
    "coordinates": "data.measured.coordinates",
    "periodic": "data.measured.periodic",
    "time_column": "data.measured.time_column",
    "trajectory_column": "data.measured.trajectory_column",
    "derivative": "data.measured.derivative.method",
    "derivative_window": "data.measured.derivative.window",
    "derivative_order": "data.measured.derivative.order",
    "derivative_smoothing": "data.measured.derivative.smoothing",
    "derivative_trim": "data.measured.derivative.trim",
    # model
    "model": "model.name",
    "width": "model.width",
    "depth": "model.depth",
    "activation": "model.activation",
    "dtype": "model.dtype",
    "epsilon": "model.epsilon",
    "model_options": "model.options",
    "fallback_model": "model.fallback.name",
    "fallback_threshold": "model.fallback.threshold",
    # train
    "epochs": "train.epochs",
    "min_steps": "train.min_steps",
    "batch_size": "train.batch_size",
    "lr": "train.lr",
    "schedule": "train.schedule",
    "warmup_epochs": "train.warmup_epochs",
    "min_lr_factor": "train.min_lr_factor",
    "weight_decay": "train.weight_decay",
    "patience": "train.patience",
    "monitor_states": "train.monitor_states",
    "loss": "train.guards.loss",
    "huber_delta": "train.guards.huber_delta",
    "clip_norm": "train.guards.clip_norm",
    "hessian_penalty": "train.guards.hessian_penalty",
    "hessian_margin": "train.guards.hessian_margin",
    "max_bad_batches": "train.guards.max_bad_batches",
    "multistep_steps": "train.multistep.steps",
    "multistep_dt": "train.multistep.dt",
    "multistep_weight": "train.multistep.weight",
    "stop_when_found": "train.stop.when_found",
    "check_growth": "train.stop.growth",
    # evaluate
    "rollout_states": "evaluate.rollout.states",
    "rollout_t_end": "evaluate.rollout.t_end",
    "rollout_dt": "evaluate.rollout.dt",
    "energy_states": "evaluate.energy.states",
    "energy_t_end": "evaluate.energy.t_end",
    "energy_ic_box": "evaluate.energy.ic_box",
    # distill
    "distill": "distill.enabled",
    "backend": "distill.backend",
    "distill_states": "distill.states",
    "distill_slack": "distill.slack",
    "compare_tolerance": "distill.compare_tolerance",
    "shooting": "distill.shooting",
}
_MEASURED = "data.measured."
#: short names of the settings that exist only with measured positions (``data``)
MEASURED_KEYS = tuple(k for k, v in FLAT.items() if v.startswith(_MEASURED) and k != "data")
_PATHS = {path: key for key, path in FLAT.items()}


def flat_to_nested(flat: Mapping[str, Any], *, where: str = "config") -> dict[str, Any]:
    """A nested table from short names (an error names the first unknown key).

    Settings of measured data given without a file are an error unless they are ``None``
    or their default: old flat configs list every key, ``time_column = "t"`` included.
    """
    from physym.config.sections import DerivativeConfig, MeasuredConfig

    nested: dict[str, Any] = {}
    defaults = {
        **{f"derivative_{k}": v for k, v in DerivativeConfig.defaults().items()},
        "derivative": DerivativeConfig.defaults()["method"],
        "time_column": MeasuredConfig.defaults()["time_column"],
    }
    has_file = flat.get("data") is not None
    for key, value in flat.items():
        if key not in FLAT:
            raise ConfigError(
                f"{where}: unknown key {key!r} (known keys: {', '.join(sorted(FLAT))})"
            )
        if key in MEASURED_KEYS and not has_file:
            if value is None or defaults.get(key) == value:
                continue
            raise ConfigError(f"{where}: {key!r} applies to measured data only; set 'data' too")
        if key == "data" and value is None:
            continue
        set_path(nested, FLAT[key], value)
    return nested


def nested_to_flat(nested: Mapping[str, Any]) -> dict[str, Any]:
    """Short names from a nested table (sections missing from it give nothing)."""
    flat: dict[str, Any] = {}

    def walk(table: Mapping[str, Any], prefix: str) -> None:
        for name, value in table.items():
            path = prefix + name
            if path in _PATHS:
                flat[_PATHS[path]] = value
            elif isinstance(value, Mapping):
                walk(value, path + ".")
            elif value is None and path == "data.measured":
                flat["data"] = None

    walk(nested, "")
    return flat


def set_path(table: dict[str, Any], path: str, value: Any) -> None:
    """``table[a][b][c] = value`` for ``path = "a.b.c"``, making the inner tables."""
    *parents, leaf = path.split(".")
    for name in parents:
        inner = table.get(name)
        if not isinstance(inner, dict):
            inner = {}
            table[name] = inner
        table = inner
    table[leaf] = value
