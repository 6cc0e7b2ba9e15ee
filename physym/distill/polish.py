"""Polish: refit the chosen terms' constants on the data through the equations of motion.

The network chooses the *terms*; the data fix the *constants*. With
``L = Σ_k c_k φ_k`` the Euler–Lagrange residual ``Σ_k c_k (H_k q̈ − f_k)`` is linear in
``c`` (see :mod:`physym.distill.euler_lagrange`), so one least-squares solve on the
training samples, with one linear condition fixing the scale, gives the constants to the
data's precision rather than the network's. Each sample's rows are multiplied by the
inverse mass matrix of the unpolished ``L``, which turns force residuals into (linearised)
acceleration residuals. Nonlinear parameters (the Lorentz speed) are refined around their
starting values by minimising the same residual (variable projection).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.optimize import minimize_scalar

from physym.distill.euler_lagrange import TermDynamics
from physym.distill.stlsq import independent_columns, normalise

__all__ = ["Polisher", "ScaleFix", "polish_terms"]


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

    def __init__(self, dynamics: TermDynamics, states: np.ndarray, accelerations: np.ndarray,
                 scale: ScaleFix, params: Mapping[sp.Symbol, float], weights_from: np.ndarray):
        self.dynamics = dynamics
        self.states = states
        self.targets = accelerations
        self.scale = scale
        self.active = list(range(len(dynamics.terms)))
        self.params = dict(params)
        self._weights_from = np.asarray(weights_from, dtype=np.float64)
        self.refresh()

    def set_scale(self, scale: ScaleFix) -> None:
        """Use another scale condition from now on (e.g. after rescaling ``L``)."""
        self.scale = scale
        self.refresh()

    def refresh(self) -> None:
        """Re-evaluate the columns (after a parameter changed)."""
        self.mass, self.force = self.dynamics.evaluate(self.states, self.params)
        total = np.einsum("k,bkij->bij", self._weights_from, self.mass)
        weights = np.zeros_like(total)
        good = np.isfinite(total).all(axis=(1, 2))
        good[good] &= np.linalg.cond(total[good]) < 1e10
        weights[good] = np.linalg.inv(total[good])
        columns = np.einsum("bij,bkj->bik", weights, self.dynamics.columns(
            self.mass, self.force, self.targets))
        self.design = np.nan_to_num(columns.reshape(-1, columns.shape[-1]))
        if self.scale.kind == "term":
            self.vector = np.eye(len(self.dynamics.terms))[self.scale.index]
        else:
            mass, _ = self.dynamics.evaluate(np.asarray(self.scale.state)[None, :], self.params)
            self.vector = mass[0, :, self.scale.index, self.scale.index]

    def drop_dependent(self) -> None:
        """Deactivate null Lagrangians and terms whose equations repeat earlier ones.

        Dependence is tested on each term's ``(H_k, f_k)`` as functions of the state, not
        on the residual columns: those of the true terms are dependent by construction.
        """
        pivot = int(np.argmax(np.abs(self.vector)))
        order = [pivot, *[k for k in self.active if k != pivot]]
        batch = self.mass.shape[0]
        stacked = np.concatenate([self.mass.reshape(batch, len(self.vector), -1),
                                  self.force], axis=-1)
        stacked = np.nan_to_num(np.moveaxis(stacked, 1, -1).reshape(-1, len(self.vector)))
        normalised = normalise(stacked[:, order])[0]
        self.active = sorted(order[i] for i in independent_columns(normalised, 1e-8))

    def solve(self, fixed: Mapping[int, float] | None = None) -> np.ndarray:
        """Coefficients (zeros for inactive terms) with ``fixed`` ones held at their values."""
        fixed = {k: float(v) for k, v in (fixed or {}).items()}
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
            coefficients[unknown] = np.linalg.lstsq(normalised, rhs, rcond=None)[0] / norms
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

    def refine_params(self, fastest: float, span: float = 4.0, points: int = 25) -> None:
        """Refine each nonlinear parameter over ``[p/span, span·p]`` (speeds above ``fastest``).

        The starting value comes from the network's target, whose error can put it tens of
        per cent off (the Lorentz speed of a network with 0.6 % acceleration error started
        24 % high): a log-spaced grid finds the basin, a bounded search between the grid
        neighbours of its best point finishes.
        """
        for symbol, start in list(self.params.items()):
            def objective(log_value: float, symbol: sp.Symbol = symbol) -> float:
                self.params[symbol] = float(np.exp(log_value))
                self.refresh()
                value = self.residual(self.solve())
                return value if np.isfinite(value) else 1e300

            low = np.log(max(start / span, fastest * (1 + 1e-9)))
            high = max(np.log(start * span), low + 1e-6)
            grid = np.linspace(low, high, points)
            values = [objective(x) for x in grid]
            k = int(np.argmin(values))
            bounds = (grid[max(k - 1, 0)], grid[min(k + 1, points - 1)])
            best = minimize_scalar(objective, bounds=bounds, method="bounded",
                                   options={"xatol": 1e-13})
            self.params[symbol] = float(np.exp(best.x if best.fun <= values[k] else grid[k]))
            self.refresh()

    def prune(self, coefficients: np.ndarray, slack: float, absolute: float) -> np.ndarray:
        """Drop terms while the error stays within slack: velocity-dependent terms first,
        each group smallest contribution first.

        The order only matters where the data cannot tell Lagrangians apart: coupled linear
        oscillators, say, have a family of inequivalent Lagrangians with the same motion
        (``M⁻¹K`` fixed, ``M`` not). Trying the velocity terms first picks the member with
        the simplest kinetic energy, the physicist's convention, e.g. a diagonal mass matrix
        with the coupling in the potential.
        """
        limit = self.error(coefficients) * (1 + slack) + absolute
        sizes = np.abs(coefficients) * np.linalg.norm(self.design, axis=0)
        velocities = set(self.dynamics.v_symbols)
        static = [not (term.free_symbols & velocities) for term in self.dynamics.terms]
        for k in sorted(self.active, key=lambda k: (static[k], sizes[k])):
            if not any(self.vector[j] != 0 for j in self.active if j != k):
                continue  # the scale condition needs one of the remaining terms
            self.active.remove(k)
            trial = self.solve()
            if self.error(trial) <= limit:
                coefficients = trial
            else:
                self.active = sorted([*self.active, k])
        return self.solve()


def polish_terms(polisher: Polisher, fastest: float, slack: float, absolute: float
                 ) -> np.ndarray:
    """Full polish: drop dependent terms, refine parameters, solve, prune; coefficients."""
    polisher.drop_dependent()
    if polisher.params:
        polisher.refine_params(fastest)
    return polisher.prune(polisher.solve(), slack, absolute)

