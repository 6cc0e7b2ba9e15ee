"""Sparse linear regression paths: sequential thresholding and backward elimination.

Both work on column-normalised designs (every column has unit RMS, the target is divided
by its natural scale), so a coefficient is the share of the target its term carries and
one threshold means the same thing for ``x²`` and for ``1/r``. The design is compressed
once by a QR factorisation, ``X = QR``: a least-squares fit on any subset ``S`` of columns
is then the small problem ``min ‖R_S c − Qᵀy‖`` (plus the constant ``‖y − QQᵀy‖²``), so
hundreds of candidate supports cost little more than one fit on the full data. Scaled
columns, QR and SVD solves keep exact targets at round-off (about 1e-15 relative).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

import numpy as np

__all__ = ["SubsetLeastSquares", "independent_columns", "normalise"]


def normalise(design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns divided by their RMS; returns the normalised design and the RMS values."""
    with np.errstate(over="ignore", invalid="ignore"):
        norms = np.sqrt(np.mean(design**2, axis=0))
    norms[(norms == 0) | ~np.isfinite(norms)] = 1.0
    return design / norms, norms


def independent_columns(design: np.ndarray, tolerance: float = 1e-9) -> list[int]:
    """Indices of columns, in order, that are not combinations of earlier kept ones.

    Earlier (simpler) terms win: with ``y ẋ`` before ``x ẏ`` in a library whose columns
    make them collinear, only ``y ẋ`` is kept.
    """
    kept: list[int] = []
    basis = np.zeros((design.shape[0], 0))
    for k in range(design.shape[1]):
        column = design[:, k]
        norm = np.linalg.norm(column)
        if not np.isfinite(norm) or norm == 0:
            continue
        residual = column - basis @ (basis.T @ column)
        residual -= basis @ (basis.T @ residual)  # re-orthogonalise once
        rest = np.linalg.norm(residual)
        if rest > tolerance * norm:
            kept.append(k)
            basis = np.column_stack([basis, residual / rest])
    return kept


