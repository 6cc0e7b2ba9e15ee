"""Noise study: ``physym fit REF --data positions.csv`` on noisy positions, against the truth.

For each system, relative position-noise level and seed, 8 exact trajectories of 10 s at
100 Hz start from the middle half of the sampling box (seeded); white noise of
``level · std(q_j)`` is added to the positions, which are written to CSV (positions only),
and the whole fit runs on them with the CLI's defaults (``physym.fit`` with ``data=…``):
derivatives estimated by smoothing, training with the closed-form checks, distillation,
the constants refitted to the positions by multiple shooting (issue 12), comparison with
REF. REF supplies only the coordinate names, the periodic flags and the verdicts.

Per run: the recovered L's acceleration error ``‖q̈_L − q̈‖/‖q̈‖`` against the truth on
2000 fresh states from the box the data cover (and that of the polish's L before the
refit, on the same states), the worst constant's relative error (terms matched to the
true Lagrangian's, scale fixed by the refit's pivot; a true term missing counts 1), how
many of the 95 % intervals hold the true constant, the verdicts, CPU and wall seconds.

One JSON per run under ``--store`` (default ``benchmarks/results/noise_study/``): an
interrupted study resumes where it stopped. Run (a double-pendulum fit is minutes of CPU;
``--jobs`` runs fits in parallel processes, one thread each)::

    nice -n 10 python benchmarks/noise_study.py [--systems pendulum spring_pendulum
        double_pendulum] [--levels 0 0.001 0.01 0.03] [--seeds 1 2 3] [--jobs 2]
        [--out benchmarks/results/noise_study.md]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import sympy as sp

DATA = {"n_trajectories": 8, "t_end": 10.0, "dt": 0.01, "box_fraction": 0.5}
FRESH_STATES, FRESH_SEED = 2000, 12345
SYSTEMS = ["pendulum", "spring_pendulum", "double_pendulum"]


def run_one(
    name: str, level: float, seed: int, store: Path, keep: Path | None = None
) -> dict[str, Any]:
    """One fit; its row is written to ``store`` and returned (read back if it is there:
    studies running side by side share the store). With ``keep``, the run directory (and
    its positions CSV) stays under ``keep/<name>_<level>_<seed>/`` for ``physym distill``."""
    import physym
    from physym.data.synthetic_positions import simulate_positions, write_positions_csv

    path = store / f"{name}_{level:g}_{seed}.json"
    if path.exists():
        return json.loads(path.read_text())
    system = physym.load_system(name)
    data = simulate_positions(system, noise=level, seed=seed, **DATA)
    with tempfile.TemporaryDirectory(prefix="physym-noise-") as tmp:
        folder = Path(tmp) if keep is None else keep / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        csv = write_positions_csv(folder / "positions.csv", data, system.coordinates)
        wall = time.perf_counter()
        run = physym.fit(
            name, folder / "run", data=str(csv), trajectory_column="trajectory", progress=False
        )
        wall = time.perf_counter() - wall
        row = _row(run, system, level, seed, wall)
    path.write_text(json.dumps(row, indent=1, default=float) + "\n")
    return row


def _row(run: Any, system: Any, level: float, seed: int, wall: float) -> dict[str, Any]:
    summary = run.summary
    shooting = summary.get("shooting") or {}
    recovered = summary.get("recovered_lagrangian") or (
        (summary.get("best_candidate") or {}).get("lagrangian")
    )
    polish = shooting.get("polish_lagrangian") or (summary.get("distillation") or {}).get(
        "lagrangian"
    )
    if polish is None:
        polish = json.loads((run.path / "distillation.json").read_text())["lagrangian"]
    constants = summary.get("constants")
    truth = true_terms(system)
    matched = match_constants(constants, truth) if constants else None
    return {
        "system": system.name,
        "noise": level,
        "seed": seed,
        "closed_form": summary.get("closed_form"),
        "equivalent": summary.get("equivalent"),
        "exact": summary.get("exact"),
        "recovered_lagrangian": recovered,
        "polish_lagrangian": polish,
        "recovered_accel_error": acceleration_error(run.system, recovered),
        "polish_accel_error": acceleration_error(run.system, polish),
        "network_accel_error": (summary.get("accel_rel_error") or {}).get("network"),
        "derivative_error": (summary.get("measured") or {}).get("derivative_error"),
        "shooting": shooting.get("status"),
        "shooting_error": shooting.get("error"),
        "reduced_chi2": shooting.get("reduced_chi2"),
        "constants": matched,
        "worst_constant": None if matched is None else worst_constant(matched, truth),
        "covered": None if matched is None else sum(c["covered"] for c in matched if c["free"]),
        "intervals": None if matched is None else sum(1 for c in matched if c["free"]),
        "epochs_run": (summary.get("training") or {}).get("epochs_run"),
        "cpu": summary["cpu_seconds"]["total"],
        "cpu_stages": summary["cpu_seconds"],
        "wall": wall,
    }


def true_terms(system: Any) -> dict[sp.Expr, float]:
    """The true Lagrangian's terms and coefficients (constant terms dropped)."""
    terms: dict[sp.Expr, float] = {}
    for part in sp.Add.make_args(sp.expand(system.lagrangian_numeric)):
        coefficient, term = part.as_coeff_Mul()
        if term.free_symbols:
            terms[term] = terms.get(term, 0.0) + float(coefficient)
    return terms


