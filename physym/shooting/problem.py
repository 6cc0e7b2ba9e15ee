"""The weighted least-squares problem of one window layout: residuals and their Jacobian.

Residual ``(q_model − q_measured)/σ_j`` at every sample of every window; the Jacobian
comes in the two blocks of multiple shooting, ``A_w = ∂r_w/∂x₀_w`` (each window's own
initial state) and ``B_w = ∂r_w/∂θ`` (the shared constants).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physym.shooting.equations import ShootingEquations
from physym.shooting.integrator import rollout
from physym.shooting.parameters import Parametrisation
from physym.shooting.windows import ShootingData, WindowLayout

__all__ = ["Evaluation", "ShootingProblem"]


@dataclass(frozen=True)
class Evaluation:
    """Residuals (and Jacobian blocks) at one point ``(x₀, θ)``.

    Attributes
    ----------
    residuals : numpy.ndarray, shape ``(B, m)``
        Weighted, zero on padding; ``m = (S + 1)·n``.
    states : numpy.ndarray, shape ``(B, S + 1, 2n)``
        The integrated states (bridges included).
    initial_block : numpy.ndarray, shape ``(B, m, 2n)``, optional
    shared_block : numpy.ndarray, shape ``(B, m, P)``, optional
    """

    residuals: np.ndarray
    states: np.ndarray
    initial_block: np.ndarray | None = None
    shared_block: np.ndarray | None = None

    @property
    def cost(self) -> float:
        """``χ² = Σ r²`` (``inf`` if a trajectory diverged)."""
        with np.errstate(over="ignore"):  # a diverging trajectory: cost inf, rejected
            value = float(np.sum(self.residuals**2))
        return value if np.isfinite(value) else float("inf")


class ShootingProblem:
    """Windows of measured positions matched by the equations of ``L = Σ c_k φ_k``.

    Parameters
    ----------
    equations : ShootingEquations
    data : ShootingData
    layout : WindowLayout
    parametrisation : Parametrisation
    start_params : numpy.ndarray
        Values of the nonlinear parameters (used as they are when not fitted).
    substeps : int
        RK4 steps per sample interval.
    """

    def __init__(
        self,
        equations: ShootingEquations,
        data: ShootingData,
        layout: WindowLayout,
        parametrisation: Parametrisation,
        start_params: np.ndarray,
        substeps: int,
    ):
        self.equations = equations
        self.layout = layout
        self.parametrisation = parametrisation
        self.start_params = np.asarray(start_params, dtype=np.float64)
        self.substeps = int(substeps)
        rows, mask = layout.rows()
        self.rows = rows
        self.mask = mask
        self.targets = data.q[rows]
        self.steps = np.diff(data.t[rows], axis=1)
        self.weights = 1.0 / data.noise
        self.n_residuals = int(mask.sum()) * data.n_dof

    @property
    def n_parameters(self) -> int:
        """Free parameters: every window's initial state and ``θ``."""
        return len(self.layout) * 2 * self.equations.n_dof + self.parametrisation.size

    @property
    def dof(self) -> int:
        return self.n_residuals - self.n_parameters

    def evaluate(
        self,
        initial: np.ndarray,
        theta: np.ndarray,
        jacobian: bool = False,
        substeps: int | None = None,
    ) -> Evaluation:
        """Integrate every window from ``initial`` ``(B, 2n)`` with constants ``θ``."""
        par = self.parametrisation
        n = self.equations.n_dof
        result = rollout(
            self.equations,
            initial,
            par.coefficients(theta),
            par.params(theta, self.start_params),
            self.steps,
            self.substeps if substeps is None else substeps,
            par.directions if jacobian else None,
            fit_params=jacobian and par.n_params > 0,
        )
        weights = self.mask[..., None] * self.weights
        batch = len(initial)
        with np.errstate(over="ignore", invalid="ignore"):  # diverging: rejected as inf
            residuals = (result.states[..., :n] - self.targets) * weights
            flat = np.where(self.mask[..., None], residuals, 0.0).reshape(batch, -1)
            if result.sensitivities is None:
                return Evaluation(flat, result.states)
            blocks = np.where(
                self.mask[..., None, None], result.sensitivities * weights[..., None], 0.0
            )
        blocks = blocks.reshape(batch, flat.shape[1], -1)
        return Evaluation(flat, result.states, blocks[..., : 2 * n], blocks[..., 2 * n :])

    def mismatch(self, evaluation: Evaluation, initial: np.ndarray) -> np.ndarray:
        """State jumps where a window's bridge meets the next window's start, ``(J, 2n)``."""
        bridged = np.flatnonzero(self.layout.bridge)
        ends = evaluation.states[bridged, self.layout.count[bridged]]
        return ends - initial[bridged + 1]
