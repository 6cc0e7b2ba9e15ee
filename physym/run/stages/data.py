"""The data stage: the source's samples (made, or reloaded on resume), and the training
budget their size decides (``train.min_steps``)."""

from __future__ import annotations

import math

import numpy as np

from physym.run.context import RunContext
from physym.run.data_checks import check_targets, identifiability_warnings, warn_all

__all__ = ["data_stage"]


def data_stage(ctx: RunContext) -> None:
    """Samples from ``ctx.source``: ``data.npz`` (and what the source adds)."""
    data = ctx.source.load(ctx.config, ctx.system, ctx.run_dir) if ctx.resume else None
    if data is None:
        with np.errstate(all="ignore"):  # overflowing targets are named just below
            data = ctx.source.make(ctx.config, ctx.system, ctx.run_dir)
    check_targets(data.dataset, f"{ctx.name}: {ctx.source.name}", ctx.config.model.dtype)
    ctx.data = data
    ctx.system = data.system
    ctx.summary.update(data.info)
    if notes := identifiability_warnings(data.dataset):
        ctx.summary.setdefault("warnings", []).extend(notes)
        warn_all(notes)
    if ctx.system is None:
        ctx.summary["accel_rel_error_against"] = (
            "accelerations estimated from the measured positions (no true Lagrangian)"
        )
    train = ctx.config.train
    steps = math.ceil(
        len(data.dataset.train_index) / min(train.batch_size, len(data.dataset.train_index))
    )
    ctx.set_config(ctx.config.replace(train=train.with_min_steps(steps)))
