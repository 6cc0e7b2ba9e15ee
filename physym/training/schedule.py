"""Learning-rate schedules, picked by name.

``"cosine"``
    Linear warm-up over ``warmup_epochs``, then cosine decay to ``lr · min_lr_factor`` at
    the last epoch; stepped after every batch.
``"plateau"``
    ``ReduceLROnPlateau`` on the validation error (factor 0.5, patience 5 epochs, floor
    ``lr · min_lr_factor``); stepped after every epoch.
``"constant"``
    Warm-up, then the base rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.optim.lr_scheduler import ReduceLROnPlateau

__all__ = ["SCHEDULES", "Schedule", "make_schedule"]


@dataclass
class Schedule:
    """A scheduler and when to step it (``per_batch``: after each optimiser step)."""

    scheduler: torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau
    per_batch: bool

    def __post_init__(self) -> None:
        if self.per_batch and isinstance(self.scheduler, ReduceLROnPlateau):
            raise ValueError(
                "ReduceLROnPlateau needs the validation error: step it per epoch (per_batch=False)"
            )

    def after_batch(self) -> None:
        if self.per_batch and not isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step()

    def after_epoch(self, val_error: float) -> None:
        if self.per_batch:
            return
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(val_error)
        else:
            self.scheduler.step()

    def state_dict(self) -> dict:
        return self.scheduler.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.scheduler.load_state_dict(state)


#: The schedules :func:`make_schedule` builds, by name.
SCHEDULES = ("cosine", "constant", "plateau")


def make_schedule(
    name: str,
    optimizer: torch.optim.Optimizer,
    *,
    epochs: int,
    steps_per_epoch: int,
    warmup_epochs: int,
    min_lr_factor: float,
) -> Schedule:
    """Build the schedule ``name`` (module docstring) for ``optimizer``."""
    total = max(1, epochs * steps_per_epoch)
    warmup = min(warmup_epochs * steps_per_epoch, total - 1)

    def warm(step: int) -> float:
        return (step + 1) / (warmup + 1) if step < warmup else 1.0

    if name == "cosine":

        def factor(step: int) -> float:
            if step < warmup:
                return warm(step)
            progress = min(1.0, (step - warmup) / max(1, total - warmup))
            return min_lr_factor + (1 - min_lr_factor) * 0.5 * (1 + math.cos(math.pi * progress))

        return Schedule(torch.optim.lr_scheduler.LambdaLR(optimizer, factor), per_batch=True)
    if name == "constant":
        return Schedule(torch.optim.lr_scheduler.LambdaLR(optimizer, warm), per_batch=True)
    if name == "plateau":
        base = optimizer.param_groups[0]["lr"]
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=0.5, patience=5, min_lr=base * min_lr_factor
        )
        return Schedule(plateau, per_batch=False)
    raise ValueError(f"unknown schedule {name!r}; known: {', '.join(SCHEDULES)}")
