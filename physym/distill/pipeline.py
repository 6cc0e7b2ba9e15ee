"""``distill(model, system)``: from a learned ``L_θ`` to a closed-form Lagrangian.

Stages: gauge-invariant targets from the network (:mod:`~physym.distill.targets`); then a
search (:mod:`~physym.distill.search`) that regresses every target, level by level, with a
common selection rule (:mod:`~physym.distill.pareto`), assembles each route, polishes its
constants on the data, rationalises them (:mod:`~physym.distill.recover`) and judges the
closed form on held-out data (:mod:`~physym.distill.acceptance`), until one passes. When
the quadratic check fails both routes are tried.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import sympy as sp
from torch import nn

from physym.distill._probe import model_accelerations
from physym.distill.acceptance import Acceptance
from physym.distill.base import Backend
from physym.distill.library import LibraryConfig, q_terms
from physym.distill.pareto import SelectionRule
from physym.distill.registry import get_backend
from physym.distill.result import Distillation
from physym.distill.search import Attempt, Level, Search
from physym.distill.space import StateSpace
from physym.distill.targets import build_targets
from physym.systems.system import System

__all__ = ["distill"]

_NOISE_CAP = 0.2
_HELD_OUT = 2000
_GP_SECONDS = 10  # operon's search time per target


def distill(
    model: nn.Module,
    system: System | StateSpace,
    *,
    data: tuple[np.ndarray, np.ndarray] | None = None,
    backend: str | Backend = "sparse",
    library: LibraryConfig | Mapping[str, Any] | None = None,
    n_states: int = 800,
    seed: int = 0,
    polish: bool = True,
    quadratic_tolerance: float = 5e-2,
    curl_tolerance: float = 1e-3,
    fallback_backend: str | None = "operon",
    selection: SelectionRule | None = None,
    max_polish_samples: int = 4000,
    slack: float = 0.05,
    noise_floor: float = 0.0,
    forms: bool = True,
    time_budget: float = 60.0,
) -> Distillation:
    """Distil a learned Lagrangian into a closed form.

    The targets are searched level by level (the ``backend``'s fit, then kinetic forms not
    quadratic in the velocities, the grammar of forms, point centres and genetic
    programming) until a closed form passes the
    acceptance rule on held-out data (:mod:`physym.distill.search`).

    Parameters
    ----------
    model : torch.nn.Module
        ``L_θ``: maps states ``(batch, 2n)`` (coordinates then velocities) to ``(batch,)``.
    system : System or StateSpace
        Only its coordinates, periodic flags and sampling box are used (never its
        Lagrangian, name or parameters).
    data : (states, accelerations), optional
        Samples ``(N, 2n)`` and ``(N, n)`` for the polish and, held out, for the acceptance;
        without them the network's own accelerations on sampled states are used.
    backend : str or Backend
        First level of the search: ``"sparse"`` (default, offline), ``"operon"``,
        ``"pysr"`` or ``"forms"``.
    library : LibraryConfig or mapping, optional
        Candidate terms of the sparse backend (the grammar of forms extends them).
    n_states : int
        Coordinates sampled for the targets (each probed at 5 velocities).
    seed : int
    polish : bool
        Refit the constants on the data through the Euler–Lagrange equations.
    quadratic_tolerance, curl_tolerance : float
        Thresholds of the quadratic-in-velocity check and of the curl check.
    fallback_backend : str or None
        The last level of the search (genetic programming; skipped with a warning if
        unavailable, or with ``None``).
    selection : SelectionRule, optional
        Defaults to ``SelectionRule(noise=ν)`` with ``ν`` the larger of 3 × the network's
        non-quadratic inconsistency and, when ``data`` are given, 2 × the network's relative
        acceleration error on them (capped at 0.2).
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
    forms : bool
        Search the grammar of forms, then point centres, after a sparse first level.
    time_budget : float
        CPU seconds after which no further level is started (the first always runs).

    Returns
    -------
    Distillation
        ``lagrangian`` is the accepted closed form, or, when ``closed_form`` is not
        ``"found"``, the best candidate (smallest held-out error).

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
    levels = _levels(backend, library, fallback_backend, forms)
    levels.insert(1, _velocity_level(space, library))
    with _one_blas_thread():
        targets = build_targets(
            model,
            space,
            n_states,
            rng,
            quadratic_tolerance=quadratic_tolerance,
            curl_tolerance=curl_tolerance,
        )
        clock["targets"] = time.perf_counter()
        states, accelerations, source, held_out = _polish_data(
            model, space, data, rng, n_states, max_polish_samples
        )
        network_error = _network_error(model, states, accelerations) if source == "data" else None
        noise = min(max(3.0 * targets.noise, 2.0 * (network_error or 0.0)), _NOISE_CAP)
        rule = selection or SelectionRule(noise=noise)
        acceptance = Acceptance(
            model, space, held_out, network_is_truth=source == "network", noise_floor=noise_floor
        )
        search = Search(
            targets.routes,
            space,
            (states, accelerations),
            acceptance,
            rule,
            polish=polish,
            slack=slack,
            offer_alternatives=source == "data",
            seed=seed,
            budget=time_budget,
        )
        best = search.run(levels)
    clock["regression"] = clock["targets"] + search.seconds["regression"]
    clock["polish"] = clock["regression"] + search.seconds["polish"]
    used = {p.name for p in targets.routes[best.result.route.split("+")[0]]}
    pareto = [
        {
            "target": name,
            "complexity": c.complexity,
            "error": c.error,
            "expression": sp.sstr(c.numeric()),
            "backend": c.backend,
            "chosen": c is best.chosen.get(name),
        }
        for name, front in search.fronts.items()
        if name in used
        for c in front
    ]
    selection_info = {
        "ratio": rule.ratio,
        "floor": rule.floor,
        "noise": rule.noise,
        "network_accel_error": network_error,
    }
    record = {
        "levels": search.levels,
        "candidates": [a.to_dict() for a in search.attempts],
        "failures": search.failures,
        "budget": time_budget,
        "velocity_screen": search.velocity_screen,
    }
    first = levels[0].backend
    return _result(
        best,
        first.name if first is not None else "polish",
        space,
        pareto,
        targets,
        source,
        states.shape[0],
        clock,
        selection_info,
        record,
    )


