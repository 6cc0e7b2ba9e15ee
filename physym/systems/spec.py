"""Reading system specs (TOML) and resolving a reference to a :class:`System`.

``load_system(ref)`` accepts a built-in name (``"double_pendulum"``), a path to a ``.toml``
spec, or a path to a trusted ``.py`` file that defines ``system = physym.System(...)``.
"""

from __future__ import annotations

import re
import runpy
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from physym.systems.expression_limits import lookalike_name
from physym.systems.expression_parser import SpecError, parse_expression
from physym.systems.system import System, coordinate_symbol, velocity_name, velocity_symbol

__all__ = ["builtin_names", "builtin_path", "load_system", "parse_spec", "system_from_mapping"]

_KNOWN_KEYS = {"name", "description", "source", "coordinates", "lagrangian", "parameters",
               "sampling", "periodic"}


def _line_of(text: str | None, key: str, table: str | None = None) -> str:
    """``" (line N)"`` for the first line of ``text`` that assigns ``key`` (or opens the
    table ``[key]``), else ``""``. With ``table``, only lines inside ``[table]`` count."""
    if not text:
        return ""
    name = re.escape(key)
    pattern = re.compile(rf"^\s*(\"?{name}\"?\s*=|\[\s*\"?{name}\"?\s*\])")
    header = re.compile(r"^\s*\[\s*\"?([^\]\"]*)\"?\s*\]")
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        opened = header.match(line)
        if table is not None and opened:
            current = opened.group(1).strip()
            continue
        if (table is None or current == table) and pattern.match(line):
            return f" (line {number})"
    return ""


def _line_for_system_error(text: str | None, message: str) -> str:
    """Best line for an error raised by :class:`System` (which knows no file lines)."""
    if not text:
        return ""
    tokens = re.findall(r"'([^']*)'", message)
    for section, key in (("sampling", "sampling"), ("periodic", "periodic"),
                         ("parameter", "parameters"), ("coordinate", "coordinates")):
        if section not in message:
            continue
        if key in ("sampling", "parameters"):
            for token in tokens:
                line = _line_of(text, token, table=key)
                if line:
                    return line
        return _line_of(text, key)
    return ""


