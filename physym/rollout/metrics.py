"""Compare rollouts with exact trajectories: state error, valid-prediction time, energy drift.

Errors are measured on dimensionless states ``x̃ = x / w`` (``w``: the width of the
system's sampling box per component), with the differences of periodic coordinates wrapped
to ``(−π, π]`` first. The error of trajectory ``i`` at time ``t`` is
``‖x̃_pred(t) − x̃_true(t)‖ / s_i`` with ``s_i`` the trajectory's own scale, the RMS over
time of ``‖x̃_true(t) − mean_t x̃_true‖``. The valid-prediction time is the first time that
error passes a threshold (10 % by default); a trajectory that never passes it is counted
at the horizon and reported as censored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import SupportsFloat

import numpy as np

from physym.systems import System

__all__ = ["finite_or_none", "trajectory_errors", "valid_prediction_times", "wrap_difference"]


def finite_or_none(value: SupportsFloat) -> float | None:
    """``value`` as a float, or ``None`` where it is not finite (JSON has no nan/inf)."""
    value = float(value)
    return value if math.isfinite(value) else None


def wrap_difference(a: np.ndarray, b: np.ndarray, periodic: Sequence[bool]) -> np.ndarray:
    """``a − b`` over ``(..., 2n)`` states, coordinates flagged periodic wrapped to (−π, π]."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    mask = np.zeros(diff.shape[-1], dtype=bool)
    mask[: len(periodic)] = np.asarray(periodic, dtype=bool)
    if mask.any():
        diff[..., mask] = -np.remainder(-diff[..., mask] + np.pi, 2 * np.pi) + np.pi
    return diff


def periodic_flags(system: System) -> list[bool]:
    """``periodic[j]`` for each coordinate of ``system``."""
    return [q in system.periodic for q in system.coordinates]


def trajectory_errors(system: System, predicted: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Relative state error of each trajectory over time.

    Parameters
    ----------
    system : System
        Supplies the box widths and the periodic coordinates.
    predicted, true : numpy.ndarray, shape ``(T, B, 2n)``

    Returns
    -------
    numpy.ndarray, shape ``(T, B)``
        ``‖Δx̃(t)‖ / s_i`` (module docstring); ``inf`` where the prediction is not finite.
    """
    low, high = system.box
    widths = high - low
    diff = wrap_difference(predicted, true, periodic_flags(system)) / widths
    scaled_true = true / widths
    spread = scaled_true - scaled_true.mean(axis=0, keepdims=True)
    scale = np.sqrt((spread**2).sum(axis=-1).mean(axis=0))  # (B,)
    scale = np.maximum(scale, 1e-9)
    with np.errstate(invalid="ignore"):
        error = np.sqrt((diff**2).sum(axis=-1)) / scale
    error[~np.isfinite(error)] = np.inf
    return error


def valid_prediction_times(
    t: np.ndarray, errors: np.ndarray, threshold: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """First time each trajectory's error exceeds ``threshold``.

    Parameters
    ----------
    t : numpy.ndarray, shape ``(T,)``
    errors : numpy.ndarray, shape ``(T, B)``
    threshold : float

    Returns
    -------
    times : numpy.ndarray, shape ``(B,)``
        The valid-prediction time, or ``t[-1]`` where the error never exceeds the threshold.
    censored : numpy.ndarray of bool, shape ``(B,)``
        Whether the horizon was reached without exceeding it.

    Examples
    --------
    >>> t = np.array([0.0, 1.0, 2.0])
    >>> valid_prediction_times(t, np.array([[0.0, 0.0], [0.05, 0.2], [0.5, 0.3]]))
    (array([2., 1.]), array([False, False]))
    """
    exceeded = errors > threshold
    censored = np.asarray(~exceeded.any(axis=0))
    first = np.argmax(exceeded, axis=0)
    times = np.where(censored, t[-1], t[first])
    return times, censored
