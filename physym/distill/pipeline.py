"""``distill(model, system)``: from a learned ``L_θ`` to a closed-form Lagrangian.

Stages: gauge-invariant targets from the network (:mod:`~physym.distill.targets`), one
regression per target by the chosen backend with a common selection rule
(:mod:`~physym.distill.pareto`), then per route assembly, scale, Euler–Lagrange polish
on data and rationalisation (:mod:`~physym.distill.recover`). When the quadratic check
fails both routes run and the one whose equations of motion fit the data better wins.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp
from torch import nn

from physym.distill._probe import model_accelerations
from physym.distill.acceptance import accept
from physym.distill.base import Backend
from physym.distill.registry import get_backend
from physym.distill.library import LibraryConfig
from physym.distill.pareto import Candidate, SelectionRule
from physym.distill.recover import RouteResult, recover
from physym.distill.regress import alternatives, fit_target
from physym.distill.result import Distillation
from physym.distill.space import StateSpace
from physym.distill.targets import build_targets
from physym.systems.system import System

__all__ = ["distill"]

_NOISE_CAP = 0.2
_HELD_OUT = 2000


def distill(
    model: nn.Module,
    system: System | StateSpace,
    *,
    data: tuple[np.ndarray, np.ndarray] | None = None,
    backend: str | Backend = "sparse",
    library: LibraryConfig | Mapping[str, Any] | None = None,
    n_states: int = 800,
    seed: int = 0,
    tolerance: float = 2e-2,
    polish: bool = True,
    quadratic_tolerance: float = 5e-2,
    curl_tolerance: float = 1e-3,
    fallback_backend: str | None = "operon",
    selection: SelectionRule | None = None,
    max_polish_samples: int = 4000,
    slack: float = 0.05,
    noise_floor: float = 0.0,
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
        Candidate terms of the sparse backend (other backends ignore it).
    n_states : int
        Coordinates sampled for the targets (each probed at 5 velocities).
    seed : int
    tolerance : float
        Error (relative to the target's scale) above which a sparse fit counts as failed
        (even its most accurate model misses) and ``fallback_backend`` is tried.
    polish : bool
        Refit the constants on the data through the Euler–Lagrange equations.
    quadratic_tolerance, curl_tolerance : float
        Thresholds of the quadratic-in-velocity check and of the curl check.
    fallback_backend : str or None
        Tried for targets the sparse fit misses (skipped with a warning if unavailable).
    selection : SelectionRule, optional
        Defaults to ``SelectionRule(noise=ν)`` with ``ν`` the larger of 3 × the network's
        non-quadratic inconsistency and, when ``data`` are given, 2 × the network's relative
        acceleration error on them (capped at 0.2); ``tolerance`` is raised to ``ν`` too.
    max_polish_samples : int
    slack : float
        Relative worsening of the fit to ``data`` accepted when the polish drops a term or
        rationalises a constant. The default suits exact or randomly noisy targets; for
        targets with a systematic error (accelerations estimated from measured positions)
        a larger slack (0.5) keeps terms that would only absorb that error out of ``L``.
    noise_floor : float
        Relative error ``‖â − a‖/‖a‖`` that the data's own noise puts on any model's
        accelerations (0 for exact data). A closed form is accepted
        (``closed_form == "found"``) when its error on held-out data is at most
        ``max(1e-9, noise_floor)`` and below the network's there.

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
    -2*x**2 + x_dot**2/2
    """
    clock = {"start": time.perf_counter()}
    space = system if isinstance(system, StateSpace) else StateSpace.from_system(system)
    rng = np.random.default_rng(seed)
    targets = build_targets(model, space, n_states, rng, quadratic_tolerance=quadratic_tolerance,
                            curl_tolerance=curl_tolerance)
    clock["targets"] = time.perf_counter()
    regressor = get_backend(backend, library=library) if backend == "sparse" else \
        get_backend(backend)
    regressor.check_available()
    states, accelerations, source, held_out = _polish_data(model, space, data, rng, n_states,
                                                           max_polish_samples)
    network_error = _network_error(model, states, accelerations) if source == "data" else None
    noise = min(max(3.0 * targets.noise, 2.0 * (network_error or 0.0)), _NOISE_CAP)
    rule = selection or SelectionRule(noise=noise)
    tolerance = max(tolerance, rule.noise)
    fronts: dict[str, list[Candidate]] = {}
    for problems in targets.routes.values():
        for problem in problems:
            if problem.name not in fronts:
                fronts[problem.name] = fit_target(regressor, problem, rule, tolerance,
                                                  fallback_backend, seed)
    accepted = {name: rule.accepted(front) for name, front in fronts.items()}
    chosen = {name: models[0] for name, models in accepted.items()}
    clock["regression"] = time.perf_counter()

    # With independent data, the terms of the simpler and of the next richer models of each
    # front are offered to the polish too: the data settle what the network could not.
    extras = {name: alternatives(fronts[name], models[0]) for name, models in accepted.items()
              } if polish and source == "data" else {}
    results, failures = [], []
    for route, problems in targets.routes.items():
        try:
            results.append(recover(route, {p.name: chosen[p.name] for p in problems}, space,
                                   states, accelerations, polish,
                                   {p.name: extras.get(p.name, []) for p in problems},
                                   slack))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            failures.append(f"route {route}: {exc}")
    if not results:
        raise ValueError("distillation failed: " + "; ".join(failures))
    best = _better(results)
    clock["polish"] = time.perf_counter()
    used = {p.name for p in targets.routes[best.route]}
    pareto = [{"target": name, "complexity": c.complexity, "error": c.error,
               "expression": sp.sstr(c.numeric()), "backend": c.backend,
               "chosen": c is chosen[name]}
              for name, front in fronts.items() if name in used for c in front]
    selection_info = {"ratio": rule.ratio, "floor": rule.floor, "noise": rule.noise,
                      "network_accel_error": network_error, "tolerance": tolerance}
    acceptance = accept(model, best.lagrangian, space, held_out,
                        network_is_truth=source == "network", noise_floor=noise_floor)
    return _result(best, regressor.name, space, pareto, targets, source, states.shape[0],
                   clock, selection_info, acceptance)


