"""What the data themselves can tell before training: targets that cannot be trained on
(an error that blames the data, not the optimiser) and coordinates that never move (a
warning: ``L`` cannot be identified in them).

Both judge the samples of any data source alike (sampled states, measured positions,
forced data): they read only the :class:`~physym.data.Dataset`.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from physym.data.errors import DataError

if TYPE_CHECKING:
    from physym.data import Dataset

__all__ = ["DataWarning", "check_targets", "identifiability_warnings", "warn_all"]

#: Spread below which a column counts as constant, relative to its size (or to 1).
CONSTANT_SPREAD = 1e-9


class DataWarning(UserWarning):
    """The data cannot support part of what a fit concludes (e.g. a coordinate that never
    moves); also recorded in ``summary.json`` under ``warnings``."""


def check_targets(dataset: Dataset, origin: str, dtype: str = "float64") -> None:
    """Raise :class:`DataError` when states or accelerations are not finite, or so large
    that the training loss (mean of squares) overflows in ``dtype``.

    Parameters
    ----------
    dataset : Dataset
    origin : str
        What the samples are, for the message (e.g. ``"sampled states of 'pendulum'"``).
    dtype : {"float32", "float64"}
        The training precision.

    Examples
    --------
    >>> from physym.data import Dataset
    >>> rows = np.arange(2)
    >>> data = Dataset(np.zeros((2, 2)), np.array([[1.0], [np.inf]]), None, rows, rows[:0],
    ...                rows[:0], "s", ("x", "x_dot"))
    >>> check_targets(data, "test data")
    Traceback (most recent call last):
    ...
    physym.data.errors.DataError: test data: the data are at fault, not the training: 1 of 2 ...
    """
    states, accelerations = dataset.states, dataset.accelerations
    n = accelerations.shape[1]
    names = tuple(dataset.state_names)
    fault = f"{origin}: the data are at fault, not the training:"
    bad = ~np.isfinite(states).all(axis=1) | ~np.isfinite(accelerations).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        column = int(
            np.flatnonzero(~np.isfinite(np.concatenate((accelerations[row], states[row]))))[0]
        )
        what = f"{names[column % n]}_ddot" if column < n else names[column - n]
        value = accelerations[row, column] if column < n else states[row, column - n]
        raise DataError(
            f"{fault} {int(bad.sum())} of {len(bad)} samples have non-finite values "
            f"(first: {what} = {value} at {_state(names, states[row])}); narrow the "
            "sampling box, rescale the system or clean the data"
        )
    limit = float(np.sqrt(np.finfo(np.dtype(dtype)).max)) / 1e3
    largest = float(np.abs(accelerations).max()) if accelerations.size else 0.0
    if largest > limit:
        at = np.unravel_index(int(np.abs(accelerations).argmax()), accelerations.shape)
        raise DataError(
            f"{fault} accelerations reach {largest:.3g} ({names[int(at[1])]}_ddot at "
            f"{_state(names, states[int(at[0])])}), beyond {limit:.1e}, where their squares "
            f"overflow {dtype} training; narrow the sampling box or rescale the system"
        )


def identifiability_warnings(dataset: Dataset) -> list[str]:
    """Why the data cannot identify ``L`` in some direction: a coordinate (or a velocity)
    that keeps one value over every sample."""
    states = dataset.states
    names = tuple(dataset.state_names)
    n = dataset.accelerations.shape[1]
    notes = []
    for j in range(n):
        for column, name, kind in ((j, names[j], "coordinate"), (n + j, names[n + j], "velocity")):
            values = states[:, column]
            if len(values) and float(np.ptp(values)) <= CONSTANT_SPREAD * max(
                1.0, float(np.abs(values).max())
            ):
                notes.append(
                    f"{kind} {name!r} never changes in the data (it stays at "
                    f"{values[0]:.6g}): L cannot be identified in {name}, and what the fit "
                    "says about it means nothing"
                )
                break  # a coordinate that never moves has a constant velocity too
    return notes


def warn_all(notes: list[str]) -> None:
    """Issue each note as a :class:`DataWarning` (a notebook shows them)."""
    for note in notes:
        warnings.warn(note, DataWarning, stacklevel=3)


def _state(names: tuple[str, ...], row: np.ndarray) -> str:
    return ", ".join(f"{name} = {value:.6g}" for name, value in zip(names, row, strict=True))
