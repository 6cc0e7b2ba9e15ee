"""Resolving a reference to a :class:`System`: built-in names, ``.toml`` specs, ``.py`` files.

``load_system(ref)`` accepts a built-in name (``"double_pendulum"``), a path to a ``.toml``
spec, or a path to a trusted ``.py`` file that defines ``system = physym.System(...)``.
"""

from __future__ import annotations

import runpy
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from physym.systems.expression_parser import SpecError
from physym.systems.system import System

__all__ = ["builtin_names", "builtin_path", "load_system", "parse_spec", "system_from_mapping"]


def system_from_mapping(
    data: Mapping[str, Any], *, where: str = "system", text: str | None = None
) -> System:
    """Build a :class:`System` from a parsed spec mapping, with one-line errors.

    Parameters
    ----------
    data : Mapping
        Keys as in the TOML spec format (DESIGN.md §1).
    where : str
        Name of the source for error messages (a file name).
    text : str, optional
        The raw file text, used to name lines in error messages.
    """
    return System.from_dict(data, where=where, text=text)


def parse_spec(text: str, *, where: str = "spec") -> System:
    """Parse the text of a TOML spec into a :class:`System` (never evaluates code)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{where}: invalid TOML: {exc}") from None
    return system_from_mapping(data, where=where, text=text)


def _builtin_dirs() -> list[Path]:
    dirs = []
    try:
        packaged = resources.files("physym") / "_builtin_systems"
        if packaged.is_dir():
            dirs.append(Path(str(packaged)))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover
        pass
    checkout = Path(__file__).resolve().parents[2] / "systems"
    if checkout.is_dir():
        dirs.append(checkout)
    return dirs


def builtin_names(*, conservative: bool | None = None) -> list[str]:
    """Names of the built-in systems, sorted.

    Parameters
    ----------
    conservative : bool, optional
        ``True``: only the conservative systems (no dissipation, forces or time);
        ``False``: only the others; ``None`` (default): all.

    Examples
    --------
    >>> "pendulum" in builtin_names(conservative=True)
    True
    """
    names = sorted({p.stem for d in _builtin_dirs() for p in d.glob("*.toml")})
    if conservative is None:
        return names
    return [n for n in names if load_system(n).is_conservative == conservative]


def builtin_path(name: str) -> Path:
    """Path of the spec of the built-in system ``name``."""
    for directory in _builtin_dirs():
        candidate = directory / f"{name}.toml"
        if candidate.is_file():
            return candidate
    available = ", ".join(builtin_names())
    raise SpecError(
        f"unknown system {name!r}: not a built-in name ({available}) "
        "nor a path to a .toml or .py file"
    )


def load_system(ref: str | Path | System) -> System:
    """Resolve a reference to a :class:`System`.

    Parameters
    ----------
    ref : str, Path or System
        A built-in name, a path to a ``.toml`` spec or a path to a ``.py`` file defining
        ``system``. A ``System`` is returned unchanged.

    Returns
    -------
    System

    Raises
    ------
    SpecError
        One line naming the problem (unknown name, missing file, invalid spec).

    Examples
    --------
    >>> load_system("pendulum").coordinates
    ('theta',)
    """
    if isinstance(ref, System):
        return ref
    path = Path(ref)
    if path.suffix == ".toml":
        if not path.is_file():
            raise SpecError(f"spec file not found: {path}")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError(f"{path}: cannot read spec ({exc})") from None
        return parse_spec(text, where=path.name)
    if path.suffix == ".py":
        return _load_python(path)
    if isinstance(ref, str) and ref.isidentifier():
        spec_path = builtin_path(ref)
        return parse_spec(spec_path.read_text(encoding="utf-8"), where=spec_path.name)
    raise SpecError(
        f"unknown system {str(ref)!r}: give a built-in name, a .toml spec or a .py file"
    )


def _load_python(path: Path) -> System:
    """Run a trusted Python file (like a config file) and return its ``system``."""
    if not path.is_file():
        raise SpecError(f"system file not found: {path}")
    namespace = runpy.run_path(str(path), run_name=f"physym_user_system_{path.stem}")
    system = namespace.get("system")
    if not isinstance(system, System):
        raise SpecError(f"{path.name}: must define `system = physym.System(...)`")
    return system
