"""The parts of a fit's configuration, one small typed object each (DESIGN.md §5).

``data`` (what is learned from: sampled states, or ``data.measured`` positions over
time), ``model`` (the network and its fallback), ``train`` (optimiser, guards, the
multi-step loss and when to stop), ``evaluate`` (rollouts and the energy metric) and
``distill`` (distillation and comparison). :class:`~physym.config.RunConfig` holds one of
each.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from physym.config.settings import ConfigError, Section, setting

__all__ = [
    "DTYPES",
    "DataConfig",
    "DerivativeConfig",
    "DistillConfig",
    "EnergyConfig",
    "EvaluateConfig",
    "FallbackConfig",
    "GuardConfig",
    "MeasuredConfig",
    "ModelConfig",
    "MultistepConfig",
    "RolloutConfig",
    "StopConfig",
    "TrainConfig",
]

DTYPES = ("float32", "float64")
DERIVATIVE_METHODS = ("savgol", "spline")


# ------------------------------------------------------------------ data


@dataclass(frozen=True)
class DerivativeConfig(Section):
    """How ``q̇`` and ``q̈`` are estimated from measured positions
    (:mod:`physym.data.state_estimate`)."""

    path: ClassVar[str] = "data.measured.derivative"
    method: str = setting(
        "savgol", str, choices=DERIVATIVE_METHODS, doc="how q̇, q̈ are estimated from positions"
    )
    window: int | None = setting(
        None, int, low=3, optional=True, doc="savgol window in samples (None: from the noise)"
    )
    order: int | None = setting(
        None, int, low=1, optional=True, doc="savgol order or spline degree (None: 5)"
    )
    smoothing: float | None = setting(
        None, float, low=0.0, optional=True, doc="spline residual budget s (None: T·σ²)"
    )
    trim: int | None = setting(
        None,
        int,
        low=0,
        optional=True,
        doc="samples dropped at each trajectory end (None: half the window)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.window is not None and self.window % 2 == 0:
            raise ConfigError(f"config: 'derivative_window' must be odd, got {self.window}")


@dataclass(frozen=True)
class MeasuredConfig(Section):
    """A file of measured positions over time to learn from instead of sampled states."""

    path: ClassVar[str] = "data.measured"
    file: str = setting(kind=str, doc="file of measured positions over time (.csv, .npz)")
    coordinates: tuple[str, ...] | None = setting(
        None, list, optional=True, doc="position columns (default: the system's)"
    )
    periodic: tuple[str, ...] | None = setting(
        None, list, optional=True, doc="angle coordinates (default: the system's)"
    )
    time_column: str = setting("t", str, doc="time column")
    trajectory_column: str | None = setting(
        None, str, optional=True, doc="column naming the trajectory of each row"
    )
    derivative: DerivativeConfig = setting(kind=DerivativeConfig, factory=DerivativeConfig)

    def __post_init__(self) -> None:
        super().__post_init__()
        names = self.coordinates or ()
        for name in (*names, *(self.periodic or ())):
            if not name.isidentifier() or name.endswith("_dot"):
                raise ConfigError(f"config: {name!r} is not a valid coordinate name")
        if len(set(names)) != len(names):
            raise ConfigError(f"config: 'coordinates' repeats a name: {list(names)}")
        stray = [q for q in self.periodic or () if names and q not in names]
        if stray:
            raise ConfigError(
                f"config: periodic coordinate {stray[0]!r} is not one of the "
                f"coordinates {', '.join(names)}"
            )


@dataclass(frozen=True)
class DataConfig(Section):
    """States sampled from the system's box, or ``measured`` positions over time."""

    path: ClassVar[str] = "data"
    samples: int = setting(
        20_000,
        int,
        low=10,
        doc="states sampled (with 'data': at most this many estimated states used)",
    )
    noise: float = setting(0.0, float, low=0.0, doc="relative noise on sampled targets")
    splits: tuple[float, float, float] = setting(
        (0.8, 0.1, 0.1), tuple, doc="train/val/test fractions"
    )
    measured: MeasuredConfig | None = setting(None, MeasuredConfig, optional=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        if abs(sum(self.splits) - 1.0) > 1e-9 or min(self.splits) < 0 or self.splits[0] <= 0:
            raise ConfigError(
                f"config: 'splits' must be three non-negative fractions summing "
                f"to 1 with a positive training share, got {list(self.splits)}"
            )
        if self.measured is not None and self.noise > 0:
            raise ConfigError(
                "config: 'noise' adds synthetic noise to sampled targets; with "
                "'data' the measured positions are used as they are"
            )


# ------------------------------------------------------------------ model


@dataclass(frozen=True)
class FallbackConfig(Section):
    """A second, more general model trained when the first stays inaccurate
    (:mod:`physym.training.fallback`)."""

    path: ClassVar[str] = "model.fallback"
    name: str = setting(
        "mlp", str, doc="model also trained when 'model' misses fallback_threshold ('none': never)"
    )
    threshold: float = setting(
        0.01, float, low=0.0, doc="best validation rel. error of 'model' that triggers the fallback"
    )


@dataclass(frozen=True)
class ModelConfig(Section):
    """The network ``L_θ`` (a name of :data:`physym.network.MODELS` or a preset)."""

    path: ClassVar[str] = "model"
    name: str = setting("structured", str, doc="network registry name")
    width: int | None = setting(
        None, int, low=1, optional=True, doc="None: the model's or preset's own (64; seed: 32)"
    )
    depth: int | None = setting(
        None, int, low=1, optional=True, doc="None: the model's or preset's own (3; seed: 4)"
    )
    activation: str | None = setting(
        None, str, optional=True, doc="None: the model's or preset's own (softplus)"
    )
    dtype: str = setting("float64", str, choices=DTYPES, doc="training dtype")
    epsilon: float = setting(0.0, float, low=0.0, doc="ε‖q̇‖²/2 added to L_θ")
    options: Mapping[str, Any] = setting(
        kind=dict, factory=dict, doc="other keyword arguments of the model class"
    )
    fallback: FallbackConfig = setting(kind=FallbackConfig, factory=FallbackConfig)


# ------------------------------------------------------------------ train


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


# ------------------------------------------------------------------ evaluate


@dataclass(frozen=True)
class RolloutConfig(Section):
    """Rollouts from held-out states against the exact system."""

    path: ClassVar[str] = "evaluate.rollout"
    states: int = setting(16, int, low=0, doc="initial states (0: no rollout)")
    t_end: float = setting(10.0, float, low=0.0, doc="horizon in time units")
    dt: float = setting(0.01, float, low=0.0, doc="RK4 step of every rollout")


@dataclass(frozen=True)
class EnergyConfig(Section):
    """The LNN paper's energy metric: ``|E(x̂(t_end)) − E(x0)| / max V``."""

    path: ClassVar[str] = "evaluate.energy"
    states: int = setting(32, int, low=0, doc="initial states (0: no energy metric)")
    t_end: float = setting(10.0, float, low=0.0, doc="horizon (the paper's: 100)")
    ic_box: Mapping[str, Any] | None = setting(
        None, dict, optional=True, doc="box of initial states (default: the sampling box)"
    )


@dataclass(frozen=True)
class EvaluateConfig(Section):
    """How the trained network (and the recovered ``L``) are evaluated."""

    path: ClassVar[str] = "evaluate"
    rollout: RolloutConfig = setting(kind=RolloutConfig, factory=RolloutConfig)
    energy: EnergyConfig = setting(kind=EnergyConfig, factory=EnergyConfig)


# ------------------------------------------------------------------ distill


@dataclass(frozen=True)
class DistillConfig(Section):
    """Distillation to a closed form and its comparison with the truth (DESIGN.md §4)."""

    path: ClassVar[str] = "distill"
    enabled: bool = setting(
        True, bool, doc="distil the trained network to a closed form and compare it"
    )
    backend: str = setting("sparse", str, doc="distillation backend: sparse, operon or pysr")
    states: int = setting(800, int, low=10, doc="coordinates sampled for the targets")
    slack: float | None = setting(
        None,
        float,
        low=0.0,
        optional=True,
        doc="worsening of the data fit accepted to drop a term or "
        "rationalise a constant (None: 0.05; 0.5 with 'data')",
    )
    compare_tolerance: float = setting(
        1e-6, float, low=0.0, doc="largest recovered accel error that counts as equivalent"
    )
