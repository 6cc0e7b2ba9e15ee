"""The configuration of a fit: one nested, typed, validated object (:class:`RunConfig`).

Light on purpose (no torch, no SymPy): the command line builds its parser from it.
"""

from physym.config.flat import FLAT, MEASURED_KEYS
from physym.config.run_config import FORMAT, SECTIONS, RunConfig, merge_overrides, read_toml
from physym.config.sections import (
    DTYPES,
    DataConfig,
    DerivativeConfig,
    DistillConfig,
    EnergyConfig,
    EvaluateConfig,
    FallbackConfig,
    GuardConfig,
    MeasuredConfig,
    ModelConfig,
    MultistepConfig,
    RolloutConfig,
    StopConfig,
    TrainConfig,
)
from physym.config.settings import ConfigError, Section

__all__ = [
    "DTYPES",
    "FLAT",
    "FORMAT",
    "MEASURED_KEYS",
    "SECTIONS",
    "ConfigError",
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
    "RunConfig",
    "Section",
    "StopConfig",
    "TrainConfig",
    "merge_overrides",
    "read_toml",
]
