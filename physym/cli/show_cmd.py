"""``physym show REF``: the Lagrangian and the equations of motion, readably.

Simplifying takes SymPy a fraction of a second on the built-in systems but can take
minutes on an unusual Lagrangian; past :data:`SIMPLIFY_BUDGET_S` the equations and the
energy are shown expanded instead, with a note, so that ``show`` always answers quickly.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TypeVar

SIMPLIFY_BUDGET_S = 5.0

T = TypeVar("T")


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "system",
        metavar="REF",
        help="built-in name, .toml spec or .py file (a .py file is Python "
        "code and is run: use only files you trust; prefer .toml)",
    )
    parser.add_argument("--latex", action="store_true", help="print LaTeX instead of text")
    parser.add_argument(
        "--numeric",
        action="store_true",
        help="substitute parameter values into L too (the equations of "
        "motion and the energy always have them)",
    )


def run(args: argparse.Namespace) -> int:
    import sympy as sp

    from physym.systems import load_system

    system = load_system(args.system)
    dynamics = system.dynamics
    notes: list[str] = []
    equations = _within_budget(
        dynamics.equations_of_motion, lambda: _expanded_equations(dynamics), notes
    )
    energy = _within_budget(
        lambda: sp.simplify(dynamics.energy_expr), lambda: dynamics.energy_expr, notes
    )
    lagrangian = system.lagrangian_numeric if args.numeric else system.lagrangian
    if args.latex:
        from physym.systems.latex import expression_latex

        print(f"% {system.name}: {system.description}")
        print(f"L = {expression_latex(lagrangian)}")
        print(f"E = {expression_latex(energy)}")
        for eq in equations:
            print(expression_latex(eq))
        for note in notes[:1]:
            print(f"% {note}")
        return 0
    print(f"{system.name}: {system.description}")
    if system.source:
        print(f"source: {system.source}")
    print(f"coordinates: {', '.join(system.coordinates)}")
    params = ", ".join(f"{k} = {v:g}" for k, v in system.parameters.items())
    print(f"parameters: {params or '(none)'}")
    print()
    print("L =", sp.sstr(lagrangian))
    print()
    print("Euler–Lagrange equations (parameters substituted):")
    for eq in equations:
        print("  " + sp.sstr(eq.lhs) + " = " + sp.sstr(eq.rhs))
    print()
    print("E =", sp.sstr(energy))
    for note in notes[:1]:
        print(f"({note})")
    return 0


def _within_budget(simplified: Callable[[], T], expanded: Callable[[], T], notes: list[str]) -> T:
    """``simplified()`` if it finishes within :data:`SIMPLIFY_BUDGET_S`, else ``expanded()``."""
    from physym.timeouts import SymbolicTimeoutError, time_limit

    try:
        with time_limit(SIMPLIFY_BUDGET_S):
            return simplified()
    except SymbolicTimeoutError:
        notes.append(f"shown expanded: simplifying took over {SIMPLIFY_BUDGET_S:g} s")
        return expanded()


def _expanded_equations(dynamics: Any) -> list[Any]:
    """``Σ_j M_ij q̈_j = f_i`` as derived (expanded), without simplification."""
    import sympy as sp

    accelerations = sp.Matrix(
        [sp.Symbol(f"{q}_ddot", real=True) for q in dynamics.system.coordinates]
    )
    lhs = dynamics.mass_matrix_expr * accelerations
    return [sp.Eq(sp.expand(lhs[i]), dynamics.force_expr[i]) for i in range(dynamics.n_dof)]
