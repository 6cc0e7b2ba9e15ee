"""``FitConfig``: the flat view of a fit's configuration, kept for existing code.

The configuration is nested now (:class:`physym.config.RunConfig`: ``data``, ``model``,
``train``, ``evaluate``, ``distill``). ``FitConfig`` builds one from the flat short names
every earlier script used, ``FitConfig(system="pendulum", epochs=20)``, reads them back as
attributes (``cfg.epochs``), and gives the nested object as :attr:`FitConfig.nested`;
:func:`physym.fit` accepts either. It is frozen and validated like the nested config.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from physym.config import FLAT, RunConfig, merge_overrides
from physym.config.run_config import read_toml
from physym.config.sections import DTYPES
from physym.config.settings import ConfigError

__all__ = [
    "BACKEND_NAMES",
    "DTYPES",
    "LOSSES",
    "SCHEDULES",
    "ConfigError",
    "FitConfig",
    "read_toml",
]

#: Names the registries hold today (the registries decide: see ``physym.run.resolve``).
LOSSES = ("mse", "normalised", "huber")
SCHEDULES = ("cosine", "plateau", "constant")
BACKEND_NAMES = ("sparse", "operon", "pysr")


class FitConfig:
    """Every setting of a fit under its flat short name (a view of a :class:`RunConfig`).

    Parameters
    ----------
    system : str, optional
        Built-in name, ``.toml`` or ``.py`` path (``None`` with ``data`` alone).
    **settings
        Short names of :data:`physym.config.FLAT` (``epochs``, ``rollout_states`` …) or
        whole sections (``train={"epochs": 3}``).

    Examples
    --------
    >>> cfg = FitConfig(system="pendulum", epochs=3)
    >>> cfg.epochs, cfg.nested.train.epochs
    (3, 3)
    >>> FitConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    __slots__ = ("_flat", "_nested")

    def __init__(self, system: str | None = None, **settings: Any):
        nested = RunConfig.from_dict({"system": system, **settings}, where="config")
        object.__setattr__(self, "_nested", nested)
        object.__setattr__(self, "_flat", flat_values(nested))

    @classmethod
    def of(cls, nested: RunConfig) -> FitConfig:
        """The flat view of a nested config."""
        self = object.__new__(cls)
        object.__setattr__(self, "_nested", nested)
        object.__setattr__(self, "_flat", flat_values(nested))
        return self

    @property
    def nested(self) -> RunConfig:
        """The nested configuration this view shows."""
        return self._nested

    def __getattr__(self, name: str) -> Any:
        flat = object.__getattribute__(self, "_flat")
        if name in flat:
            return flat[name]
        raise AttributeError(f"FitConfig has no setting {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FitConfig is frozen; use .replace(...)")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FitConfig) and other._nested == self._nested

    def __hash__(self) -> int:
        return hash(repr(self._nested))

    def __repr__(self) -> str:
        changed = {
            k: v for k, v in self._flat.items() if k == "system" or v != _DEFAULTS.get(k, object())
        }
        return "FitConfig(" + ", ".join(f"{k}={v!r}" for k, v in changed.items()) + ")"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FitConfig.from_dict, (self.to_dict(),))

    # ------------------------------------------------------------ serialise

    def to_dict(self) -> dict[str, Any]:
        """The flat table of short names (JSON/TOML-ready)."""
        return self._nested.flat()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "config") -> FitConfig:
        """Build from flat short names, nested tables, or both."""
        return cls.of(RunConfig.from_dict(data, where=where))

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> FitConfig:
        """Load a TOML file; ``overrides`` (not ``None``) win over the file's values."""
        return cls.of(RunConfig.from_toml(path, **overrides))

    def replace(self, **changes: Any) -> FitConfig:
        """A validated copy with some settings changed (short names or sections)."""
        return FitConfig.of(
            RunConfig.from_dict(merge_overrides(self._nested.to_dict(), changes), where="config")
        )

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Every short name."""
        return tuple(FLAT)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Default value of every short name except ``system``."""
        return {k: v for k, v in _DEFAULTS.items() if k != "system"}


def flat_values(nested: RunConfig) -> dict[str, Any]:
    """Every short name's value, read from the nested objects (tuples stay tuples)."""
    out: dict[str, Any] = {}
    for key, path in FLAT.items():
        value: Any = nested
        for name in path.split("."):
            value = getattr(value, name) if value is not None else None
        out[key] = value
    return out


_DEFAULTS = flat_values(RunConfig(system="-"))
