"""``physym systems``: a table of the built-in systems."""

from __future__ import annotations

import argparse


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    import json

    from physym.systems import builtin_names, load_system

    names = builtin_names()
    rows = []
    for name in names:
        system = load_system(name)
        rows.append({"name": name, "dof": system.n_dof, "description": system.description})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(name) for name in names)
    print(f"{'name':<{width}}  dof  description")
    for r in rows:
        print(f"{r['name']:<{width}}  {r['dof']:>3}  {r['description']}")
    return 0
