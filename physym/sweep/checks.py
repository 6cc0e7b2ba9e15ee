"""Validation of a sweep's parts, each failure a one-line :class:`SweepError`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from physym.errors import PhysymError
from physym.training.config import FitConfig

__all__ = ["LEADING", "SweepError", "absolute_ref", "check_fixed", "check_grid", "check_seeds"]

#: varied fields that come first in names and tables (the study's two axes)
LEADING = ("samples", "width")


class SweepError(PhysymError, ValueError):
    """A sweep cannot run as asked: bad grid, bad TOML, unknown key (one line)."""


def absolute_ref(system: Any) -> str:
    """Built-in names stay; existing spec paths become absolute so workers find them."""
    if not isinstance(system, str) or not system:
        raise SweepError(f"sweep: system must be a non-empty string, got {system!r}")
    path = Path(system)
    if path.suffix in (".toml", ".py") and path.is_file():
        return str(path.resolve())
    return system


def check_grid(grid: Mapping[str, Any]) -> dict[str, list[Any]]:
    if not isinstance(grid, Mapping):
        raise SweepError("sweep: the grid must be a table of lists")
    known = FitConfig.field_names()
    ordered = [k for k in LEADING if k in grid] + [k for k in grid if k not in LEADING]
    out: dict[str, list[Any]] = {}
    for key in ordered:
        values = grid[key]
        if key in ("seed", "system"):
            raise SweepError(
                f"sweep: {key!r} cannot be varied in the grid"
                + ("; use --seeds / seeds = N or a list" if key == "seed" else "")
            )
        if key not in known:
            raise SweepError(
                f"sweep: unknown fit setting {key!r} in the grid (known: "
                f"{', '.join(k for k in known if k not in ('system', 'seed'))})"
            )
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise SweepError(f"sweep: grid {key!r} must be a list of values, got {values!r}")
        if not values:
            raise SweepError(f"sweep: grid {key!r} is an empty list")
        if len({repr(v) for v in values}) != len(values):
            raise SweepError(f"sweep: grid {key!r} repeats a value: {list(values)!r}")
        out[key] = list(values)
    return out


def check_fixed(fixed: Mapping[str, Any], grid: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(fixed, Mapping):
        raise SweepError("sweep: the fixed settings must be a table")
    known = FitConfig.field_names()
    for key in fixed:
        if key in ("seed", "system"):
            raise SweepError(
                f"sweep: {key!r} cannot be a fixed fit setting; give "
                + ("--seeds / seeds = N or a list" if key == "seed" else "the system")
            )
        if key not in known:
            raise SweepError(
                f"sweep: unknown fit setting {key!r} (known: "
                f"{', '.join(k for k in known if k not in ('system', 'seed'))})"
            )
        if key in grid:
            raise SweepError(f"sweep: {key!r} is both fixed and varied")
    return dict(fixed)


def check_seeds(seeds: Any) -> tuple[int, ...]:
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
