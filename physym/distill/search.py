"""The search over forms, driven by acceptance on held-out data.

The targets are regressed level by level, cheap forms first:

1. ``library`` — the sparse backend over its library (or the backend asked for);
2. ``velocity`` — with independent data, the best closed form of the quadratic route
   polished again with kinetic forms that are not quadratic in ``q̇`` and the potential
   library offered beside its terms (:mod:`physym.distill.velocity_forms`): a network
   quadratic in ``q̇`` cannot show them, the data can. Before the forms: it costs a few
   polishes, and a network that imitates a non-quadratic ``L`` gives targets no form fits;
3. ``forms`` — the grammar of forms built for each target from its probed structure,
   with nonlinear families fitted by variable projection;
4. ``centres`` — sums of shifted point centres with low polynomials, for targets whose
   structure joins two or three coordinates that do not separate
   (:mod:`physym.distill.backends.centres`);
5. ``gp`` — genetic programming (operon) on the targets, the unexplained ones first.

After each level every route (``M,A,V``; ``L`` when the quadratic check failed) is
assembled from its targets' fronts, polished on the data and judged on held-out samples
(:class:`~physym.distill.acceptance.Acceptance`). The search stops at the first level
whose closed form passes. Among several that pass the simplest wins (fewest terms, then
smallest complexity); when none passes, the candidate with the smallest held-out error is
the result and the verdict says it is no closed form of the data.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from physym.distill.acceptance import Acceptance
from physym.distill.base import Backend, BackendUnavailableError, Problem
from physym.distill.pareto import Candidate, SelectionRule, complexity, pareto_front
from physym.distill.recover import RouteResult, recover, unpolished_fit
from physym.distill.space import StateSpace
from physym.distill.velocity_forms import velocity_forms

__all__ = ["Attempt", "Level", "Search", "alternatives"]

#: Richer front models offered to the polish besides the chosen one.
ALTERNATIVES = 5
#: Relative target error that counts as unexplained when the network has no measured noise.
UNEXPLAINED = 1e-6
#: Polish samples of the velocity level at most (its terms are many: a strided subset).
VELOCITY_SAMPLES = 1000
#: Ratio of the screen's errors (with the velocity forms over without) below which the
#: data show a kinetic energy that is not quadratic: the polynomial forms reach a
#: relativistic or post-Newtonian kinetic energy to a few per cent of its non-quadratic
#: part, while on a quadratic one they only fit a potential's misfit a little better.
VELOCITY_SIGNAL = 0.5
#: The quadratic route, and its name when velocity forms were offered to its polish.
QUADRATIC, WITH_VELOCITY_FORMS = "M,A,V", "M,A,V+T"


def alternatives(front: Sequence[Candidate], choice: Candidate) -> list[Candidate]:
    """The simpler front models and a few richer ones (up to ``2 × complexity + 20``)."""
    simpler = [c for c in front if c.complexity < choice.complexity]
    budget = 2 * choice.complexity + 20
    richer = [c for c in front if choice.complexity < c.complexity <= budget]
    return simpler + richer[:ALTERNATIVES]


@dataclass(frozen=True)
class Level:
    """One level of the search: a backend, and whether it only takes unexplained targets.

    Without a backend the level fits no target: it offers velocity forms and the terms of
    ``potential`` to the polish of the quadratic route's best attempt (see the module
    docstring).
    """

    name: str
    backend: Backend | None
    expensive: bool = False
    potential: tuple[sp.Expr, ...] = ()


@dataclass(frozen=True)
class Attempt:
    """One assembled, polished closed form and its verdict."""

    level: str
    result: RouteResult
    acceptance: dict[str, Any]
    chosen: Mapping[str, Candidate]

    @property
    def error(self) -> float:
        return float(self.acceptance["error"])

    @property
    def passed(self) -> bool:
        return self.acceptance["verdict"] == "found"

    @property
    def n_terms(self) -> int:
        return len(sp.Add.make_args(self.result.lagrangian))

    @property
    def complexity(self) -> int:
        return complexity(self.result.lagrangian)

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "route": self.result.route,
            "lagrangian": sp.sstr(self.result.lagrangian),
            "error": self.error,
            "verdict": self.acceptance["verdict"],
            "n_terms": self.n_terms,
            "complexity": self.complexity,
        }


class Search:
    """State of one search (see the module docstring).

    Parameters
    ----------
    routes : mapping of str to list of Problem
        The targets of each route.
    space : StateSpace
    data : (states, accelerations)
        The polish samples.
    acceptance : Acceptance
        The rule, on held-out samples.
    rule : SelectionRule
        Picks one model per target front.
    polish : bool
    slack : float
    offer_alternatives : bool
        Offer the terms of neighbouring front models to the polish (with independent data).
    seed : int
    budget : float
        CPU seconds of this process after which no further level (or genetic-programming
        target) is started: CPU time, so that a busy machine does not cut the search short.
    """

    def __init__(
        self,
        routes: Mapping[str, Sequence[Problem]],
        space: StateSpace,
        data: tuple[np.ndarray, np.ndarray],
        acceptance: Acceptance,
        rule: SelectionRule,
        *,
        polish: bool,
        slack: float,
        offer_alternatives: bool,
        seed: int,
        budget: float,
    ):
        self.routes = routes
        self.space = space
        self.states, self.accelerations = data
        self.acceptance = acceptance
        self.rule = rule
        self.polish = polish
        self.slack = slack
        self.offer_alternatives = offer_alternatives
        self.seed = seed
        self.budget = budget
        self.start = time.process_time()
        self.fronts: dict[str, list[Candidate]] = {}
        self.attempts: list[Attempt] = []
        self.failures: list[str] = []
        self.levels: list[dict[str, Any]] = []
        self.seconds = {"regression": 0.0, "polish": 0.0}
        self._tried: set[tuple] = set()
        self.velocity_screen: dict[str, Any] | None = None

    @property
    def problems(self) -> dict[str, Problem]:
        return {p.name: p for problems in self.routes.values() for p in problems}

    @property
    def elapsed(self) -> float:
        return time.process_time() - self.start

    def satisfied(self) -> bool:
        """A closed form passed, or (without independent data) one imitates the network to
        within its own inconsistency, which no further form can improve on."""
        if any(a.passed for a in self.attempts):
            return True
        if self.acceptance.network_error is None and self.attempts:
            return min(a.error for a in self.attempts) <= max(
                self.rule.noise, self.acceptance.threshold
            )
        return False

    def run(self, levels: Sequence[Level]) -> Attempt:
        """Run the levels until one passes (or the budget is spent); the outcome."""
        for index, level in enumerate(levels):
            if index and (self.satisfied() or self.elapsed > self.budget):
                break
            if level.backend is None and not self._velocity_applies():
                continue  # no independent data, or no quadratic route: nothing to offer
            begin, cpu = time.perf_counter(), time.process_time()
            if level.backend is None:
                middle = begin
                fitted = self._attempt_velocity_forms(level)
            else:
                fitted = self._fit(level)
                middle = time.perf_counter()
                if fitted:
                    self._attempt(level.name)
            end = time.perf_counter()
            self.seconds["regression"] += middle - begin
            self.seconds["polish"] += end - middle
            self.levels.append(
                {
                    "level": level.name,
                    "backend": "polish" if level.backend is None else level.backend.name,
                    "targets": fitted,
                    "seconds": end - begin,
                    "cpu_seconds": time.process_time() - cpu,
                    "passed": any(a.passed and a.level == level.name for a in self.attempts),
                }
            )
        if not self.attempts:
            raise ValueError("distillation failed: " + "; ".join(self.failures))
        return self.outcome()

    def outcome(self) -> Attempt:
        """The simplest passing attempt, else the most accurate one."""
        passed = [a for a in self.attempts if a.passed]
        if passed:
            first = min(self.attempts.index(a) for a in passed)
            level = self.attempts[first].level
            return min(
                (a for a in passed if a.level == level),
                key=lambda a: (a.n_terms, a.complexity, a.error),
            )
        return min(self.attempts, key=lambda a: (a.error, a.n_terms, a.complexity))

    # ---------------------------------------------------------------- levels

    def _targets_for(self, level: Level) -> list[Problem]:
        problems = list(self.problems.values())
        if not level.expensive or not self.fronts:
            return problems

        # A target is unexplained when even its best model misses the network's noise;
        # genetic programming is spent on those (or, if there are none, on the worst one).
        floor = self.rule.noise if self.rule.noise > 0 else UNEXPLAINED

        def misfit(problem: Problem) -> float:
            front = self.fronts.get(problem.name, [])
            return min((c.error for c in front), default=np.inf) / floor

        ranked = sorted(problems, key=misfit, reverse=True)
        unexplained = [p for p in ranked if misfit(p) > 1.0]
        return unexplained or ranked[:1]

    def _fit(self, level: Level) -> list[str]:
        """Regress the level's targets; merge into the fronts; the names fitted."""
        assert level.backend is not None
        try:
            level.backend.check_available()
        except BackendUnavailableError as exc:
            warnings.warn(f"search level {level.name!r} skipped: {exc}", stacklevel=3)
            return []
        fitted: list[str] = []
        for problem in self._targets_for(level):
            if level.expensive and fitted and self.elapsed > self.budget:
                break
            try:
                new = level.backend.fit(problem, seed=self.seed)
            except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
                self.failures.append(f"{level.name} {problem.name}: {exc}")
                continue
            merged = pareto_front([*self.fronts.get(problem.name, []), *new])
            if merged:
                self.fronts[problem.name] = merged
                fitted.append(problem.name)
        return fitted

    def _velocity_applies(self) -> bool:
        """Independent data, and an attempt of the quadratic route to start from."""
        return self.acceptance.network_error is not None and any(
            a.result.route == QUADRATIC for a in self.attempts
        )

    def _attempt_velocity_forms(self, level: Level) -> list[str]:
        """Polish the quadratic route's best attempt again with each group of velocity
        forms (and the level's potential terms) offered; ``["T"]`` if that was tried. Only
        with independent data: the network's own accelerations are quadratic in ``q̇``
        whenever the network is."""
        if not self._velocity_applies():
            return []
        best = min((a for a in self.attempts if a.result.route == QUADRATIC), key=lambda a: a.error)
        groups = velocity_forms(best.chosen, self.space, self.states, self.fronts)
        names = list(best.chosen)
        others: dict[str, list[Candidate]] = (
            {n: alternatives(self.fronts[n], best.chosen[n]) for n in names}
            if self.polish and self.offer_alternatives
            else {}
        )
        if level.potential:
            library = sp.Add(*level.potential)
            others["V"] = [*others.get("V", []), Candidate(library, np.inf, 0, "library")]
        stride = max(1, -(-self.states.shape[0] // VELOCITY_SAMPLES))
        if not groups or not self._velocity_signal(best.chosen, others, groups[0], stride):
            return []
        for forms in groups:  # the simplest first: stop at the first that passes
            extras = {**others, "T": [forms]}
            self._recover(level.name, WITH_VELOCITY_FORMS, dict(best.chosen), extras, stride)
            if self.attempts and self.attempts[-1].passed:
                break
        return ["T"] if groups else []

    def _velocity_signal(
        self,
        chosen: Mapping[str, Candidate],
        others: Mapping[str, Sequence[Candidate]],
        polynomial: Candidate,
        stride: int,
    ) -> bool:
        """Whether the data show a kinetic energy not quadratic in ``q̇``: one unpolished
        solve with the polynomial velocity forms fits them at most :data:`VELOCITY_SIGNAL`
        times as badly as the same solve with the terms of degree two at most. Cheap next
        to the polishes it saves where the kinetic energy is quadratic (a potential the
        library misses, say); the decision is recorded."""
        velocities = self.space.v_symbols
        extras = {**others, "T": [polynomial]}
        data = (self.space, self.states[::stride], self.accelerations[::stride])
        try:
            without = unpolished_fit(
                chosen, *data, extras, keep=lambda t: _degree(t, velocities) <= 2
            )
            with_forms = unpolished_fit(chosen, *data, extras)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            self.failures.append(f"velocity screen: {exc}")
            return False
        signal = bool(with_forms <= VELOCITY_SIGNAL * without)
        self.velocity_screen = {
            "error_quadratic": without,
            "error_with_forms": with_forms,
            "ratio": VELOCITY_SIGNAL,
            "signal": signal,
        }
        return signal

    def _recover(
        self,
        level: str,
        route: str,
        chosen: Mapping[str, Candidate],
        extras: Mapping[str, Sequence[Candidate]],
        stride: int = 1,
    ) -> None:
        """Polish (on every ``stride``-th sample), rationalise and judge one assembly; a
        failure is recorded."""
        try:
            result = recover(
                route,
                chosen,
                self.space,
                self.states[::stride],
                self.accelerations[::stride],
                self.polish,
                extras,
                self.slack,
            )
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            self.failures.append(f"{level} route {route}: {exc}")
            return
        self.attempts.append(
            Attempt(level, result, self.acceptance.judge(result.lagrangian), chosen)
        )

    def _attempt(self, level: str) -> None:
        """Assemble, polish and judge every route whose targets all have a front."""
        for route, problems in self.routes.items():
            names = [p.name for p in problems]
            if any(name not in self.fronts for name in names):
                continue
            chosen = {name: self.rule.choose(self.fronts[name]) for name in names}
            extras = (
                {name: alternatives(self.fronts[name], chosen[name]) for name in names}
                if self.polish and self.offer_alternatives
                else {}
            )
            key = (
                route,
                tuple(sp.srepr(chosen[n].expr) for n in names),
                tuple(sp.srepr(c.expr) for n in names for c in extras.get(n, [])),
            )
            if key in self._tried:
                continue
            self._tried.add(key)
            self._recover(level, route, chosen, extras)


def _degree(term: sp.Expr, velocities: Sequence[sp.Symbol]) -> float:
    """Total degree of ``term`` in the velocities (``inf`` if not a polynomial in them)."""
    poly = term.as_poly(*velocities)
    return float("inf") if poly is None else float(poly.total_degree())