def _lagrangian_line(text: str | None) -> int:
    """Offset from expression line numbers to file line numbers of the lagrangian."""
    if not text:
        return 0
    for number, line in enumerate(text.splitlines()):
        if re.match(r"^\s*lagrangian\s*=", line):
            value = line.split("=", 1)[1].strip()
            # TOML drops the newline right after an opening triple quote.
            multiline = value in ('"""', "'''")
            return number + 1 if multiline else number
    return 0


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
    if not isinstance(data, Mapping):
        raise SpecError(f"{where}: a spec must be a table")
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise SpecError(f"{where}{_line_of(text, unknown[0])}: unknown key {unknown[0]!r}")
    for key in ("name", "coordinates", "lagrangian", "parameters", "sampling"):
        if key not in data:
            if key == "parameters":
                continue
            raise SpecError(f"{where}: missing required key {key!r}")
    name = data["name"]
    if not isinstance(name, str) or not name:
        raise SpecError(f"{where}{_line_of(text, 'name')}: 'name' must be a non-empty string")
    coordinates = data["coordinates"]
    if not isinstance(coordinates, list) or not all(isinstance(c, str) for c in coordinates):
        raise SpecError(f"{where}{_line_of(text, 'coordinates')}: 'coordinates' must be a "
                        "list of names")
    parameters = data.get("parameters", {})
    if not isinstance(parameters, Mapping):
        raise SpecError(f"{where}{_line_of(text, 'parameters')}: [parameters] must be a table")
    for key, value in parameters.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(f"{where}{_line_of(text, key)}: parameter {key!r} must be a number, "
                            f"got {value!r}")
    sampling = data["sampling"]
    if not isinstance(sampling, Mapping):
        raise SpecError(f"{where}{_line_of(text, 'sampling')}: [sampling] must be a table")
    state_names = [*coordinates, *(velocity_name(q) for q in coordinates)]
    for s in state_names:
        if s not in sampling:
            raise SpecError(f"{where}{_line_of(text, 'sampling')}: sampling box does not "
                            f"cover {s!r}")
    for s in sampling:
        if s not in state_names:
            raise SpecError(f"{where}{_line_of(text, s)}: sampling names {s!r}, which is not "
                            "a coordinate or velocity")
    lagrangian_text = data["lagrangian"]
    if not isinstance(lagrangian_text, str):
        raise SpecError(f"{where}{_line_of(text, 'lagrangian')}: 'lagrangian' must be a string")
    _check_plain_names(coordinates, parameters, where, text)
    symbols = {q: coordinate_symbol(q) for q in coordinates}
    symbols |= {velocity_name(q): velocity_symbol(q) for q in coordinates}
    symbols |= {p: coordinate_symbol(p) for p in parameters}
    lagrangian = parse_expression(
        lagrangian_text, symbols, where=f"{where}: lagrangian",
        line_offset=_lagrangian_line(text), parameters=list(parameters),
    )
    for key in ("description", "source"):
        if key in data and not isinstance(data[key], str):
            raise SpecError(f"{where}{_line_of(text, key)}: {key!r} must be a string")
    periodic = data.get("periodic", [])
    if not isinstance(periodic, list) or not all(isinstance(p, str) for p in periodic):
        raise SpecError(f"{where}{_line_of(text, 'periodic')}: 'periodic' must be a list of "
                        "coordinate names")
    try:
        return System(
            name=name,
            coordinates=tuple(coordinates),
            lagrangian=lagrangian,
            parameters=dict(parameters),
            sampling={k: tuple(v) if isinstance(v, list) else v for k, v in sampling.items()},
            description=data.get("description", ""),
            periodic=tuple(periodic),
            source=data.get("source", ""),
        )
    except SpecError as exc:
        message = str(exc).replace(f"system {name!r}", "", 1)
        raise SpecError(f"{where}{_line_for_system_error(text, message)}{message}") from None


def _check_plain_names(coordinates: list[str], parameters: Mapping[str, Any], where: str,
                       text: str | None) -> None:
    """Names Python would fold into other names (``ｋ`` → ``k``) fail before the parse."""
    for q in coordinates:
        problem = lookalike_name(q)
        if problem is not None:
            raise SpecError(f"{where}{_line_of(text, 'coordinates')}: coordinate name {q!r} "
                            f"{problem}")
    for key in parameters:
        problem = lookalike_name(key)
        if problem is not None:
            line = _line_of(text, key, table="parameters")
            raise SpecError(f"{where}{line}: parameter name {key!r} {problem}")


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


def builtin_names() -> list[str]:
    """Names of the built-in systems, sorted."""
    names = {p.stem for d in _builtin_dirs() for p in d.glob("*.toml")}
    return sorted(names)


def builtin_path(name: str) -> Path:
    """Path of the spec of the built-in system ``name``."""
    for directory in _builtin_dirs():
        candidate = directory / f"{name}.toml"
        if candidate.is_file():
            return candidate
    available = ", ".join(builtin_names())
    raise SpecError(f"unknown system {name!r}: not a built-in name ({available}) "
                    "nor a path to a .toml or .py file")


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
    raise SpecError(f"unknown system {str(ref)!r}: give a built-in name, a .toml spec or a "
                    ".py file")


def _load_python(path: Path) -> System:
    """Run a trusted Python file (like a config file) and return its ``system``."""
    if not path.is_file():
        raise SpecError(f"system file not found: {path}")
    namespace = runpy.run_path(str(path), run_name=f"physym_user_system_{path.stem}")
    system = namespace.get("system")
    if not isinstance(system, System):
        raise SpecError(f"{path.name}: must define `system = physym.System(...)`")
    return system
