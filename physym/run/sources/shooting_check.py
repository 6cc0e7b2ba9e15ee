"""The training checks of a fit from measured positions, with the constants refitted.

Training stops once two consecutive distillations of the network give the same closed
form and the acceptance rule calls it found (:mod:`physym.run.stopping`). On noisy
positions the polish's constants carry the noise of the estimated derivatives: a closed
form with the right terms can fail the rule for them alone, and two checks never give
the same constants, so training would run to its budget. :class:`ShootingCheck` refits
a check's constants to the positions
(:func:`~physym.run.sources.shooting_refit.refit_closed_form`) and judges the refined
``L`` too, once the check's terms are those of the check before (early checks, whose
terms change from one to the next, are not worth a refit). Two consecutive refits of the
same terms whose constants agree within their standard errors are the same closed form:
the later check repeats the earlier's expression, so that the stopping rule sees them
equal.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from physym.run.sources.shooting_refit import Refit, one_line, refit_closed_form

if TYPE_CHECKING:
    from physym.data import StateEstimate
    from physym.distill import Distillation
    from physym.network.base import LagrangianModel
    from physym.run.sources.base import SourceData
    from physym.shooting import ShootingResult

__all__ = ["ShootingCheck", "same_constants"]


class ShootingCheck:
    """``check(distillation, model)``: the distillation, refitted by shooting when its
    terms repeat the previous check's (see the module docstring); else, or where the refit
    fails, the polish's.

    Parameters
    ----------
    estimate : StateEstimate
        The measured positions.
    data : SourceData
        The samples (their validation blocks judge the refined ``L``).
    """

    def __init__(self, estimate: StateEstimate, data: SourceData):
        self.estimate = estimate
        self.data = data
        self.previous: Refit | None = None
        self._last: tuple[Distillation, Distillation] | None = None
        self._terms: frozenset[str] = frozenset()

    def original(self, distillation: Distillation) -> Distillation:
        """The polish's distillation behind the last check's refined one (``distillation``
        itself if it is not that one): the refine stage refits and records it afresh."""
        if self._last is not None and self._last[0] is distillation:
            return self._last[1]
        return distillation

    def __call__(self, distillation: Distillation, model: LagrangianModel) -> Distillation:
        terms = frozenset(distillation.coefficients)
        if terms != self._terms:  # new terms: the polish's verdict until they repeat
            self._terms, self.previous = terms, None
            return distillation
        try:
            refit = refit_closed_form(
                distillation, self.estimate, model, self.data, alternatives=False
            )
        except Exception as exc:  # the polish's verdict stands
            self.previous = None
            search = {**distillation.search, "shooting": one_line(exc)}
            return dataclasses.replace(distillation, search=search)
        refined = refit.distillation
        previous = self.previous
        if previous is not None and same_constants(previous.result, refit.result):
            refined = dataclasses.replace(refined, lagrangian=previous.distillation.lagrangian)
        self.previous = refit
        self._last = (refined, distillation)
        return refined


def same_constants(a: ShootingResult, b: ShootingResult) -> bool:
    """Same terms and roles, every constant within the larger of its two standard errors
    (exactly equal where neither has one)."""
    if [(c.name, c.kind, c.role) for c in a.constants] != [
        (c.name, c.kind, c.role) for c in b.constants
    ]:
        return False
    return all(
        abs(x.value - y.value) <= max(x.stderr, y.stderr)
        for x, y in zip(a.constants, b.constants, strict=True)
    )
