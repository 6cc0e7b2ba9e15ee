"""Thread settings of every entry point, applied when ``physym`` is imported.

With a busy neighbour on the machine, OpenMP worker threads that spin while they wait
make small training steps 10–40× slower. ``OMP_WAIT_POLICY=PASSIVE`` lets them sleep
instead; it is read once, when torch loads its OpenMP runtime, so it must be set before
torch is imported. ``import physym`` does it (unless the variable is set already), which
covers the command line, scripts, notebooks and sweep workers alike. When torch was
imported first, :func:`check_threads` warns once, naming the fix.
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["WAIT_POLICY", "check_threads", "configure_threads"]

WAIT_POLICY = "PASSIVE"
_STATE = {"configured": False, "warned": False}


def configure_threads() -> bool:
    """Set ``OMP_WAIT_POLICY`` (unless set) if torch is not loaded yet; whether it was."""
    if "torch" in sys.modules:
        return False
    os.environ.setdefault("OMP_WAIT_POLICY", WAIT_POLICY)
    _STATE["configured"] = True
    return True


def check_threads() -> None:
    """Warn once if torch loaded before physym with OpenMP threads that spin-wait."""
    if _STATE["configured"] or _STATE["warned"] or "OMP_WAIT_POLICY" in os.environ:
        return
    _STATE["warned"] = True
    warnings.warn("torch was imported before physym, so OpenMP threads spin while they "
                  "wait (much slower training on a busy machine): import physym first, or "
                  "set OMP_WAIT_POLICY=PASSIVE in the environment", RuntimeWarning,
                  stacklevel=3)
