"""Rollouts compared with measured positions, when there is no exact system to compare with.

From the first kept state of each measured trajectory (smoothed ``q`` and estimated
``q̇``) the learned dynamics are integrated over the trajectory's own time span and their
positions compared with the measured ones. The position error of trajectory ``b`` at time
``t`` is ``‖q_pred(t) − q_meas(t)‖ / s_b`` with ``s_b`` the RMS over time of
``‖q_meas − mean_t q_meas‖`` (periodic differences wrapped); it cannot fall below the
measurement noise, reported as ``noise_floor`` (the same error of the smoothing fit
itself). The energy reported is the model's *own* energy ``E = q̇·∂L/∂q̇ − L`` along its
own rollout (no true energy is known): a Lagrangian flow conserves it, so its drift
measures the integration, not the physics.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from physym.data.state_estimate import StateEstimate
from physym.rollout.integrators import BatchAccelerations, rk4_rollout
from physym.rollout.metrics import finite_or_none, valid_prediction_times, wrap_difference

__all__ = ["MeasuredRollout", "model_energy", "rollout_against_measured"]

BatchEnergy = Callable[[np.ndarray], np.ndarray]
"""``energy(states (B, 2n)) -> (B,)``."""


def model_energy(model: Any) -> BatchEnergy:
    """The energy ``E = q̇·∂L/∂q̇ − L`` of a learned Lagrangian, float64 NumPy in and out.

    Examples
    --------
    >>> from physym.network import FunctionLagrangian
    >>> osc = FunctionLagrangian(1, lambda x: 0.5 * x[:, 1] ** 2 - 2.0 * x[:, 0] ** 2)
    >>> model_energy(osc)(np.array([[0.5, 1.0]]))
    array([1.])
    """
    import torch

    double = copy.deepcopy(model).to(torch.float64).eval()
    for parameter in double.parameters():
        parameter.requires_grad_(False)
    n = double.n_dof

    def energy(states: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(np.asarray(states, dtype=np.float64)).clone().requires_grad_(True)
        lagrangian = double(x).reshape(-1)
        (gradient,) = torch.autograd.grad(lagrangian.sum(), x)
        value = (gradient[:, n:] * x[:, n:]).sum(dim=1) - lagrangian
        return value.detach().numpy()

    return energy


@dataclass(frozen=True, eq=False)
class MeasuredRollout:
    """Predicted trajectories beside the measured positions they started from.

    Attributes
    ----------
    t : numpy.ndarray, shape ``(T,)``
        Time since each trajectory's first kept sample.
    measured, smoothed : numpy.ndarray, shape ``(T, B, n)``
        Measured and smoothed positions at ``t`` (``nan`` past a trajectory's span).
    predicted : numpy.ndarray, shape ``(T, B, 2n)``
    energy : numpy.ndarray, shape ``(T, B)``
        The model's own energy along ``predicted``.
    spans : numpy.ndarray, shape ``(B,)``
    periodic : tuple of bool
    energy_scale : float
    """

    t: np.ndarray
    measured: np.ndarray
    smoothed: np.ndarray
    predicted: np.ndarray
    energy: np.ndarray
    spans: np.ndarray
    periodic: tuple[bool, ...]
    energy_scale: float

    def position_errors(self, positions: np.ndarray | None = None) -> np.ndarray:
        """Relative position error ``(T, B)`` of ``positions`` (default: the prediction);
        ``nan`` past each span, ``inf`` where the prediction is not finite."""
        n = self.measured.shape[-1]
        positions = self.predicted[..., :n] if positions is None else positions
        diff = wrap_difference(positions, self.measured, self.periodic)
        spread = self.measured - np.nanmean(self.measured, axis=0, keepdims=True)
        scale = np.sqrt(np.nanmean((spread**2).sum(axis=-1), axis=0))
        with np.errstate(invalid="ignore"):
            error = np.sqrt((diff**2).sum(axis=-1)) / np.maximum(scale, 1e-12)
        inside = self.t[:, None] <= self.spans[None, :] + 1e-12
        error[inside & ~np.isfinite(error)] = np.inf
        error[~inside] = np.nan
        return error

    def energy_drift(self) -> np.ndarray:
        """``max_t |E(t) − E(0)| / max(|E(0)|, energy_scale)`` per trajectory ``(B,)``."""
        reference = np.maximum(np.abs(self.energy[0]), self.energy_scale)
        inside = self.t[:, None] <= self.spans[None, :] + 1e-12
        energy = np.where(inside, self.energy, self.energy[0])  # no change past the span
        with np.errstate(invalid="ignore"):
            drift = np.abs(energy - energy[0]).max(axis=0) / reference
        drift[~np.isfinite(drift)] = np.inf
        return drift

    def to_dict(self) -> dict[str, Any]:
        """Summary numbers (means over trajectories), ``None`` where not finite."""
        errors = self.position_errors()
        inside = ~np.isnan(errors)
        rms = np.sqrt(np.nanmean(np.where(np.isinf(errors), np.nan, errors) ** 2, axis=0))
        rms[~np.isfinite(errors).all(axis=0, where=inside)] = np.inf
        final = errors[np.sum(inside, axis=0) - 1, np.arange(errors.shape[1])]
        times, censored = valid_prediction_times(self.t, np.where(inside, errors, 0.0))
        times = np.minimum(times, self.spans)
        floor = self.position_errors(self.smoothed)
        return {
            "against": "measured positions",
            "n_trajectories": len(self.spans),
            "horizon_s": float(np.mean(self.spans)),
            "position_error_rms": finite_or_none(np.mean(rms)),
            "position_error_final": finite_or_none(np.mean(final)),
            "noise_floor": finite_or_none(np.sqrt(np.nanmean(floor**2))),
            "valid_time_mean": float(np.mean(times)),
            "valid_time_censored_fraction": float(np.mean(censored)),
            "energy_drift": finite_or_none(np.mean(self.energy_drift())),
            "energy": "the model's own E = q_dot·dL/dq_dot − L",
            "n_diverged": int(np.sum(~np.isfinite(rms))),
        }


def rollout_against_measured(
    accelerations: BatchAccelerations,
    energy: BatchEnergy,
    estimate: StateEstimate,
    *,
    n_trajectories: int = 16,
    dt: float = 0.01,
    max_points: int = 1001,
) -> MeasuredRollout:
    """Integrate from the first kept state of each trajectory over its measured span.

    Parameters
    ----------
    accelerations : callable
        ``(B, 2n) -> (B, n)``: the learned or recovered dynamics.
    energy : callable
        ``(B, 2n) -> (B,)``: that model's own energy.
    estimate : StateEstimate
    n_trajectories : int
        At most this many trajectories (the first ones).
    dt : float
        Largest RK4 step.
    max_points : int
        Output times (and comparison points) per trajectory.
    """
    segments = estimate.segments()[: max(1, n_trajectories)]
    starts = np.array(
        [np.concatenate((estimate.q[idx[0]], estimate.q_dot[idx[0]])) for idx in segments]
    )
    spans = np.array([estimate.t[idx[-1]] - estimate.t[idx[0]] for idx in segments])
    n_points = int(min(max_points, max(len(idx) for idx in segments)))
    t, predicted = rk4_rollout(
        accelerations, starts, float(spans.max()), dt, n_points=max(2, n_points)
    )
    n = len(estimate.coordinates)
    measured = np.full((len(t), len(segments), n), np.nan)
    smoothed = np.full_like(measured, np.nan)
    for b, idx in enumerate(segments):
        inside = t <= spans[b] + 1e-12
        times = estimate.t[idx] - estimate.t[idx[0]]
        for j in range(n):
            measured[inside, b, j] = np.interp(t[inside], times, estimate.q_measured[idx, j])
            smoothed[inside, b, j] = np.interp(t[inside], times, estimate.q[idx, j])
    own = np.full(predicted.shape[:2], np.nan)
    finite = np.isfinite(predicted).all(axis=-1)
    if finite.any():
        own[finite] = energy(predicted[finite])
    reference = estimate.states
    scale = float(np.std(energy(reference[:: max(1, len(reference) // 2000)])))
    return MeasuredRollout(
        t, measured, smoothed, predicted, own, spans, estimate.periodic, max(scale, 1e-12)
    )
