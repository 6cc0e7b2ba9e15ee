"""Training of learned Lagrangians: configuration, losses and guards, schedule, checkpoints.

``FitConfig`` holds every setting of a fit (loadable from TOML), ``train`` runs Adam with a
schedule, mini-batches, early stopping, guards against near-singular velocity Hessians and
an atomic checkpoint per epoch (exactly resumable).
"""

from physym.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from physym.training.config import DTYPES, LOSSES, SCHEDULES, ConfigError, FitConfig
from physym.training.losses import LOSS_FUNCTIONS, hessian_penalty, make_loss
from physym.training.monitor import hessian_health, predict, relative_error
from physym.training.multistep import exact_segments, multistep_loss, rk4_unroll
from physym.training.schedule import Schedule, make_schedule
from physym.training.trainer import TrainingDivergedError, TrainResult, train, training_metrics

__all__ = [
    "DTYPES",
    "LOSSES",
    "LOSS_FUNCTIONS",
    "SCHEDULES",
    "CheckpointError",
    "ConfigError",
    "FitConfig",
    "Schedule",
    "TrainResult",
    "TrainingDivergedError",
    "exact_segments",
    "hessian_health",
    "hessian_penalty",
    "load_checkpoint",
    "make_loss",
    "make_schedule",
    "multistep_loss",
    "predict",
    "relative_error",
    "rk4_unroll",
    "save_checkpoint",
    "train",
    "training_metrics",
]
