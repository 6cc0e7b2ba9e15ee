"""Training of learned Lagrangians: configuration, losses and guards, schedule, checkpoints.

``train`` runs Adam with a schedule, mini-batches, early stopping, guards against
near-singular velocity Hessians, an optional stop check (distillation during training)
and an atomic checkpoint per epoch (exactly resumable); it takes the ``train`` part of a
:class:`physym.config.RunConfig`. ``FitConfig`` is the flat view of a fit's settings,
kept for existing code.

Only the configuration is imported eagerly; everything that needs torch is imported on
first use, so the CLI can build its parser (and read configs) without loading torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from physym.training.config import DTYPES, LOSSES, SCHEDULES, ConfigError, FitConfig, read_toml

_LAZY = {
    "CheckpointError": "checkpoint",
    "load_checkpoint": "checkpoint",
    "save_checkpoint": "checkpoint",
    "LOSS_FUNCTIONS": "losses",
    "hessian_penalty": "losses",
    "make_loss": "losses",
    "hessian_health": "monitor",
    "predict": "monitor",
    "relative_error": "monitor",
    "exact_segments": "multistep",
    "multistep_loss": "multistep",
    "rk4_unroll": "multistep",
    "Schedule": "schedule",
    "make_schedule": "schedule",
    "TrainResult": "trainer",
    "TrainingDivergedError": "trainer",
    "train": "trainer",
    "training_metrics": "trainer",
}

__all__ = ["DTYPES", "LOSSES", "SCHEDULES", "ConfigError", "FitConfig", "read_toml", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:  # PEP 562
    if name in _LAZY:
        return getattr(importlib.import_module(f"physym.training.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'physym.training' has no attribute {name!r}")
