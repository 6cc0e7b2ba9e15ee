"""A wall-clock limit for SymPy work, so that a symbolic check never hangs.

SymPy is pure Python, so ``SIGALRM`` interrupts it between bytecodes. The limit is enforced
only where a signal can be delivered (the main thread on POSIX); elsewhere the callers fall
back to cheap, complexity-bounded operations. An outer alarm (``pytest-timeout``, a user's
own) is saved and re-armed afterwards, so nesting is safe.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from physym.errors import PhysymError

__all__ = ["SymbolicTimeoutError", "can_enforce_time_limit", "time_limit"]


class SymbolicTimeoutError(PhysymError):
    """A symbolic computation ran past its time limit."""


def can_enforce_time_limit() -> bool:
    """Whether :func:`time_limit` can interrupt work here (main thread, POSIX)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float) -> Iterator[bool]:
    """Raise :class:`SymbolicTimeoutError` in the body once ``seconds`` have passed.

    Yields whether the limit is enforced; where it is not (a worker thread, Windows), the
    body runs unlimited and must bound its own work.

    Examples
    --------
    >>> with time_limit(5.0) as enforced:
    ...     total = sum(range(10))
    >>> total
    45
    """
    if not can_enforce_time_limit():
        yield False
        return
    if seconds <= 0:
        raise SymbolicTimeoutError
    armed = [True]

    def on_alarm(signum: int, frame: object) -> None:
        if armed[0]:
            raise SymbolicTimeoutError

    start = time.monotonic()
    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    if 0 < old_delay < seconds:
        # An outer alarm is due first: stop there, and let it fire once it is re-armed.
        signal.setitimer(signal.ITIMER_REAL, old_delay)
    try:
        yield True
    finally:
        # The alarm may fire on the way out; disarm first so the clean-up always runs.
        while True:
            try:
                armed[0] = False
                break
            except SymbolicTimeoutError:
                pass
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:
            remaining = max(old_delay - (time.monotonic() - start), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, remaining, old_interval)
