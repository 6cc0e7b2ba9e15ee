"""The ``train`` part of a fit's configuration: the optimiser and its budget, the guards
against near-singular Hessians, the multi-step loss and when to stop."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from physym.config.settings import Section, setting

__all__ = ["GuardConfig", "MultistepConfig", "StopConfig", "TrainConfig"]


@dataclass(frozen=True)
class GuardConfig(Section):
    """Guards against near-singular velocity Hessians (DESIGN.md §3)."""

    path: ClassVar[str] = "train.guards"
    loss: str = setting("normalised", str, doc="mse, normalised or huber")
    huber_delta: float = setting(1.0, float, low=0.0)
    clip_norm: float = setting(10.0, float, low=0.0, doc="gradient-norm clip (0: off)")
    hessian_penalty: float = setting(0.0, float, low=0.0)
    hessian_margin: float = setting(1e-2, float, low=0.0)
    max_bad_batches: int = setting(10, int, low=1)


@dataclass(frozen=True)
class MultistepConfig(Section):
    """The optional multi-step rollout loss (``steps = 0``: pointwise loss only)."""

    path: ClassVar[str] = "train.multistep"
    steps: int = setting(0, int, low=0)
    dt: float = setting(0.01, float, low=0.0)
    weight: float = setting(1.0, float, low=0.0)


@dataclass(frozen=True)
class StopConfig(Section):
    """Stop training once the closed form is found (:mod:`physym.run.stopping`).

    The network is distilled at epochs ``1, 2, 3, …`` spaced geometrically by ``growth``
    (``1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 19, 24, 30, …`` for 1.25); training stops when
    two consecutive checks find the same closed form and the acceptance rule calls it
    found.
    """

    path: ClassVar[str] = "train.stop"
    when_found: bool = setting(
        True, bool, doc="stop training when the closed form is found at two consecutive checks"
    )
    growth: float = setting(
        1.25, float, low=1.0, doc="ratio of the epochs of consecutive distillation checks"
    )


@dataclass(frozen=True)
class TrainConfig(Section):
    """Adam with a schedule, mini-batches and early stopping (:func:`physym.training.train`)."""

    path: ClassVar[str] = "train"
    epochs: int = setting(60, int, low=1, doc="training budget in epochs")
    min_steps: int = setting(
        0,
        int,
        low=0,
        doc="at least this many optimiser steps: epochs "
        "(and patience, warm-up) are raised for small "
        "datasets",
    )
    batch_size: int = setting(128, int, low=1)
    lr: float = setting(1e-2, float, low=0.0, doc="peak learning rate")
    schedule: str = setting("cosine", str, doc="cosine, plateau or constant")
    warmup_epochs: int = setting(1, int, low=0)
    min_lr_factor: float = setting(1e-2, float, low=0.0)
    weight_decay: float = setting(0.0, float, low=0.0)
    patience: int = setting(15, int, low=0, doc="early-stopping epochs (0: off)")
    monitor_states: int = setting(
        512, int, low=1, doc="validation states of the Hessian health monitor"
    )
    guards: GuardConfig = setting(kind=GuardConfig, factory=GuardConfig)
    multistep: MultistepConfig = setting(kind=MultistepConfig, factory=MultistepConfig)
    stop: StopConfig = setting(kind=StopConfig, factory=StopConfig)

    def with_min_steps(self, steps_per_epoch: int) -> TrainConfig:
        """This budget with ``epochs`` raised so that at least ``min_steps`` optimiser steps
        are taken; ``patience`` and ``warmup_epochs`` are stretched by the same factor.

        With a fixed number of epochs a small dataset also gets fewer updates; a fixed
        ``min_steps`` gives every dataset size the same optimisation budget.

        Examples
        --------
        >>> cfg = TrainConfig(epochs=10, patience=5, min_steps=200)
        >>> cfg.with_min_steps(4).epochs, cfg.with_min_steps(4).patience
        (50, 25)
        """
        needed = math.ceil(self.min_steps / max(steps_per_epoch, 1))
        if needed <= self.epochs:
            return self
        factor = needed / self.epochs
        return self.replace(
            epochs=needed,
            patience=math.ceil(self.patience * factor),
            warmup_epochs=math.ceil(self.warmup_epochs * factor),
        )
