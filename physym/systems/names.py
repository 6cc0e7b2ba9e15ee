"""The names physym gives to coordinates, velocities and time, and their SymPy symbols.

Every symbol physym builds is real-valued, so that the same name always maps to the same
SymPy object (``Symbol("x", real=True)`` and ``Symbol("x")`` are different objects).
"""

from __future__ import annotations

import sympy as sp

from physym.systems.expression_parser import ALLOWED_CONSTANTS, ALLOWED_FUNCTIONS

__all__ = [
    "RESERVED_NAMES",
    "TIME_NAME",
    "VELOCITY_SUFFIX",
    "coordinate_symbol",
    "time_symbol",
    "velocity_name",
    "velocity_symbol",
]

VELOCITY_SUFFIX = "_dot"
TIME_NAME = "t"
RESERVED_NAMES = frozenset(ALLOWED_FUNCTIONS) | frozenset(ALLOWED_CONSTANTS) | {TIME_NAME}
"""Names no coordinate, parameter or input may take."""


def velocity_name(coordinate: str) -> str:
    """Name of the velocity of ``coordinate`` (``theta`` -> ``theta_dot``)."""
    return coordinate + VELOCITY_SUFFIX


def coordinate_symbol(name: str) -> sp.Symbol:
    """The SymPy symbol physym uses for a coordinate, parameter or input (real-valued)."""
    return sp.Symbol(name, real=True)


def velocity_symbol(coordinate: str) -> sp.Symbol:
    """The SymPy symbol physym uses for the velocity of ``coordinate``."""
    return sp.Symbol(velocity_name(coordinate), real=True)


def time_symbol() -> sp.Symbol:
    """The SymPy symbol of time, ``t`` (real-valued)."""
    return sp.Symbol(TIME_NAME, real=True)
