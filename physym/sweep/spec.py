"""What a sweep runs: the grid of varied fit settings, the fixed ones, and the seeds.

A sweep is the Cartesian product of the ``grid`` lists (one entry per
:class:`~physym.training.FitConfig` field) times the seeds, every point sharing the
``fixed`` settings. Each point gets a stable name built from its varied values
(``n4096_w32_s0``), which is also its run directory under ``points/``.

The TOML form (``physym sweep --config sweep.toml``)::

    system = "double_pendulum"   # optional; the command line's SYSTEM wins
    seeds = 3                    # 3 seeds (0, 1, 2), or a list such as [0, 7]
    jobs = 4                     # optional; --jobs wins
    executor = "loky"            # optional; --executor wins

    [fit]                        # FitConfig fields fixed for the whole grid
    epochs = 200

    [grid]                       # FitConfig fields varied: one non-empty list each
    samples = [1024, 4096, 16384]
    width = [16, 32, 64]
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from physym.training.config import ConfigError, FitConfig

__all__ = ["SweepError", "SweepPoint", "SweepSpec", "point_name"]

#: short prefixes of point names for the usual axes; other fields use their own name
ABBREVIATIONS = {"samples": "n", "width": "w", "depth": "d", "epochs": "e", "seed": "s"}
#: varied fields that come first in names and tables (the study's two axes)
LEADING = ("samples", "width")
TOML_KEYS = ("system", "seeds", "jobs", "executor", "fit", "grid")


class SweepError(ValueError):
    """A sweep cannot run as asked: bad grid, bad TOML, unknown key (one line)."""


@dataclass(frozen=True)
class SweepPoint:
    """One fit of the sweep.

    Attributes
    ----------
    name : str
        Stable name, e.g. ``n4096_w32_s0`` (the run directory's name).
    values : dict
        The varied fields' values at this point, ``seed`` last.
    config : dict
        The full :class:`FitConfig` data of the fit (``FitConfig.to_dict()``).
    """

    name: str
    values: dict[str, Any]
    config: dict[str, Any]


@dataclass(frozen=True)
class SweepSpec:
    """A validated grid of fits.

    Parameters
    ----------
    system : str
        Built-in name, ``.toml`` spec or ``.py`` file (paths are made absolute).
    grid : mapping of str to list
        Varied :class:`FitConfig` fields, each a non-empty list of distinct values.
    fixed : mapping of str to value
        :class:`FitConfig` fields shared by every point.
    seeds : int or sequence of int
        Number of seeds (``0 … seeds−1``) or the seeds themselves.

    Examples
    --------
    >>> spec = SweepSpec("pendulum", {"samples": [64, 128], "width": [8]}, {"epochs": 2}, 1)
    >>> [p.name for p in spec.points()]
    ['n64_w8_s0', 'n128_w8_s0']
    """

    system: str
    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    seeds: int | Sequence[int] = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "system", _absolute_ref(self.system))
        object.__setattr__(self, "grid", _check_grid(self.grid))
        object.__setattr__(self, "fixed", _check_fixed(self.fixed, self.grid))
        object.__setattr__(self, "seeds", _check_seeds(self.seeds))
        self.points()  # every point must be a valid FitConfig: fail before any fit runs

    @property
    def seed_values(self) -> tuple[int, ...]:
        """The seeds (``seeds`` is normalised to a tuple on construction)."""
        return cast(tuple[int, ...], self.seeds)

    @property
    def varied(self) -> tuple[str, ...]:
        """Names of the varied fields in table order, ``seed`` last."""
        return (*self.grid, "seed")

    def points(self) -> list[SweepPoint]:
        """Every point of the grid, seeds innermost, each with a validated config."""
        out, names = [], set()
        for combo in itertools.product(*self.grid.values(), self.seed_values):
            values = dict(zip(self.varied, combo, strict=True))
            data = {**self.fixed, **values, "system": self.system}
            try:
                config = FitConfig.from_dict(data, where="sweep").to_dict()
            except ConfigError as exc:
                raise SweepError(str(exc)) from None
            name = point_name(values)
            if name in names:
                raise SweepError(f"sweep: two points are both named {name!r}; make the "
                                 "grid's values distinct")
            names.add(name)
            out.append(SweepPoint(name, values, config))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data (reloads with ``SweepSpec(**data)``)."""
        return {"system": self.system, "grid": {k: list(v) for k, v in self.grid.items()},
                "fixed": dict(self.fixed), "seeds": list(self.seed_values)}

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> tuple[SweepSpec, dict[str, Any]]:
        """Read a sweep TOML file (see the module docstring).

        ``overrides`` (``system``, ``seeds``, ``grid``, ``fixed``; ``None`` is ignored)
        win over the file: a field given in ``grid`` or ``fixed`` leaves the other table.

        Returns
        -------
        spec : SweepSpec
        options : dict
            The file's ``jobs`` and ``executor`` (absent keys omitted).
        """
        data = _read_toml(Path(path))
        return cls.from_dict(data, where=str(path), **overrides)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "sweep",
                  **overrides: Any) -> tuple[SweepSpec, dict[str, Any]]:
        """Like :meth:`from_toml` for already parsed data."""
        unknown = sorted(set(data) - set(TOML_KEYS))
        if unknown:
            raise SweepError(f"{where}: unknown key {unknown[0]!r} (known: "
                             f"{', '.join(TOML_KEYS)}; fit settings go in [fit] or [grid])")
        grid, fixed = dict(_table(data, "grid", where)), dict(_table(data, "fit", where))
        for key in overrides.get("grid") or {}:
            fixed.pop(key, None)
        for key in overrides.get("fixed") or {}:
            grid.pop(key, None)
        grid.update(overrides.get("grid") or {})
        fixed.update(overrides.get("fixed") or {})
        system = overrides.get("system") or data.get("system")
        if not system:
            raise SweepError(f"{where}: no system: give REF on the command line or "
                             "system = \"…\" in the sweep file")
        seeds = overrides.get("seeds")
        seeds = data.get("seeds", 1) if seeds is None else seeds
        try:
            spec = cls(system, grid, fixed, seeds)
        except SweepError as exc:
            raise SweepError(f"{where}: {str(exc).removeprefix('sweep: ')}") from None
        options = {k: data[k] for k in ("jobs", "executor") if k in data}
        return spec, options


