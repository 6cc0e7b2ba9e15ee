"""A sweep killed with ``kill -9`` leaves no worker behind, and a restart is clean.

The slow test kills a real ``physym sweep --jobs 2`` while both loky workers train, checks
that every process it started is gone, and runs the same command again to completion. The
quick tests check the two mechanisms on their own, with real processes: a worker's watch
on its parent, and the locks that stop a sweep from touching points a live process holds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import physym.sweep.point as point_module
from physym.io import write_json
from physym.sweep import SweepError, guard, load_sweep, run_sweep

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or os.name != "posix",
    reason="needs POSIX processes and /proc",
)

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


# ------------------------------------------------------------------- process helpers


def _stat(pid: int) -> tuple[int, str, int] | None:
    """``(parent pid, state, start time)`` of a process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], int(fields[19])


def descendants(pid: int) -> dict[int, int]:
    """Every process below ``pid``: process id -> start time (pids may be reused)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(stat[0], []).append(int(entry.name))
    found, stack = {}, list(children.get(pid, []))
    while stack:
        child = stack.pop()
        if (stat := _stat(child)) is not None:
            found[child] = stat[2]
            stack.extend(children.get(child, []))
    return found


def alive(processes: dict[int, int]) -> list[int]:
    """The processes still running (a zombie has stopped: only its exit status is left)."""
    running = []
    for pid, started in processes.items():
        stat = _stat(pid)
        if stat is not None and stat[2] == started and stat[1] not in "ZX":
            running.append(pid)
    return running


def wait_until(condition, seconds: float, pause: float = 0.2) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(pause)
    return condition()


def kill_group(process: subprocess.Popen) -> None:
    """Clean up after a failed test: the session's whole process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# ------------------------------------------------------------- the real sweep, killed


SWEEP = [
    "sweep",
    "harmonic_oscillator",
    "--samples",
    "256,512",
    "--width",
    "8",
    "--set",
    "depth=1",
    "--epochs",
    "100",
    "--set",
    "rollout_states=0",
    "--set",
    "energy_states=0",
    "--set",
    "distill=false",
    "--set",
    "monitor_states=16",
    "--set",
    'fallback_model="none"',
    "--jobs",
    "2",
    "--no-plot",
]


def _training(points: Path, sweep_pid: int) -> bool:
    """Both points locked by live workers (not the sweep) that have started their fit."""
    locks = sorted(points.glob("*.lock"))
    if len(locks) != 2:
        return False
    for lock in locks:
        holder = lock.read_text().strip()
        run_dir = lock.with_suffix("")
        if not holder.isdigit() or int(holder) == sweep_pid or _stat(int(holder)) is None:
            return False
        if not (run_dir / "config.json").is_file():
            return False
    return True


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kill_9_of_a_sweep_leaves_no_worker_and_the_restart_is_clean(tmp_path):
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "physym", *SWEEP, "--out", str(out)]
    log = (tmp_path / "first.log").open("w")
    sweep = subprocess.Popen(
        command, env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        assert wait_until(lambda: _training(out / "points", sweep.pid), 600), (
            tmp_path / "first.log"
        ).read_text()
        started = descendants(sweep.pid)
        workers = [int(p.read_text()) for p in (out / "points").glob("*.lock")]
        assert set(workers) <= set(started)
        assert not any(
            (out / "points" / name / "summary.json").exists()
            for name in ("n256_w8_s0", "n512_w8_s0")
        ), "killed too late"
        os.kill(sweep.pid, signal.SIGKILL)
        sweep.wait()
        gone = wait_until(lambda: not alive(started), 60)
        survivors = {pid: Path(f"/proc/{pid}/cmdline").read_bytes()[:120] for pid in alive(started)}
        assert gone, f"processes of the killed sweep still run: {survivors}"
    finally:
        kill_group(sweep)
        log.close()
    rerun = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "Traceback" not in rerun.stderr, rerun.stderr
    assert "to run (2 resumed" in rerun.stdout or "resumed" in rerun.stdout, rerun.stdout
    rows = load_sweep(out).rows
    assert [row["status"] for row in rows] == ["done", "done"], rows
    for row in rows:
        assert (out / row["run_dir"] / "summary.json").is_file()
        assert 0 < row["accel_rel_error"] < 10


# ----------------------------------------------------------- the mechanisms, quickly

WATCHED_CHILD = """
import sys, time
from physym.sweep.guard import die_with
print("watching" if die_with(int(sys.argv[1])) else "not watching", flush=True)
time.sleep(600)
"""
PARENT = """
import subprocess, sys, time, os
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())],
                         stdout=subprocess.PIPE, text=True)
print(child.pid, child.stdout.readline().strip(), flush=True)
time.sleep(600)
"""


@pytest.mark.timeout(120)
def test_a_worker_dies_when_its_parent_is_killed():
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, WATCHED_CHILD],
        env=ENV,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        child_pid, status = parent.stdout.readline().split(maxsplit=1)
        assert status.strip() == "watching"
        child = {int(child_pid): _stat(int(child_pid))[2]}
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert wait_until(lambda: not alive(child), 30), "the child outlived its parent"
    finally:
        kill_group(parent)


HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, str(os.getpid()).encode())
print("holding", flush=True)
time.sleep(600)
"""


def hold_elsewhere(path: Path) -> subprocess.Popen:
    """Another live process holding the lock at ``path`` (a worker of another sweep)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout.readline().strip() == "holding"
    return process


@pytest.fixture
def fake_fit(monkeypatch):
    """A fit that only writes its summary (the fit itself is not under test here)."""
    runs = []

    def fit(config, out_dir, resume=False):
        runs.append(out_dir.name)
        summary = {"accel_rel_error": {"network": 0.1}, "network": {"parameters": 10}}
        write_json(out_dir / "summary.json", summary)
        return summary

    monkeypatch.setattr(point_module, "_run_point", fit)
    return runs


GRID = {"samples": [64, 128], "width": [4]}
FIXED = {"epochs": 1, "depth": 1}


@pytest.mark.timeout(120)
def test_a_restart_does_not_touch_a_point_a_live_process_holds(tmp_path, fake_fit, monkeypatch):
    monkeypatch.setattr(guard, "LOCK_WAIT_S", 0.5)
    holder = hold_elsewhere(tmp_path / "points" / "n64_w4_s0.lock")
    try:
        with pytest.raises(
            SweepError,
            match=rf"point n64_w4_s0 is in use by process "
            rf"{holder.pid}",
        ):
            run_sweep("harmonic_oscillator", GRID, FIXED, tmp_path, executor="serial", plot=False)
        assert fake_fit == [] and not (tmp_path / "points" / "n64_w4_s0").exists()
    finally:
        kill_group(holder)
    # once the holder is gone (killed: the kernel drops its lock) the sweep runs
    result = run_sweep("harmonic_oscillator", GRID, FIXED, tmp_path, executor="serial", plot=False)
    assert [row["status"] for row in result.rows] == ["done", "done"]
    assert sorted(fake_fit) == ["n128_w4_s0", "n64_w4_s0"]


@pytest.mark.timeout(120)
def test_a_second_sweep_into_the_same_directory_stops_at_once(tmp_path, fake_fit):
    holder = hold_elsewhere(tmp_path / "sweep.lock")
    try:
        with pytest.raises(SweepError, match=rf"in use by process {holder.pid}"):
            run_sweep("harmonic_oscillator", GRID, FIXED, tmp_path, executor="serial", plot=False)
        assert fake_fit == []
    finally:
        kill_group(holder)


def test_a_point_lock_is_released_when_its_holder_returns(tmp_path):
    path = tmp_path / "points" / "p.lock"
    with guard.hold_lock(path, "point p"):
        assert path.read_text().strip() == str(os.getpid())
    guard.wait_for_lock(path, "point p", 0.0)  # free again: returns at once


def test_worker_lock_files_sit_beside_the_run_directory():
    assert guard.point_lock_path("out/points/n64_w4_s0") == Path("out/points/n64_w4_s0.lock")


def test_cli_reports_a_busy_sweep_in_one_line(tmp_path, capsys):
    from physym.cli import main as cli_main

    holder = hold_elsewhere(tmp_path / "sweep.lock")
    try:
        status = cli_main.main(
            [
                "sweep",
                "harmonic_oscillator",
                "--out",
                str(tmp_path),
                "--samples",
                "64",
                "--width",
                "4",
                "--executor",
                "serial",
                "--no-plot",
            ]
        )
    finally:
        kill_group(holder)
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("physym: error: ") and err.count("\n") == 1, err
    assert str(holder.pid) in err
