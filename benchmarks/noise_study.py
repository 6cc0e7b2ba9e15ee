"""Noise study: fit built-in systems from noisy positions only, and compare with the truth.

For each system and each relative position-noise level, exact trajectories from several
initial states are sampled every ``dt``, white noise of ``level · std(q_j)`` is added to
the positions, and the whole ``physym fit REF --data positions.csv`` loop runs on them:
velocities and accelerations estimated by the default smoothing differentiation
(Savitzky–Golay with the window and order chosen from the measured noise, edges trimmed),
training, distillation, comparison with REF's true Lagrangian. The network and the
distillation never see REF: it only supplies the coordinate names, the periodic flags and
the verdicts (the same run without REF, ``--coordinates``, gives the same recovered L).

Columns: *derivative error* ``‖q̈_est − q̈_true‖/‖q̈_true‖`` of the estimated targets (the
truth evaluated at the estimated states), *network* and *recovered accel error* on
held-out / fresh states against the truth, the recovered Lagrangian with its verdicts,
the rollout error of the recovered L against the measured positions, and wall time.

Run (minutes on 2 cores)::

    nice -n 5 python benchmarks/noise_study.py [--systems pendulum spring_pendulum]
        [--levels 0 0.001 0.01] [--out benchmarks/results/noise_study.md]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import physym
from physym.data.synthetic_positions import (
    simulate_positions,
    write_positions_csv,
)

SETTINGS = {  # per system: trajectories, their length and sampling, the initial-state box
    "pendulum": {"n_trajectories": 8, "t_end": 10.0, "dt": 0.01, "box_fraction": 0.6},
    "spring_pendulum": {"n_trajectories": 8, "t_end": 10.0, "dt": 0.01, "box_fraction": 0.5},
    "harmonic_oscillator": {"n_trajectories": 6, "t_end": 10.0, "dt": 0.01,
                            "box_fraction": 1.0},
}
FIT = {"epochs": 60, "samples": 4000, "rollout_states": 4, "energy_states": 0,
       "fallback_model": "none",  # noisy targets put a floor under the validation error
       "trajectory_column": "trajectory", "seed": 0}


def run_one(system_name: str, level: float, workdir: Path) -> dict:
    system = physym.load_system(system_name)
    data = simulate_positions(system, noise=level, seed=1, **SETTINGS[system_name])
    csv = write_positions_csv(workdir / f"{system_name}_{level:g}.csv", data,
                              system.coordinates)
    begin = time.perf_counter()
    run = physym.fit(system_name, workdir / f"{system_name}_{level:g}", data=str(csv),
                     progress=False, **FIT)
    wall = time.perf_counter() - begin
    summary = run.summary
    measured = summary["measured"]
    errors = summary["accel_rel_error"]
    rollout = (measured.get("rollout") or {}).get("recovered") or {}
    derivative = measured["derivative"]
    return {
        "system": system_name, "noise": level,
        "filter": ", ".join(f"{w}/{p}" for w, p in zip(derivative["windows"],
                                                     derivative["orders"], strict=True)),
        "derivative_error": measured.get("derivative_error"),
        "network": errors.get("network"), "recovered": errors.get("recovered"),
        "lagrangian": summary.get("recovered_lagrangian"),
        "exact": summary.get("exact"), "equivalent": summary.get("equivalent"),
        "rollout": rollout.get("position_error_rms"), "wall": wall,
    }


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2g}"
    return str(value)


def table(rows: list[dict]) -> str:
    header = ("| system | noise | savgol window/order | derivative error | network accel error "
              "| recovered L | exact / equivalent | recovered accel error | recovered rollout "
              "vs measured | wall (s) |")
    lines = [header, "|" + " --- |" * 10]
    for r in rows:
        lagrangian = (r["lagrangian"] or "n/a").replace("|", "\\|")
        lines.append(
            f"| {r['system']} | {r['noise'] * 100:g} % | {r['filter']} | "
            f"{_fmt(r['derivative_error'])} | {_fmt(r['network'])} | `{lagrangian}` | "
            f"{_fmt(r['exact'])} / {_fmt(r['equivalent'])} | {_fmt(r['recovered'])} | "
            f"{_fmt(r['rollout'])} | {r['wall']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", nargs="+", default=["pendulum", "spring_pendulum"])
    parser.add_argument("--levels", nargs="+", type=float, default=[0.0, 0.001, 0.01])
    parser.add_argument("--out", type=Path, default=None,
                        help="also write the table (markdown) to this file")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="physym-noise-") as tmp:
        for name in args.systems:
            for level in args.levels:
                rows.append(run_one(name, level, Path(tmp)))
                print(f"done: {name} noise {level:g} in {rows[-1]['wall']:.0f} s", flush=True)
    text = table(rows)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        note = (f"Settings: {SETTINGS}; fit {FIT}; position noise σ_j = level · std(q_j); "
                "REF supplies only names, periodic flags and the verdicts.\n\n")
        args.out.write_text("# Fitting from noisy positions\n\n" + note + text + "\n")


if __name__ == "__main__":
    main()
