"""Which coordinates a target depends on, and how they enter it (AI-Feynman-style probes).

Every target ``f(q)`` (an entry of ``M``, a component of curl ``A``, ``V``) is probed
through the network at a few dozen points of the box with central differences:

* ``f`` depends on ``q_i`` when ``rms(∂_i f)·span_i`` is a noticeable share of its scale;
* ``q_i`` and ``q_j`` *interact* (``f`` is not ``g(q_i) + h(q_j) + …``) when the mixed
  derivative ``∂_i∂_j f`` is noticeable;
* an interaction goes *through the difference* ``u = q_i − q_j`` when ``∂_i∂_j f`` does not
  change along ``(1, 1)`` (it is then ``−g''(u)``), through the sum when it does not change
  along ``(1, −1)``, and is *joint* (products, or anything else) otherwise;
* a group of non-periodic coordinates enters *radially* (through ``Σ q²`` only) when the
  rotation generators ``q_i ∂_j f − q_j ∂_i f`` vanish.

The answers restrict and order the forms searched (:mod:`physym.distill.grammar`); a
wrong answer only costs a level of the search, never the verdict, which the data give.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from physym.distill.space import StateSpace

__all__ = ["Structure", "analyse_structure", "full_structure"]

#: Share of the target's scale above which a dependence or an interaction counts.
DEPENDENCE = 1e-2
#: Relative size of the derivative along the invariant direction below which an
#: interaction counts as one through ``q_i ∓ q_j``, or a group as radial.
INVARIANCE = 5e-2
_STEP = 1e-2  # finite-difference step, share of each coordinate's span
_OUTER = 4.0  # the step of the third derivative, in inner steps


@dataclass(frozen=True)
class Structure:
    """How a target depends on the coordinates.

    Attributes
    ----------
    variables : tuple of int
        Coordinates the target depends on.
    pairs : mapping of (i, j) to str
        Interacting pairs (``i < j``): ``"difference"``, ``"sum"`` or ``"joint"``.
    radial : tuple of int
        Non-periodic coordinates (two or more) that enter through ``Σ w_i q_i²`` only.
    weights : tuple of float
        The ``w_i`` of ``radial`` (the first is 1; all 1 for a round radius).
    measured : dict
        The probe values behind each answer (for the record).
    """

    variables: tuple[int, ...]
    pairs: Mapping[tuple[int, int], str]
    radial: tuple[int, ...] = ()
    weights: tuple[float, ...] = ()
    measured: dict = field(default_factory=dict)


def full_structure(space: StateSpace) -> Structure:
    """No knowledge: every coordinate, every pair jointly."""
    n = space.n_dof
    return Structure(tuple(range(n)), dict.fromkeys(itertools.combinations(range(n), 2), "joint"))


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(values))))


class _Differences:
    """Central differences of ``function`` at base points, with one batched call per use."""

    def __init__(
        self, function: Callable[[np.ndarray], np.ndarray], points: np.ndarray, steps: np.ndarray
    ):
        self.function, self.points, self.steps = function, points, steps

    def values(self, shifts: list[np.ndarray]) -> list[np.ndarray]:
        batch = np.concatenate([self.points + s for s in shifts])
        out = np.asarray(self.function(batch), dtype=np.float64)
        return np.split(out, len(shifts))

    def unit(self, i: int, size: float = 1.0) -> np.ndarray:
        shift = np.zeros(self.points.shape[1])
        shift[i] = size * self.steps[i]
        return shift

    def gradient(self) -> np.ndarray:
        n = self.points.shape[1]
        shifts = [s * self.unit(i) for i in range(n) for s in (1.0, -1.0)]
        values = self.values(shifts)
        return np.stack(
            [(values[2 * i] - values[2 * i + 1]) / (2 * self.steps[i]) for i in range(n)], axis=1
        )

    def mixed(self, i: int, j: int, offset: np.ndarray | None = None) -> np.ndarray:
        """``∂_i∂_j f`` at the base points (shifted by ``offset``)."""
        base = np.zeros(self.points.shape[1]) if offset is None else offset
        a, b = self.unit(i), self.unit(j)
        pp, pm, mp, mm = self.values([base + a + b, base + a - b, base - a + b, base - a - b])
        return (pp - pm - mp + mm) / (4 * self.steps[i] * self.steps[j])


def analyse_structure(
    function: Callable[[np.ndarray], np.ndarray],
    space: StateSpace,
    scale: float,
    rng: np.random.Generator,
    *,
    n_points: int = 48,
    noise: float = 0.0,
) -> Structure:
    """Probe ``function`` ``(batch, n) -> (batch,)`` (see the module docstring).

    Parameters
    ----------
    function : callable
        The target as a function of the coordinates.
    space : StateSpace
    scale : float
        The target's natural size.
    rng : numpy.random.Generator
    n_points : int
        Base points of the probes.
    noise : float
        The network's relative inconsistency; the dependence threshold is at least 10× it.

    Examples
    --------
    >>> import numpy as np
    >>> space = StateSpace(("a", "b", "c"), (False,) * 3, -np.ones(6), np.ones(6))
    >>> f = lambda q: np.exp(q[:, 0] - q[:, 1]) + q[:, 2] ** 2
    >>> s = analyse_structure(f, space, 1.0, np.random.default_rng(0))
    >>> s.variables, dict(s.pairs)
    ((0, 1, 2), {(0, 1): 'difference'})
    """
    n = space.n_dof
    low, high = space.low[:n], space.high[:n]
    span = high - low
    points = rng.uniform(low + 0.1 * span, high - 0.1 * span, size=(n_points, n))
    probes = _Differences(function, points, _STEP * span)
    threshold = max(DEPENDENCE, 10.0 * noise)
    scale = max(float(scale), 1e-300)
    gradient = probes.gradient()
    dependence = [_rms(gradient[:, i]) * span[i] / scale for i in range(n)]
    variables = tuple(i for i in range(n) if dependence[i] > threshold)
    measured: dict = {"dependence": dependence, "threshold": threshold, "pairs": {}}
    pairs: dict[tuple[int, int], str] = {}
    for i, j in itertools.combinations(variables, 2):
        mixed = probes.mixed(i, j)
        strength = _rms(mixed) * span[i] * span[j] / scale
        if strength <= threshold:
            continue
        pairs[(i, j)] = _interaction_kind(probes, i, j)
        measured["pairs"][f"{i},{j}"] = strength
    radial, weights = _radial_group(space, variables, pairs, points, gradient)
    return Structure(variables, pairs, radial, weights, measured)


def _interaction_kind(probes: _Differences, i: int, j: int) -> str:
    """``"difference"``, ``"sum"`` or ``"joint"`` from how ``∂_i∂_j f`` changes."""
    step = _OUTER * min(probes.steps[i], probes.steps[j])
    along = np.zeros(probes.points.shape[1])
    along[i], along[j] = step, step
    across = along.copy()
    across[j] = -step
    plus = probes.mixed(i, j, along) - probes.mixed(i, j, -along)
    minus = probes.mixed(i, j, across) - probes.mixed(i, j, -across)
    size = max(_rms(plus), _rms(minus))
    if size <= 1e-12 * _rms(probes.mixed(i, j)):  # a constant interaction: polynomial
        return "joint"
    if _rms(plus) <= INVARIANCE * size:
        return "difference"
    if _rms(minus) <= INVARIANCE * size:
        return "sum"
    return "joint"


def _radial_group(
    space: StateSpace,
    variables: tuple[int, ...],
    pairs: Mapping[tuple[int, int], str],
    points: np.ndarray,
    gradient: np.ndarray,
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Non-periodic coordinates joined by joint interactions that enter through an
    ellipsoidal radius ``Σ w_i q_i²`` (``w_0 = 1``), and the weights; ``((), ())`` if not.

    For ``f = F(Σ w_i q_i²)``, ``q_0 ∂_j f / (q_j ∂_0 f) = w_j`` at every point: the weight
    is the median of that ratio, and the group counts when the generalised rotations
    ``w_j q_j ∂_0 f − q_0 ∂_j f`` vanish. Weights within 1 % of 1 are taken as 1.
    """
    group = sorted(
        {
            k
            for (i, j), kind in pairs.items()
            if kind == "joint"
            for k in (i, j)
            if not space.periodic[k]
        }
    )
    group = [k for k in group if k in variables]
    if len(group) < 2:
        return (), ()
    first = group[0]
    weights = [1.0]
    for j in group[1:]:
        denominator = points[:, j] * gradient[:, first]
        usable = np.abs(denominator) > 1e-3 * max(float(np.max(np.abs(denominator))), 1e-300)
        if usable.sum() < 5:
            return (), ()
        ratio = points[usable, first] * gradient[usable, j] / denominator[usable]
        weight = float(np.median(ratio))
        if not weight > 0:
            return (), ()
        weights.append(1.0 if abs(weight - 1) <= 1e-2 else weight)
    scaled = points[:, group] * np.sqrt(weights)
    size = _rms(np.linalg.norm(scaled, axis=1) * np.linalg.norm(gradient[:, group], axis=1))
    for a, j in enumerate(group[1:], start=1):
        rotation = (
            weights[a] * points[:, j] * gradient[:, first] - points[:, first] * gradient[:, j]
        )
        if _rms(rotation) > INVARIANCE * size:
            return (), ()
    return tuple(group), tuple(weights)
