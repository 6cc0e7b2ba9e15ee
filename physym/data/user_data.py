"""A user's own data: samples of states and accelerations, or positions over time.

Column names follow the system: coordinates ``q``, velocities ``<q>_dot`` and
accelerations ``<q>_ddot`` (``system.state_names`` order does not matter in the file).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from physym.data.dataset import Dataset
from physym.data.derivatives import estimate_derivatives
from physym.data.errors import DataError
from physym.data.tables import read_table
from physym.systems import System

__all__ = [
    "MIN_POSITION_SAMPLES",
    "acceleration_names",
    "dataset_from_positions",
    "load_positions",
    "load_samples",
]

MIN_POSITION_SAMPLES = 10
"""Fewest time samples accepted by :func:`load_positions` (derivatives need a window)."""


def acceleration_names(system: System) -> tuple[str, ...]:
    """``<q>_ddot`` for each coordinate: the acceleration column names."""
    return tuple(f"{q}_ddot" for q in system.coordinates)


def load_samples(
    path: str | Path,
    system: System,
    *,
    splits: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> Dataset:
    """Load measured states and accelerations from a CSV or NPZ file.

    The file has one column per name in ``system.state_names`` and per
    :func:`acceleration_names` (an ``.npz`` may instead hold ``states`` ``(N, 2n)`` and
    ``accelerations`` ``(N, n)`` arrays, as :meth:`Dataset.save` writes). Other columns are
    ignored.

    Returns
    -------
    Dataset
        With ``accelerations_clean=None`` (the exact values are unknown) and a seeded split.

    Raises
    ------
    DataError
        Unreadable file, missing columns (all named), NaN (column and row named).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from physym import load_system
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "pendulum.csv"
    >>> _ = path.write_text("theta,theta_dot,theta_ddot\\n0.1,0,-0.98\\n0.2,0,-1.95\\n")
    >>> len(load_samples(path, load_system("pendulum")))
    2
    """
    path = Path(path)
    if path.suffix.lower() == ".npz":
        from physym.data._npz import read_npz

        arrays = read_npz(path, (), "data")
        if "states" in arrays and "accelerations" in arrays:
            return Dataset.from_arrays(
                system,
                _checked(path, arrays["states"], "states"),
                _checked(path, arrays["accelerations"], "accelerations"),
                splits=splits,
                seed=seed,
            )
    table = read_table(path)
    names = (*system.state_names, *acceleration_names(system))
    values = table.numeric(names, what=f"{system.name}")
    n2 = 2 * system.n_dof
    return Dataset.from_arrays(system, values[:, :n2], values[:, n2:], splits=splits, seed=seed)


def _checked(path: Path, array: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(array, dtype=np.float64)
    bad = ~np.isfinite(array)
    if bad.any():
        row, col = np.argwhere(bad.reshape(len(array), -1))[0]
        raise DataError(f"{path}: array {name!r} has NaN or inf at row {row}, column {col}")
    return array


def load_positions(
    path: str | Path,
    coordinates: System | Sequence[str],
    time_column: str = "t",
) -> tuple[np.ndarray, np.ndarray]:
    """Load positions over time from a CSV or NPZ file.

    Parameters
    ----------
    path : str or Path
        Columns ``time_column`` and one per coordinate.
    coordinates : System or sequence of str
        Coordinate names (a system's coordinates).
    time_column : str

    Returns
    -------
    t : numpy.ndarray, shape ``(T,)``
        Strictly increasing times.
    q : numpy.ndarray, shape ``(T, n)``

    Raises
    ------
    DataError
        Missing columns, NaN, time not strictly increasing (the row named), fewer than
        :data:`MIN_POSITION_SAMPLES` samples, unreadable file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> rows = "\\n".join(f"{0.1 * i},{np.cos(0.1 * i)}" for i in range(20))
    >>> _ = path.write_text("t,x\\n" + rows + "\\n")
    >>> t, q = load_positions(path, ["x"])
    >>> t.shape, q.shape
    ((20,), (20, 1))
    """
    names = list(coordinates.coordinates if isinstance(coordinates, System) else coordinates)
    table = read_table(path)
    values = table.numeric([time_column, *names], what="position")
    if len(values) < MIN_POSITION_SAMPLES:
        raise DataError(
            f"{table.path}: too few samples ({len(values)}); need at least "
            f"{MIN_POSITION_SAMPLES} to estimate derivatives"
        )
    t = values[:, 0]
    steps = np.diff(t)
    if (steps <= 0).any():
        row = int(np.argmax(steps <= 0)) + 1
        raise DataError(
            f"{table.path}: time column {time_column!r} is not increasing at "
            f"{table.where(row)} (t = {t[row]:g} after {t[row - 1]:g})"
        )
    return t, values[:, 1:]


def dataset_from_positions(
    system: System,
    t: np.ndarray,
    q: np.ndarray,
    *,
    method: Literal["savgol", "spline"] = "savgol",
    window: int | None = None,
    order: int | None = None,
    smoothing: float | None = None,
    splits: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> Dataset:
    """States ``(q, q̇)`` and targets ``q̈`` estimated from positions ``q`` ``(T, n)``.

    Derivatives come from :func:`physym.data.estimate_derivatives` (same options).

    Examples
    --------
    >>> from physym import load_system
    >>> t = np.linspace(0, 2, 201)
    >>> data = dataset_from_positions(load_system("pendulum"), t, 0.1 * np.cos(3.13 * t))
    >>> data.states.shape, data.accelerations.shape
    ((201, 2), (201, 1))
    """
    positions = np.asarray(q, dtype=np.float64).reshape(len(t), -1)
    if positions.shape[1] != system.n_dof:
        raise DataError(
            f"{system.name} has {system.n_dof} coordinate(s), positions have "
            f"{positions.shape[1]} column(s)"
        )
    velocities, accelerations = estimate_derivatives(t, positions, method, window, order, smoothing)
    return Dataset.from_arrays(
        system, np.hstack((positions, velocities)), accelerations, splits=splits, seed=seed
    )
