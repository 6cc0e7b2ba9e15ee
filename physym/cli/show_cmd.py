"""``physym show REF``: the Lagrangian and the equations of motion, readably."""

from __future__ import annotations

import argparse


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("system", metavar="REF",
                        help="built-in name, .toml spec or .py file (a .py file is Python "
                             "code and is run: use only files you trust; prefer .toml)")
    parser.add_argument("--latex", action="store_true", help="print LaTeX instead of text")
    parser.add_argument("--numeric", action="store_true",
                        help="substitute parameter values into the equations")


def run(args: argparse.Namespace) -> int:
    import sympy as sp

    from physym.systems import load_system

    system = load_system(args.system)
    dynamics = system.dynamics
    equations = dynamics.equations_of_motion()
    if args.latex:
        from physym.comparison._latex import expression_latex

        print(f"% {system.name}: {system.description}")
        print(f"L = {expression_latex(system.lagrangian)}")
        print(f"E = {expression_latex(sp.simplify(dynamics.energy_expr))}")
        for eq in equations:
            print(expression_latex(eq))
        return 0
    print(f"{system.name}: {system.description}")
    if system.source:
        print(f"source: {system.source}")
    print(f"coordinates: {', '.join(system.coordinates)}")
    params = ", ".join(f"{k} = {v:g}" for k, v in system.parameters.items())
    print(f"parameters: {params or '(none)'}")
    print()
    print("L =", sp.sstr(system.lagrangian))
    print()
    print("Euler–Lagrange equations (parameters substituted):")
    for eq in equations:
        print("  " + sp.sstr(eq.lhs) + " = " + sp.sstr(eq.rhs))
    print()
    print("E =", sp.sstr(sp.simplify(dynamics.energy_expr)))
    return 0
