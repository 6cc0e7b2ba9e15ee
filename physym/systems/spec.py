"""Reading the keys of a system spec (a parsed TOML table) into checked pieces.

:func:`read_spec_mapping` checks every key and parses every expression with the safe parser,
naming the file line of each problem; :meth:`System.from_dict` builds the system from the
pieces. Resolving a name or a path to a system is :mod:`physym.systems.loading`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from physym.systems.expression_limits import lookalike_name
from physym.systems.expression_parser import SpecError, parse_expression
from physym.systems.names import TIME_NAME, coordinate_symbol, velocity_name, velocity_symbol

__all__ = ["located_system_error", "read_spec_mapping"]

_KNOWN_KEYS = {
    "name",
    "description",
    "source",
    "coordinates",
    "lagrangian",
    "parameters",
    "sampling",
    "periodic",
    "dissipation",
    "forces",
    "inputs",
}


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
    for section, key in (
        ("sampling", "sampling"),
        ("input", "inputs"),
        ("periodic", "periodic"),
        ("parameter", "parameters"),
        ("force", "forces"),
        ("dissipation", "dissipation"),
        ("coordinate", "coordinates"),
    ):
        if section not in message:
            continue
        if key in ("sampling", "parameters", "forces"):
            for token in tokens:
                line = _line_of(text, token, table=key)
                if line:
                    return line
        return _line_of(text, key)
    return ""


def _expression_line(text: str | None, key: str, table: str | None = None) -> int:
    """Offset from expression line numbers to file line numbers of ``key`` (in ``table``)."""
    if not text:
        return 0
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    header = re.compile(r"^\s*\[\s*\"?([^\]\"]*)\"?\s*\]")
    current: str | None = None
    for number, line in enumerate(text.splitlines()):
        opened = header.match(line)
        if opened:
            current = opened.group(1).strip()
            continue
        if current == table and pattern.match(line):
            value = line.split("=", 1)[1].strip()
            return number + 1 if value in ('"""', "'''") else number
    return 0


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


