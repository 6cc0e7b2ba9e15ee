"""Measured positions over time: one or several trajectories read from a CSV or NPZ file.

The file has a time column and one column per coordinate (velocities and accelerations
are not needed). Several trajectories (e.g. from different initial states) go into one
file with a trajectory column whose value says which trajectory a row belongs to; within a
trajectory time must increase. Every malformed file gives a one-line :class:`DataError`
naming the file and, where it applies, the column and the line.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physym.data.errors import DataError
from physym.data.tables import read_table

__all__ = ["POSITION_FILE_SUFFIXES", "MeasuredPositions", "load_measured_positions"]

POSITION_FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".dat", ".npz")
"""File extensions :func:`load_measured_positions` reads (text tables or NumPy archives)."""


@dataclass(frozen=True, eq=False)
class MeasuredPositions:
    """Positions of one or several trajectories, grouped by trajectory, time increasing.

    Attributes
    ----------
    path : str
        The file they were read from.
    coordinates : tuple of str
    t : numpy.ndarray, shape ``(T,)``
    q : numpy.ndarray, shape ``(T, n)``
    trajectory : numpy.ndarray of int, shape ``(T,)``
        ``0, …, K−1``: the trajectory of each row, in order of first appearance in the file;
        the rows of a trajectory are contiguous here.
    labels : tuple of str
        The trajectory column's value of each trajectory (``("0",)`` without the column).
    where : tuple of str
        Where each row is in the file (``"line 12"`` or ``"row 11"``), for messages.
    """

    path: str
    coordinates: tuple[str, ...]
    t: np.ndarray
    q: np.ndarray
    trajectory: np.ndarray
    labels: tuple[str, ...]
    where: tuple[str, ...]

    @property
    def n_trajectories(self) -> int:
        return len(self.labels)

    def segments(self) -> list[slice]:
        """The rows of each trajectory, in order."""
        edges = np.flatnonzero(np.diff(self.trajectory)) + 1
        bounds = [0, *edges.tolist(), len(self.t)]
        return [slice(a, b) for a, b in itertools.pairwise(bounds)]

    def __len__(self) -> int:
        return len(self.t)


def load_measured_positions(
    path: str | Path,
    coordinates: Sequence[str],
    time_column: str = "t",
    trajectory_column: str | None = None,
    min_samples: int = 10,
) -> MeasuredPositions:
    """Read positions over time from a ``.csv`` (or ``.tsv``/``.txt``/``.dat``) or ``.npz``.

    Parameters
    ----------
    path : str or Path
    coordinates : sequence of str
        The coordinate columns.
    time_column : str
    trajectory_column : str, optional
        A column naming the trajectory of each row (any numbers: run ids). Without it the
        whole file is one trajectory.
    min_samples : int
        Fewest rows a trajectory may have.

    Returns
    -------
    MeasuredPositions

    Raises
    ------
    DataError
        An unknown extension, a missing or unreadable file, missing columns (all named), a
        NaN or non-number (column and line), time not strictly increasing within a
        trajectory (line), or a trajectory with fewer than ``min_samples`` rows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "two_runs.csv"
    >>> rows = [f"{run},{0.1 * i},{np.cos(0.1 * i + run)}" for run in (1, 2) for i in range(20)]
    >>> _ = path.write_text("run,t,x\\n" + "\\n".join(rows) + "\\n")
    >>> data = load_measured_positions(path, ["x"], trajectory_column="run")
    >>> data.n_trajectories, data.q.shape
    (2, (40, 1))
    """
    path = Path(path)
    if path.suffix.lower() not in POSITION_FILE_SUFFIXES:
        raise DataError(
            f"{path}: unknown file extension {path.suffix or '(none)'!r}; "
            f"positions are read from {', '.join(POSITION_FILE_SUFFIXES)} files"
        )
    table = read_table(path)
    names = [time_column, *coordinates]
    if trajectory_column is not None:
        names.append(trajectory_column)
    values = table.numeric(names, what="position")
    t, q = values[:, 0], values[:, 1 : 1 + len(coordinates)]
    ids = values[:, -1] if trajectory_column is not None else np.zeros(len(t))
    labels, first = np.unique(ids, return_index=True)  # sorted, with first appearance
    order_of_labels = labels[np.argsort(first)]
    trajectory = np.argsort(np.argsort(first))[np.searchsorted(labels, ids)]
    rows = np.argsort(trajectory, kind="stable")  # group, keeping file order within a group
    where = tuple(table.where(int(r)) for r in rows)
    measured = MeasuredPositions(
        str(path),
        tuple(coordinates),
        t[rows],
        q[rows],
        trajectory[rows],
        tuple(_label(v) for v in order_of_labels),
        where,
    )
    _check_trajectories(measured, time_column, trajectory_column, min_samples)
    return measured


def _label(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _check_trajectories(
    measured: MeasuredPositions, time_column: str, trajectory_column: str | None, min_samples: int
) -> None:
    for k, rows in enumerate(measured.segments()):
        name = (
            ""
            if trajectory_column is None
            else f"trajectory {trajectory_column} = {measured.labels[k]}: "
        )
        count = rows.stop - rows.start
        if count < min_samples:
            raise DataError(
                f"{measured.path}: {name}too few samples ({count}); need at "
                f"least {min_samples} to estimate derivatives"
            )
        steps = np.diff(measured.t[rows])
        if (steps <= 0).any():
            i = rows.start + int(np.argmax(steps <= 0)) + 1
            raise DataError(
                f"{measured.path}: {name}time column {time_column!r} is not "
                f"increasing at {measured.where[i]} (t = {measured.t[i]:g} after "
                f"{measured.t[i - 1]:g})"
            )
