"""The parts of a fit's configuration, one small typed object each (DESIGN.md §5).

``data`` (what is learned from: sampled states, or ``data.measured`` positions over
time; :mod:`physym.config.data_sections`), ``model`` (the network and its fallback),
``train`` (optimiser, guards, the multi-step loss and when to stop;
:mod:`physym.config.train_sections`), ``evaluate`` (rollouts and the energy metric) and
``distill`` (distillation and comparison). :class:`~physym.config.RunConfig` holds one of
each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from physym.config.data_sections import DataConfig, DerivativeConfig, MeasuredConfig
from physym.config.settings import Section, setting
from physym.config.train_sections import GuardConfig, MultistepConfig, StopConfig, TrainConfig

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
    shooting: bool = setting(
        True,
        bool,
        doc="refit the closed form's constants to measured positions by multiple shooting "
        "(measured data only)",
    )
