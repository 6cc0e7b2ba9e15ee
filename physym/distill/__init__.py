"""Distil a learned Lagrangian back to a closed form.

``distill(model, system)`` reads gauge-invariant targets off the network (mass matrix,
curl of the vector potential, potential; or the velocity part when ``L_θ`` is not
quadratic in ``q̇``) and searches forms for them, cheap ones first: the sparse library,
then a grammar of forms built for each target from its probed structure
(:mod:`~physym.distill.structure`, :mod:`~physym.distill.grammar`,
:mod:`~physym.distill.families`), then sums of shifted point centres for targets that
do not separate (:mod:`~physym.distill.centres`), then genetic programming. Each candidate ``L`` is
assembled, its constants refit on data through the Euler–Lagrange equations and
rationalised where the data agree, and judged on held-out data
(:mod:`~physym.distill.acceptance`); the search stops at the first that explains them
better than the network. When none does, the result says so
(:mod:`~physym.distill.outcome`). Backends are named in :mod:`~physym.distill.registry`
(``"sparse"``, ``"forms"``, ``"centres"``, ``"operon"``, ``"pysr"``).
"""

from physym.distill.base import Backend, BackendUnavailableError, Problem
from physym.distill.library import LibraryConfig, kinetic_terms, q_terms
from physym.distill.pareto import Candidate, SelectionRule, complexity, pareto_front
from physym.distill.pipeline import distill
from physym.distill.reference import ExpressionModel
from physym.distill.registry import BACKENDS, get_backend, register_backend
from physym.distill.result import Distillation
from physym.distill.space import StateSpace

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendUnavailableError",
    "Candidate",
    "Distillation",
    "ExpressionModel",
    "LibraryConfig",
    "Problem",
    "SelectionRule",
    "StateSpace",
    "complexity",
    "distill",
    "get_backend",
    "kinetic_terms",
    "pareto_front",
    "q_terms",
    "register_backend",
]
