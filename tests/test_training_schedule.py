"""How a Schedule steps its scheduler."""

from __future__ import annotations

import pytest
import torch

from physym.training.schedule import Schedule, make_schedule


def _optimizer(lr: float = 1.0) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def test_plateau_halves_the_rate_after_patience_epochs_without_progress() -> None:
    optimizer = _optimizer()
    schedule = make_schedule(
        "plateau", optimizer, epochs=50, steps_per_epoch=3, warmup_epochs=0, min_lr_factor=1e-3
    )
    schedule.after_batch()  # stepped per epoch: a batch changes nothing
    for _ in range(7):  # best at the first epoch, then 6 without progress (patience 5)
        schedule.after_epoch(1.0)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5)


def test_a_per_epoch_scheduler_counts_epochs_not_the_validation_error() -> None:
    optimizer = _optimizer()
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 0.5**epoch)
    schedule = Schedule(scheduler, per_batch=False)
    for val_error in (123.4, 0.1):
        optimizer.step()
        schedule.after_epoch(val_error)
    assert scheduler.last_epoch == 2
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.25)


def test_plateau_cannot_be_stepped_per_batch() -> None:
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(_optimizer())
    with pytest.raises(ValueError, match="per epoch"):
        Schedule(plateau, per_batch=True)
