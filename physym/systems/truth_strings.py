"""The true ``L``, ``R`` and ``Q`` of a system as strings for ``summary.json``.

Parameter values are substituted, so ``sympy.sympify`` reads each string back with only the
names of the coordinates, ``<q>_dot``, ``t`` and the inputs (:func:`summary_symbols`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from physym.systems.names import TIME_NAME, coordinate_symbol

if TYPE_CHECKING:
    from physym.systems.system import System

__all__ = ["summary_symbols", "truth_strings"]


def truth_strings(system: System) -> dict[str, Any]:
    """``true_lagrangian``, ``true_dissipation`` and ``forces`` as ``summary.json`` has them.

    Returns
    -------
    dict
        ``true_lagrangian``: str; ``true_dissipation``: str, or None without dissipation;
        ``forces``: ``{coordinate: str}`` for the coordinates given a force (may be empty).

    Examples
    --------
    >>> from physym import System
    >>> damped = System("damped", ["x"], "x_dot**2/2 - k/2*x**2", {"k": 4.0, "c": 0.5},
    ...                 {"x": (-1, 1), "x_dot": (-1, 1), "t": (0, 6)},
    ...                 dissipation="c/2*x_dot**2", forces={"x": "cos(t)"})
    >>> strings = truth_strings(damped)
    >>> strings["true_lagrangian"], strings["true_dissipation"], strings["forces"]
    ('-2*x**2 + x_dot**2/2', '0.25*x_dot**2', {'x': 'cos(t)'})
    """
    return {
        "true_lagrangian": sp.sstr(system.lagrangian_numeric),
        "true_dissipation": (
            sp.sstr(system.dissipation_numeric) if system.has_dissipation else None
        ),
        "forces": {
            q: sp.sstr(e)
            for q, e in zip(system.coordinates, system.forces_numeric, strict=True)
            if q in system.forces
        },
    }


def summary_symbols(system: System) -> dict[str, sp.Symbol]:
    """The real symbols to read the strings back: ``sympy.sympify(text, locals=...)``.

    Passing them as ``locals`` keeps a coordinate named like a SymPy function
    (``beta``, ``gamma``) a symbol.
    """
    names = [*system.state_names, TIME_NAME, *system.inputs]
    return {name: coordinate_symbol(name) for name in names}
