"""Recovery table: the default ``physym fit`` on every built-in system.

Runs ``physym fit NAME --out RUNS/NAME --quiet`` (no other flags: the defaults are what is
measured) for each built-in system, one process per system, one after the other unless
``--jobs`` says otherwise, so that wall times mean "this machine's cores for one fit".
Then writes ``benchmarks/results/recovery_table.md`` and ``.json``: one row per system
with the verdicts (exact / equivalent), the recovered and network relative acceleration
errors on fresh states, the scale, the wall time (``summary["timings"]["total"]``), the
backend actually used, whether training fell back to another model, and the recovered
Lagrangian.

Restartable: a system whose run directory already has ``summary.json`` is not run again;
an unfinished run directory (no ``summary.json``) is removed and run afresh, so its wall
time is that of one uninterrupted fit.

Usage::

    python benchmarks/recovery_table.py                       # all built-ins, sequential
    python benchmarks/recovery_table.py --systems pendulum,duffing --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RUNS = ROOT / "bench_results" / "recovery"  # git-ignored: run directories are large
DEFAULT_RESULTS = ROOT / "benchmarks" / "results"
TABLE = "recovery_table"
_L_WIDTH = 90  # characters of the recovered Lagrangian shown in the Markdown table
_RUN_INFO = ".run.json"  # beside each run directory: CPU seconds and machine load


def run_system(name: str, runs_dir: Path, threads: int | None) -> dict[str, Any]:
    """Run the default fit of one system unless its ``summary.json`` exists.

    Returns
    -------
    dict
        ``system``, ``status`` (``"done"``, ``"skipped"`` or ``"failed"``), ``wall_s`` of the
        subprocess (``None`` when skipped) and ``log`` (its combined output).
    """
    run_dir = runs_dir / name
    log = runs_dir / f"{name}.log"
    if (run_dir / "summary.json").is_file():
        return {"system": name, "status": "skipped", "wall_s": None, "log": str(log)}
    if run_dir.exists():  # unfinished: start again so the wall time is one clean fit
        shutil.rmtree(run_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "physym", "fit", name, "--out", str(run_dir), "--quiet"]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    load_before = os.getloadavg()[0]
    begin = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        out.write("$ " + shlex.join(command) + "\n")
        out.flush()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own CPU time
        code = process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - begin
    status = "done" if code == 0 and (run_dir / "summary.json").is_file() else "failed"
    outcome = {
        "system": name,
        "status": status,
        "wall_s": wall,
        "log": str(log),
        "returncode": code,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "cpu_count": os.cpu_count(),
    }
    (runs_dir / f"{name}{_RUN_INFO}").write_text(
        json.dumps(outcome, indent=2) + "\n", encoding="utf-8"
    )
    return outcome


def table_row(name: str, runs_dir: Path) -> dict[str, Any]:
    """The table's row of one system, read from its run directory."""
    from physym import load_system

    path = runs_dir / name / "summary.json"
    row: dict[str, Any] = {"system": name, "dof": load_system(name).n_dof}
    if not path.is_file():
        return {**row, "status": "missing"}
    summary = json.loads(path.read_text(encoding="utf-8"))
    errors = summary.get("accel_rel_error") or {}
    training = summary.get("training") or {}
    timings = summary.get("timings") or {}
    total = timings.get("total")
    if total is None:
        total = sum(v for k, v in timings.items() if isinstance(v, int | float))
    info_path = runs_dir / f"{name}{_RUN_INFO}"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
    return {
        **row,
        "status": "done",
        "exact": summary.get("exact"),
        "equivalent": summary.get("equivalent"),
        "recovered_error": errors.get("recovered"),
        "network_error": errors.get("network"),
        "scale": summary.get("scale"),
        "wall_s": total,
        "backend": summary.get("backend"),
        "model": (summary.get("network") or {}).get("model"),
        "fallback": training.get("fallback"),
        "recovered_lagrangian": summary.get("recovered_lagrangian"),
        "true_lagrangian": summary.get("true_lagrangian"),
        "timings": timings,
        "cpu_s": info.get("cpu_s"),
        "load": (
            None if "load_before" not in info else (info["load_before"] + info["load_after"]) / 2
        ),
    }


def _number(value: Any, spec: str = ".2e") -> str:
    return "—" if value is None else format(value, spec)