def _better(results: list[RouteResult]) -> RouteResult:
    """The quadratic route unless the other fits the data at least twice as well."""
    best = results[0]
    for other in results[1:]:
        if not np.isfinite(best.errors[2]) or other.errors[2] < 0.5 * best.errors[2]:
            best = other
    return best


def _result(best: RouteResult, backend: str, space: StateSpace, pareto: list, targets: Any,
            source: str, n_samples: int, clock: dict[str, float], selection: dict,
            acceptance: dict[str, Any]) -> Distillation:
    names = best.names
    timings = {key: clock[key] - clock[prev] for prev, key in itertools.pairwise(clock)}
    timings["total"] = time.perf_counter() - clock["start"]
    before, after, final = best.errors
    return Distillation(
        lagrangian=best.lagrangian,
        coordinates=space.coordinates,
        backend=backend,
        targets=best.route,
        scale=best.scale,
        pareto=pareto,
        coefficients_before_polish=dict(zip(names, map(float, best.before), strict=True)),
        coefficients_after_polish=({} if best.after is None else
                                   dict(zip(names, map(float, best.after), strict=True))),
        coefficients={names[k]: sp.sstr(v) for k, v in best.final.items()},
        quadratic_check=targets.quadratic_check,
        curl_check=targets.curl_check,
        polish={"source": source, "n_samples": int(n_samples), "accel_error_before": before,
                "accel_error_after": after, "accel_error_final": final,
                "params": {sp.sstr(s): sp.sstr(v) for s, v in best.params.items()}},
        selection=selection,
        timings=timings,
        closed_form=acceptance.pop("verdict"),
        acceptance=acceptance,
    )


def _network_error(model: nn.Module, states: np.ndarray, accelerations: np.ndarray) -> float:
    """Relative acceleration error of the network on the data (its noise level)."""
    predicted = model_accelerations(model, states)
    return float(np.linalg.norm(predicted - accelerations) / np.linalg.norm(accelerations))


def _polish_data(model: nn.Module, space: StateSpace, data: Any, rng: np.random.Generator,
                 n_states: int, limit: int
                 ) -> tuple[np.ndarray, np.ndarray, str, tuple[np.ndarray, np.ndarray]]:
    """Polish samples, their source, and disjoint held-out samples for the acceptance."""
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
    order = rng.permutation(states.shape[0])
    n_held = min(_HELD_OUT, max(states.shape[0] // 5, 1))
    held, rest = np.sort(order[:n_held]), np.sort(order[n_held:][:limit])
    return states[rest], accelerations[rest], source, (states[held], accelerations[held])