def read_spec_mapping(
    data: Mapping[str, Any], *, where: str = "system", text: str | None = None
) -> dict[str, Any]:
    """Check a parsed spec mapping and return the keyword arguments of :class:`System`.

    Parameters
    ----------
    data : Mapping
        Keys as in the TOML spec format (DESIGN.md §1).
    where : str
        Name of the source for error messages (a file name).
    text : str, optional
        The raw file text, used to name lines in error messages.

    Returns
    -------
    dict
        ``name``, ``coordinates``, ``lagrangian`` (parsed), ``parameters``, ``sampling``,
        ``description``, ``periodic``, ``source``, and, where given, ``dissipation``,
        ``forces`` (parsed) and ``inputs``.
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
        raise SpecError(
            f"{where}{_line_of(text, 'coordinates')}: 'coordinates' must be a list of names"
        )
    parameters = data.get("parameters", {})
    if not isinstance(parameters, Mapping):
        raise SpecError(f"{where}{_line_of(text, 'parameters')}: [parameters] must be a table")
    for key, value in parameters.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(
                f"{where}{_line_of(text, key)}: parameter {key!r} must be a number, got {value!r}"
            )
    sampling = data["sampling"]
    if not isinstance(sampling, Mapping):
        raise SpecError(f"{where}{_line_of(text, 'sampling')}: [sampling] must be a table")
    inputs = data.get("inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(u, str) for u in inputs):
        raise SpecError(f"{where}{_line_of(text, 'inputs')}: 'inputs' must be a list of names")
    state_names = [*coordinates, *(velocity_name(q) for q in coordinates)]
    for s in state_names:
        if s not in sampling:
            raise SpecError(
                f"{where}{_line_of(text, 'sampling')}: sampling box does not cover {s!r}"
            )
    for s in sampling:
        if s not in state_names and s not in inputs and s != TIME_NAME:
            raise SpecError(
                f"{where}{_line_of(text, s)}: sampling names {s!r}, which is not "
                "a coordinate or velocity"
            )
    lagrangian_text = data["lagrangian"]
    if not isinstance(lagrangian_text, str):
        raise SpecError(f"{where}{_line_of(text, 'lagrangian')}: 'lagrangian' must be a string")
    _check_plain_names(coordinates, parameters, where, text)
    symbols = {q: coordinate_symbol(q) for q in coordinates}
    symbols |= {velocity_name(q): velocity_symbol(q) for q in coordinates}
    symbols |= {p: coordinate_symbol(p) for p in parameters}
    symbols |= {name: coordinate_symbol(name) for name in (TIME_NAME, *inputs)}
    lagrangian = parse_expression(
        lagrangian_text,
        symbols,
        where=f"{where}: lagrangian",
        line_offset=_lagrangian_line(text),
        parameters=list(parameters),
    )
    extra = _forcing_keys(data, symbols, where, text)
    for key in ("description", "source"):
        if key in data and not isinstance(data[key], str):
            raise SpecError(f"{where}{_line_of(text, key)}: {key!r} must be a string")
    periodic = data.get("periodic", [])
    if not isinstance(periodic, list) or not all(isinstance(p, str) for p in periodic):
        raise SpecError(
            f"{where}{_line_of(text, 'periodic')}: 'periodic' must be a list of coordinate names"
        )
    return {
        "name": name,
        "coordinates": tuple(coordinates),
        "lagrangian": lagrangian,
        "parameters": dict(parameters),
        "sampling": {k: tuple(v) if isinstance(v, list) else v for k, v in sampling.items()},
        "description": data.get("description", ""),
        "periodic": tuple(periodic),
        "source": data.get("source", ""),
        **extra,
    }


def _forcing_keys(
    data: Mapping[str, Any], symbols: Mapping[str, Any], where: str, text: str | None
) -> dict[str, Any]:
    """The optional keys ``dissipation``, ``forces`` and ``inputs``, parsed."""
    extra: dict[str, Any] = {}
    if data.get("inputs"):
        extra["inputs"] = tuple(data["inputs"])
    if "dissipation" in data:
        value = data["dissipation"]
        if not isinstance(value, str):
            raise SpecError(
                f"{where}{_line_of(text, 'dissipation')}: 'dissipation' must be a string"
            )
        extra["dissipation"] = parse_expression(
            value,
            symbols,
            where=f"{where}: dissipation",
            line_offset=_expression_line(text, "dissipation"),
        )
    if "forces" in data:
        forces = data["forces"]
        if not isinstance(forces, Mapping):
            raise SpecError(
                f"{where}{_line_of(text, 'forces')}: [forces] must be a table of "
                'coordinate = "expression"'
            )
        coordinates = data["coordinates"]
        parsed = {}
        for q, value in forces.items():
            line = _line_of(text, q, table="forces")
            if q not in coordinates:
                raise SpecError(f"{where}{line}: force given for {q!r}, which is not a coordinate")
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise SpecError(
                    f"{where}{line}: force on {q!r} must be a string expression, got {value!r}"
                )
            parsed[q] = parse_expression(
                str(value),
                symbols,
                where=f"{where}: force on {q!r}",
                line_offset=_expression_line(text, q, table="forces"),
            )
        extra["forces"] = parsed
    return extra


def _check_plain_names(
    coordinates: list[str], parameters: Mapping[str, Any], where: str, text: str | None
) -> None:
    """Names Python would fold into other names (``ｋ`` → ``k``) fail before the parse."""
    for q in coordinates:
        problem = lookalike_name(q)
        if problem is not None:
            raise SpecError(
                f"{where}{_line_of(text, 'coordinates')}: coordinate name {q!r} {problem}"
            )
    for key in parameters:
        problem = lookalike_name(key)
        if problem is not None:
            line = _line_of(text, key, table="parameters")
            raise SpecError(f"{where}{line}: parameter name {key!r} {problem}")


def located_system_error(message: str, name: str, where: str, text: str | None) -> str:
    """A :class:`System` error message restated for the spec ``where`` (with its line)."""
    message = message.replace(f"system {name!r}", "", 1)
    return f"{where}{_line_for_system_error(text, message)}{message}"