def _parse_term(text: str, truth: dict[sp.Expr, float]) -> sp.Expr:
    from physym.systems.expression_parser import parse_expression

    symbols = {str(s): s for term in truth for s in term.free_symbols}
    return parse_expression(text, symbols, where="term")


def match_constants(
    constants: list[dict[str, Any]], truth: dict[sp.Expr, float]
) -> list[dict[str, Any]]:
    """Each fitted coefficient beside the true one times the scale ``α`` (fixed by the
    refit's pivot); terms the truth lacks have true coefficient 0."""
    rows = []
    for c in constants:
        if c["kind"] != "coefficient":
            continue
        try:
            term = _parse_term(c["name"], truth)
        except ValueError:
            term = None
        true_value = next(
            (v for t, v in truth.items() if term is not None and sp.simplify(t - term) == 0), 0.0
        )
        rows.append({**c, "term": c["name"], "truth_raw": true_value})
    pivot = next((r for r in rows if r["role"] == "scale" and r["truth_raw"] != 0), None)
    alpha = pivot["value"] / pivot["truth_raw"] if pivot is not None else 1.0
    for r in rows:
        r["truth"] = alpha * r["truth_raw"]
        low, high = r["interval_95"]
        r["free"] = r["role"] == "free"
        r["covered"] = bool(low <= r["truth"] <= high)
    return rows


def worst_constant(rows: list[dict[str, Any]], truth: dict[sp.Expr, float]) -> float:
    """Largest relative error of a true constant (1 for a true term not recovered)."""
    errors = [abs(r["value"] / r["truth"] - 1) for r in rows if r["truth"] != 0]
    missing = len(truth) - len(errors)
    return float(max(errors + [1.0] * missing)) if errors or missing else float("nan")


def acceleration_error(system: Any, lagrangian: str | None) -> float | None:
    """``‖q̈_L − q̈‖/‖q̈‖`` on fresh states from ``system``'s box."""
    from physym.comparison import compare

    if lagrangian is None:
        return None
    try:
        found = compare(system, lagrangian, n_states=FRESH_STATES, seed=FRESH_SEED)
    except (ValueError, ArithmeticError) as exc:
        print(f"  cannot compare {lagrangian!r}: {exc}", file=sys.stderr)
        return None
    if found.accel_rel_error is None:  # not finite on part of the box (e.g. √ of a negative)
        print(f"  {lagrangian!r}: accelerations not finite on the fresh states", file=sys.stderr)
        return float("inf")
    return float(found.accel_rel_error)


def _g(values: list[Any], how: str = "median", spec: str = ".2g") -> str:
    """Median or max of the known values; an infinite one (accelerations not finite on
    part of the box) counts, a missing or NaN one does not."""
    known = [float(v) for v in values if v is not None and not np.isnan(v)]
    if not known:
        return "n/a"
    return format((np.median if how == "median" else np.max)(known), spec)


