"""Thread settings of every entry point: the command line, scripts, notebooks and sweep
workers all import ``physym`` and run :func:`physym.fit`.

* ``import physym`` sets ``OMP_WAIT_POLICY=PASSIVE`` (unless set): OpenMP worker threads
  that spin while they wait make small steps 10–40× slower beside a busy neighbour. It is
  read once, when torch loads its OpenMP runtime, so it must come before ``import torch``;
  when torch came first, :func:`check_threads` warns once, naming the fix.
* :func:`physym.fit` runs in :func:`limited_threads` (one thread by default; ``threads=``
  / ``--threads``): a fit's batches are small (128 states, a 64-wide network), and on a
  2-core machine under load the measured CPU time of a training epoch was 10–15× higher
  with two torch threads than with one (``benchmarks/results/fit_speed.md``). One thread
  also makes runs bit-for-bit reproducible across machines with different core counts.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator

__all__ = ["WAIT_POLICY", "check_threads", "configure_threads", "limited_threads"]

WAIT_POLICY = "PASSIVE"
_STATE = {"configured": False, "warned": False}


def configure_threads() -> bool:
    """Set ``OMP_WAIT_POLICY`` (unless set) if torch is not loaded yet; whether it was."""
    if "torch" in sys.modules:
        return False
    os.environ.setdefault("OMP_WAIT_POLICY", WAIT_POLICY)
    _STATE["configured"] = True
    return True


def check_threads(count: int | None = None) -> None:
    """Warn once if torch loaded before physym with OpenMP threads that spin-wait and a
    fit is to run with more than one thread (``count``; ``None``: torch's own)."""
    if count == 1 or _STATE["configured"] or _STATE["warned"] or "OMP_WAIT_POLICY" in os.environ:
        return
    _STATE["warned"] = True
    warnings.warn(
        "torch was imported before physym, so OpenMP threads spin while they "
        "wait (much slower training on a busy machine): import physym first, or "
        "set OMP_WAIT_POLICY=PASSIVE in the environment",
        RuntimeWarning,
        stacklevel=3,
    )


@contextlib.contextmanager
def limited_threads(count: int | None) -> Iterator[None]:
    """torch's intra-op threads and the BLAS / OpenMP pools limited to ``count`` inside
    the block (``None``: unchanged); the previous settings come back afterwards."""
    if count is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    limiter = None
    try:
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(count)
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        pass
    try:
        yield
    finally:
        if limiter is not None:
            limiter.restore_original_limits()
        torch.set_num_threads(before)
