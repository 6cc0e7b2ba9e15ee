"""The zoo's systems: the specs in ``benchmarks/zoo/`` and their form classes.

Every ``*.toml`` in the folder is a physym spec, except ``forms.toml``, which gives each
system its form class (what a distillation must find) and a coarse family.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ZOO_DIR", "Entry", "catalogue"]

ZOO_DIR = Path(__file__).resolve().parent / "zoo"
_FORMS = "forms.toml"


@dataclass(frozen=True)
class Entry:
    """One zoo system: its spec file, form class and family."""

    name: str
    path: Path
    form: str
    family: str


def catalogue(only: list[str] | None = None) -> list[Entry]:
    """The zoo's systems, sorted by name (``only``: these names, in that order).

    Raises
    ------
    ValueError
        If a spec has no entry in ``forms.toml`` or the other way round, or ``only`` names
        a system that is not in the zoo.
    """
    forms = tomllib.loads((ZOO_DIR / _FORMS).read_text(encoding="utf-8"))
    specs = {p.stem: p for p in ZOO_DIR.glob("*.toml") if p.name != _FORMS}
    if set(forms) != set(specs):
        extra = sorted(set(forms) ^ set(specs))
        raise ValueError(f"{_FORMS} and the specs disagree on {extra}")
    names = sorted(specs) if only is None else list(only)
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise ValueError(f"not in the zoo: {', '.join(unknown)} (see {ZOO_DIR})")
    return [Entry(n, specs[n], forms[n]["form"], forms[n]["family"]) for n in names]