def point_name(values: Mapping[str, Any]) -> str:
    """A file-name-safe name of a point: ``{"samples": 4096, "width": 32, "seed": 0}`` →
    ``n4096_w32_s0``."""
    parts = [ABBREVIATIONS.get(key, key) + _format(value) for key, value in values.items()]
    return re.sub(r"[^A-Za-z0-9._+-]", "-", "_".join(parts))


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "-".join(_format(v) for v in value)
    return str(value)


def _absolute_ref(system: Any) -> str:
    """Built-in names stay; existing spec paths become absolute so workers find them."""
    if not isinstance(system, str) or not system:
        raise SweepError(f"sweep: system must be a non-empty string, got {system!r}")
    path = Path(system)
    if path.suffix in (".toml", ".py") and path.is_file():
        return str(path.resolve())
    return system


def _check_grid(grid: Mapping[str, Any]) -> dict[str, list[Any]]:
    if not isinstance(grid, Mapping):
        raise SweepError("sweep: the grid must be a table of lists")
    known = FitConfig.field_names()
    ordered = [k for k in LEADING if k in grid] + [k for k in grid if k not in LEADING]
    out: dict[str, list[Any]] = {}
    for key in ordered:
        values = grid[key]
        if key in ("seed", "system"):
            raise SweepError(f"sweep: {key!r} cannot be varied in the grid"
                             + ("; use --seeds / seeds = N or a list" if key == "seed" else ""))
        if key not in known:
            raise SweepError(f"sweep: unknown fit setting {key!r} in the grid (known: "
                             f"{', '.join(k for k in known if k not in ('system', 'seed'))})")
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise SweepError(f"sweep: grid {key!r} must be a list of values, got {values!r}")
        if not values:
            raise SweepError(f"sweep: grid {key!r} is an empty list")
        if len({repr(v) for v in values}) != len(values):
            raise SweepError(f"sweep: grid {key!r} repeats a value: {list(values)!r}")
        out[key] = list(values)
    return out


def _check_fixed(fixed: Mapping[str, Any], grid: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(fixed, Mapping):
        raise SweepError("sweep: the fixed settings must be a table")
    known = FitConfig.field_names()
    for key in fixed:
        if key in ("seed", "system"):
            raise SweepError(f"sweep: {key!r} cannot be a fixed fit setting; give "
                             + ("--seeds / seeds = N or a list" if key == "seed" else "the system"))
        if key not in known:
            raise SweepError(f"sweep: unknown fit setting {key!r} (known: "
                             f"{', '.join(k for k in known if k not in ('system', 'seed'))})")
        if key in grid:
            raise SweepError(f"sweep: {key!r} is both fixed and varied")
    return dict(fixed)


def _check_seeds(seeds: Any) -> tuple[int, ...]:
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise SweepError(f"sweep: seeds must be at least 1, got {seeds}")
        return tuple(range(seeds))
    if isinstance(seeds, str) or not isinstance(seeds, Sequence) or not seeds:
        raise SweepError(f"sweep: seeds must be a count or a non-empty list, got {seeds!r}")
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
        raise SweepError(f"sweep: seeds must be non-negative integers, got {list(seeds)!r}")
    if len(set(seeds)) != len(seeds):
        raise SweepError(f"sweep: seeds repeat a value: {list(seeds)!r}")
    return tuple(seeds)


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, Mapping):
        raise SweepError(f"{where}: [{key}] must be a table")
    return table


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(f"sweep file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"{path}: not valid TOML: {exc}") from None
