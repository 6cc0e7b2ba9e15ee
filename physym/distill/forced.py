"""``distill_forced``: a learned ``L_θ`` and ``R_θ`` (with known forces, or time) to closed
forms.

The targets ``M(q[,t])``, ``V(q[,t])`` and ``D(q[,t])`` (:mod:`~physym.distill.forced_targets`)
are regressed with the same backends and selection rule as a conservative distillation:
the library first, the grammar of forms for what it leaves unexplained. The models are
assembled into ``L = ½ q̇ᵀ M q̇ − V`` and ``R = ½ q̇ᵀ D q̇``; their constants are then fitted
*together* on the training samples through the full equations
``Σ c_k (H_k q̈ − f_k) + Σ d_k ∂ψ_k/∂q̇ = Q`` (:mod:`~physym.distill.forced_terms`), each
sample's rows weighted by the inverse mass matrix of the start so that residuals read as
accelerations. With known forces the right-hand side fixes the scale: ``L`` and ``R`` are
absolute. Without them, the simplest ``q̇_i² g(q)`` term of ``L`` is held at ½ (``L`` and
``R`` share the one free factor). Terms the data do not need are pruned, constants
rationalised where the data agree, and the result judged on held-out samples by the
acceptance rule of the conservative search (round-off on exact data).

The velocity-linear part ``A·q̇`` of the network is not distilled here (its curl is
not among the targets): a gyroscopic force in a forced system is not recovered.
"""

from __future__ import annotations

import contextlib
import time
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from physym.distill.acceptance import ROUND_OFF, relative_error
from physym.distill.assemble import scale_term
from physym.distill.base import Problem
from physym.distill.forced_targets import TimeAxis, forced_targets, phase_symbol
from physym.distill.forced_terms import ForcedTerms
from physym.distill.pareto import Candidate, SelectionRule, pareto_front
from physym.distill.registry import get_backend
from physym.distill.result import Distillation
from physym.distill.space import StateSpace

__all__ = ["distill_forced"]

_UNEXPLAINED = 1e-6
_HELD_OUT = 2000
_MAX_SAMPLES = 4000
#: Absolute acceleration error a pruned term or a rationalised constant may add.
_ABSOLUTE = 1e-10


def distill_forced(
    model: Any,
    space: StateSpace,
    *,
    data: tuple[np.ndarray, np.ndarray],
    time_range: tuple[float, float] | None = None,
    backend: str = "sparse",
    n_states: int = 800,
    seed: int = 0,
    slack: float = 0.05,
    noise_floor: float = 0.0,
) -> Distillation:
    """Distil a :class:`~physym.network.forced.ForcedLagrangian` into ``L`` and ``R``.

    Parameters
    ----------
    model : ForcedLagrangian
    space : StateSpace
        Coordinates, angles and box (never the system's expressions).
    data : (rows, accelerations)
        Extended rows ``(N, 2n [+1] [+n])`` (``q, q̇``, ``t``, known ``Q``) and targets.
    time_range : (t0, t1), optional
        The sampled time range, when the model reads ``t``.
    backend : str
        First search level (``"sparse"``; then the grammar of forms).
    n_states, seed, slack, noise_floor
        As in :func:`physym.distill.distill`.

    Returns
    -------
    Distillation
        ``lagrangian`` (may contain ``t``) and ``dissipation`` (``None`` without friction).
    """
    begin = time.perf_counter()
    rng = np.random.default_rng(seed)
    axis = TimeAxis(*time_range) if (model.time_column and time_range is not None) else None
    problems, timed = forced_targets(model, space, n_states, rng, axis)
    network_error, samples, held = _split(model, data, rng)
    rule = SelectionRule(noise=min(2.0 * network_error, 0.2))
    chosen, pareto = _fit_targets(problems, rule, backend, seed)
    phase = {phase_symbol(): axis.phase_expr()} if axis is not None else {}
    lag_terms, lag_start, dis_terms, dis_start = _assemble(chosen, space, phase)
    terms = ForcedTerms(lag_terms, dis_terms, space.q_symbols, space.v_symbols)
    fit = _JointFit(terms, samples, np.concatenate([lag_start, dis_start]), model.known_forces)
    coefficients, convention = fit.solve_all(space)
    after = fit.error(coefficients)
    coefficients = fit.prune(coefficients, slack)
    coefficients, exact = fit.rationalise(coefficients, slack)
    lagrangian = sp.Add(*[c * t for c, t in zip(exact[: len(lag_terms)], lag_terms, strict=True)])
    dissipation = (
        sp.Add(*[c * t for c, t in zip(exact[len(lag_terms) :], dis_terms, strict=True)])
        if dis_terms
        else None
    )
    held_error = _ForcedCheck(terms, held, model.known_forces).error(coefficients)
    verdict = _verdict(held_error, network_error, noise_floor, len(held[1]))
    names = [sp.sstr(t) for t in (*lag_terms, *dis_terms)]
    return Distillation(
        lagrangian=lagrangian,
        coordinates=space.coordinates,
        backend=backend,
        targets="M,V,D" if dis_terms else "M,V",
        scale={
            "convention": convention,
            "alpha": 1.0 if model.known_forces else None,
            "term": None,
        },
        pareto=pareto,
        coefficients_before_polish=dict(zip(names, map(float, fit.start), strict=True)),
        coefficients_after_polish=dict(zip(names, map(float, coefficients), strict=True)),
        coefficients={name: sp.sstr(c) for name, c in zip(names, exact, strict=True) if c != 0},
        quadratic_check={},
        curl_check={},
        polish={
            "source": "data",
            "n_samples": len(samples[1]),
            "accel_error_before": fit.error(fit.start),
            "accel_error_after": after,
            "accel_error_final": fit.error(coefficients),
            "params": {},
            "equations": "d/dt dL/dq_dot - dL/dq + dR/dq_dot = Q",
        },
        selection={
            "ratio": rule.ratio,
            "floor": rule.floor,
            "noise": rule.noise,
            "network_accel_error": network_error,
            "time_dependent_targets": timed,
        },
        timings={"total": time.perf_counter() - begin},
        closed_form=verdict,
        acceptance={
            "verdict": verdict,
            "error": held_error,
            "network_error": network_error,
            "noise_floor": noise_floor,
            "threshold": max(ROUND_OFF, noise_floor),
            "n_states": len(held[1]),
        },
        search={"level": "forced", "levels": [], "candidates": [], "failures": []},
        dissipation=dissipation,
    )


