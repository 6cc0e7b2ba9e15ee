"""The README's "double pendulum, default configuration" table, measured afresh.

Four seeded fits (``seed = 0``) of ``double_pendulum`` through the command line, each in
its own process under ``/usr/bin/time`` (user + system CPU seconds):

* ``default``: ``physym fit double_pendulum --out DIR`` — stops when the closed form is
  found;
* ``budget``: the same with ``--set stop_when_found=false`` — trained to its 60 epochs;
* ``default + paper`` and ``budget + paper``: the same two with the LNN paper's energy
  metric (``[evaluate.energy]`` ``t_end = 100`` from the paper's box: angles in
  ``[0, 2π]``, velocities in ``[0, 0.1]``). Its rollouts cost CPU, so every other row
  comes from the plain fits; training is seeded and does not depend on the metric's
  settings, so each pair trains the same network (the script checks that their held-out
  errors are equal).

Writes ``benchmarks/results/default_config.md`` (the table, the command and the
machine's state: cores, load average before and after each fit, date, commit) and
``default_config.json`` (everything read from the runs). On a shared machine CPU seconds
move with the neighbours' load; the load average is recorded beside them.

Usage::

    python benchmarks/default_config_table.py              # about 300 CPU-seconds
    python benchmarks/default_config_table.py --from-json  # the table again, from the JSON
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SYSTEM = "double_pendulum"
SEED = 0
PAPER_METRIC = """\
[evaluate.energy]
t_end = 100.0
ic_box = { theta1 = [0.0, 6.2832], theta2 = [0.0, 6.2832], \
theta1_dot = [0.0, 0.1], theta2_dot = [0.0, 0.1] }
"""
RUNS = {  # name -> extra arguments of `physym fit`
    "default": [],
    "budget": ["--set", "stop_when_found=false"],
    "default + paper": ["--config", "{paper}"],
    "budget + paper": ["--set", "stop_when_found=false", "--config", "{paper}"],
}


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    return env


def run_fit(name: str, extra: list[str], out: Path) -> dict[str, Any]:
    """One seeded fit through the command line under ``/usr/bin/time``."""
    shutil.rmtree(out, ignore_errors=True)
    load_before = os.getloadavg()
    command = [sys.executable, "-m", "physym", "fit", SYSTEM, "--out", str(out), "--quiet",
               "--seed", str(SEED), *extra]  # fmt: skip
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        subprocess.run(
            ["/usr/bin/time", "-f", '{"user": %U, "sys": %S, "wall": %e}', "-o", report.name,
             *command],
            check=True, env=_environment(), stdout=subprocess.DEVNULL,
        )  # fmt: skip
        measured = json.loads(Path(report.name).read_text().strip().splitlines()[-1])
    summary = json.loads((out / "summary.json").read_text())
    return {
        "name": name,
        "command": " ".join(["physym", *command[3:]])
        .replace(str(out), "DIR")
        .replace(str(out.parent) + os.sep, ""),
        "cpu_s": measured["user"] + measured["sys"],
        "wall_s": measured["wall"],
        "load_before": load_before[0],
        "load_after": os.getloadavg()[0],
        "summary": summary,
    }


def _rows(runs: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """Table rows: what, default, budget, recovered L."""
    default, budget = runs["default"]["summary"], runs["budget"]["summary"]
    paper_default = runs["default + paper"]["summary"]["rollout"]["energy_metric"]
    paper_budget = runs["budget + paper"]["summary"]["rollout"]["energy_metric"]

    def epochs(s: dict[str, Any]) -> str:
        training = s["training"]
        reason = training["stop"].get("reason") or "budget"
        return f"{training['epochs_run']} ({reason.replace('closed form ', '')})"

    def valid(s: dict[str, Any]) -> str:
        v = s["rollout"]["valid_time"]
        return f"{v['network_mean']:.2f} s mean, {v['network_median']:.2f} s median"

    def cpu(run: dict[str, Any]) -> str:
        s = run["summary"]
        checks = s["training"]["stop"].get("check_cpu_s")
        inside = f", of which the checks {checks:.1f}" if checks else ""
        return f"{run['cpu_s']:.0f} (training {s['cpu_seconds']['train']:.0f}{inside})"

    recovered = default["rollout"]["recovered"]
    return [
        ("epochs trained", epochs(default), epochs(budget), ""),
        (
            "held-out ‖â − a‖/‖a‖",
            f"{default['accel_rel_error']['network']:.2g}",
            f"{budget['accel_rel_error']['network']:.2g}",
            f"{default['accel_rel_error']['recovered']:.2g}"
            + (" (exact: identical up to a total derivative)" if default["exact"] else ""),
        ),
        ("CPU seconds, whole fit (user + sys)", cpu(runs["default"]), cpu(runs["budget"]), ""),
        (
            "valid-prediction time (10 % of the trajectory scale, 16 held-out states, 10 s "
            "horizon, reference: the exact system under the same RK4)",
            valid(default),
            valid(budget),
            f"{recovered['valid_time_mean']:.2f} s mean (the whole horizon)",
        ),
        (
            "drift of the true energy over 10 s",
            f"{default['rollout']['energy_drift']['network']:.2g}",
            f"{budget['rollout']['energy_drift']['network']:.2g}",
            f"{recovered['energy_drift']:.2g} (RK4, dt = 0.01, as the truth's)",
        ),
        (
            "LNN paper's energy metric at t = 100 s from its box (paper: LNN 0.0043, MLP 0.074)",
            f"{paper_default['value']:.2g}",
            f"{paper_budget['value']:.2g}",
            f"{paper_default['integrator_floor']:.2g} (the exact system under the same RK4)",
        ),
    ]


def write_table(runs: dict[str, dict[str, Any]], machine: dict[str, Any]) -> str:
    rows = _rows(runs)
    lines = [
        "# The double pendulum, default configuration",
        "",
        "Generated by `python benchmarks/default_config_table.py` (seed 0) on "
        f"{machine['date']}, commit {machine['commit']}, {machine['cores']} cores, "
        f"{machine['python']}.",
        "",
        "| | default: stops when the closed form is found | `--set stop_when_found=false` "
        "| recovered L |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
        "| run | command | CPU s | wall s | load average before → after |",
        "|---|---|---|---|---|",
        *(
            f"| {r['name']} | `{r['command']}` | {r['cpu_s']:.1f} | {r['wall_s']:.1f} | "
            f"{r['load_before']:.1f} → {r['load_after']:.1f} |"
            for r in runs.values()
        ),
        "",
        f"Recovered L (default run): `{runs['default']['summary']['recovered_lagrangian']}`, "
        f"scale {runs['default']['summary']['scale']}.",
    ]
    return "\n".join(lines) + "\n"


def _machine() -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "commit": commit or "unknown",
        "cores": os.cpu_count(),
        "python": f"Python {sys.version.split()[0]}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="folder of the runs (temporary)")
    parser.add_argument(
        "--from-json",
        action="store_true",
        help="rewrite the table from results/default_config.json without running anything",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads((RESULTS / "default_config.json").read_text(encoding="utf-8"))
        table = write_table(saved["runs"], saved["machine"])
        (RESULTS / "default_config.md").write_text(table, encoding="utf-8")
        print(table)
        return 0
    with tempfile.TemporaryDirectory(prefix="physym-default-") as scratch:
        base = args.out or Path(scratch)
        base.mkdir(parents=True, exist_ok=True)
        paper = base / "paper_metric.toml"
        paper.write_text(PAPER_METRIC, encoding="utf-8")
        runs = {}
        for name, extra in RUNS.items():
            extra = [a.replace("{paper}", str(paper)) for a in extra]
            runs[name] = run_fit(name, extra, base / name.replace(" + ", "_"))
            print(f"{name}: {runs[name]['cpu_s']:.1f} CPU s", file=sys.stderr)
    for plain in ("default", "budget"):
        a = runs[plain]["summary"]["accel_rel_error"]["network"]
        b = runs[f"{plain} + paper"]["summary"]["accel_rel_error"]["network"]
        if a != b:
            raise SystemExit(f"{plain}: the paper-metric run trained another network ({a} vs {b})")
    machine = _machine()
    RESULTS.mkdir(parents=True, exist_ok=True)
    table = write_table(runs, machine)
    (RESULTS / "default_config.md").write_text(table, encoding="utf-8")
    (RESULTS / "default_config.json").write_text(
        json.dumps({"machine": machine, "runs": runs}, indent=1, default=str) + "\n",
        encoding="utf-8",
    )
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
