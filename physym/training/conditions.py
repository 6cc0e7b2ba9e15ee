"""The rows a model takes: states, extended with time and known forces where it needs them.

A :class:`~physym.network.forced.ForcedLagrangian` reads each sample's conditions from
extra columns (``t``, then the known forces ``Q``); :func:`model_rows` builds them from a
dataset and the system's spec, evaluating ``Q`` exactly at each sample's state, time and
inputs. For any other model the rows are the states themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from physym.data import Dataset
    from physym.systems import System

__all__ = ["extend_states", "model_rows"]


def extend_states(
    model: Any, states: np.ndarray, t: np.ndarray | None, forces: np.ndarray | None
) -> np.ndarray:
    """``(N, 2n)`` states with the ``t`` column and the ``Q`` columns ``model`` expects.

    Raises
    ------
    ValueError
        The model needs ``t`` or ``Q`` and they are not given.
    """
    states = np.asarray(states, dtype=np.float64)
    parts = [states]
    if getattr(model, "time_column", False):
        if t is None:
            raise ValueError("this model depends on time: the samples need their times t")
        parts.append(
            np.broadcast_to(np.asarray(t, dtype=np.float64).reshape(-1, 1), (len(states), 1))
        )
    if getattr(model, "known_forces", False):
        if forces is None:
            raise ValueError("this model takes known forces: the samples need Q")
        parts.append(np.asarray(forces, dtype=np.float64).reshape(len(states), -1))
    return np.hstack(parts) if len(parts) > 1 else states


def known_forces(
    system: System, states: np.ndarray, t: np.ndarray | None, inputs: np.ndarray | None
) -> np.ndarray:
    """The spec's generalised forces ``Q`` at each sample, ``(N, n)`` (zeros without)."""
    if not system.has_forces:
        return np.zeros((len(states), system.n_dof))
    return system.dynamics.generalised_forces(states, t, inputs)


def model_rows(model: Any, dataset: Dataset, system: System | None) -> np.ndarray:
    """Every sample of ``dataset`` as the rows ``model`` takes, ``(N, input_width)``."""
    if not (getattr(model, "time_column", False) or getattr(model, "known_forces", False)):
        return np.asarray(dataset.states)
    forces = None
    if getattr(model, "known_forces", False):
        if system is None:
            raise ValueError("known forces need the system's spec")
        forces = known_forces(system, dataset.states, dataset.t, dataset.inputs)
    return extend_states(model, dataset.states, dataset.t, forces)
