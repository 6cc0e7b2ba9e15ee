"""Validate the zoo's specs: each loads, is regular on its box, conserves energy, and matches
a derivation from its mechanics.

For every spec in ``benchmarks/zoo/``:

1. ``physym show SPEC`` succeeds (the CLI loads it, as a user would);
2. the mass matrix ``∂²L/∂q̇²`` is positive definite at 20 000 states of the box (the
   smallest ratio ``λ_min / λ_max`` is reported);
3. exact trajectories (``physym.data.simulate``) from 3 box states over two natural periods
   (at most 10 time units) conserve energy to 1e-8;
4. the accelerations of an independent derivation (``zoo_derivations.py``: positions,
   spins and fields, differentiated by the zoo checker's own Euler–Lagrange code) agree with
   physym's on 500 box states to 1e-9, and that Lagrangian does not depend on time (a
   turning frame's ``t`` drops out).

Writes ``benchmarks/results/zoo_validation.md``; exits 1 if any check fails.

Usage::

    python benchmarks/zoo_validate.py [--only NAME,...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp
from zoo_catalogue import Entry, catalogue
from zoo_check import accelerations
from zoo_derivations import TIME, derive
from zoo_symbols import state_symbols

from physym import load_system
from physym.data import IntegrationError, natural_period, simulate

RESULTS = Path(__file__).resolve().parent / "results" / "zoo_validation.md"
DRIFT_TOL = 1e-8
DERIVATION_TOL = 1e-9


def validate(entry: Entry, seed: int = 0) -> dict[str, Any]:
    """The four checks on one spec; ``ok`` is their conjunction."""
    shown = subprocess.run(
        [sys.executable, "-m", "physym", "show", str(entry.path)], capture_output=True, text=True
    )
    system = load_system(entry.path)
    rng = np.random.default_rng(seed)
    low, high = system.box
    states = rng.uniform(low, high, (20_000, low.size))
    eig = np.linalg.eigvalsh(system.mass_matrix(states))
    ratio = float(np.min(eig[:, 0] / eig[:, -1]))
    period = natural_period(system)
    t_end = float(min(2 * period, 10.0))
    drifts = []
    for state in states[:3]:
        try:
            drifts.append(simulate(system, state, t_end, n_points=200).energy_drift)
        except IntegrationError as exc:
            drifts.append(float("inf"))
            print(f"  {entry.name}: {exc}", file=sys.stderr)
    derived = derive(entry.name, system.coordinates, system.parameters)
    q, v = state_symbols(system.coordinates)
    probe = states[:500]
    later = derived.subs(TIME, sp.Rational(77, 100))
    derived = derived.subs(TIME, 0)
    values = [sp.lambdify([*q, *v], lag, modules="numpy")(*probe.T) for lag in (derived, later)]
    time_dependence = float(np.max(np.abs(values[1] - values[0])) / np.max(np.abs(values[0])))
    exact = system.accelerations(probe)
    mine = accelerations(derived, q, v, probe)
    error = float(np.linalg.norm(mine - exact) / np.linalg.norm(exact))
    checks = {
        "loads": shown.returncode == 0,
        "positive_definite": ratio > 0,
        "energy": max(drifts) <= DRIFT_TOL,
        "derivation": error <= DERIVATION_TOL and time_dependence <= DERIVATION_TOL,
    }
    return {
        "system": entry.name,
        "dof": system.n_dof,
        "min_eig_ratio": ratio,
        "t_end": t_end,
        "energy_drift": max(drifts),
        "derivation_error": error,
        "time_dependence": time_dependence,
        **checks,
        "ok": all(checks.values()),
    }


def write_table(rows: list[dict[str, Any]], path: Path) -> None:
    lines = [
        "# Zoo spec validation",
        "",
        "`python benchmarks/zoo_validate.py`: loads with `physym show`; mass matrix "
        "positive definite at 20 000 box states (smallest λ_min/λ_max); energy drift of "
        f"exact trajectories from 3 box states (≤ {DRIFT_TOL:g}); relative difference of "
        "physym's accelerations from an independent derivation of the mechanics "
        f"(≤ {DERIVATION_TOL:g}) and that derivation's dependence on time.",
        "",
        "| system | DOF | loads | min λ ratio | horizon | energy drift | derivation | "
        "time dependence | ok |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['system']} | {r['dof']} | {'yes' if r['loads'] else 'NO'} | "
            f"{r['min_eig_ratio']:.2e} | {r['t_end']:.3g} | {r['energy_drift']:.1e} | "
            f"{r['derivation_error']:.1e} | {r['time_dependence']:.1e} | "
            f"{'ok' if r['ok'] else 'FAIL'} |"
        )
    passed = sum(r["ok"] for r in rows)
    lines += ["", f"{passed} of {len(rows)} specs pass every check."]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated system names")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows = []
    for entry in catalogue(args.only.split(",") if args.only else None):
        row = validate(entry)
        rows.append(row)
        print(
            f"{entry.name:32s} {'ok' if row['ok'] else 'FAIL'}  min λ ratio "
            f"{row['min_eig_ratio']:.1e}  drift {row['energy_drift']:.1e}  derivation "
            f"{row['derivation_error']:.1e}",
            flush=True,
        )
    write_table(rows, args.out)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
