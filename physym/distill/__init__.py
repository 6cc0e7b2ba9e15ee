"""Distil a learned Lagrangian back to a closed form.

``distill(model, system)`` reads gauge-invariant targets off the network (mass matrix,
curl of the vector potential, potential; or the velocity part when ``L_θ`` is not
quadratic in ``q̇``), regresses each with a backend chosen by name (``"sparse"``,
``"operon"``, ``"pysr"``), assembles ``L``, fixes its scale, refits the constants on data
through the Euler–Lagrange equations and rationalises them where the data agree.
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
