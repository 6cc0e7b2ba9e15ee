"""``distill(model, system)``: from a learned ``L_θ`` to a closed-form Lagrangian.

Stages: gauge-invariant targets from the network (:mod:`~physym.distill.targets`), one
regression per target by the chosen backend with a common selection rule
(:mod:`~physym.distill.pareto`), assembly of ``L`` and its scale, the Euler–Lagrange
polish on data (:mod:`~physym.distill.polish`), then rationalisation.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp
from torch import nn

from physym.distill._probe import model_accelerations
from physym.distill.assemble import assemble, scale_term, split_terms
from physym.distill.base import Backend, BackendUnavailableError, Problem, get_backend
from physym.distill.euler_lagrange import TermDynamics
from physym.distill.finish import finish
from physym.distill.library import LibraryConfig
from physym.distill.pareto import Candidate, SelectionRule, pareto_front
from physym.distill.polish import Polisher, ScaleFix, polish_terms
from physym.distill.result import Distillation
from physym.distill.space import StateSpace
from physym.distill.targets import build_targets
from physym.systems.system import System

__all__ = ["distill"]


def distill(
    model: nn.Module,
    system: System | StateSpace,
    *,
    data: tuple[np.ndarray, np.ndarray] | None = None,
    backend: str | Backend = "sparse",
    library: LibraryConfig | Mapping[str, Any] | None = None,
    n_states: int = 800,
    seed: int = 0,
    tolerance: float = 1e-2,
    polish: bool = True,
    quadratic_tolerance: float = 5e-2,
    curl_tolerance: float = 1e-3,
    fallback_backend: str | None = "operon",
    selection: SelectionRule | None = None,
    max_polish_samples: int = 4000,
) -> Distillation:
    """Distil a learned Lagrangian into a closed form.

    Parameters
    ----------
    model : torch.nn.Module
        ``L_θ``: maps states ``(batch, 2n)`` (coordinates then velocities) to ``(batch,)``.
    system : System or StateSpace
        Only its coordinates, periodic flags and sampling box are used (never its
        Lagrangian, name or parameters).
    data : (states, accelerations), optional
        Samples ``(N, 2n)`` and ``(N, n)`` for the polish; without them the network's own
        accelerations on sampled states are used.
    backend : str or Backend
        ``"sparse"`` (default, offline), ``"operon"`` or ``"pysr"``.
    library : LibraryConfig or mapping, optional
        Candidate terms of the sparse backend.
    n_states : int
        Coordinates sampled for the targets (each probed at 5 velocities).
    seed : int
    tolerance : float
        Error (relative to the target's scale) above which a sparse fit counts as failed
        and ``fallback_backend`` is tried.
    polish : bool
        Refit the constants on the data through the Euler–Lagrange equations.
    quadratic_tolerance, curl_tolerance : float
        Thresholds of the quadratic-in-velocity check and of the curl check.
    fallback_backend : str or None
        Tried for targets the sparse fit misses (skipped with a warning if unavailable).
    selection : SelectionRule, optional
        Defaults to ``SelectionRule(noise=3 × the network's measured inconsistency)``.
    max_polish_samples : int

    Returns
    -------
    Distillation

    Examples
    --------
    >>> import sympy as sp
    >>> from physym.distill import ExpressionModel
    >>> system = System("osc", ["x"], sp.S("x_dot**2/2 - 2*x**2"), {},
    ...                 {"x": (-1, 1), "x_dot": (-1, 1)})
    >>> distill(ExpressionModel.from_system(system), system, n_states=200).lagrangian
    x_dot**2/2 - 2*x**2
    """
    clock = {"start": time.perf_counter()}
    space = system if isinstance(system, StateSpace) else StateSpace.from_system(system)
    rng = np.random.default_rng(seed)
    target_set = build_targets(model, space, n_states, rng,
                               quadratic_tolerance=quadratic_tolerance,
                               curl_tolerance=curl_tolerance)
    clock["targets"] = time.perf_counter()
    regressor = get_backend(backend, library=library) if backend == "sparse" else \
        get_backend(backend)
    regressor.check_available()
    rule = selection or SelectionRule(noise=min(3.0 * target_set.noise, tolerance))
    chosen: dict[str, Candidate] = {}
    pareto: list[dict[str, Any]] = []
    for problem in target_set.problems:
        front = _fit(regressor, problem, rule, tolerance, fallback_backend, seed)
        chosen[problem.name] = rule.choose(front)
        pareto += [{"target": problem.name, "complexity": c.complexity, "error": c.error,
                    "expression": sp.sstr(c.numeric()), "backend": c.backend,
                    "chosen": c is chosen[problem.name]} for c in front]
    clock["regression"] = time.perf_counter()

    raw, params = assemble(chosen, space, target_set.route)
    terms, coefficients = split_terms(raw, space)
    if not terms:
        raise ValueError("distillation found no velocity-dependent term: L_θ looks constant")
    dynamics = TermDynamics(terms, space.q_symbols, space.v_symbols, tuple(params))
    anchor = scale_term(terms, space) if target_set.route == "M,A,V" else None
    if anchor is not None:
        alpha = 2.0 * coefficients[anchor]
        fix = ScaleFix("term", 0.5, index=anchor)
        convention = f"coefficient of {sp.sstr(terms[anchor])} is 1/2"
    else:
        reference = np.concatenate([space.q_reference, np.zeros(space.n_dof)])
        alpha = float(coefficients @ dynamics.evaluate(reference[None, :], params)[0][0, :, 0, 0])
        fix = ScaleFix("mass", 1.0, state=tuple(reference))
        convention = "d2L/dq0_dot2 = 1 at (q_ref, 0)"
    coefficients = coefficients / alpha

    states, accelerations, source = _polish_data(model, space, data, rng, n_states,
                                                 max_polish_samples)
    polisher = Polisher(dynamics, states, accelerations, fix, params, coefficients)
    error_before = polisher.error(coefficients)
    polished = polish_terms(polisher, float(np.max(np.linalg.norm(
        states[:, space.n_dof:], axis=1))), 0.05, 1e-12) if polish else coefficients
    error_after = polisher.error(polished)
    clock["polish"] = time.perf_counter()
    lagrangian, final, final_params, error_final = finish(polisher, polished, polish)
    clock["rationalise"] = time.perf_counter()

    names = [sp.sstr(t) for t in terms]
    return Distillation(
        lagrangian=lagrangian,
        coordinates=space.coordinates,
        backend=regressor.name,
        targets=target_set.route,
        scale={"convention": convention, "alpha": float(alpha),
               "term": names[anchor] if anchor is not None else None},
        pareto=pareto,
        coefficients_before_polish=dict(zip(names, map(float, coefficients), strict=True)),
        coefficients_after_polish=(dict(zip(names, map(float, polished), strict=True))
                                   if polish else {}),
        coefficients={names[k]: sp.sstr(v) for k, v in final.items()},
        quadratic_check=target_set.quadratic_check,
        curl_check=target_set.curl_check,
        polish={"source": source, "n_samples": int(states.shape[0]),
                "accel_error_before": error_before, "accel_error_after": error_after,
                "accel_error_final": error_final,
                "params": {sp.sstr(s): sp.sstr(v) for s, v in final_params.items()}},
        timings=_timings(clock),
    )


def _fit(regressor: Backend, problem: Problem, rule: SelectionRule, tolerance: float,
         fallback: str | None, seed: int) -> list[Candidate]:
    front = pareto_front(regressor.fit(problem, seed=seed))
    if rule.choose(front).error <= tolerance or not fallback or regressor.name != "sparse":
        return front
    try:
        extra = get_backend(fallback)
        extra.check_available()
    except BackendUnavailableError as exc:
        warnings.warn(f"{problem.name}: sparse fit error {rule.choose(front).error:.3g} > "
                      f"tolerance {tolerance:g}; {exc}", stacklevel=3)
        return front
    return pareto_front(front + extra.fit(problem, seed=seed))


def _polish_data(model: nn.Module, space: StateSpace, data: Any, rng: np.random.Generator,
                 n_states: int, limit: int) -> tuple[np.ndarray, np.ndarray, str]:
    if data is not None:
        states = np.asarray(data[0], dtype=np.float64)
        accelerations = np.asarray(data[1], dtype=np.float64).reshape(states.shape[0], -1)
        source = "data"
    else:
        states = space.sample_states(max(n_states, 500), rng)
        accelerations = model_accelerations(model, states)
        source = "network"
    finite = np.isfinite(states).all(axis=1) & np.isfinite(accelerations).all(axis=1)
    states, accelerations = states[finite], accelerations[finite]
    if states.shape[0] > limit:
        pick = np.sort(rng.choice(states.shape[0], limit, replace=False))
        states, accelerations = states[pick], accelerations[pick]
    return states, accelerations, source


def _timings(clock: dict[str, float]) -> dict[str, float]:
    stages = list(clock)
    out = {stages[i]: clock[stages[i]] - clock[stages[i - 1]] for i in range(1, len(stages))}
    out["total"] = clock[stages[-1]] - clock["start"]
    return out
