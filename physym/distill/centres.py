"""Potentials of several shifted point centres, fitted by variable projection.

A target that depends jointly on two or three coordinates ``x`` and does not separate may
be a sum of point-centre terms plus low polynomials,

    f(x) = Σ_k c_k g(|x − a_k|² + e_k) + (polynomial of degree ≤ 2),

with ``g(s) = 1/√s`` (``kind="inverse"``: Coulomb, Newton) or ``g(s) = log(s)/2``
(``kind="log"``: two-dimensional point sources). The centres ``a_k`` and softenings
``e_k ≥ 0`` are nonlinear parameters; the strengths ``c_k`` and the polynomial are linear.

The fit works on the mixed second derivatives ``∂_i∂_j f`` (``i < j``), which remove
everything that separates additively (each coordinate's own terms, the squares of the
polynomial; the smooth error a network carries coordinate by coordinate) and leave only
the centres and one constant per pair (from ``x_i x_j``). For trial centres the strengths
are solved by least squares (variable projection), so the search is over the centres
alone: a coarse grid of positions around the box for one centre, then each further
centre on the grid with the earlier ones held, then all of them together by least
squares on the projected residual from the best few starts. A softening is kept only if
it halves the residual, a centre coordinate within 5 % of the box's span from 0 is snapped
to 0 where that costs at most 10 % of the residual (or three times the error of the
derivatives themselves): the polish refines the rest on the data. No further centre is
sought once the residual is down to the derivatives' own error.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

__all__ = [
    "KINDS",
    "CentreFit",
    "centre_mixed_columns",
    "credible",
    "fit_centres",
    "preferred_fit",
]

#: Point-centre kinds: ``g(s)`` of the squared distance ``s``.
KINDS = ("inverse", "log")
_GRID_REACH = 2.0  # the seed grid reaches this many spans beyond the box on each side
_STARTS = 5  # refinements started from the best grid points
_EARN = 2.0  # factor by which a softening must lower the residual to be kept
_SNAP = 1.1  # a coordinate snaps to 0 if the residual grows by at most this factor
_NEAR = 0.05  # ... and is tried only within this share of the box's span from 0


@dataclass(frozen=True)
class CentreFit:
    """Point centres fitted to the mixed derivatives of a target.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    centres : tuple of tuple of float
        ``a_k``, one tuple of coordinates per centre.
    softenings : tuple of float
        ``e_k`` (0 for a point centre).
    fixed : tuple of tuple of bool
        Per centre and coordinate, whether the coordinate is snapped to 0.
    residual : float
        RMS residual relative to the RMS of the mixed derivatives.
    """

    kind: str
    centres: tuple[tuple[float, ...], ...]
    softenings: tuple[float, ...]
    fixed: tuple[tuple[bool, ...], ...]
    residual: float

    @property
    def n_centres(self) -> int:
        return len(self.centres)

    @property
    def n_parameters(self) -> int:
        """Free positions, softenings and strengths."""
        free = sum(not zero for fixed in self.fixed for zero in fixed)
        return free + sum(e > 0 for e in self.softenings) + self.n_centres


def centre_mixed_columns(
    points: np.ndarray,
    centres: np.ndarray,
    softenings: np.ndarray,
    kind: str,
    pairs: Sequence[tuple[int, int]],
) -> np.ndarray:
    """``∂_i∂_j g(|x − a_k|² + e_k)`` for every pair, stacked: ``(len(pairs)·N, K)``.

    ``g(s) = s^{-1/2}`` gives ``3 d_i d_j / s^{5/2}``; ``g(s) = log(s)/2`` gives
    ``−2 d_i d_j / s²`` (``d = x − a_k``).
    """
    d = points[:, None, :] - centres[None, :, :]  # (N, K, dims)
    s = np.sum(d**2, axis=2) + softenings[None, :]
    with np.errstate(all="ignore"):
        factor = 3.0 * s**-2.5 if kind == "inverse" else -2.0 / s**2
        return np.concatenate([factor * d[:, :, i] * d[:, :, j] for i, j in pairs])


class _Projection:
    """Relative residual of the stacked mixed derivatives after least squares on one
    constant per pair and the centres' columns."""

    def __init__(self, points: np.ndarray, mixed: np.ndarray, kind: str):
        self.points, self.kind = points, kind
        self.span = np.ptp(points, axis=0)
        self.n = mixed.shape[0]
        self.pairs = list(itertools.combinations(range(points.shape[1]), 2))
        # The constants of the pairs are projected out once: each pair's block is centred.
        self.target = self._centred(mixed.T.reshape(-1))  # pair-major, as the columns
        self.scale = max(float(np.sqrt(np.mean(mixed**2))), 1e-300)

    def _centred(self, values: np.ndarray) -> np.ndarray:
        blocks = values.reshape(len(self.pairs), self.n, *values.shape[1:])
        return (blocks - blocks.mean(axis=1, keepdims=True)).reshape(values.shape)

    def columns(self, centres: np.ndarray, softenings: np.ndarray) -> np.ndarray:
        return centre_mixed_columns(self.points, centres, softenings, self.kind, self.pairs)

    def moves(self, centres: np.ndarray) -> np.ndarray:
        """Derivatives of the columns with respect to each centre coordinate: with them in
        the base, centres held during a scan move to first order (Gauss–Newton)."""
        out = []
        zero = np.zeros(len(centres))
        for k, i in itertools.product(range(len(centres)), range(centres.shape[1])):
            step = np.zeros_like(centres)
            step[k, i] = 1e-6 * max(1.0, abs(centres[k, i]))
            plus, minus = self.columns(centres + step, zero), self.columns(centres - step, zero)
            out.append((plus[:, k] - minus[:, k]) / (2 * step[k, i]))
        return np.column_stack(out) if out else np.zeros((self.target.size, 0))

    def vector(
        self, centres: np.ndarray, softenings: np.ndarray, extra: np.ndarray | None = None
    ) -> np.ndarray:
        columns = self.columns(centres, softenings)
        if not np.all(np.isfinite(columns)):
            return np.full_like(self.target, 1e3)
        design = self._centred(np.column_stack([columns, *([] if extra is None else [extra])]))
        norms = np.linalg.norm(design, axis=0)
        if np.any(norms <= 0):
            return np.full_like(self.target, 1e3)
        q = np.linalg.qr(design / norms)[0]
        return (self.target - q @ (q.T @ self.target)) / self.scale

    def residual(
        self, centres: np.ndarray, softenings: np.ndarray, extra: np.ndarray | None = None
    ) -> float:
        return float(np.sqrt(np.mean(self.vector(centres, softenings, extra) ** 2)))


