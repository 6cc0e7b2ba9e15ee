"""Rollouts of learned dynamics and their comparison with the exact system.

``model_accelerations`` turns a learned Lagrangian into a float64 acceleration function,
``rk4_rollout`` integrates a batch of initial states with fixed-step RK4 (one network call
per stage for the whole batch), ``compare_rollouts`` measures the state error, the
valid-prediction time against the chaos floor, and the drift of the true energy, and
``energy_metric`` is the LNN paper's energy error at ``t = 100``.
"""

from physym.rollout.compare import REFERENCE_TOLERANCE, RolloutComparison, compare_rollouts
from physym.rollout.energy import EnergyMetric, default_ic_box, energy_metric, potential_maximum
from physym.rollout.integrators import (
    BatchAccelerations,
    model_accelerations,
    rk4_rollout,
    rk4_step,
    system_accelerations,
)
from physym.rollout.metrics import (
    finite_or_none,
    trajectory_errors,
    valid_prediction_times,
    wrap_difference,
)

__all__ = [
    "REFERENCE_TOLERANCE",
    "BatchAccelerations",
    "EnergyMetric",
    "RolloutComparison",
    "compare_rollouts",
    "default_ic_box",
    "energy_metric",
    "finite_or_none",
    "model_accelerations",
    "potential_maximum",
    "rk4_rollout",
    "rk4_step",
    "system_accelerations",
    "trajectory_errors",
    "valid_prediction_times",
    "wrap_difference",
]
