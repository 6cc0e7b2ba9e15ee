"""Measured positions to be matched, and how they are cut into shooting windows.

A window is a run of consecutive samples of one trajectory. Its residuals are its own
samples; when the next window of the same trajectory follows, it is integrated one sample
further (the *bridge*), to that window's first sample, so that the mismatch between the
two at the shared instant can be reported: continuity is not imposed by a penalty, it is
tested (see :mod:`physym.shooting.fit`), and imposed by merging windows.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from physym.data.errors import DataError
from physym.data.state_estimate import StateEstimate

__all__ = ["ShootingData", "WindowLayout"]

_NOISE_FLOOR = 1e-9  # relative to each coordinate's spread: exact data still get weights


@dataclass(frozen=True, eq=False)
class ShootingData:
    """Positions to match, their noise, and initial guesses of the states.

    Attributes
    ----------
    t : numpy.ndarray, shape ``(T,)``
    q : numpy.ndarray, shape ``(T, n)``
        Measured positions (angles unwrapped along each trajectory).
    guess : numpy.ndarray, shape ``(T, 2n)``
        Smoothed ``(q, q̇)`` at every sample: where windows start from.
    trajectory : numpy.ndarray of int, shape ``(T,)``
    noise : numpy.ndarray, shape ``(n,)``
        The position noise ``σ_j`` of each coordinate (the residuals' weights are ``1/σ_j``).
    """

    t: np.ndarray
    q: np.ndarray
    guess: np.ndarray
    trajectory: np.ndarray
    noise: np.ndarray

    @classmethod
    def from_estimate(
        cls, estimate: StateEstimate, noise: tuple[float, ...] | None = None
    ) -> ShootingData:
        """All samples of ``estimate`` (trimmed ends included: their positions are as good).

        ``noise``: ``σ`` per coordinate; default the estimate's own measurement, floored at
        ``1e-9`` of the coordinate's spread so that exact data still have weights.
        """
        n = len(estimate.coordinates)
        sigma = np.asarray(
            estimate.settings.get("noise") if noise is None else noise, dtype=np.float64
        )
        if sigma.shape != (n,) or not np.all(np.isfinite(sigma)) or np.any(sigma < 0):
            raise DataError(
                f"position noise must be {n} finite non-negative numbers (one per "
                f"coordinate), got {sigma.tolist()}"
            )
        spread = np.maximum(estimate.q_measured.std(axis=0), 1e-300)
        sigma = np.maximum(sigma, _NOISE_FLOOR * spread)
        guess = np.hstack((estimate.q, estimate.q_dot))
        return cls(estimate.t, estimate.q_measured, guess, estimate.trajectory, sigma)

    @property
    def n_dof(self) -> int:
        return self.q.shape[1]

    def segments(self) -> list[slice]:
        """The rows of each trajectory (contiguous), in order."""
        edges = np.flatnonzero(np.diff(self.trajectory)) + 1
        bounds = [0, *edges.tolist(), len(self.t)]
        return [slice(a, b) for a, b in itertools.pairwise(bounds)]

    def step(self) -> float:
        """The median time between neighbouring samples."""
        return float(np.median(np.concatenate([np.diff(self.t[s]) for s in self.segments()])))


@dataclass(frozen=True, eq=False)
class WindowLayout:
    """Windows as ``start`` rows and residual ``count`` per window.

    Attributes
    ----------
    start, count : numpy.ndarray of int, shape ``(B,)``
    trajectory : numpy.ndarray of int, shape ``(B,)``
    bridge : numpy.ndarray of bool, shape ``(B,)``
        Whether the next window belongs to the same trajectory (and is integrated to).
    """

    start: np.ndarray
    count: np.ndarray
    trajectory: np.ndarray
    bridge: np.ndarray

    @classmethod
    def split(cls, data: ShootingData, samples: int) -> WindowLayout:
        """Cut every trajectory into windows of about ``samples`` samples (equal lengths)."""
        starts, counts, ids = [], [], []
        for k, rows in enumerate(data.segments()):
            length = rows.stop - rows.start
            pieces = max(1, length // max(int(samples), 1))
            bounds = np.linspace(rows.start, rows.stop, pieces + 1).round().astype(int)
            starts += bounds[:-1].tolist()
            counts += np.diff(bounds).tolist()
            ids += [k] * pieces
        return cls._make(np.array(starts), np.array(counts), np.array(ids))

    @classmethod
    def _make(cls, start: np.ndarray, count: np.ndarray, trajectory: np.ndarray) -> WindowLayout:
        bridge = np.append(trajectory[1:] == trajectory[:-1], False)
        return cls(start, count, trajectory, bridge)

    def __len__(self) -> int:
        return len(self.start)

    def pairs(self, frozen: frozenset[int] = frozenset(), longest: int | None = None) -> np.ndarray:
        """Labels joining neighbouring windows of a trajectory in pairs, left to right.

        A window is not joined to the next across a ``frozen`` boundary (the next
        window's start row) or when the pair would exceed ``longest`` samples. Returns
        one label per window (equal labels: the same new window), for :meth:`grouped`.
        """
        labels = np.arange(len(self))
        i = 0
        while i < len(self) - 1:
            joinable = (
                self.trajectory[i] == self.trajectory[i + 1]
                and int(self.start[i + 1]) not in frozen
                and (longest is None or self.count[i] + self.count[i + 1] <= longest)
            )
            if joinable:
                labels[i + 1] = labels[i]
            i += 2 if joinable else 1
        return labels

    def grouped(self, labels: np.ndarray) -> tuple[WindowLayout, np.ndarray]:
        """Runs of neighbouring windows with equal labels joined into one window each.

        Returns the new layout and, for each new window, the old window it starts with
        (whose initial state it inherits).
        """
        first = np.flatnonzero(np.append(True, labels[1:] != labels[:-1]))
        last = np.append(first[1:], len(self)) - 1
        count = self.start[last] + self.count[last] - self.start[first]
        return self._make(self.start[first], count, self.trajectory[first]), first

    @property
    def longest(self) -> int:
        return int(self.count.max())

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Row indices ``(B, S + 1)`` (padding repeats the last row) and the residual mask."""
        integrated = self.count + self.bridge
        offsets = np.arange(int(integrated.max()))
        rows = self.start[:, None] + np.minimum(offsets[None, :], integrated[:, None] - 1)
        return rows, offsets[None, :] < self.count[:, None]
