"""Which systems the conservative parts of physym can take, with a one-line refusal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from physym.systems.expression_parser import SpecError

if TYPE_CHECKING:
    from physym.systems.system import System

__all__ = ["UnsupportedSystemError", "non_conservative_parts", "require_conservative"]


class UnsupportedSystemError(SpecError):
    """A valid system that a command cannot handle yet (e.g. a fit of a damped system)."""


def non_conservative_parts(system: System) -> list[str]:
    """What makes ``system`` non-conservative, in words (empty for a conservative one).

    Examples
    --------
    >>> from physym import load_system
    >>> non_conservative_parts(load_system("pendulum"))
    []
    """
    parts = []
    if system.has_dissipation:
        parts.append("dissipation")
    if system.has_forces:
        parts.append("forces")
    if system.has_inputs:
        parts.append(f"inputs ({', '.join(system.inputs)})")
    if system.time_dependent:
        parts.append("time dependence")
    return parts


def require_conservative(system: System | None, command: str = "physym fit") -> None:
    """Refuse a system with dissipation, forces, inputs or time, before any work is done.

    ``None`` (no system, e.g. a fit of measured data alone) passes.

    Raises
    ------
    UnsupportedSystemError
        One line naming the command, the system and what it has.
    """
    parts = [] if system is None else non_conservative_parts(system)
    if system is not None and parts:
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        raise UnsupportedSystemError(
            f"{command} does not support dissipation, forces, inputs or time dependence yet "
            f"(system {system.name!r} has {listed})"
        )
