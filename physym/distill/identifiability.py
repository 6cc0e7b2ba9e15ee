"""What the data cannot tell apart: uniformly accelerated motion.

When every sampled state has the same acceleration (a pulley system, a block on a moving
wedge: a constant mass matrix ``M`` and a linear potential ``V``), the equations of motion
fix only ``M⁻¹∇V``. Every positive-definite ``M`` with the matching force gives the same
motion, so no method can recover *the* textbook ``L`` from such data: the recovered
Lagrangian is one member of a family of equivalent ones, and a verdict ``exact: false``
against one particular member says nothing about the fit. A run says so instead of leaving
the reader to wonder.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["uniform_acceleration"]

#: spread below which exact accelerations count as uniform (round-off of a constant)
ROUND_OFF_SPREAD = 1e-9


def uniform_acceleration(
    accelerations: np.ndarray, noise_floor: float = 0.0
) -> dict[str, Any] | None:
    """A note when the accelerations are the same at every sample, else ``None``.

    Parameters
    ----------
    accelerations : numpy.ndarray, shape ``(N, n)``
        Accelerations of the data (exact or measured).
    noise_floor : float
        Relative error the data's own noise puts on any model's accelerations (0 for exact
        data); the spread must lie within it for the motion to count as uniform.

    Returns
    -------
    dict or None
        ``{"uniform_acceleration": True, "spread": s, "note": ...}`` where ``s`` is
        ``‖a − ā‖ / ‖a‖`` over the set.

    Examples
    --------
    >>> a = np.tile([[0.5, -2.0]], (100, 1))
    >>> uniform_acceleration(a)["spread"]
    0.0
    >>> uniform_acceleration(np.random.default_rng(0).normal(size=(100, 2))) is None
    True
    """
    values = np.asarray(accelerations, dtype=float)
    values = values[np.all(np.isfinite(values), axis=1)]
    if len(values) < 2:
        return None
    norm = float(np.linalg.norm(values))
    if norm == 0.0:
        return None
    spread = float(np.linalg.norm(values - values.mean(axis=0)) / norm)
    if spread > max(ROUND_OFF_SPREAD, 3.0 * noise_floor):
        return None
    return {
        "uniform_acceleration": True,
        "spread": spread,
        "note": (
            f"the accelerations are the same at every state (spread {spread:.1e}): the data "
            "fix only M⁻¹∇V, so the mass matrix and the potential are not separately "
            "identifiable and the recovered L is one of a family of Lagrangians with the same "
            "motion; compare accelerations (equivalent), not terms (exact)"
        ),
    }
