"""Polish: refit the chosen terms' constants on the data through the equations of motion.

The network chooses the *terms*; the data fix the *constants*. With
``L = Σ_k c_k φ_k`` the Euler–Lagrange residual ``Σ_k c_k (H_k q̈ − f_k)`` is linear in
``c`` (see :mod:`physym.distill.euler_lagrange`), so one least-squares solve on the
training samples, with one linear condition fixing the scale, gives the constants to the
data's precision rather than the network's. Each sample's rows are multiplied by the
inverse mass matrix of the unpolished ``L``, which turns force residuals into (linearised)
acceleration residuals. Nonlinear parameters (the Lorentz speed, the rates, offsets and
powers of the grammar's families, the inner constants of genetic-programming models) are
refined around their starting values by minimising the same residual, the coefficients
solved inside (variable projection). Among the Lagrangians the data cannot tell apart, the
prune keeps one whose mass matrix stays as definite as the starting one's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.optimize import least_squares, minimize_scalar

from physym.distill.euler_lagrange import TermDynamics
from physym.distill.library import LORENTZ_SPEED
from physym.distill.stlsq import independent_columns, normalise

__all__ = ["DEPENDENT", "Polisher", "ScaleFix", "polish_terms"]

#: Relative residual below which a term's equations count as a combination of earlier
#: ones: exact dependence (null Lagrangians, gauge duplicates) shows at round-off; a
#: looser bound would also drop a fitted form that smooth simpler terms only imitate.
DEPENDENT = 1e-10
#: The looser bound of a second try when the first solve went degenerate.
NEARLY_DEPENDENT = 1e-8
#: Drops the prune retries with the parameters refitted (each a short Gauss–Newton run).
PRUNE_REFITS = 4
#: Residual evaluations of one joint refinement at most (a Jacobian costs one per parameter).
MAX_EVALUATIONS = 200


@dataclass(frozen=True)
class ScaleFix:
    """The linear condition ``Σ_k a_k c_k = value`` that fixes the scale.

    ``kind="term"``: ``a_k = δ_{k,index}`` (one coefficient is set). ``kind="mass"``:
    ``a_k = ∂²φ_k/∂q̇_i²`` with ``i = index`` at ``state`` (the mass ``M_ii`` there is set).
    """

    kind: str
    value: float
    index: int = 0
    state: tuple[float, ...] = ()


class Polisher:
    """Linear least squares for the coefficients of fixed terms on ``(states, q̈)`` data."""

    def __init__(
        self,
        dynamics: TermDynamics,
        states: np.ndarray,
        accelerations: np.ndarray,
        scale: ScaleFix,
        params: Mapping[sp.Symbol, float],
        weights_from: np.ndarray,
    ):
        self.dynamics = dynamics
        self.states = states
        self.targets = accelerations
        self.scale = scale
        self.active = list(range(len(dynamics.terms)))
        self.params = dict(params)
        self._origin = {s: float(v) for s, v in params.items()}
        q_index = {s: i for i, s in enumerate(dynamics.q_symbols)}
        q_index |= {s: i for i, s in enumerate(dynamics.v_symbols)}
        self._coordinates = [
            frozenset(q_index[s] for s in t.free_symbols if s in q_index) for t in dynamics.terms
        ]
        self._square = [_square_velocity(t, dynamics.v_symbols) for t in dynamics.terms]
        self._weights_from = np.asarray(weights_from, dtype=np.float64)
        self.mass, self.force = self.dynamics.evaluate(self.states, self.params)
        self._weights = self._inverse_masses()
        self.refresh([])
        self.definite = self.definiteness(self._weights_from)

    def set_scale(self, scale: ScaleFix) -> None:
        """Use another scale condition from now on (e.g. after rescaling ``L``)."""
        self.scale = scale
        self.refresh([])

    def _inverse_masses(self) -> np.ndarray:
        total = np.einsum("k,bkij->bij", self._weights_from, self.mass)
        weights = np.zeros_like(total)
        good = np.isfinite(total).all(axis=(1, 2))
        good[good] &= np.linalg.cond(total[good]) < 1e10
        weights[good] = np.linalg.inv(total[good])
        return weights

    def refresh(self, symbols: list[sp.Symbol] | None = None) -> None:
        """Re-evaluate the columns after parameters changed (``symbols``; all if None)."""
        changed: list[int] | None = None
        if symbols is None:
            self.mass, self.force = self.dynamics.evaluate(self.states, self.params)
        elif symbols:
            changed = sorted({k for s in symbols for k in self.dynamics.terms_with(s)})
            if changed:
                mass, force = self.dynamics.evaluate(self.states, self.params, changed)
                self.mass[:, changed], self.force[:, changed] = mass, force
        elif hasattr(self, "design"):
            changed = []
        with np.errstate(all="ignore"):  # a term undefined somewhere: its column is 0 there
            if changed is None:  # every column: (batch, n, K), weighted by the inverse mass
                weighted = self._weights @ np.swapaxes(
                    self.dynamics.columns(self.mass, self.force, self.targets), 1, 2
                )
                self.design = _finite(weighted.reshape(-1, weighted.shape[-1]))
            elif changed:  # only the columns of terms whose parameters moved
                columns = self.dynamics.columns(
                    self.mass[:, changed], self.force[:, changed], self.targets
                )
                weighted = self._weights @ np.swapaxes(columns, 1, 2)
                self.design[:, changed] = _finite(weighted.reshape(-1, len(changed)))
        if self.scale.kind == "term":
            self.vector = np.eye(len(self.dynamics.terms))[self.scale.index]
        else:
            mass, _ = self.dynamics.evaluate(np.asarray(self.scale.state)[None, :], self.params)
            self.vector = mass[0, :, self.scale.index, self.scale.index]

    def drop_dependent(self, tolerance: float = DEPENDENT) -> None:
        """Deactivate null Lagrangians and terms whose equations repeat earlier ones.

        Dependence is tested on each term's ``(H_k, f_k)`` as functions of the state, not
        on the residual columns: those of the true terms are dependent by construction.
        ``tolerance``: relative residual of a term against the earlier ones below which it
        counts as dependent.
        """
        self.active = list(range(len(self.dynamics.terms)))
        pivot = int(np.argmax(np.abs(self.vector)))
        order = [pivot, *[k for k in self.active if k != pivot]]
        batch = self.mass.shape[0]
        stacked = np.concatenate(
            [self.mass.reshape(batch, len(self.vector), -1), self.force], axis=-1
        )
        stacked = _finite(np.moveaxis(stacked, 1, -1).reshape(-1, len(self.vector)))
        normalised = normalise(stacked[:, order])[0]
        self.active = sorted(order[i] for i in independent_columns(normalised, tolerance))

    def blocks(self) -> list[set[int]]:
        """Coordinates of the independent subsystems the active terms describe.

        ``L = L_1(q_1, q̇_1) + L_2(q_2, q̇_2)`` moves like ``L_1 + β L_2`` for every ``β``:
        the data fix no scale between blocks, so each block needs its own condition.
        """
        parent = list(range(self.dynamics.n_dof))

        def root(i: int) -> int:
            while parent[i] != i:
                i = parent[i]
            return i

        for k in self.active:
            coordinates = sorted(self._coordinates[k])
            for j in coordinates[1:]:
                parent[root(j)] = root(coordinates[0])
        groups: dict[int, set[int]] = {}
        for k in self.active:
            for i in self._coordinates[k]:
                groups.setdefault(root(i), set()).add(i)
        return list(groups.values())

    def _block_anchors(self, fixed: Mapping[int, float]) -> dict[int, float]:
        """For every block the scale condition does not reach: its simplest ``q̇_j² g(q)``
        term at ``±1/2`` (the sign the start had), the convention of the whole ``L``."""
        if self.dynamics.n_dof < 2:
            return {}
        reached = {k for k in self.active if self.vector[k] != 0} | set(fixed)
        anchors: dict[int, float] = {}
        for block in self.blocks():
            members = [k for k in self.active if self._coordinates[k] & block]
            if any(k in reached for k in members):
                continue
            kinetic = [k for k in members if self._square[k] is not None]
            if kinetic:
                k = kinetic[0]  # terms are ordered by complexity
                anchors[k] = 0.5 if self._weights_from[k] >= 0 else -0.5
        return anchors

    def solve(self, fixed: Mapping[int, float] | None = None) -> np.ndarray:
        """Coefficients (zeros for inactive terms) with ``fixed`` ones held at their values.

        Blocks of coordinates that no term couples to the scale condition get their own
        (:meth:`blocks`).
        """
        fixed = {k: float(v) for k, v in (fixed or {}).items()}
        fixed |= self._block_anchors(fixed)
        coefficients = np.zeros(len(self.dynamics.terms))
        for k, v in fixed.items():
            coefficients[k] = v
        unknown = [k for k in self.active if k not in fixed]
        if not unknown:
            return coefficients
        rhs = -self.design @ coefficients
        matrix = self.design[:, unknown]
        a = self.vector
        pivot = max(unknown, key=lambda k: abs(a[k]))
        if abs(a[pivot]) > 0:
            rest = [k for k in unknown if k != pivot]
            known = self.scale.value - a @ coefficients
            column = self.design[:, pivot]
            matrix = self.design[:, rest] - np.outer(column, a[rest] / a[pivot])
            rhs = rhs - column * known / a[pivot]
            unknown = rest
        if unknown:
            normalised, norms = normalise(matrix)
            try:
                coefficients[unknown] = np.linalg.lstsq(normalised, rhs, rcond=None)[0] / norms
            except np.linalg.LinAlgError:  # overflowing columns (a parameter gone too far)
                coefficients[unknown] = np.nan
        if abs(a[pivot]) > 0:
            coefficients[pivot] = (self.scale.value - a @ coefficients) / a[pivot]
        return coefficients

    def error(self, coefficients: np.ndarray) -> float:
        """Relative acceleration error ``‖q̈_L − q̈‖ / ‖q̈‖`` on the data."""
        predicted = self.dynamics.accelerations(self.mass, self.force, coefficients)
        if not np.all(np.isfinite(predicted)):
            return float("inf")
        return float(np.linalg.norm(predicted - self.targets) / np.linalg.norm(self.targets))

    def residual(self, coefficients: np.ndarray) -> float:
        """RMS of the weighted Euler–Lagrange residual."""
        return float(np.sqrt(np.mean((self.design @ coefficients) ** 2)))

    def definiteness(self, coefficients: np.ndarray) -> int:
        """+1 / −1 if ``Σ c_k H_k`` is positive / negative definite on (a subset of) the
        samples, 0 otherwise."""
        every = max(1, self.states.shape[0] // 200)
        total = np.einsum("k,bkij->bij", coefficients, self.mass[::every])
        if not np.all(np.isfinite(total)):
            return 0
        eigenvalues = np.linalg.eigvalsh(0.5 * (total + np.swapaxes(total, 1, 2)))
        size = max(float(np.max(np.abs(eigenvalues))), 1e-300)
        if np.all(eigenvalues > 1e-9 * size):
            return 1
        if np.all(eigenvalues < -1e-9 * size):
            return -1
        return 0

    def _objective(self, symbol: sp.Symbol, value: float) -> float:
        self.params[symbol] = float(value)
        self.refresh([symbol])
        residual = self.residual(self.solve())
        return residual if np.isfinite(residual) else 1e300

    def refine_params(
        self, fastest: float, span: float = 4.0, points: int = 25, rounds: int = 1
    ) -> None:
        """Refine the nonlinear parameters, one at a time, ``rounds`` times round, then
        all together (:meth:`refine_jointly`).

        The Lorentz speed is searched over ``[c/span, span·c]`` (above ``fastest``): the
        network's target can put its start tens of per cent off (the Lorentz speed of a
        network with 0.6 % acceleration error started 24 % high), so a log-spaced grid
        finds the basin and a bounded search between the grid neighbours of its best
        point finishes. Every other parameter was fitted on a target already and is
        searched near its value (see :meth:`_bounds`).
        """
        for round_ in range(rounds):
            for symbol in self._active_params():
                start = float(self.params[symbol])
                if symbol == LORENTZ_SPEED:
                    if round_ == 0:
                        self._refine_speed(symbol, start, fastest, span, points)
                    continue
                before = self._objective(symbol, start)
                best = minimize_scalar(
                    lambda x, s=symbol: self._objective(s, x),
                    bounds=self._bounds(symbol, fastest),
                    method="bounded",
                    options={"xatol": 1e-14 * max(abs(start), 1.0)},
                )
                self._objective(symbol, best.x if best.fun <= before else start)
        self.refine_jointly(fastest)

    def refine_jointly(self, fastest: float, evaluations: int = 60) -> None:
        """All parameters at once by Gauss–Newton on the projected residual vector.

        One-at-a-time searches crawl where parameters are coupled (three exponential
        rates of a lattice, say) and leave errors of 1e-7 that spurious terms then absorb;
        least squares on the residual vector converges to round-off in a few steps.
        """
        symbols = self._active_params()
        if not symbols:
            return
        start = np.array([float(self.params[s]) for s in symbols])
        low, high = np.transpose([self._bounds(s, fastest) for s in symbols])
        start = np.clip(start, low, high)

        def residuals(values: np.ndarray) -> np.ndarray:
            for symbol, value in zip(symbols, values, strict=True):
                self.params[symbol] = float(value)
            self.refresh(symbols)
            vector = self.design @ self.solve()
            return vector if np.all(np.isfinite(vector)) else np.full_like(vector, 1e150)

        before = float(np.linalg.norm(residuals(start)))
        best = start
        try:
            fit = least_squares(
                residuals,
                start,
                bounds=(low, high),
                method="trf",
                x_scale="jac",
                xtol=1e-15,
                ftol=1e-15,
                gtol=1e-15,
                max_nfev=min(evaluations * len(symbols), MAX_EVALUATIONS),
            )
            if np.all(np.isfinite(fit.x)) and np.linalg.norm(fit.fun) < before:
                best = fit.x
        except (ValueError, np.linalg.LinAlgError):
            pass
        residuals(best)

    def _bounds(self, symbol: sp.Symbol, fastest: float) -> tuple[float, float]:
        """Where a parameter may move: the Lorentz speed above ``fastest``; any other
        within half (plus 0.05) of the value it came with, which a fit to the network's
        target gave (tens of per cent off for a trained network). Not further: on noisy
        data the parameters would wander off to fit the noise."""
        if symbol == LORENTZ_SPEED:
            return fastest * (1 + 1e-9), np.inf
        origin = self._origin.get(symbol, float(self.params[symbol]))
        width = 0.5 * abs(origin) + 0.05
        return origin - width, origin + width

    def _refine_speed(
        self, symbol: sp.Symbol, start: float, fastest: float, span: float, points: int
    ) -> None:
        def objective(log_value: float) -> float:
            return self._objective(symbol, float(np.exp(log_value)))

        low = np.log(max(start / span, fastest * (1 + 1e-9)))
        high = max(np.log(start * span), low + 1e-6)
        grid = np.linspace(low, high, points)
        values = [objective(x) for x in grid]
        k = int(np.argmin(values))
        bounds = (grid[max(k - 1, 0)], grid[min(k + 1, points - 1)])
        best = minimize_scalar(objective, bounds=bounds, method="bounded", options={"xatol": 1e-13})
        objective(best.x if best.fun <= values[k] else grid[k])

    def prune(
        self, coefficients: np.ndarray, slack: float, absolute: float, fastest: float | None = None
    ) -> np.ndarray:
        """Drop terms while the error stays within slack: velocity-dependent terms first,
        each group smallest contribution first.

        The order only matters where the data cannot tell Lagrangians apart: coupled linear
        oscillators, say, have a family of inequivalent Lagrangians with the same motion
        (``M⁻¹K`` fixed, ``M`` not). Trying the velocity terms first picks the member with
        the simplest kinetic energy, the physicist's convention, e.g. a diagonal mass matrix
        with the coupling in the potential. A drop that would leave the mass matrix
        indefinite where the starting one was definite is refused (constant accelerations,
        say, are also explained by ``ẋ²/2 + ẋẏ/18 + c·y``, whose mass matrix no physicist
        writes). With nonlinear parameters (and ``fastest`` given), a drop that misses the
        limit narrowly is tried again with the parameters refitted: spurious terms can hide
        a parameter that is slightly off.
        """
        limit = self.error(coefficients) * (1 + slack) + absolute
        refits = PRUNE_REFITS
        sizes = np.abs(coefficients) * np.linalg.norm(self.design, axis=0)
        velocities = set(self.dynamics.v_symbols)
        static = [not (term.free_symbols & velocities) for term in self.dynamics.terms]
        # Terms the fit already gave nothing go first, all at once: while they are active
        # they may couple coordinates that are otherwise independent blocks.
        idle = [
            k
            for k in self.active
            if sizes[k] <= 1e-9 * max(float(np.max(sizes)), 1e-300)
            and any(self.vector[j] != 0 for j in self.active if j != k)
        ]
        if idle:
            kept = list(self.active)
            self.active = [k for k in self.active if k not in idle]
            trial = self.solve()
            if self.error(trial) <= limit and (
                not self.definite or self.definiteness(trial) == self.definite
            ):
                coefficients = trial
            else:
                self.active = kept
        offered = [w == 0 for w in self._weights_from]  # alternatives' terms, not the choice
        for k in sorted(self.active, key=lambda k: (static[k], not offered[k], sizes[k])):
            if not any(self.vector[j] != 0 for j in self.active if j != k):
                continue  # the scale condition needs one of the remaining terms
            self.active.remove(k)
            trial = self.solve()
            error = self.error(trial)
            if (
                error > limit
                and fastest is not None
                and error <= max(100 * limit, 1e-8)
                and refits > 0
                and self._active_params()
            ):
                refits -= 1
                saved = dict(self.params)
                self.refine_jointly(fastest, evaluations=15)
                trial = self.solve()
                error = self.error(trial)
                if error > limit:
                    self.params.update(saved)
                    self.refresh(list(saved))
            keeps_sign = static[k] or not self.definite or self.definiteness(trial) == self.definite
            if error <= limit and keeps_sign:
                coefficients = trial
            else:
                self.active = sorted([*self.active, k])
        return self.solve()

    def _active_params(self) -> list[sp.Symbol]:
        return [
            s for s in self.params if any(k in self.active for k in self.dynamics.terms_with(s))
        ]


def _finite(values: np.ndarray) -> np.ndarray:
    """Non-finite entries (a term undefined or overflowing at a sample) as 0: the column
    then says nothing there, and the error of a Lagrangian using it is judged apart."""
    return np.where(np.isfinite(values), values, 0.0)


def _square_velocity(term: sp.Expr, velocities: tuple[sp.Symbol, ...]) -> int | None:
    """``j`` if ``term`` is ``q̇_j² g(q)``, else ``None``."""
    for j, v in enumerate(velocities):
        rest = sp.cancel(term / v**2)
        if rest != 0 and not rest.free_symbols & set(velocities):
            return j
    return None


def polish_terms(polisher: Polisher, fastest: float, slack: float, absolute: float) -> np.ndarray:
    """Full polish: drop dependent terms, refine parameters, solve, prune; coefficients.

    Only exactly dependent terms are dropped at first. If the solve then fits the data
    worse than the start did, nearly dependent terms have let the least squares escape to
    a degenerate Lagrangian (a block of the mass matrix shrunk towards zero makes its force
    residuals small, not its accelerations), and the polish starts again without them.
    """
    start = polisher.error(polisher._weights_from)
    polisher.drop_dependent()
    if polisher.params:
        polisher.refine_params(fastest)
    solved = polisher.solve()
    if not polisher.error(solved) <= max(start, absolute):
        polisher.params.update(polisher._origin)
        polisher.refresh(list(polisher.params))
        polisher.drop_dependent(NEARLY_DEPENDENT)
        if polisher.params:
            polisher.refine_params(fastest)
        solved = polisher.solve()
    pruned = polisher.prune(solved, slack, absolute, fastest)
    remaining = [s for s in polisher._active_params() if s != LORENTZ_SPEED]
    if remaining:  # the parameters once more, without the terms that could absorb them
        polisher.refine_params(fastest)
        pruned = polisher.solve()
    return pruned
