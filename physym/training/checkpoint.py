"""Checkpoints: everything a training run needs to continue bit for bit.

A checkpoint is written atomically after every finished epoch (temp file, then rename), so
an interrupted run always leaves the last complete epoch on disk. It holds the model, the
optimiser, the schedule, the random generators (torch's global one and the one that
shuffles the batches), the epoch count, the per-epoch metrics, the best model so far and
the early-stopping and guard counters.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from physym.errors import PhysymError
from physym.io import save_torch

__all__ = ["CHECKPOINT_VERSION", "CheckpointError", "load_checkpoint", "save_checkpoint"]

CHECKPOINT_VERSION = 1


class CheckpointError(PhysymError, ValueError):
    """A checkpoint is missing, unreadable or from an incompatible run (one line)."""


def save_checkpoint(path: str | Path, state: Mapping[str, Any]) -> Path:
    """Atomically write ``state`` (plain data and tensors) to ``path``."""
    return save_torch(path, {"version": CHECKPOINT_VERSION, **state})


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises
    ------
    CheckpointError
        If the file is missing, unreadable or of another version.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path}: unreadable checkpoint ({type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path}: not a physym checkpoint of version {CHECKPOINT_VERSION}")
    return state
