"""Default ``physym fit`` on every built-in with friction, known forces or time.

For each system: the recovered ``L`` and ``R``, the relative acceleration error of the
recovered closed forms *under the true forces* on fresh states, times and inputs
(``summary["accel_rel_error"]["recovered"]``), ``exact``, and the CPU seconds of the fit
(this process's, so a busy machine does not inflate them the way wall time is).
Targets (issue 11): error ≤ 1e-6 and ≤ 10 minutes each on 2 cores.

    nice python benchmarks/forces_fit.py [NAME ...] [--keep DIR]

(every such built-in without names; ``--keep DIR`` keeps each run directory as
``DIR/NAME``) updates ``benchmarks/results/forces_fit.json`` and ``forces_fit.md``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import physym
from physym.run.fit import fit

RESULTS = Path(__file__).parent / "results"


def run_one(name: str, keep: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as out:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            run = fit(name, keep / name if keep is not None else Path(out) / "run")
            summary = run.summary
        except Exception as exc:  # a failed fit is a row of the table, not a crash
            return {"system": name, "failed": f"{type(exc).__name__}: {exc}"}
        return {
            "system": name,
            "true_lagrangian": summary.get("true_lagrangian"),
            "recovered_lagrangian": summary.get("recovered_lagrangian"),
            "true_dissipation": summary.get("true_dissipation"),
            "recovered_dissipation": summary.get("recovered_dissipation"),
            "forces": summary.get("forces"),
            "closed_form": summary.get("closed_form"),
            "equivalent": summary.get("equivalent"),
            "exact": summary.get("exact"),
            "accel_rel_error_recovered": (summary.get("accel_rel_error") or {}).get("recovered"),
            "accel_rel_error_network": (summary.get("accel_rel_error") or {}).get("network"),
            "epochs_run": (summary.get("training") or {}).get("epochs_run"),
            "cpu_s": time.process_time() - cpu,
            "wall_s": time.perf_counter() - wall,
        }


def markdown(rows: list[dict]) -> str:
    lines = [
        "| system | recovered L | recovered R | accel rel error (true forces) | exact "
        "| epochs | CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "failed" in r:
            lines.append(f"| {r['system']} | failed: {r['failed']} | | | | | |")
            continue
        error = r["accel_rel_error_recovered"]
        lines.append(
            f"| {r['system']} | `{r['recovered_lagrangian']}` | `{r['recovered_dissipation']}` "
            f"| {'n/a' if error is None else f'{error:.2g}'} | {r['exact']} "
            f"| {r['epochs_run']} | {r['cpu_s']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(names: list[str], keep: Path | None = None) -> None:
    names = names or [
        n for n in physym.builtin_names() if n not in physym.builtin_names(conservative=True)
    ]
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "forces_fit.json"
    rows = {r["system"]: r for r in json.loads(path.read_text())} if path.is_file() else {}
    for name in names:
        rows[name] = run_one(name, keep)
        print(json.dumps(rows[name]), flush=True)
        ordered = list(rows.values())
        path.write_text(json.dumps(ordered, indent=2) + "\n")
        (RESULTS / "forces_fit.md").write_text(markdown(ordered))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="built-ins to fit (default: every non-conservative one)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep each run directory as DIR/NAME (default: discarded)",
    )
    args = parser.parse_args()
    main(args.names, args.keep)
