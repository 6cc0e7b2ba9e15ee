"""The zoo benchmark: physym on textbook systems it was not built beside.

Fits every system of ``benchmarks/zoo/`` and scores the result with an independent checker
(``zoo_check.py``: its own Euler–Lagrange accelerations and exactness test, no physym
comparison code), then writes a Markdown and a JSON table.

Modes
-----
``--mode fit`` (default)
    ``physym fit SPEC --out RUNS/NAME --quiet --seed S`` per system, as a user runs it,
    defaults untouched; the row reads the run's ``summary.json``.
``--mode oracle``
    No training: the "network" is the true ``L`` perturbed by 1e-3, distilled and
    compared (``zoo_oracle.py``); seconds per system, for quick iteration.

Each system runs in its own process (``--jobs N`` at once) under ``--timeout`` seconds: a
crash or timeout is a miss with its reason, never the end of the benchmark. Resumable: a
system whose row exists in ``--out`` is skipped unless ``--force`` (a fit whose
``summary.json`` exists is scored without fitting again).

Usage::

    python benchmarks/zoo.py --mode oracle                  # all systems, minutes
    nice -n 10 python benchmarks/zoo.py --only henon_heiles,morse_oscillator --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo_catalogue import Entry, catalogue
from zoo_record import failure, score
from zoo_table import write_tables

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RUNS = ROOT / "bench_results" / "zoo_runs"  # git-ignored: run directories are large
TIMEOUT = {"fit": 3600, "oracle": 900}
_ROWS = "rows"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _physym_command() -> list[str]:
    script = Path(sys.executable).with_name("physym")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "physym"]


def _fit_summary(
    entry: Entry, runs: Path, seed: int, force: bool
) -> tuple[dict[str, Any] | None, float | None, float | None, str]:
    """Run (or reuse) the default fit; ``(summary, wall_s, cpu_s, log tail)``."""
    run_dir, info = runs / entry.name, runs / f"{entry.name}.run.json"
    if force and run_dir.exists():
        shutil.rmtree(run_dir)
    if not (run_dir / "summary.json").is_file():
        if run_dir.exists():  # unfinished: start again, so the wall time is one clean fit
            shutil.rmtree(run_dir)
        command = [
            *_physym_command(),
            "fit",
            str(entry.path),
            "--out",
            str(run_dir),
            "--quiet",
            "--seed",
            str(seed),
        ]
        log = runs / f"{entry.name}.fit.log"
        begin = time.perf_counter()
        with open(log, "w", encoding="utf-8") as out:
            out.write("$ " + shlex.join(command) + "\n")
            out.flush()
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
        _write_json(
            info,
            {
                "wall_s": time.perf_counter() - begin,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "returncode": process.returncode,
            },
        )
        if not (run_dir / "summary.json").is_file():
            tail = log.read_text(encoding="utf-8").strip().splitlines()[-3:]
            return None, None, None, " / ".join(tail)[-400:]
    timing = json.loads(info.read_text()) if info.is_file() else {}
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    return summary, timing.get("wall_s"), timing.get("cpu_s"), ""


def worker(entry: Entry, mode: str, out: Path, runs: Path, seed: int, force: bool) -> None:
    """Run one system in this process and write its row to ``out/rows/NAME.json``."""
    from physym import load_system

    system = load_system(entry.path)
    summary: dict[str, Any] | None
    wall_s: float | None
    cpu_s: float | None
    if mode == "oracle":
        from zoo_oracle import oracle_summary

        begin, cpu = time.perf_counter(), time.process_time()
        summary = oracle_summary(system, seed=seed)
        wall_s, cpu_s, tail = time.perf_counter() - begin, time.process_time() - cpu, ""
    else:
        summary, wall_s, cpu_s, tail = _fit_summary(entry, runs, seed, force)
    if summary is None:
        row = failure(entry, system, mode, seed, "failed", f"physym fit failed: {tail}")
    else:
        row = score(entry, system, summary, mode=mode, seed=seed, wall_s=wall_s, cpu_s=cpu_s)
    _write_json(out / _ROWS / f"{entry.name}.json", row)


def _run_one(entry: Entry, args: argparse.Namespace) -> dict[str, Any]:
    """One system in a child process with a time limit; its row."""
    path = args.out / _ROWS / f"{entry.name}.json"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        entry.name,
        "--mode",
        args.mode,
        "--out",
        str(args.out),
        "--runs",
        str(args.runs),
        "--seed",
        str(args.seed),
    ] + (["--force"] if args.force else [])
    args.runs.mkdir(parents=True, exist_ok=True)
    log = args.runs / f"{entry.name}.{args.mode}.log"
    begin = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )
        try:
            code = process.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the worker and the fit it started
            process.wait()
            code = None
    wall = time.perf_counter() - begin
    if code is None or not path.is_file():
        from physym import load_system

        status = "timeout" if code is None else "failed"
        tail = " / ".join(log.read_text(encoding="utf-8").strip().splitlines()[-3:])[-400:]
        reason = (
            f"no result after {args.timeout} s" if code is None else f"exit code {code}: {tail}"
        )
        _write_json(
            path,
            failure(
                entry, load_system(entry.path), args.mode, args.seed, status, reason, wall_s=wall
            ),
        )
    return json.loads(path.read_text(encoding="utf-8"))


def rescore(entry: Entry, row: dict[str, Any]) -> dict[str, Any]:
    """The row scored again by the current checker, from what the row keeps of the run."""
    from physym import load_system

    if row["status"] != "done":
        return row
    summary = {
        "recovered_lagrangian": row["recovered_lagrangian"],
        **row["physym"],
        "closed_form": row["closed_form"],
        "accel_rel_error": row["accel_rel_error"],
        "timings": {"distill": row["distill_s"]},
    }
    return score(
        entry,
        load_system(entry.path),
        summary,
        mode=row["mode"],
        seed=row["seed"],
        wall_s=row["wall_s"],
        cpu_s=row["cpu_s"],
    )


def _progress(row: dict[str, Any], index: int, total: int) -> str:
    checker, physym = row["checker"], row["physym"]
    verdict = (
        "EXACT"
        if checker.get("exact")
        else "equivalent"
        if checker.get("equivalent")
        else row["status"]
        if row["status"] != "done"
        else "miss"
    )
    distill = row.get("distill_s")
    wall = row.get("wall_s")
    wrong = f"  WRONG VERDICT: {'; '.join(row['disagreements'])}" if row["disagreements"] else ""
    return (
        f"[{index:2d}/{total}] {row['system']:32s} {verdict:10s} physym exact="
        f"{physym.get('exact')} closed_form={row.get('closed_form')}  distill "
        f"{'-' if distill is None else f'{distill:.1f}'} s  wall "
        f"{'-' if wall is None else f'{wall:.0f}'} s{wrong}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="physym on the zoo of textbook systems")
    parser.add_argument("--mode", choices=("fit", "oracle"), default="fit")
    parser.add_argument("--only", help="comma-separated system names (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="systems at once (processes)")
    parser.add_argument(
        "--out", type=Path, help="rows and tables (default: benchmarks/results/zoo_<mode>)"
    )
    parser.add_argument(
        "--runs",
        type=Path,
        default=RUNS,
        help="fit run directories and logs (default: bench_results/zoo_runs)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--timeout", type=float, help="seconds per system (default: 3600 for fit, 900 for oracle)"
    )
    parser.add_argument("--force", action="store_true", help="rerun systems already done")
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="score the rows in --out again with the current checker (no runs)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.out = args.out or RESULTS / f"zoo_{args.mode}"
    args.timeout = args.timeout or TIMEOUT[args.mode]
    if args.worker:
        worker(catalogue([args.worker])[0], args.mode, args.out, args.runs, args.seed, args.force)
        return 0
    try:
        entries = catalogue(args.only.split(",") if args.only else None)
    except ValueError as exc:
        parser.error(str(exc))
    if args.rescore:
        for entry in entries:
            path = args.out / _ROWS / f"{entry.name}.json"
            if path.is_file():
                _write_json(path, rescore(entry, json.loads(path.read_text(encoding="utf-8"))))
                print(f"rescored {entry.name}", flush=True)
    todo = (
        []
        if args.rescore
        else [
            e for e in entries if args.force or not (args.out / _ROWS / f"{e.name}.json").is_file()
        ]
    )
    print(
        f"zoo ({args.mode}): {len(entries)} systems, {len(entries) - len(todo)} already "
        f"done in {args.out}, {len(todo)} to run, {args.jobs} at a time",
        flush=True,
    )
    lock, done = threading.Lock(), [len(entries) - len(todo)]
    command = (
        "python benchmarks/zoo.py --mode "
        + args.mode
        + (f" --seed {args.seed}" if args.seed else "")
    )

    def tables() -> dict[str, Any]:
        rows = [json.loads(p.read_text()) for p in sorted((args.out / _ROWS).glob("*.json"))]
        return write_tables(rows, args.out, f"zoo_{args.mode}", f"Zoo ({args.mode} mode)", command)

    def run(entry: Entry) -> None:
        row = _run_one(entry, args)
        with lock:
            done[0] += 1
            print(_progress(row, done[0], len(entries)), flush=True)
            tables()

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(run, todo))
    if (args.out / _ROWS).is_dir():
        totals = tables()
        print(
            f"exact {totals['exact_checker']}/{totals['systems']} (checker), physym wrong "
            f"verdicts {totals['wrong_verdicts']}; table: {args.out / f'zoo_{args.mode}.md'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