class SubsetLeastSquares:
    """Least squares of ``target`` on any subset of the columns of ``design``.

    Examples
    --------
    >>> x = np.linspace(-1, 1, 50)
    >>> fit = SubsetLeastSquares(np.column_stack([x, x**2, x**3]), 2 * x**2)
    >>> coef, rms = fit.solve([1])
    >>> round(float(coef[1]), 12), rms < 1e-12
    (2.0, True)
    """

    def __init__(self, design: np.ndarray, target: np.ndarray):
        self.n_rows, self.n_columns = design.shape
        q_factor, self.r_factor = np.linalg.qr(design)
        self.projected = q_factor.T @ target
        # The part of the target outside the columns' span, from the residual vector
        # itself: ‖y‖² − ‖Qᵀy‖² would cancel catastrophically and put a floor of
        # √ε·‖y‖ (about 1e-8) under every fit error, whatever the data.
        outside = target - q_factor @ self.projected
        outside -= q_factor @ (q_factor.T @ outside)  # re-orthogonalise once
        self.outside = float(outside @ outside)

    def solve(self, support: Iterable[int]) -> tuple[np.ndarray, float]:
        """Full coefficient vector (zeros off ``support``) and the RMS residual."""
        support = sorted(support)
        coefficients = np.zeros(self.n_columns)
        if support:
            coefficients[support] = np.linalg.lstsq(
                self.r_factor[:, support], self.projected, rcond=None
            )[0]
        inside = self.r_factor @ coefficients - self.projected
        return coefficients, float(np.sqrt((inside @ inside + self.outside) / self.n_rows))

    def stlsq_path(
        self, thresholds: Iterable[float], max_iterations: int = 20
    ) -> set[frozenset[int]]:
        """Supports found by sequentially thresholded least squares, one per threshold."""
        supports: set[frozenset[int]] = set()
        for threshold in thresholds:
            active = list(range(self.n_columns))
            for _ in range(max_iterations):
                if not active:
                    break
                coef = self.solve(active)[0][active]
                keep = [k for k, c in zip(active, coef, strict=True) if abs(c) >= threshold]
                if len(keep) == len(active):
                    break
                active = keep
            supports.add(frozenset(active))
        return supports

    def small_supports(self, max_size: int = 2, limit: int = 1500) -> set[frozenset[int]]:
        """Every support of up to ``max_size`` columns (fewer sizes if that exceeds ``limit``).

        Greedy paths can miss the best one- or two-term model when columns are strongly
        correlated (``1``, ``r``, ``1/r`` on a narrow range of ``r``); trying them all is
        cheap on the compressed problem.
        """
        supports: set[frozenset[int]] = set()
        for size in range(1, max_size + 1):
            if math.comb(self.n_columns, size) > limit:
                break
            supports |= {frozenset(c) for c in itertools.combinations(range(self.n_columns), size)}
        return supports

    def forward_path(self, max_size: int = 12) -> list[frozenset[int]]:
        """Nested supports from one column up, each adding the column that lowers the
        residual most (forward stepwise selection, on the compressed problem).

        Finds a few columns that explain the target together where thresholding and
        backward elimination wander among many correlated ones.
        """
        columns = self.r_factor.copy()  # columns orthogonalised against the chosen ones
        residual = self.projected.copy()
        active: list[int] = []
        path = []
        for _ in range(min(max_size, self.n_columns)):
            norms = np.linalg.norm(columns, axis=0)
            scores = np.zeros(self.n_columns)
            usable = norms > 1e-10 * max(float(np.max(norms)), 1e-300)
            usable[active] = False
            if not usable.any():
                break
            scores[usable] = np.abs(columns[:, usable].T @ residual) / norms[usable]
            best = int(np.argmax(scores))
            if not usable[best] or scores[best] <= 0:
                break  # the target is explained
            direction = columns[:, best] / norms[best]
            residual = residual - direction * (direction @ residual)
            columns = columns - np.outer(direction, direction @ columns)
            active.append(best)
            path.append(frozenset(active))
        return path

    def beam_path(self, width: int = 12, max_size: int = 8) -> set[frozenset[int]]:
        """The ``width`` best supports of every size up to ``max_size``, grown one column
        at a time from the best ones of the size below (beam search).

        Greedy forward selection commits to its first column; when look-alike columns
        compete (``x²`` against ``cos x`` and ``x⁴`` on a short range), the sparse set that
        explains the target can start from a column the greedy step ranked second. Each
        member keeps its columns orthogonalised against its own support, so growing it
        costs one matrix product.
        """
        beam: list[tuple[tuple[int, ...], np.ndarray, np.ndarray]] = [
            ((), self.r_factor.copy(), self.projected.copy())
        ]
        supports: set[frozenset[int]] = set()
        for _ in range(min(max_size, self.n_columns)):
            grown: dict[frozenset[int], tuple[float, int, int]] = {}
            for member, (active, columns, residual) in enumerate(beam):
                norms = np.linalg.norm(columns, axis=0)
                usable = norms > 1e-10 * max(float(np.max(norms)), 1e-300)
                usable[list(active)] = False
                if not usable.any():
                    continue
                gain = np.zeros(self.n_columns)
                gain[usable] = (columns[:, usable].T @ residual / norms[usable]) ** 2
                rss = float(residual @ residual)
                for k in np.argsort(-gain)[:width]:
                    key = frozenset((*active, int(k)))
                    if usable[k] and key not in grown:
                        grown[key] = (rss - float(gain[k]), member, int(k))
            if not grown:
                break
            best = sorted(grown.items(), key=lambda item: item[1][0])[:width]
            next_beam = []
            for key, (_, member, k) in best:
                active, columns, residual = beam[member]
                direction = columns[:, k] / np.linalg.norm(columns[:, k])
                next_beam.append(
                    (
                        (*active, k),
                        columns - np.outer(direction, direction @ columns),
                        residual - direction * (direction @ residual),
                    )
                )
                supports.add(key)
            beam = next_beam
        return supports

    def backward_path(self) -> list[frozenset[int]]:
        """Nested supports from all columns down to one, dropping the least useful column.

        Removing column ``j`` raises the residual sum of squares by
        ``ξ_j² / [(XᵀX)⁻¹]_jj``.
        """
        active = list(range(self.n_columns))
        path = [frozenset(active)]
        while len(active) > 1:
            r_sub = np.linalg.qr(self.r_factor[:, active])[1]
            coef = self.solve(active)[0][active]
            diag = np.sum(np.linalg.inv(r_sub) ** 2, axis=1)
            active.pop(int(np.argmin(coef**2 / np.maximum(diag, 1e-300))))
            path.append(frozenset(active))
        return path
