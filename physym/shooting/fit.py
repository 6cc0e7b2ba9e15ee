"""``fit_constants``: the constants of chosen terms from measured positions, by multiple shooting.

Why positions and not derivatives: the derivative-based polish fits ``q̈`` estimated by
smoothing, whose noise and bias set its error. Here each measured trajectory is cut into
windows; each window's initial state is free, the constants are shared, and the
equations of ``L = Σ c_k φ_k`` are integrated (RK4, exact sensitivities) to match the
positions, weighted by their noise. How it proceeds:

1. **Short windows first** (twice the data's shortest time scale): from the polish's
   constants and the smoothed states, Gauss–Newton converges even when a constant starts
   tens of per cent off, and a chaotic trajectory cannot run away within a window.
2. **Continuity, imposed by joining windows.** Windows are not tied by a penalty (its
   weight would have no statistical meaning); neighbouring windows are joined in pairs
   instead (one initial state less per pair) where the data agree: a joined window's χ²
   may rise by no more than the ``growth_quantile`` (0.999) of ``χ²(2n)``, in units of
   the reduced χ² before. Longer windows pin the constants down much better (the phase
   accumulates); a stretch of chaotic motion on which a joined window no longer matches
   the data stays split, and growth stops when a round joins nothing (or at
   ``max_steps``). The jumps left at the remaining boundaries are reported.
3. **Uncertainties** from the Gauss–Newton covariance of the constants with the window
   states profiled out (:mod:`physym.shooting.solver`), multiplied by the reduced χ²
   (``rescale``, default): with thousands of residuals the fit's own residual variance is
   a better noise estimate than the smoothing's, and it widens the intervals when the
   model misses the data.
4. **Re-selection**: a term whose interval contains 0 is dropped if the refit without it
   passes the F-test (one parameter) at ``drop_quantile``.

Nonlinear parameters inside terms (e.g. a speed in ``√(1 − v²/c²)``) are fitted with the
coefficients (``fit_params``) or held at their given values.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from physym.data.state_estimate import StateEstimate
from physym.distill.euler_lagrange import TermDynamics
from physym.distill.polish import ScaleFix
from physym.shooting.config import ShootingConfig
from physym.shooting.equations import ShootingEquations
from physym.shooting.growth import grow_windows
from physym.shooting.parameters import Parametrisation, ShootingError, scale_vector
from physym.shooting.reselect import reselect_terms
from physym.shooting.result import FittedConstant, ShootingResult
from physym.shooting.stages import StageFit, StageRunner
from physym.shooting.windows import ShootingData, WindowLayout

__all__ = ["default_scale", "fit_constants"]


def default_scale(dynamics: TermDynamics, coefficients: np.ndarray) -> ScaleFix:
    """Hold the largest velocity-dependent coefficient at its value (else the largest)."""
    velocities = set(dynamics.v_symbols)
    nonzero = [k for k in range(len(coefficients)) if coefficients[k] != 0]
    kinetic = [k for k in nonzero if dynamics.terms[k].free_symbols & velocities]
    pool = kinetic or nonzero
    if not pool:
        raise ShootingError("all coefficients are 0: there is no Lagrangian to fit")
    k = max(pool, key=lambda k: abs(coefficients[k]))
    return ScaleFix("term", float(coefficients[k]), k)


def fit_constants(
    dynamics: TermDynamics,
    coefficients: np.ndarray,
    estimate: StateEstimate,
    *,
    scale: ScaleFix | None = None,
    params: Mapping[sp.Symbol | str, float] | None = None,
    fixed: Mapping[int, float] | None = None,
    config: ShootingConfig | None = None,
    progress: bool | None = None,
) -> ShootingResult:
    """Fit the coefficients (and nonlinear parameters) of ``L = Σ_k c_k φ_k`` to positions.

    Parameters
    ----------
    dynamics : TermDynamics
        The chosen terms ``φ_k``.
    coefficients : numpy.ndarray, shape ``(K,)``
        Starting values, e.g. the Euler–Lagrange polish. They are rescaled to satisfy
        ``scale`` (a factor on ``L`` changes no equation of motion).
    estimate : StateEstimate
        The measured positions (all samples are matched) with their smoothed states (the
        windows' starting states) and measured noise (the weights).
    scale : ScaleFix, optional
        The condition that fixes the scale of ``L``; default: the largest
        velocity-dependent coefficient keeps its value.
    params : mapping, optional
        Values of the terms' nonlinear parameters (by symbol or name).
    fixed : mapping of int to float, optional
        Coefficients held at given values (e.g. rationalised ones).
    config : ShootingConfig, optional
    progress : bool, optional
        Show a progress bar; default only when stderr is a terminal.

    Returns
    -------
    ShootingResult

    Raises
    ------
    ShootingError
        Inputs that do not fit together, a scale condition that fixes nothing, a start
        whose trajectories diverge, or a constant the data cannot determine.
    """
    config = config or ShootingConfig()
    begin, cpu = time.perf_counter(), time.process_time()
    data = ShootingData.from_estimate(estimate, config.noise)
    start, start_params = _check_inputs(dynamics, coefficients, estimate, params)
    equations = ShootingEquations(dynamics)
    timings = {"compile": time.perf_counter() - begin}
    named = dict(zip(dynamics.params, start_params, strict=True))
    scale = scale if scale is not None else default_scale(dynamics, start)
    vector = scale_vector(dynamics, scale, named)
    start = _satisfying(start, vector, scale.value)
    held = {int(k): float(v) for k, v in (fixed or {}).items()}
    if any(not 0 <= k < len(start) or not np.isfinite(v) for k, v in held.items()):
        raise ShootingError(
            f"fixed coefficients must name terms 0 to {len(start) - 1} with "
            f"finite values, got {held}"
        )
    n_params = len(start_params) if config.fit_params else 0
    show = sys.stderr.isatty() if progress is None else progress
    runner = StageRunner(equations, data, start_params, config, show)
    try:
        layout = WindowLayout.split(data, _first_window(estimate, data, config))
        par = Parametrisation.build(start, vector, scale.value, held, n_params)
        current = runner.run(layout, par, data.guess[layout.start], par.theta(start, start_params))
        stages = [current.record()]
        current = grow_windows(runner, current, stages, config)
        timings["fit"] = time.perf_counter() - begin - timings["compile"]
        current, tests = reselect_terms(runner, current, vector, scale.value, config)
        timings["reselect"] = time.perf_counter() - begin - timings["compile"] - timings["fit"]
    finally:
        runner.close()
    timings["total"] = time.perf_counter() - begin
    timings["cpu"] = time.process_time() - cpu
    return _result(
        dynamics,
        estimate,
        data,
        current,
        start,
        start_params,
        scale,
        held,
        stages,
        tests,
        config,
        runner.iterations,
        timings,
    )


def _check_inputs(
    dynamics: TermDynamics,
    coefficients: Any,
    estimate: StateEstimate,
    params: Mapping[sp.Symbol | str, float] | None,
) -> tuple[np.ndarray, np.ndarray]:
    names = tuple(str(s) for s in dynamics.q_symbols)
    if names != tuple(estimate.coordinates):
        raise ShootingError(
            f"the terms are written in coordinates {list(names)}, the data "
            f"in {list(estimate.coordinates)}"
        )
    start = np.asarray(coefficients, dtype=np.float64)
    if start.shape != (len(dynamics.terms),) or not np.all(np.isfinite(start)):
        raise ShootingError(
            f"need {len(dynamics.terms)} finite starting coefficients (one "
            f"per term), got {np.asarray(coefficients).tolist()}"
        )
    given = {str(k): float(v) for k, v in (params or {}).items()}
    missing = [str(p) for p in dynamics.params if str(p) not in given]
    if missing:
        raise ShootingError(f"no value given for the nonlinear parameter {missing[0]!r}")
    return start, np.array([given[str(p)] for p in dynamics.params])


def _satisfying(start: np.ndarray, vector: np.ndarray, value: float) -> np.ndarray:
    current = float(vector @ start)
    if value == 0 or current == 0 or not np.isfinite(value):
        raise ShootingError(
            f"the scale condition (value {value:g}, starting coefficients "
            f"give {current:g}) cannot fix the scale of L: both must be nonzero"
        )
    return start * (value / current)


def _first_window(estimate: StateEstimate, data: ShootingData, config: ShootingConfig) -> int:
    """Samples per first window: ``config.window`` or twice the shortest time scale."""
    if config.window is not None:
        seconds = config.window
    else:
        speed = np.sqrt(np.mean(estimate.q_dot[estimate.kept] ** 2, axis=0))
        acceleration = np.sqrt(np.mean(estimate.q_ddot[estimate.kept] ** 2, axis=0))
        scales = speed[acceleration > 0] / acceleration[acceleration > 0]
        seconds = 2 * float(scales.min()) if scales.size and scales.min() > 0 else np.inf
    samples = seconds / data.step()
    return int(max(config.min_samples, min(samples, len(data.t))))


def _result(
    dynamics: TermDynamics,
    estimate: StateEstimate,
    data: ShootingData,
    final: StageFit,
    start: np.ndarray,
    start_params: np.ndarray,
    scale: ScaleFix,
    held: Mapping[int, float],
    stages: list[dict[str, Any]],
    tests: list[dict[str, Any]],
    config: ShootingConfig,
    iterations: int,
    timings: dict[str, float],
) -> ShootingResult:
    par = final.problem.parametrisation
    theta = final.outcome.theta
    values = np.concatenate([par.coefficients(theta), par.params(theta, start_params)])
    n_terms, n_params = len(dynamics.terms), len(start_params)
    covariance = np.zeros((n_terms + n_params, n_terms + n_params))
    try:
        fitted = par.covariance(final.covariance(config.rescale))
    except ShootingError:
        if config.uncertainties:
            raise
        fitted = np.full((n_terms + par.n_params,) * 2, np.nan)  # χ² only: a screening fit
    size = n_terms + par.n_params
    covariance[:size, :size] = fitted
    errors = np.sqrt(np.maximum(np.diag(covariance), 0.0))
    dropped = {t["term"] for t in tests if t["dropped"]}
    constants = []
    for k, term in enumerate(dynamics.terms):
        role = (
            "scale"
            if k == par.pivot
            else "dropped"
            if k in dropped
            else "fixed"
            if k in held
            else "free"
        )
        constants.append(
            FittedConstant(
                sp.sstr(term),
                "coefficient",
                float(values[k]),
                float(errors[k]),
                float(start[k]),
                role,
            )
        )
    for j, symbol in enumerate(dynamics.params):
        constants.append(
            FittedConstant(
                str(symbol),
                "parameter",
                float(values[n_terms + j]),
                float(errors[n_terms + j]),
                float(start_params[j]),
                "free" if par.n_params else "fixed",
            )
        )
    layout = final.problem.layout
    return ShootingResult(
        tuple(estimate.coordinates),
        tuple(constants),
        covariance,
        final.outcome.cost,
        final.problem.dof,
        config.rescale,
        tuple(float(s) for s in data.noise),
        {
            "kind": scale.kind,
            "value": float(scale.value),
            "index": int(scale.index),
            "state": [float(x) for x in scale.state],
            "pivot": int(par.pivot),
            "pivot_term": sp.sstr(dynamics.terms[par.pivot]),
        },
        {
            "count": len(layout),
            "samples": layout.longest,
            "seconds": layout.longest * data.step(),
            "substeps": final.problem.substeps,
        },
        tuple(stages),
        tuple({**t, "term": sp.sstr(dynamics.terms[t["term"]])} for t in tests),
        final.continuity(),
        iterations,
        all(s.get("converged", True) for s in stages if s.get("accepted", True)),
        timings,
    )
