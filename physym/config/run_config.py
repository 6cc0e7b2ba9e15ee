"""``RunConfig``: everything that determines a fit, as one nested typed object.

A run's settings are the system, the seed and five parts (:mod:`physym.config.sections`):
``data``, ``model``, ``train``, ``evaluate`` and ``distill``. In TOML::

    system = "double_pendulum"
    seed = 0
    [train]
    epochs = 30
    [train.stop]
    when_found = false
    [evaluate.energy]
    t_end = 100.0

The flat short names of :data:`physym.config.flat.FLAT` (``epochs = 30``,
``rollout_states = 4`` …) are accepted everywhere beside the nested form, so every config
file, sweep spec and ``--set`` written before the configuration was nested still works.
``config.json`` of a run is :meth:`RunConfig.to_dict` (nested, with ``"format"``);
:meth:`RunConfig.from_dict` also reads the flat ``config.json`` of older runs.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from physym.config.flat import FLAT, flat_to_nested, nested_to_flat
from physym.config.sections import (
    DataConfig,
    DistillConfig,
    EvaluateConfig,
    ModelConfig,
    TrainConfig,
)
from physym.config.settings import ConfigError, Section, setting

__all__ = ["FORMAT", "SECTIONS", "RunConfig", "read_toml"]

FORMAT = "physym-config/2"
SECTIONS = ("data", "model", "train", "evaluate", "distill")


@dataclass(frozen=True)
class RunConfig(Section):
    """The settings of one fit; two runs with equal configs give equal results.

    Attributes
    ----------
    system : str or None
        Built-in name, ``.toml`` or ``.py`` path; ``None`` for measured data alone.
    seed : int
        Seeds data, weights, batch order, distillation and evaluation.
    data, model, train, evaluate, distill
        The parts (:mod:`physym.config.sections`).

    Examples
    --------
    >>> cfg = RunConfig.from_dict({"system": "pendulum", "epochs": 3,
    ...                            "evaluate": {"rollout": {"states": 2}}})
    >>> cfg.train.epochs, cfg.evaluate.rollout.states
    (3, 2)
    >>> RunConfig.from_dict(cfg.to_dict()) == cfg
    True
    >>> cfg.flat()["rollout_states"]
    2
    """

    system: str | None = setting(
        None, str, optional=True, doc="built-in name, .toml or .py path (None: 'data' alone)"
    )
    seed: int = setting(0, int, low=0, doc="seed of data, weights, batch order and distillation")
    data: DataConfig = setting(kind=DataConfig, factory=DataConfig)
    model: ModelConfig = setting(kind=ModelConfig, factory=ModelConfig)
    train: TrainConfig = setting(kind=TrainConfig, factory=TrainConfig)
    evaluate: EvaluateConfig = setting(kind=EvaluateConfig, factory=EvaluateConfig)
    distill: DistillConfig = setting(kind=DistillConfig, factory=DistillConfig)

    path: ClassVar[str] = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        measured = self.data.measured
        if measured is None and self.system is None:
            raise ConfigError(
                "config: 'system' is needed unless 'data' names a file of measured positions"
            )
        if measured is not None and self.system is None and measured.coordinates is None:
            raise ConfigError(
                "config: 'data' without a system needs 'coordinates' (the position columns)"
            )

    # ------------------------------------------------------------ serialise

    def to_dict(self) -> dict[str, Any]:
        """Nested plain data with ``"format"``; :meth:`from_dict` reads it back."""
        return {"format": FORMAT, **super().to_dict()}

    def flat(self) -> dict[str, Any]:
        """The settings under their flat short names (:data:`~physym.config.flat.FLAT`)."""
        flat = nested_to_flat(super().to_dict())
        return {key: flat.get(key) for key in FLAT}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "config") -> RunConfig:
        """Build from nested tables, flat short names, or both.

        Raises
        ------
        ConfigError
            An unknown key, a bad value, a setting given twice (one line naming it).
        """
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: a config must be a table of keys")
        table = dict(data)
        version = table.pop("format", FORMAT)
        if version != FORMAT:
            raise ConfigError(
                f"{where}: unknown config format {version!r} (this physym reads {FORMAT!r})"
            )
        nested: dict[str, Any] = {}
        flat: dict[str, Any] = {}
        for key, value in table.items():
            if key in SECTIONS and isinstance(value, Mapping):
                nested[key] = _copy_tables(value)
            else:
                flat[key] = value
        if (
            "system" not in flat
            and flat.get("data") is None
            and not isinstance((nested.get("data") or {}).get("measured"), Mapping)
        ):
            raise ConfigError(f"{where}: missing required key 'system'")
        try:
            for key, value in flat_to_nested(flat, where=where).items():
                _merge(nested, key, value, where)
            return cls.from_nested(nested)
        except ConfigError as exc:
            raise ConfigError(_in_user_terms(str(exc), flat, where)) from None

    @classmethod
    def from_nested(cls, nested: Mapping[str, Any]) -> RunConfig:
        """Build from nested tables only (see :meth:`Section.from_dict`)."""
        table = dict(nested)
        table.setdefault("system", None)
        return super().from_dict(table)

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> RunConfig:
        """Load a TOML file; ``overrides`` (short names, not ``None``) win."""
        data = read_toml(path)
        return cls.from_dict(merge_overrides(data, overrides, where=str(path)), where=str(path))

    def with_settings(self, settings: Mapping[str, Any], *, where: str = "config") -> RunConfig:
        """A copy with short-name or nested ``settings`` changed (``None`` values are
        ignored: they mean "as it is")."""
        return RunConfig.from_dict(
            merge_overrides(self.to_dict(), settings, where=where), where=where
        )

    @property
    def measured(self) -> bool:
        """Whether the fit learns from measured positions (``data.measured``)."""
        return self.data.measured is not None


def merge_overrides(
    base: Mapping[str, Any], overrides: Mapping[str, Any], *, where: str = "settings"
) -> dict[str, Any]:
    """``base`` (nested, flat or both) with ``overrides`` (short names or sections)
    applied; ``None`` overrides are skipped, and an override wins over the base's value of
    the same setting however either names it. A setting the base names twice is an error.
    """
    given = {k: v for k, v in overrides.items() if v is not None and k != "format"}
    sections = {k: v for k, v in given.items() if k in SECTIONS and isinstance(v, Mapping)}
    flat = {k: v for k, v in given.items() if k not in sections}
    base_sections = {k: v for k, v in base.items() if k in SECTIONS and isinstance(v, Mapping)}
    base_flat = {k: v for k, v in base.items() if k not in base_sections and k != "format"}
    if not base_sections and not sections:
        return {**base_flat, **flat}
    out: dict[str, Any] = {k: _copy_tables(v) for k, v in base_sections.items()}
    file = _measured_file(out, base_flat, flat)
    nested_file = _measured_file(out)
    requested: dict[str, Any] = {}
    try:
        for table, target in ((base_flat, out), (flat, requested)):
            inject = (
                file is not None
                and "data" not in table
                and not (table is base_flat and nested_file is not None)
            )
            with_file = {"data": file, **table} if inject else table
            for key, value in flat_to_nested(with_file, where="config").items():
                _merge(target, key, value, "config")
        for key, value in sections.items():  # a setting asked twice is an error too
            _merge(requested, key, _copy_tables(value), "config")
    except ConfigError as exc:
        raise ConfigError(_in_user_terms(str(exc), {**base_flat, **flat}, where)) from None
    return _deep_update(out, requested)


def _measured_file(nested: Mapping[str, Any], *flats: Mapping[str, Any]) -> Any:
    """The measured-data file named anywhere (short name ``data`` or its table)."""
    for table in reversed(flats):
        if table.get("data") is not None:
            return table["data"]
    measured = (nested.get("data") or {}).get("measured")
    return measured.get("file") if isinstance(measured, Mapping) else None


def _deep_update(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_update(base[key], value)
        else:
            base[key] = _copy_tables(value) if isinstance(value, Mapping) else value
    return base


def _copy_tables(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy_tables(v) if isinstance(v, Mapping) else v for k, v in value.items()}


def _merge(nested: dict[str, Any], key: str, value: Any, where: str, path: str = "") -> None:
    """Put a short name's nested value into ``nested``; a path set twice is an error."""
    name = f"{path}{key}"
    if isinstance(value, dict) and isinstance(nested.get(key), dict):
        for inner, item in value.items():
            _merge(nested[key], inner, item, where, name + ".")
        return
    if key in nested and not (nested[key] is None and isinstance(value, dict)):
        raise ConfigError(f"{where}: {name!r} is set twice (as a short name and in its table)")
    nested[key] = value


def _in_user_terms(message: str, flat: Mapping[str, Any], where: str) -> str:
    """Name a setting the user gave by its short name as that short name."""
    for key in flat:
        message = message.replace(f"'{FLAT.get(key, key)}'", f"'{key}'")
    if message.startswith(where + ":"):
        return message
    return f"{where}: {message.removeprefix('config: ')}"


def read_toml(path: str | Path) -> dict[str, Any]:
    """The raw table of a TOML config file (:class:`ConfigError` if missing or invalid)."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
