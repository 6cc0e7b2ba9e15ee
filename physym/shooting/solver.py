"""Levenberg–Marquardt for multiple shooting, with the window states eliminated blockwise.

The normal matrix of multiple shooting is an arrow: one ``2n×2n`` block ``U_w = A_wᵀA_w``
per window, coupled only through the shared constants (``W_w = A_wᵀB_w``,
``V = Σ_w B_wᵀB_w``). The Schur complement ``S = V − Σ_w W_wᵀ U_w⁻¹ W_w`` is a small
``P×P`` matrix, so a step costs ``O(B·n³ + P³)`` however many windows there are, and at
``λ = 0`` its inverse is the Gauss–Newton covariance of the constants with the window
states profiled out. Damping is Marquardt's (``λ·diag``), updated by Nielsen's rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from physym.shooting.parameters import ShootingError
from physym.shooting.problem import Evaluation, ShootingProblem

__all__ = ["SolverOutcome", "levenberg_marquardt", "shared_shift"]

_RIDGE = 1e-14  # relative floor on the damped diagonals: keeps a flat direction solvable


@dataclass(frozen=True)
class SolverOutcome:
    """Where Levenberg–Marquardt stopped.

    Attributes
    ----------
    initial : numpy.ndarray, shape ``(B, 2n)``
    theta : numpy.ndarray, shape ``(P,)``
    evaluation : Evaluation
        At the solution, with the Jacobian.
    schur : numpy.ndarray, shape ``(P, P)``
        ``S`` at ``λ = 0``: ``S⁻¹`` is the covariance of ``θ`` in units of ``σ²``.
    iterations : int
    converged : bool
    """

    initial: np.ndarray
    theta: np.ndarray
    evaluation: Evaluation
    schur: np.ndarray
    iterations: int
    converged: bool

    @property
    def cost(self) -> float:
        return self.evaluation.cost


class _NormalEquations:
    def __init__(self, evaluation: Evaluation):
        a, b, r = evaluation.initial_block, evaluation.shared_block, evaluation.residuals
        assert a is not None and b is not None
        self.a, self.b = a, b
        self.u = np.einsum("bmi,bmj->bij", a, a)
        self.w = np.einsum("bmi,bmp->bip", a, b)
        self.v = np.einsum("bmp,bmq->pq", b, b)
        self.gs = np.einsum("bmi,bm->bi", a, r)
        self.gt = np.einsum("bmp,bm->p", b, r)

    def step(self, damping: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(δx₀, δθ, S)`` of the damped normal equations."""
        u = _damped(self.u, damping)
        v = _damped(self.v[None], damping)[0]
        y_shared = np.linalg.solve(u, self.w)
        y_own = np.linalg.solve(u, self.gs[..., None])[..., 0]
        schur = v - np.einsum("bip,biq->pq", self.w, y_shared)
        rhs = -self.gt + np.einsum("bip,bi->p", self.w, y_own)
        delta_theta = np.linalg.solve(schur, rhs) if len(rhs) else rhs
        delta_initial = -(y_own + np.einsum("bip,p->bi", y_shared, delta_theta))
        return delta_initial, delta_theta, schur

    def model_decrease(
        self, delta_initial: np.ndarray, delta_theta: np.ndarray, residuals: np.ndarray
    ) -> float:
        """``‖r‖² − ‖r + Jδ‖²`` of the linear model."""
        change = np.einsum("bmi,bi->bm", self.a, delta_initial) + self.b @ delta_theta
        return float(-np.sum(change * (2 * residuals + change)))


def _damped(blocks: np.ndarray, damping: float) -> np.ndarray:
    if blocks.shape[1] == 0:
        return blocks
    diagonal = np.einsum("bii->bi", blocks)
    floor = _RIDGE * np.maximum(diagonal.max(axis=1, keepdims=True), 1e-300)
    out = blocks.copy()
    index = np.arange(blocks.shape[1])
    out[:, index, index] += damping * diagonal + floor
    return out


def shared_shift(evaluation: Evaluation, change: np.ndarray) -> np.ndarray:
    """How far the Gauss–Newton solution of ``θ`` moves if the residuals change by
    ``change`` ``(B, m)`` (window states re-fitted too): ``δθ`` of shape ``(P,)``."""
    shifted = Evaluation(
        change, evaluation.states, evaluation.initial_block, evaluation.shared_block
    )
    return _NormalEquations(shifted).step(0.0)[1]


def levenberg_marquardt(
    problem: ShootingProblem,
    initial: np.ndarray,
    theta: np.ndarray,
    *,
    max_iterations: int = 50,
    tolerance: float = 1e-3,
    on_iteration: Callable[[int, float], None] | None = None,
) -> SolverOutcome:
    """Minimise ``χ²`` over every window's initial state and the shared ``θ``.

    Converged when the Gauss–Newton step is shorter than ``tolerance`` standard errors
    (its Mahalanobis length ``√(δᵀJᵀJδ / s²)``, ``s² = max(χ²/dof, 1)``) or ``χ²`` stops
    decreasing (relative change below ``1e-12``).

    Raises
    ------
    ShootingError
        If the starting point already gives diverging or singular trajectories.
    """
    evaluation = problem.evaluate(initial, theta, jacobian=True)
    if not np.isfinite(evaluation.cost):
        bad = np.flatnonzero(~np.isfinite(evaluation.residuals).all(axis=1))
        raise ShootingError(
            f"the starting constants give non-finite trajectories in {len(bad)} "
            f"of {len(initial)} windows (first: trajectory "
            f"{problem.layout.trajectory[bad[0]]}); check the terms and "
            "their coefficients"
        )
    damping, factor = 1e-3, 2.0
    normal = _NormalEquations(evaluation)
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        # A fit closer than the stated noise (exact data) is judged against the noise:
        # steps far below the data's precision are not worth the round-off chase.
        scale2 = max(evaluation.cost / max(problem.dof, 1), 1.0)
        gn_initial, gn_theta, _ = normal.step(0.0)
        if (
            normal.model_decrease(gn_initial, gn_theta, evaluation.residuals)
            <= tolerance**2 * scale2
        ):
            converged = True
            break
        delta_initial, delta_theta, _ = normal.step(damping)
        predicted = normal.model_decrease(delta_initial, delta_theta, evaluation.residuals)
        trial = problem.evaluate(initial + delta_initial, theta + delta_theta)
        gain = (evaluation.cost - trial.cost) / predicted if predicted > 0 else -1.0
        if np.isfinite(trial.cost) and gain > 0:
            old = evaluation.cost
            initial, theta = initial + delta_initial, theta + delta_theta
            evaluation = problem.evaluate(initial, theta, jacobian=True)
            normal = _NormalEquations(evaluation)
            damping *= max(1 / 3, 1 - (2 * gain - 1) ** 3)
            factor = 2.0
            if old - evaluation.cost <= 1e-12 * old:
                converged = True
                break
        else:
            damping *= factor
            factor *= 2
            if damping > 1e16:
                break
        if on_iteration is not None:
            on_iteration(iterations, evaluation.cost)
    schur = normal.step(0.0)[2]
    return SolverOutcome(initial, theta, evaluation, schur, iterations, converged)