def _split(
    model: Any, data: tuple[np.ndarray, np.ndarray], rng: np.random.Generator
) -> tuple[float, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The network's relative error on the data, polish samples and held-out samples."""
    from physym.training.monitor import predict

    rows = np.asarray(data[0], dtype=np.float64)
    targets = np.asarray(data[1], dtype=np.float64).reshape(len(rows), -1)
    finite = np.isfinite(rows).all(axis=1) & np.isfinite(targets).all(axis=1)
    rows, targets = rows[finite], targets[finite]
    order = rng.permutation(len(rows))
    n_held = min(_HELD_OUT, max(len(rows) // 5, 1))
    held, rest = np.sort(order[:n_held]), np.sort(order[n_held:][:_MAX_SAMPLES])
    predicted = predict(model, rows[held])
    network_error = relative_error(predicted, targets[held])
    return network_error, (rows[rest], targets[rest]), (rows[held], targets[held])


def _fit_targets(
    problems: list[Problem], rule: SelectionRule, backend: str, seed: int
) -> tuple[dict[str, Candidate], list[dict[str, Any]]]:
    """One model per target: the backend's front, the grammar of forms where it misses."""
    chosen, pareto = {}, []
    for problem in problems:
        front = pareto_front(get_backend(backend).fit(problem, seed=seed))
        choice = rule.choose(front) if front else None
        if choice is None or choice.error > max(rule.noise, _UNEXPLAINED):
            with contextlib.suppress(ValueError, ArithmeticError, np.linalg.LinAlgError):
                front = pareto_front([*front, *get_backend("forms").fit(problem, seed=seed)])
            choice = rule.choose(front)
        chosen[problem.name] = choice
        pareto += [
            {
                "target": problem.name,
                "complexity": c.complexity,
                "error": c.error,
                "expression": sp.sstr(c.numeric()),
                "backend": c.backend,
                "chosen": c is choice,
            }
            for c in front
        ]
    return chosen, pareto


def _assemble(
    chosen: dict[str, Candidate], space: StateSpace, phase: dict[sp.Symbol, sp.Expr]
) -> tuple[list[sp.Expr], np.ndarray, list[sp.Expr], np.ndarray]:
    """Monic terms and start coefficients of ``L = ½q̇ᵀMq̇ − V`` and ``R = ½q̇ᵀDq̇``."""
    v, index = space.v_symbols, {q: i for i, q in enumerate(space.coordinates)}
    parts: dict[str, dict[sp.Expr, float]] = {"L": {}, "R": {}}
    for name, candidate in chosen.items():
        expr = sp.expand(candidate.numeric().subs(phase)) if phase else candidate.numeric()
        if name == "V":
            piece, part = -expr, "L"
        else:
            i, j = (index[s] for s in name[2:-1].split(","))
            piece = expr * v[i] ** 2 / 2 if i == j else expr * v[i] * v[j]
            part = "L" if name.startswith("M") else "R"
        for term in sp.Add.make_args(sp.expand(piece)):
            coefficient, monic = term.as_coeff_Mul()
            if monic.free_symbols & set(v) or (part == "L" and monic.free_symbols):
                parts[part][monic] = parts[part].get(monic, 0.0) + float(coefficient)
    out: list[Any] = []
    for part in ("L", "R"):
        monic = sorted(parts[part], key=sp.default_sort_key)
        out += [monic, np.array([parts[part][t] for t in monic], dtype=np.float64)]
    return out[0], out[1], out[2], out[3]


class _ForcedCheck:
    """Relative acceleration error of coefficients on ``(rows, q̈)``."""

    def __init__(self, terms: ForcedTerms, data: tuple[np.ndarray, np.ndarray], known_forces: bool):
        rows, self.targets = data
        n = terms.n_dof
        self.states = rows[:, : 2 * n]
        self.t = rows[:, 2 * n] if rows.shape[1] in (2 * n + 1, 3 * n + 1) else np.zeros(len(rows))
        self.known = rows[:, -n:] if known_forces else np.zeros((len(rows), n))
        self.mass, self.force = terms.evaluate(self.states, self.t)

    def accelerations(self, coefficients: np.ndarray) -> np.ndarray:
        return ForcedTerms.accelerations(self.mass, self.force, coefficients, self.known)

    def error(self, coefficients: np.ndarray) -> float:
        return relative_error(
            self.accelerations(np.asarray(coefficients, dtype=float)), self.targets
        )


class _JointFit(_ForcedCheck):
    """Least squares for the constants of ``L`` and ``R`` together (module docstring)."""

    def __init__(
        self,
        terms: ForcedTerms,
        data: tuple[np.ndarray, np.ndarray],
        start: np.ndarray,
        known_forces: bool,
    ):
        super().__init__(terms, data, known_forces)
        self.terms = terms
        self.start = start
        self.forced = known_forces and bool(np.any(self.known != 0))
        total = np.einsum("k,bkij->bij", start, self.mass)
        weights = np.zeros_like(total)
        good = np.isfinite(total).all(axis=(1, 2))
        good[good] &= np.linalg.cond(total[good]) < 1e10
        weights[good] = np.linalg.inv(total[good])
        columns = np.einsum("bkij,bj->bki", self.mass, self.targets) - self.force
        design = np.einsum("bij,bkj->bik", weights, columns)  # (B, n, K)
        self.design = np.nan_to_num(design.reshape(-1, terms.n_terms))
        self.rhs = np.einsum("bij,bj->bi", weights, self.known).reshape(-1)
        self.anchor: int | None = None

    def solve(self, active: list[int]) -> np.ndarray:
        """Coefficients of the ``active`` terms (others 0), the scale fixed."""
        out = np.zeros(self.terms.n_terms)
        if self.forced:
            out[active] = np.linalg.lstsq(self.design[:, active], self.rhs, rcond=None)[0]
            return out
        assert self.anchor is not None
        rest = [k for k in active if k != self.anchor]
        out[self.anchor] = 0.5
        if rest:
            rhs = self.rhs - 0.5 * self.design[:, self.anchor]
            out[rest] = np.linalg.lstsq(self.design[:, rest], rhs, rcond=None)[0]
        return out

    def solve_all(self, space: StateSpace) -> tuple[np.ndarray, str]:
        """Every term fitted; the scale convention in words."""
        if self.forced:
            return self.solve(
                list(range(self.terms.n_terms))
            ), "absolute: the known forces fix the scale of L and R"
        lagrangian = list(self.terms.lagrangian_terms)
        for i in range(space.n_dof):
            anchor = scale_term(lagrangian, space, list(self.start[: len(lagrangian)]), i)
            if anchor is not None:
                self.anchor = anchor
                name = sp.sstr(lagrangian[anchor])
                return self.solve(
                    list(range(self.terms.n_terms))
                ), f"coefficient of {name} is 1/2 (no known force fixes the scale)"
        raise ValueError("distillation found no kinetic term q_dot**2 g(q) in L")

    def prune(self, coefficients: np.ndarray, slack: float) -> np.ndarray:
        """Drop terms, smallest contribution first, while the fit stays within the slack."""
        limit = max(self.error(coefficients) * (1 + slack), _ABSOLUTE)
        active = [k for k in range(self.terms.n_terms) if coefficients[k] != 0]
        sizes = np.abs(coefficients) * np.linalg.norm(self.design, axis=0)
        for k in sorted(active, key=lambda k: sizes[k]):
            if k == self.anchor:
                continue
            trial_active = [j for j in active if j != k]
            trial = self.solve(trial_active)
            if self.error(trial) <= limit:
                active, coefficients = trial_active, trial
        return coefficients

    def rationalise(
        self, coefficients: np.ndarray, slack: float
    ) -> tuple[np.ndarray, list[sp.Expr]]:
        """Small rationals where the data agree (all together), else the floats."""
        limit = max(self.error(coefficients) * (1 + slack), _ABSOLUTE)
        exact = [_rational(c) for c in coefficients]
        values = np.array([float(e) for e in exact])
        if self.error(values) <= limit:
            return values, exact
        return coefficients, [sp.Float(c, 15) if c != 0 else sp.Integer(0) for c in coefficients]


def _rational(value: float) -> sp.Expr:
    if value == 0:
        return sp.Integer(0)
    fraction = Fraction(value).limit_denominator(1000)
    if abs(float(fraction) - value) <= 1e-7 * abs(value):
        return sp.Rational(fraction.numerator, fraction.denominator)
    return sp.Float(value, 15)


def _verdict(error: float, network_error: float, noise_floor: float, size: int) -> str:
    tie = 3.0 / np.sqrt(2.0 * max(size, 1))
    beats = error < network_error * (1 + tie)
    if beats and error <= max(ROUND_OFF, noise_floor):
        return "found"
    if beats and np.isfinite(error) and error < 1.0:
        return "approximate"
    return "none"