def _grid(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Seed positions around the box (none inside: a point centre there is a pole)."""
    per_axis = 11 if low.size == 2 else 6
    span = high - low
    axes = [
        np.linspace(lo - _GRID_REACH * s, hi + _GRID_REACH * s, per_axis)
        for lo, hi, s in zip(low, high, span, strict=True)
    ]
    grid = np.array(list(itertools.product(*axes)))
    inside = np.all((grid >= low) & (grid <= high), axis=1)
    return grid[~inside]


def _distinct(grid: np.ndarray, scores: np.ndarray, span: np.ndarray) -> list[np.ndarray]:
    """The best :data:`_STARTS` grid points, no two neighbours on the grid."""
    step = (2 * _GRID_REACH + 1) * span / (11 if span.size == 2 else 6)
    picked: list[np.ndarray] = []
    for i in np.argsort(scores):
        if len(picked) == _STARTS:
            break
        if all(np.any(np.abs(grid[i] - p) > 1.5 * step) for p in picked):
            picked.append(grid[i])
    return picked


def _refine(
    projection: _Projection, centres: np.ndarray, softenings: np.ndarray, soften: bool
) -> tuple[np.ndarray, np.ndarray, float]:
    """All centres (and softenings, ``≥ 0``) together by least squares."""
    k, dims = centres.shape
    start = np.concatenate([centres.ravel(), softenings if soften else []])
    low = np.concatenate([np.full(k * dims, -np.inf), np.zeros(k if soften else 0)])

    def unpack(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x[: k * dims].reshape(k, dims), (x[k * dims :] if soften else softenings)

    try:
        fit = least_squares(
            lambda x: projection.vector(*unpack(x)),
            start,
            bounds=(low, np.inf),
            x_scale="jac",
            max_nfev=100 * start.size,
        )
        x = fit.x
    except (ValueError, np.linalg.LinAlgError):
        x = start
    best, soft = unpack(x)
    return best, soft, projection.residual(best, soft)


def _snap_zeros(
    projection: _Projection,
    centres: np.ndarray,
    softenings: np.ndarray,
    residual: float,
    floor: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Centre coordinates set to 0 where the residual allows (the others refitted)."""
    limit = max(_SNAP * residual, residual + 3.0 * floor) + 1e-12
    fixed = np.zeros(centres.shape, dtype=bool)
    order = np.argsort(np.abs(centres), axis=None)
    for flat in order:
        k, i = np.unravel_index(flat, centres.shape)
        if abs(centres[k, i]) > _NEAR * projection.span[i]:
            break  # the others are farther from 0 still
        trial = centres.copy()
        trial[k, i] = 0.0
        mask = fixed.copy()
        mask[k, i] = True
        refined, value = _refine_masked(projection, trial, softenings, mask)
        if value <= limit:
            centres, fixed = refined, mask
    return centres, softenings, fixed, projection.residual(centres, softenings)


def _refine_masked(
    projection: _Projection, centres: np.ndarray, softenings: np.ndarray, fixed: np.ndarray
) -> tuple[np.ndarray, float]:
    free = ~fixed.ravel()

    def vector(x: np.ndarray) -> np.ndarray:
        trial = centres.ravel().copy()
        trial[free] = x
        return projection.vector(trial.reshape(centres.shape), softenings)

    try:
        fit = least_squares(vector, centres.ravel()[free], x_scale="jac", max_nfev=50 * free.sum())
        flat = centres.ravel().copy()
        flat[free] = fit.x
    except (ValueError, np.linalg.LinAlgError):
        flat = centres.ravel()
    out = flat.reshape(centres.shape)
    return out, projection.residual(out, softenings)


def fit_centres(
    points: np.ndarray,
    mixed: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    kind: str = "inverse",
    max_centres: int = 2,
    floor: float = 0.0,
) -> list[CentreFit]:
    """Fit 1 … ``max_centres`` point centres to mixed derivatives (module docstring).

    Parameters
    ----------
    points : numpy.ndarray, shape ``(N, d)``
        The coordinates of the group (``d`` = 2 or 3).
    mixed : numpy.ndarray, shape ``(N, d(d−1)/2)``
        ``∂_i∂_j f`` at ``points``, pairs ``(i, j)`` with ``i < j`` in lexicographic order.
    low, high : numpy.ndarray, shape ``(d,)``
        The box of the group.
    kind : str
        One of :data:`KINDS`.
    max_centres : int
    floor : float
        Relative error of ``mixed`` itself (finite differences, the network's): a centre
        coordinate snaps to 0 where that costs at most 10 % of the residual or three
        times this floor.

    Returns
    -------
    list of CentreFit
        One per number of centres, in increasing order, while each lowers the residual
        of the one before by at least 1 % (:func:`preferred_fit` then asks for half).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(0.0, 1.0, (300, 2))
    >>> d = x - [2.0, -0.5]
    >>> mixed = (3 * d[:, 0] * d[:, 1] / np.sum(d**2, axis=1) ** 2.5)[:, None]
    >>> fit = fit_centres(x, mixed, np.zeros(2), np.ones(2), max_centres=1)[0]
    >>> np.round(fit.centres, 6).tolist(), fit.residual < 1e-9
    ([[2.0, -0.5]], True)
    """
    if kind not in KINDS:
        raise ValueError(f"unknown centre kind {kind!r}; expected one of {KINDS}")
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    projection = _Projection(points, mixed, kind)
    grid = _grid(low, high)
    out: list[CentreFit] = []
    held = np.zeros((0, points.shape[1]))
    for k in range(1, max_centres + 1):
        moves = projection.moves(held)
        scores = np.array(
            [projection.residual(np.vstack([held, g]), np.zeros(k), moves) for g in grid]
        )
        starts = [np.vstack([held, g]) for g in _distinct(grid, scores, high - low)]
        refined = [_refine(projection, s, np.zeros(k), soften=False) for s in starts]
        centres, softenings, residual = min(refined, key=lambda r: r[2])
        soft, soft_e, soft_residual = _refine(projection, centres, softenings, soften=True)
        if soft_residual * _EARN <= residual:
            centres, softenings, residual = soft, soft_e, soft_residual
        if out and not residual < 0.99 * out[-1].residual:
            break
        centres, softenings, fixed, residual = _snap_zeros(
            projection, centres, softenings, residual, floor
        )
        out.append(
            CentreFit(
                kind,
                tuple(tuple(map(float, c)) for c in centres),
                tuple(map(float, softenings)),
                tuple(tuple(map(bool, f)) for f in fixed),
                residual,
            )
        )
        held = centres
        if residual <= max(3.0 * floor, 1e-10):  # nothing left above the derivatives' error
            break
    return out


def preferred_fit(fits: Sequence[CentreFit]) -> CentreFit:
    """The fit to build on: per kind, one more centre only where it at least halves the
    residual; then the kind with the smallest residual.

    The mixed derivatives see the centres without the separable part of the network's
    error, so they decide how many there are; offering every count instead lets the
    selection take the fewest that imitate the target within the network's noise, and
    the polish then starts from a wrong number of centres.
    """
    if not fits:
        raise ValueError("no centre fit to choose from")
    chosen = []
    for kind in dict.fromkeys(f.kind for f in fits):
        ladder = sorted((f for f in fits if f.kind == kind), key=lambda f: f.n_centres)
        best = ladder[0]
        for fit in ladder[1:]:
            if fit.residual * _EARN <= best.residual:
                best = fit
        chosen.append(best)
    return min(chosen, key=lambda f: f.residual)


def credible(fit: CentreFit, points: np.ndarray, mixed: np.ndarray) -> bool:
    """Whether the centres explain the mixed derivatives at least twice as well as a
    generic smooth model with as many constants: per pair, a polynomial of the lowest
    degree whose coefficients are at least the fit's parameters (constants included).

    A network's derivatives carry its error smoothly; centres far from the box then bend
    to imitate it about as well as any smooth function does, and say nothing.
    """
    n_pairs, dims = mixed.shape[1], points.shape[1]
    needed = fit.n_parameters + n_pairs
    degree = 1
    while n_pairs * _monomial_count(dims, degree) < needed:
        degree += 1
    exponents = [e for e in itertools.product(range(degree + 1), repeat=dims) if sum(e) <= degree]
    centred = (points - points.mean(axis=0)) / np.maximum(np.ptp(points, axis=0), 1e-300)
    design = np.column_stack([np.prod(centred ** np.array(e), axis=1) for e in exponents])
    q = np.linalg.qr(design)[0]
    rest = mixed - q @ (q.T @ mixed)
    smooth = float(np.sqrt(np.mean(rest**2) / max(np.mean(mixed**2), 1e-300)))
    return fit.residual * _EARN <= smooth


def _monomial_count(dims: int, degree: int) -> int:
    return int(np.prod(range(degree + 1, degree + dims + 1)) // np.prod(range(1, dims + 1)))