def _verdict(value: Any) -> str:
    return {True: "yes", False: "**no**", None: "—"}[value]


def _short(text: str | None) -> str:
    if not text:
        return "—"
    text = text.replace("|", "\\|")
    return text if len(text) <= _L_WIDTH else text[: _L_WIDTH - 1] + "…"


def _model_cell(row: dict[str, Any]) -> str:
    fallback = row.get("fallback")
    if isinstance(fallback, dict) and fallback.get("used"):
        return f"{fallback.get('from')} → {fallback.get('to')}"
    return row.get("model") or "—"


def markdown(rows: Sequence[dict[str, Any]], command: str) -> str:
    """The Markdown table, with the command that regenerates it on top."""
    lines = [
        "# Recovery table: default `physym fit` on every built-in system",
        "",
        "Regenerate with:",
        "",
        "```sh",
        command,
        "```",
        "",
        "`exact / equiv.`: the recovered L is the true one up to scale and a total "
        "derivative / has the same Euler–Lagrange accelerations (within "
        "`compare_tolerance`). Errors are ‖â−a‖/‖a‖ on 2000 fresh states for the recovered "
        "L and on the held-out split for the network. Wall time is "
        "`summary.json` `timings.total` of one fit; CPU is the fit process's user + system "
        "seconds and load the machine's 1-minute load average (mean of start and end): on a "
        f"shared machine wall time grows with the load ({os.cpu_count()} cores here).",
        "",
        "| system | DOF | exact / equiv. | recovered err | network err | scale | wall (s) "
        "| CPU (s) | load | model | backend | recovered L |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.get("status") != "done":
            lines.append(f"| {row['system']} | {row['dof']} | not run | | | | | | | | | |")
            continue
        scale = row.get("scale")
        lines.append(
            f"| {row['system']} | {row['dof']} | {_verdict(row['exact'])} / "
            f"{_verdict(row['equivalent'])} | {_number(row['recovered_error'])} | "
            f"{_number(row['network_error'])} | "
            f"{_number(scale, '.6g') if isinstance(scale, int | float) else '—'} | "
            f"{_number(row['wall_s'], '.0f')} | {_number(row.get('cpu_s'), '.0f')} | "
            f"{_number(row.get('load'), '.1f')} | {_model_cell(row)} | {row['backend'] or '—'} "
            f"| `{_short(row['recovered_lagrangian'])}` |"
        )
    exact = sum(1 for r in rows if r.get("exact"))
    lines += ["", f"{exact} of {len(rows)} systems recovered exactly."]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--systems", help="comma-separated names (default: every conservative built-in)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="fits at once (default 1: wall times mean one fit's cores)",
    )
    parser.add_argument(
        "--runs-dir",
        type=Path,
        default=DEFAULT_RUNS,
        help=f"run directories (default {DEFAULT_RUNS.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        help=f"where the table goes (default {DEFAULT_RESULTS.relative_to(ROOT)})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    from physym import builtin_names

    args = parse_args(argv)
    # physym fit takes conservative systems only (for now): those are the default table.
    names = (
        builtin_names(conservative=True)
        if not args.systems
        else [s.strip() for s in args.systems.split(",") if s.strip()]
    )
    unknown = sorted(set(names) - set(builtin_names()))
    if unknown:
        raise SystemExit(f"unknown built-in system(s): {', '.join(unknown)}")
    jobs = max(1, args.jobs)
    threads = max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None
    with ThreadPoolExecutor(jobs) as pool:
        for outcome in pool.map(lambda n: run_system(n, args.runs_dir, threads), names):
            wall = outcome["wall_s"]
            print(
                f"{outcome['system']:<26} {outcome['status']:<8}"
                + (f" {wall:7.1f} s" if wall is not None else ""),
                flush=True,
            )
    rows = [table_row(name, args.runs_dir) for name in names]
    command = (
        "python benchmarks/recovery_table.py"
        + (f" --systems {','.join(names)}" if args.systems else "")
        + (f" --jobs {jobs}" if jobs > 1 else "")
    )
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{TABLE}.md").write_text(markdown(rows, command), encoding="utf-8")
    payload = {"command": command, "jobs": jobs, "cpu_count": os.cpu_count(), "rows": rows}
    (args.results / f"{TABLE}.json").write_text(
        json.dumps(payload, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {args.results / (TABLE + '.md')}")
    return 0 if all(r.get("status") == "done" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
