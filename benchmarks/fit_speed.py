"""CPU seconds of a default ``physym fit``, stage by stage, through the command line.

For each system, ``physym fit NAME --out DIR --quiet`` runs in its own process under
``/usr/bin/time`` (user + system CPU seconds, as a user would measure them); the fit's own
``summary.json`` gives the CPU seconds of each stage (``cpu_seconds``, from
``time.process_time``), and "start-up" is the rest: the interpreter, the imports and the
command line. Then, with one busy process (``python -c "while True: pass"``) sharing the
machine, the wall time of the same fit run from a plain Python script
(``physym.fit(...)``) is compared with the command line's.

Writes ``benchmarks/results/fit_speed.md`` and ``.json``; when
``benchmarks/results/fit_speed_before.json`` is there (the same measurement of the code
before the fit was redesigned) its numbers are shown beside. On a shared machine CPU
seconds move with the neighbours' load (cache and memory contention): the load average
is recorded with every run, and only rows of one table should be compared.

Usage::

    python benchmarks/fit_speed.py                      # double_pendulum, kepler_polar,
                                                        # pendulum, then the script/CLI ratio
    python benchmarks/fit_speed.py --systems pendulum --no-ratio
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SYSTEMS = ("double_pendulum", "kepler_polar", "pendulum")
STAGES = ("data", "train", "evaluate", "rollout", "distill", "compare", "plots", "report")
RATIO_SYSTEM = "double_pendulum"
_SCRIPT = "import sys, physym; physym.fit(sys.argv[1], sys.argv[2], progress=False)"


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _timed(command: list[str]) -> dict[str, float]:
    """Run ``command`` under ``/usr/bin/time``: user, sys and wall seconds."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        begin = time.perf_counter()
        subprocess.run(
            [
                "/usr/bin/time",
                "-f",
                '{"user": %U, "sys": %S, "wall": %e}',
                "-o",
                report.name,
                *command,
            ],
            check=True,
            env=_environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        elapsed = time.perf_counter() - begin
        measured = json.loads(Path(report.name).read_text().strip().splitlines()[-1])
    measured["wall_outside"] = elapsed
    return measured


def fit_cli(name: str, out: Path) -> dict[str, Any]:
    """One default fit through the command line, measured."""
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    measured = _timed([sys.executable, "-m", "physym", "fit", name, "--out", str(out), "--quiet"])
    summary = json.loads((out / "summary.json").read_text())
    stages = {k: float(v) for k, v in (summary.get("cpu_seconds") or {}).items() if k != "total"}
    total = measured["user"] + measured["sys"]
    stages["startup"] = total - sum(stages.values())
    training = summary.get("training") or {}
    return {
        "system": name,
        "cpu_seconds": stages,
        "user": measured["user"],
        "sys": measured["sys"],
        "total_cpu": total,
        "wall": measured["wall"],
        "load_before": load,
        "load_after": os.getloadavg()[0],
        "exact": summary.get("exact"),
        "closed_form": summary.get("closed_form"),
        "epochs_run": training.get("epochs_run"),
        "stop_reason": (training.get("stop") or {}).get("reason"),
        "accel_rel_error": summary.get("accel_rel_error"),
        "recovered_lagrangian": summary.get("recovered_lagrangian"),
    }


def script_vs_cli(name: str, runs: Path) -> dict[str, Any]:
    """Wall seconds of the same fit from a script and from the CLI beside a busy process."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(1.0)
        shutil.rmtree(runs / "cli", ignore_errors=True)
        shutil.rmtree(runs / "script", ignore_errors=True)
        cli = _timed(
            [sys.executable, "-m", "physym", "fit", name, "--out", str(runs / "cli"), "--quiet"]
        )
        script = _timed([sys.executable, "-c", _SCRIPT, name, str(runs / "script")])
    finally:
        busy.kill()
        busy.wait()
    return {
        "system": name,
        "cli_wall": cli["wall"],
        "script_wall": script["wall"],
        "ratio": script["wall"] / cli["wall"],
        "cli_cpu": cli["user"] + cli["sys"],
        "script_cpu": script["user"] + script["sys"],
    }


def _cell(value: Any) -> str:
    return "–" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)


def write_table(
    rows: list[dict[str, Any]], ratio: dict[str, Any] | None, before: dict[str, Any] | None
) -> str:
    """The Markdown report."""
    lines = [
        "# `physym fit` CPU seconds per stage",
        "",
        "Default settings, `physym fit NAME --out DIR --quiet`, user + system CPU "
        "seconds from `/usr/bin/time`, stages from `summary.json` (`cpu_seconds`), "
        "start-up = the rest (interpreter, imports, command line). Command: "
        "`python benchmarks/fit_speed.py`. 2 shared cores: CPU seconds move with the "
        "neighbours' load (load average recorded).",
        "",
    ]
    header = ["stage"]
    columns: list[tuple[str, dict[str, float]]] = []
    for row in rows:
        name = row["system"]
        if before and name in before.get("systems", {}):
            columns.append((f"{name} before", before["systems"][name]["cpu_seconds"]))
            header.append(f"{name} before")
        columns.append((f"{name} after", row["cpu_seconds"]))
        header.append(f"{name} after")
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for stage in (*STAGES, "startup"):
        lines.append("| " + " | ".join([stage] + [_cell(c.get(stage)) for _, c in columns]) + " |")
    totals = []
    for label, _ in columns:
        name, when = label.rsplit(" ", 1)
        source = (
            before["systems"][name]
            if when == "before" and before
            else next(r for r in rows if r["system"] == name)
        )
        totals.append(_cell(source["total_cpu"]))
    lines.append("| **total (user + sys)** | " + " | ".join(f"**{t}**" for t in totals) + " |")
    lines += [
        "",
        "| system | exact | closed form | epochs run | why training stopped | wall s | load avg |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['system']} | {row['exact']} | {row['closed_form']} | "
            f"{row['epochs_run']} | {row['stop_reason']} | {_cell(row['wall'])} | "
            f"{row['load_before']:.1f} → {row['load_after']:.1f} |"
        )
    if before:
        lines += [
            "",
            f"Before: commit {before.get('commit')}, {before.get('measured')}; "
            f"{before.get('how')}.",
        ]
    if ratio:
        lines += [
            "",
            "## Script vs command line beside one busy process",
            "",
            f'`physym.fit("{ratio["system"]}", out)` from a plain script against '
            f'`physym fit {ratio["system"]}`, while `python -c "while True: pass"` '
            "runs: wall "
            f"{ratio['script_wall']:.1f} s vs {ratio['cli_wall']:.1f} s, ratio "
            f"**{ratio['ratio']:.2f}** (CPU {ratio['script_cpu']:.1f} s vs "
            f"{ratio['cli_cpu']:.1f} s).",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help="comma-separated systems (default: %(default)s)",
    )
    parser.add_argument(
        "--runs",
        type=Path,
        default=ROOT / "bench_results" / "fit_speed",
        help="run directories (default: %(default)s)",
    )
    parser.add_argument(
        "--no-ratio",
        dest="ratio",
        action="store_false",
        help="skip the script vs command-line measurement",
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.runs.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in [s.strip() for s in args.systems.split(",") if s.strip()]:
        rows.append(fit_cli(name, args.runs / name))
        print(f"{name}: {rows[-1]['total_cpu']:.1f} CPU s, exact {rows[-1]['exact']}", flush=True)
    ratio = script_vs_cli(RATIO_SYSTEM, args.runs / "ratio") if args.ratio else None
    if ratio:
        print(f"script / CLI wall beside a busy process: {ratio['ratio']:.2f}", flush=True)
    before_path = args.results / "fit_speed_before.json"
    before = json.loads(before_path.read_text()) if before_path.is_file() else None
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "fit_speed.json").write_text(
        json.dumps({"rows": rows, "script_vs_cli": ratio}, indent=1) + "\n"
    )
    (args.results / "fit_speed.md").write_text(write_table(rows, ratio, before))
    print(args.results / "fit_speed.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