def _levels(
    backend: str | Backend,
    library: LibraryConfig | Mapping[str, Any] | None,
    fallback: str | None,
    forms: bool,
) -> list[Level]:
    """The search levels: the backend asked for, the forms, genetic programming (the
    velocity level goes in second)."""
    first = (
        get_backend(backend, library=library)
        if backend in ("sparse", "forms")
        else get_backend(backend)
    )
    first.check_available()
    levels = [Level("library" if first.name == "sparse" else first.name, first)]
    if forms and first.name == "sparse":
        levels.append(Level("forms", get_backend("forms", library=library)))
        levels.append(Level("centres", get_backend("centres", library=library)))
    if fallback and fallback != first.name:
        options = {"max_time": _GP_SECONDS} if fallback == "operon" else {}
        levels.append(Level("gp", get_backend(fallback, **options), expensive=True))
    return levels


def _velocity_level(space: StateSpace, library: LibraryConfig | Mapping[str, Any] | None) -> Level:
    """The velocity level, with the sparse library's functions of ``q`` as the potential."""
    config = library if isinstance(library, LibraryConfig) else LibraryConfig.from_dict(library)
    return Level("velocity", None, potential=tuple(q_terms(space, config)))


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Small dense problems: one BLAS thread (threaded QR of a 800 × 50 matrix is ten
    times slower on a busy machine); a no-op without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - it comes with scikit-learn and pyoperon
        yield
        return
    with threadpool_limits(1):
        yield


def _result(
    best: Attempt,
    backend: str,
    space: StateSpace,
    pareto: list,
    targets: Any,
    source: str,
    n_samples: int,
    clock: dict[str, float],
    selection: dict,
    record: dict[str, Any],
) -> Distillation:
    route = best.result
    names = route.names
    timings = {key: clock[key] - clock[prev] for prev, key in itertools.pairwise(clock)}
    timings["total"] = time.perf_counter() - clock["start"]
    before, after, final = route.errors
    acceptance = dict(best.acceptance)
    verdict = acceptance.pop("verdict")
    return Distillation(
        lagrangian=route.lagrangian,
        coordinates=space.coordinates,
        backend=backend,
        targets=route.route,
        scale=route.scale,
        pareto=pareto,
        coefficients_before_polish=dict(zip(names, map(float, route.before), strict=True)),
        coefficients_after_polish=(
            {} if route.after is None else dict(zip(names, map(float, route.after), strict=True))
        ),
        coefficients={names[k]: sp.sstr(v) for k, v in route.final.items()},
        quadratic_check=targets.quadratic_check,
        curl_check=targets.curl_check,
        polish={
            "source": source,
            "n_samples": int(n_samples),
            "accel_error_before": before,
            "accel_error_after": after,
            "accel_error_final": final,
            "params": {sp.sstr(s): sp.sstr(v) for s, v in route.params.items()},
        },
        selection=selection,
        timings=timings,
        closed_form=verdict,
        acceptance=acceptance,
        search={**record, "level": best.level},
    )


def _network_error(model: nn.Module, states: np.ndarray, accelerations: np.ndarray) -> float:
    """Relative acceleration error of the network on the data (its noise level)."""
    predicted = model_accelerations(model, states)
    return float(np.linalg.norm(predicted - accelerations) / np.linalg.norm(accelerations))


def _polish_data(
    model: nn.Module,
    space: StateSpace,
    data: Any,
    rng: np.random.Generator,
    n_states: int,
    limit: int,
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
