"""How long the README's two first commands take on a fresh clone, with the machine's state.

Clones the committed tree into a temporary folder and runs, timed separately (wall
seconds, and the load average before and after each):

1. the install: ``python3.11 -m venv .venv && .venv/bin/pip install -q torch==2.13.0
   -e ".[dev]"`` (pip's cache and any configured wheel folder are used as a user's
   would be);
2. the tests: ``.venv/bin/python -m pytest`` (the default selection: ``slow`` tests
   deselected).

Writes ``benchmarks/results/setup_times.md`` and ``.json``. On a shared machine both
move with the neighbours' load, hence the load averages beside them.

Usage::

    python benchmarks/setup_times.py               # about 30 minutes on 2 busy cores
    python benchmarks/setup_times.py --from-json   # the table again, from the JSON
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
INSTALL = 'python3.11 -m venv .venv && .venv/bin/pip install -q torch==2.13.0 -e ".[dev]"'
TESTS = ".venv/bin/python -m pytest"


def _timed(command: str, cwd: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["MPLBACKEND"] = "Agg"
    load_before = os.getloadavg()[0]
    begin = time.perf_counter()
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - begin
    return {
        "command": command,
        "wall_s": wall,
        "returncode": done.returncode,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "tail": done.stdout.strip().splitlines()[-1:] + done.stderr.strip().splitlines()[-3:],
    }


def write_table(result: dict[str, Any]) -> str:
    """The Markdown report of a measurement."""
    machine = result["machine"]
    lines = [
        "# Install and test times on a fresh clone",
        "",
        f"`python benchmarks/setup_times.py` on {machine['date']}, commit {machine['commit']}, "
        f"{machine['cores']} cores shared with other jobs.",
        "",
        "| step | command | wall (min:s) | load average before → after | result |",
        "|---|---|---|---|---|",
    ]
    for name in ("install", "tests"):
        step = result.get(name)
        if step is None:
            continue
        minutes, seconds = divmod(round(step["wall_s"]), 60)
        outcome = "ok" if step["returncode"] == 0 else f"exit {step['returncode']}"
        summary = [line.strip("= ") for line in step["tail"] if " passed" in line]
        lines.append(
            f"| {name} | `{step['command']}` | {minutes}:{seconds:02d} | "
            f"{step['load_before']:.1f} → {step['load_after']:.1f} | "
            f"{outcome}{': ' + summary[0] if summary else ''} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--from-json",
        action="store_true",
        help="rewrite the table from results/setup_times.json without running anything",
    )
    if parser.parse_args(argv).from_json:
        result = json.loads((RESULTS / "setup_times.json").read_text())
        table = write_table(result)
        (RESULTS / "setup_times.md").write_text(table)
        print(table)
        return 0
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="physym-setup-") as scratch:
        clone = Path(scratch) / "physym"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        install = _timed(INSTALL, clone)
        tests = _timed(TESTS, clone) if install["returncode"] == 0 else None
    machine = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "commit": commit,
        "cores": os.cpu_count(),
    }
    result = {"machine": machine, "install": install, "tests": tests}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "setup_times.json").write_text(json.dumps(result, indent=1) + "\n")
    table = write_table(result)
    (RESULTS / "setup_times.md").write_text(table)
    print(table)
    return 0 if install["returncode"] == 0 and tests and tests["returncode"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
