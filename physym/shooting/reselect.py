"""Re-selection: drop a term the fitted positions do not need (see
:mod:`physym.shooting.fit`, step 4)."""

from __future__ import annotations

from typing import Any

import numpy as np

from physym.shooting.config import ShootingConfig
from physym.shooting.parameters import Parametrisation
from physym.shooting.result import z_value
from physym.shooting.stages import StageFit, StageRunner, f_test

__all__ = ["reselect_terms"]


def reselect_terms(
    runner: StageRunner, current: StageFit, vector: np.ndarray, value: float, config: ShootingConfig
) -> tuple[StageFit, list[dict[str, Any]]]:
    """Drop terms whose interval contains 0, one at a time, while the F-test allows."""
    tests: list[dict[str, Any]] = []
    tried: set[int] = set()
    z = z_value(0.95)  # candidates: the 95 % interval holds 0; the F-test after the refit decides
    while config.reselect:
        par = current.problem.parametrisation
        values = par.coefficients(current.outcome.theta)
        errors = np.sqrt(np.diag(current.covariance(config.rescale))[: len(par.free)])
        candidates = [
            (abs(values[k]) / errors[i], i, k)
            for i, k in enumerate(par.free)
            if k not in tried and abs(values[k]) <= z * errors[i]
        ]
        if not candidates:
            break
        _, i, k = min(candidates)
        tried.add(k)
        smaller = Parametrisation.build(values, vector, value, {**par.fixed, k: 0.0}, par.n_params)
        theta = np.delete(current.outcome.theta, i)
        trial = runner.run(current.problem.layout, smaller, current.outcome.initial, theta)
        statistic, limit = f_test(trial, current, config.drop_quantile)
        dropped = trial.outcome.converged and statistic <= limit
        tests.append(
            {
                "term": k,
                "value": float(values[k]),
                "stderr": float(errors[i]),
                "F": statistic,
                "F_limit": limit,
                "dropped": dropped,
            }
        )
        if dropped:
            current = trial
    return current, tests