def right_terms(row: dict[str, Any]) -> bool:
    """Whether the refit kept exactly the true Lagrangian's terms."""
    import physym

    kept = [c for c in row["constants"] or [] if c["role"] != "dropped"]
    n_true = len(true_terms(physym.load_system(row["system"])))
    return len(kept) == n_true and all(c["truth_raw"] != 0 for c in kept)


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| system | noise | seeds | recovered-L accel error vs truth (median / worst) | "
        "polish's L before the refit (median) | runs with the true terms | worst constant "
        "off, those runs (median / worst) | their 95 % intervals holding the truth | "
        "closed form found | refit χ²/dof (median / max) | CPU s per fit (median / max) | "
        "wall s (median) |",
        "|" + " --- |" * 12,
    ]
    keys = sorted({(r["system"], r["noise"]) for r in rows}, key=lambda k: (k[0], k[1]))
    for system, level in keys:
        group = [r for r in rows if (r["system"], r["noise"]) == (system, level)]
        right = [r for r in group if right_terms(r)]
        covered = sum(r["covered"] or 0 for r in right)
        total = sum(r["intervals"] or 0 for r in right)
        found = sum(r["closed_form"] == "found" for r in group)
        errors = [r["recovered_accel_error"] for r in group]
        worst = [r["worst_constant"] for r in right]
        chi2 = [r["reduced_chi2"] for r in group]
        coverage = f"{covered}/{total} ({100 * covered / total:.0f} %)" if total else "n/a"
        lines.append(
            f"| {system} | {level * 100:g} % | {len(group)} | {_g(errors)} / "
            f"{_g(errors, 'max')} | {_g([r['polish_accel_error'] for r in group])} | "
            f"{len(right)}/{len(group)} | {_g(worst)} / {_g(worst, 'max')} | {coverage} | "
            f"{found}/{len(group)} | "
            f"{_g(chi2, spec='.3g')} / {_g(chi2, 'max', '.3g')} | "
            f"{_g([r['cpu'] for r in group], spec='.0f')} / "
            f"{_g([r['cpu'] for r in group], 'max', '.0f')} | "
            f"{_g([r['wall'] for r in group], spec='.0f')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", nargs="+", default=SYSTEMS)
    parser.add_argument("--levels", nargs="+", type=float, default=[0.0, 0.001, 0.01, 0.03])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--jobs", type=int, default=1, help="fits run in parallel processes")
    parser.add_argument("--store", type=Path, default=Path("benchmarks/results/noise_study"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/noise_study.md"))
    parser.add_argument(
        "--keep-runs",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep each run directory under DIR/<system>_<level>_<seed>/run",
    )
    parser.add_argument(
        "--table-only", action="store_true", help="write the table of the stored runs only"
    )
    args = parser.parse_args()
    args.store.mkdir(parents=True, exist_ok=True)
    # seed by seed: an interrupted study has covered every system and level once
    wanted = [(n, lv, s) for s in args.seeds for n in args.systems for lv in args.levels]
    todo = [w for w in wanted if not (args.store / f"{w[0]}_{w[1]:g}_{w[2]}.json").exists()]
    print(f"{len(wanted) - len(todo)} of {len(wanted)} runs stored; data {DATA}", flush=True)
    if args.table_only:
        todo = []
    with ProcessPoolExecutor(max(1, args.jobs), mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_one, *w, args.store, args.keep_runs): w for w in todo}
        for future in as_completed(futures):
            name, level, seed = futures[future]
            try:
                r = future.result()
            except Exception as exc:  # one failed fit must not cost the others
                print(f"{name} noise {level:g} seed {seed}: FAILED {exc!r}", flush=True)
                continue
            print(
                f"{name} noise {level:g} seed {seed}: accel error {r['recovered_accel_error']} "
                f"(polish {r['polish_accel_error']}), worst constant {r['worst_constant']}, "
                f"intervals {r['covered']}/{r['intervals']}, {r['cpu']:.0f} CPU s",
                flush=True,
            )
    rows = []
    for name, level, seed in wanted:
        path = args.store / f"{name}_{level:g}_{seed}.json"
        if path.exists():
            rows.append(json.loads(path.read_text()))
    text = table(rows)
    missing = [w for w in wanted if not (args.store / f"{w[0]}_{w[1]:g}_{w[2]}.json").exists()]
    if missing:
        text += "\n\nNot run yet (the same command runs them): " + ", ".join(
            f"{n} {100 * lv:g} % seed {sd}" for n, lv, sd in missing
        )
    print(text)
    given = [a for a in sys.argv[1:] if a != "--table-only"]
    command = "nice -n 10 python benchmarks/noise_study.py " + " ".join(given)
    header = (
        "# Fitting from noisy positions, with the constants refitted by multiple shooting\n\n"
        f"Command: `{command.strip()}` (one JSON per run in `{args.store.name}/`)\n\n"
        f"Data per run: {DATA['n_trajectories']} trajectories of {DATA['t_end']:g} s at "
        f"{1 / DATA['dt']:g} Hz from the middle half of the sampling box, positions only, "
        "Gaussian noise σ_j = level · std(q_j); the fit is `physym.fit(REF, data=…)` with "
        "the CLI's defaults. Accelerations against the truth on "
        f"{FRESH_STATES} fresh states from the box the data cover. Intervals: the free "
        "constants' 95 % intervals (the pivot fixes the scale and has none). CPU "
        "seconds of the whole fit, one thread, on a shared machine.\n\n"
    )
    args.out.write_text(header + text + "\n")


if __name__ == "__main__":
    main()
