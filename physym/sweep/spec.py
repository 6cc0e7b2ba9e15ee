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

from physym.config import ConfigError, RunConfig
from physym.sweep.checks import (
    SweepError,
    absolute_ref,
    check_fixed,
    check_grid,
    check_seeds,
)

__all__ = ["SweepError", "SweepPoint", "SweepSpec", "point_name"]

#: short prefixes of point names for the usual axes; other fields use their own name
ABBREVIATIONS = {"samples": "n", "width": "w", "depth": "d", "epochs": "e", "seed": "s"}
TOML_KEYS = ("system", "seeds", "jobs", "executor", "fit", "grid")


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
        The fit's settings under their flat short names (``RunConfig.flat()``).
    run_config : RunConfig
        The same settings, validated once: what the point's fit runs with.
    """

    name: str
    values: dict[str, Any]
    config: dict[str, Any]
    run_config: RunConfig | None = None

    @property
    def settings(self) -> RunConfig:
        """The point's validated configuration."""
        if self.run_config is None:
            return RunConfig.from_dict(self.config, where=f"sweep point {self.name}")
        return self.run_config


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
        object.__setattr__(self, "system", absolute_ref(self.system))
        object.__setattr__(self, "grid", check_grid(self.grid))
        object.__setattr__(self, "fixed", check_fixed(self.fixed, self.grid))
        object.__setattr__(self, "seeds", check_seeds(self.seeds))
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
                config = RunConfig.from_dict(data, where="sweep")
            except ConfigError as exc:
                raise SweepError(str(exc)) from None
            name = point_name(values)
            if name in names:
                raise SweepError(
                    f"sweep: two points are both named {name!r}; make the grid's values distinct"
                )
            names.add(name)
            out.append(SweepPoint(name, values, config.flat(), config))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data (reloads with ``SweepSpec(**data)``)."""
        return {
            "system": self.system,
            "grid": {k: list(v) for k, v in self.grid.items()},
            "fixed": dict(self.fixed),
            "seeds": list(self.seed_values),
        }

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
    def from_dict(
        cls, data: Mapping[str, Any], *, where: str = "sweep", **overrides: Any
    ) -> tuple[SweepSpec, dict[str, Any]]:
        """Like :meth:`from_toml` for already parsed data."""
        unknown = sorted(set(data) - set(TOML_KEYS))
        if unknown:
            raise SweepError(
                f"{where}: unknown key {unknown[0]!r} (known: "
                f"{', '.join(TOML_KEYS)}; fit settings go in [fit] or [grid])"
            )
        grid, fixed = dict(_table(data, "grid", where)), dict(_table(data, "fit", where))
        for key in overrides.get("grid") or {}:
            fixed.pop(key, None)
        for key in overrides.get("fixed") or {}:
            grid.pop(key, None)
        grid.update(overrides.get("grid") or {})
        fixed.update(overrides.get("fixed") or {})
        system = overrides.get("system") or data.get("system")
        if not system:
            raise SweepError(
                f"{where}: no system: give REF on the command line or "
                'system = "…" in the sweep file'
            )
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
