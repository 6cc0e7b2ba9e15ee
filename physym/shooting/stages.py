"""One shooting fit at one window layout, the tests between fits, and the step-size rule."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import f as f_distribution

from physym.shooting.config import ShootingConfig
from physym.shooting.equations import ShootingEquations
from physym.shooting.parameters import Parametrisation, ShootingError
from physym.shooting.problem import ShootingProblem
from physym.shooting.solver import SolverOutcome, levenberg_marquardt, shared_shift
from physym.shooting.windows import ShootingData, WindowLayout

__all__ = ["StageFit", "StageRunner", "f_test"]

_MAX_SUBSTEPS = 16
_INTEGRATION_SHARE = 0.1  # RK4 error allowed: in units of the noise (rms) before a fit,
# in standard errors of the constants after it
_CONDITION_LIMIT = 1e10  # of the normalised Schur matrix: beyond, a constant is undetermined


@dataclass(frozen=True)
class StageFit:
    """A converged (or stopped) fit of one layout."""

    problem: ShootingProblem
    outcome: SolverOutcome
    seconds: float

    @property
    def dof(self) -> int:
        return self.problem.dof

    @property
    def cost(self) -> float:
        return self.outcome.cost

    def record(self) -> dict[str, Any]:
        layout = self.problem.layout
        return {
            "samples": layout.longest,
            "windows": len(layout),
            "chi2": self.cost,
            "dof": self.dof,
            "iterations": self.outcome.iterations,
            "converged": self.outcome.converged,
            "substeps": self.problem.substeps,
            "seconds": self.seconds,
        }

    def covariance(self, rescale: bool) -> np.ndarray:
        """Covariance of ``θ``: ``S⁻¹`` (times ``χ²/dof`` with ``rescale``).

        Raises
        ------
        ShootingError
            If a constant is not determined by the data (``S`` singular).
        """
        schur = self.outcome.schur
        if not len(schur):
            return schur
        if not np.all(np.isfinite(schur)):  # LAPACK would print to stderr and return NaN
            raise ShootingError("the fit diverged: its curvature matrix is not finite")
        norms = np.sqrt(np.maximum(np.diag(schur), 1e-300))
        scaled = schur / np.outer(norms, norms)
        values, vectors = np.linalg.eigh(scaled)
        if values[0] <= values[-1] / _CONDITION_LIMIT:
            par = self.problem.parametrisation
            dynamics = self.problem.equations.dynamics
            worst = int(np.argmax(np.abs(vectors[:, 0])))
            what = (
                f"the coefficient of {dynamics.terms[par.free[worst]]}"
                if worst < len(par.free)
                else f"the parameter {dynamics.params[worst - len(par.free)]}"
            )
            raise ShootingError(
                f"the data do not determine {what}: it moves the positions "
                "like a combination of the others (a duplicate or a total "
                "derivative?)"
            )
        inverse = (vectors / values) @ vectors.T / np.outer(norms, norms)
        factor = self.cost / max(self.dof, 1) if rescale else 1.0
        return inverse * factor

    def continuity(self) -> dict[str, Any]:
        """Jumps between neighbouring windows at the instants where they meet."""
        jumps = self.problem.mismatch(self.outcome.evaluation, self.outcome.initial)
        if not len(jumps):
            return {"boundaries": 0}
        n = self.problem.equations.n_dof
        positions = jumps[:, :n] * self.problem.weights
        speed = np.sqrt(np.mean(self.outcome.initial[:, n:] ** 2))
        return {
            "boundaries": len(jumps),
            "position_rms_sigma": float(np.sqrt(np.mean(positions**2))),
            "velocity_rms_relative": float(
                np.sqrt(np.mean(jumps[:, n:] ** 2)) / max(speed, 1e-300)
            ),
        }


def f_test(restricted: StageFit, general: StageFit, quantile: float) -> tuple[float, float]:
    """``F = (Δχ²/Δdof)/(χ²/dof)`` of a restricted fit against a more general one, and the
    ``quantile`` of ``F(Δdof, dof)`` it is compared with."""
    extra = restricted.dof - general.dof
    if extra <= 0:
        return 0.0, float("inf")
    noise = general.cost / max(general.dof, 1)
    statistic = (restricted.cost - general.cost) / extra / max(noise, 1e-300)
    if not np.isfinite(statistic):
        statistic = float("inf")
    return float(statistic), float(f_distribution.ppf(quantile, extra, general.dof))


class StageRunner:
    """Fits layouts one after another, keeping the RK4 substeps and a progress bar."""

    def __init__(
        self,
        equations: ShootingEquations,
        data: ShootingData,
        start_params: np.ndarray,
        config: ShootingConfig,
        progress: bool,
    ):
        self.equations = equations
        self.data = data
        self.start_params = start_params
        self.config = config
        self.substeps = int(config.substeps or 1)
        self.iterations = 0
        self._bar = None
        if progress:
            from physym.progress import progress_bar

            self._bar = progress_bar(desc="shooting", unit="it", leave=False, file=sys.stderr)

    def run(
        self,
        layout: WindowLayout,
        parametrisation: Parametrisation,
        initial: np.ndarray,
        theta: np.ndarray,
    ) -> StageFit:
        begin = time.perf_counter()
        problem = self._problem(layout, parametrisation, initial, theta)
        if self._bar is not None:
            self._bar.set_description(
                f"shooting: {len(layout)} windows of {layout.longest} samples"
            )

        def tick(iteration: int, cost: float) -> None:
            if self._bar is not None:
                self._bar.update(1)
                self._bar.set_postfix(chi2_dof=f"{cost / max(problem.dof, 1):.4g}")

        while True:
            outcome = levenberg_marquardt(
                problem,
                initial,
                theta,
                max_iterations=self.config.max_iterations,
                tolerance=self.config.tolerance,
                on_iteration=tick,
            )
            self.iterations += outcome.iterations
            if self.config.substeps is not None or self.substeps >= _MAX_SUBSTEPS:
                break
            if self._integration_shift(problem, outcome) <= _INTEGRATION_SHARE:
                break
            self.substeps *= 2
            problem = ShootingProblem(
                self.equations, self.data, layout, parametrisation, self.start_params, self.substeps
            )
            initial, theta = outcome.initial, outcome.theta
        return StageFit(problem, outcome, time.perf_counter() - begin)

    def _integration_shift(self, problem: ShootingProblem, outcome: SolverOutcome) -> float:
        """The largest move of a constant, in standard errors, that integrating with twice
        the substeps would cause: RK4's error is mostly a phase error, which the constants
        would absorb, so it must be small against their uncertainty, not only the noise."""
        if not len(outcome.theta):
            return 0.0
        fine = problem.evaluate(outcome.initial, outcome.theta, substeps=2 * problem.substeps)
        shift = shared_shift(outcome.evaluation, fine.residuals - outcome.evaluation.residuals)
        stage = StageFit(problem, outcome, 0.0)
        try:
            errors = np.sqrt(np.diag(stage.covariance(self.config.rescale)))
        except ShootingError:
            return 0.0  # reported when the covariance is needed
        return float(np.max(np.abs(shift) / np.maximum(errors, 1e-300)))

    def _problem(
        self,
        layout: WindowLayout,
        parametrisation: Parametrisation,
        initial: np.ndarray,
        theta: np.ndarray,
    ) -> ShootingProblem:
        """The problem at the fewest substeps whose RK4 error is below a tenth of the noise
        (step doubling at the starting point; substeps only ever increase)."""
        while True:
            problem = ShootingProblem(
                self.equations, self.data, layout, parametrisation, self.start_params, self.substeps
            )
            if self.config.substeps is not None or self.substeps >= _MAX_SUBSTEPS:
                return problem
            coarse = problem.evaluate(initial, theta).residuals
            fine = problem.evaluate(initial, theta, substeps=2 * self.substeps).residuals
            with np.errstate(over="ignore", invalid="ignore"):
                error = np.sqrt(np.sum((coarse - fine) ** 2) / problem.n_residuals)
            if np.isfinite(error) and error <= _INTEGRATION_SHARE:
                return problem
            if not np.isfinite(error) and not np.isfinite(coarse).all():
                return problem  # diverges either way: the solver reports it
            self.substeps *= 2

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
