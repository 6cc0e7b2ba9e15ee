"""Workers that die with their sweep, and locks on what a live process is writing.

* **Parent-death watch.** A loky worker whose sweep is killed (``kill -9``, an out-of-memory
  kill, a closed terminal) is re-parented and would go on training for nobody, at full
  CPU, and keep writing its point. Each worker runs :func:`die_with` first: a daemon thread
  that ends the worker as soon as its parent process changes.
* **Locks.** ``sweep.lock`` in the sweep directory is held by the sweep for its whole run,
  so a second sweep into the same directory stops at once; ``points/<name>.lock`` is held
  by the worker that runs the point. A restarted sweep waits (at most
  :data:`LOCK_WAIT_S`) for the workers of a killed sweep to let go before it looks at
  their points, and never resumes a point that a live process still writes. The locks
  are ``flock`` locks: the kernel releases them when their holder dies, however it dies.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from physym.sweep.checks import SweepError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locking
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LOCK_WAIT_S",
    "PARENT_POLL_S",
    "die_with",
    "hold_lock",
    "point_lock_path",
    "run_guarded",
    "wait_for_lock",
]

LOCK_WAIT_S = 20.0
"""How long a restarted sweep waits for a point still locked by another process."""
PARENT_POLL_S = 0.25
"""How often a worker checks that its sweep is alive."""
ORPHAN_EXIT_STATUS = 75

_watched: set[int] = set()


def point_lock_path(run_dir: str | Path) -> Path:
    """``points/<name>.lock``: beside the point's run directory, which may be removed."""
    run_dir = Path(run_dir)
    return run_dir.with_name(run_dir.name + ".lock")


def die_with(parent_pid: int) -> bool:
    """End this process when ``parent_pid`` stops being its parent; whether it watches.

    Only a direct child watches (a loky worker of the sweep); the serial executor runs in
    the sweep itself, and a Ray worker's parent is Ray's, which cleans up its own tasks.
    """
    if os.getpid() == parent_pid or os.getppid() != parent_pid:
        return False
    if parent_pid not in _watched:
        _watched.add(parent_pid)
        threading.Thread(
            target=_watch_parent, args=(parent_pid,), daemon=True, name="physym-sweep-parent-watch"
        ).start()
    return True


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(ORPHAN_EXIT_STATUS)  # the sweep is gone: stop at once, locks released


@contextlib.contextmanager
def hold_lock(path: Path, what: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created, with this process id in it).

    Raises
    ------
    SweepError
        If another process still holds it after ``wait_s`` seconds; the message names it.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, what, wait_s)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def wait_for_lock(path: Path, what: str, wait_s: float) -> None:
    """Return once nobody holds ``path`` (waiting at most ``wait_s``), else SweepError."""
    if fcntl is None or not path.exists():  # pragma: no branch
        return
    with hold_lock(path, what, wait_s):
        pass


def _acquire(fd: int, path: Path, what: str, wait_s: float) -> None:
    assert fcntl is not None
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise SweepError(
                    f"{what} is in use by process {_holder(path)} ({path}); wait for it to "
                    "finish, or stop it, then run the sweep again"
                ) from None
            time.sleep(0.1)


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text if text.isdigit() else "?"


def run_guarded(task: Any, sweep_pid: int) -> dict[str, Any]:
    """What every executor runs for a point: watch the sweep, lock the point, run it.

    A point whose lock stays held by another process gives a ``failed`` row naming that
    process; the run directory is not touched.
    """
    from physym.sweep import point

    die_with(sweep_pid)
    run_dir = Path(task.run_dir)
    try:
        with hold_lock(point_lock_path(run_dir), f"point {task.point.name}", LOCK_WAIT_S):
            return point.execute_point(task)
    except SweepError as exc:
        return point.point_row(
            task.point,
            run_dir,
            None,
            "failed",
            n_params=task.n_params,
            error=point.one_line_error(exc),
        )
