"""Typed settings: a frozen dataclass whose fields validate themselves.

A :class:`Section` is a frozen dataclass; each field is declared with :func:`setting`,
which records its kind (int, float, bool, str, names, a table, three fractions or a
nested section), its lower bound, its choices and whether ``None`` is allowed. On
construction every field is checked and normalised (ints are accepted for floats, never
bools; a ``"x, theta"`` string for a list of names), and a bad value raises
:class:`ConfigError` with a one-line message naming the field by its dotted path
(``'train.lr' must be >= 0, got -1.0``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, ClassVar, TypeGuard, TypeVar

from physym.errors import PhysymError

__all__ = ["ConfigError", "Section", "setting"]

S = TypeVar("S", bound="Section")


class ConfigError(PhysymError, ValueError):
    """A bad configuration: unknown key, wrong type or out-of-range value (one line)."""


def setting(
    default: Any = MISSING,
    kind: Any = None,
    *,
    low: float | None = None,
    choices: tuple[str, ...] = (),
    optional: bool = False,
    doc: str = "",
    factory: Any = MISSING,
) -> Any:
    """A dataclass field of a :class:`Section` with what its value must satisfy.

    Parameters
    ----------
    default : any
        The default (omit for a required field; ``factory`` for mutable defaults).
    kind : type
        ``int``, ``float``, ``bool``, ``str``, ``dict`` (a table), ``list`` (a tuple of
        names), ``tuple`` (three numbers) or a :class:`Section` subclass.
    low : float, optional
        Smallest allowed value.
    choices : tuple of str
        Allowed values.
    optional : bool
        Whether ``None`` is allowed.
    doc : str
        One line shown by ``physym fit --help`` and the README.
    """
    metadata = {"kind": kind, "low": low, "choices": choices, "optional": optional, "doc": doc}
    if factory is not MISSING:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Section:
    """Base of the settings dataclasses: validation, plain data and nested construction."""

    path: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = check_value(self._name(f.name), getattr(self, f.name), f.metadata)
            object.__setattr__(self, f.name, value)

    @classmethod
    def _name(cls, name: str) -> str:
        return f"{cls.path}.{name}" if cls.path else name

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/TOML-ready data, nested sections as tables."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls: type[S], data: Mapping[str, Any]) -> S:
        """Build from a table; nested sections may be tables too. Unknown keys are errors."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"config: {cls.path or 'the config'!r} must be a table, got {data!r}")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(
                f"config: unknown key {cls._name(unknown[0])!r} (known keys "
                f"of {cls.path or 'the config'}: {', '.join(sorted(known))})"
            )
        values = {}
        for name, value in data.items():
            kind = known[name].metadata.get("kind")
            if _is_section(kind) and isinstance(value, Mapping):
                value = kind.from_dict(value)
            values[name] = value
        return cls(**values)

    def replace(self: S, **changes: Any) -> S:
        """A validated copy with some fields changed."""
        from dataclasses import replace

        return replace(self, **changes)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """The default of every field that has one, nested sections as tables."""
        out: dict[str, Any] = {}
        for f in fields(cls):
            default = _default(f)
            if default is not MISSING:
                out[f.name] = _plain(default)
        return out


def _default(f: Field) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def _is_section(kind: Any) -> TypeGuard[type[Section]]:
    return isinstance(kind, type) and issubclass(kind, Section)


def _plain(value: Any) -> Any:
    if isinstance(value, Section):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def check_value(name: str, value: Any, meta: Mapping[str, Any]) -> Any:
    """Validate and normalise one value of a field described by ``meta`` (see
    :func:`setting`); ``name`` is how the message calls it."""
    kind, low, choices = meta.get("kind"), meta.get("low"), meta.get("choices", ())
    if value is None and meta.get("optional"):
        return None
    bad = f"config: {name!r} "
    if _is_section(kind):
        if isinstance(value, Mapping):
            return kind.from_dict(value)
        if not isinstance(value, kind):
            raise ConfigError(bad + f"must be a table, got {value!r}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(bad + f"must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(bad + f"must be finite, got {value!r}")
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(bad + f"must be an integer, got {value!r}")
    elif kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(bad + f"must be true or false, got {value!r}")
    elif kind is str:
        if not isinstance(value, str) or not value:
            raise ConfigError(bad + f"must be a non-empty string, got {value!r}")
    elif kind is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(bad + f"must be a table, got {value!r}")
        value = dict(value)
    elif kind is list:
        if isinstance(value, str):  # "x, theta" from a flag
            value = [v.strip() for v in value.split(",") if v.strip()]
        if (
            not isinstance(value, list | tuple)
            or not value
            or not all(isinstance(v, str) and v for v in value)
        ):
            raise ConfigError(bad + f"must be a list of names, got {value!r}")
        value = tuple(value)
    elif kind is tuple:
        if (
            isinstance(value, str)
            or not isinstance(value, list | tuple)
            or len(value) != 3
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        ):
            raise ConfigError(bad + f"must be three numbers, got {value!r}")
        value = tuple(float(v) for v in value)
    if low is not None and value < low:
        raise ConfigError(bad + f"must be >= {low:g}, got {value!r}")
    if choices and value not in choices:
        raise ConfigError(bad + f"must be one of {', '.join(choices)}; got {value!r}")
    return value
