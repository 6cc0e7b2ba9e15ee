"""Comparison: is a recovered Lagrangian the same physics as the true one?

``compare(true_system, recovered)`` gives the verdicts of DESIGN.md §4 (dynamically
equivalent; exactly recovered up to a scale and a null Lagrangian) with their evidence, and
``rollout_compare`` integrates both from the same initial states.
"""

from physym.comparison._compare import compare, recovered_system
from physym.comparison._result import Comparison
from physym.comparison._rollout import RecoveredRollout, rollout_compare
from physym.systems.latex import equations_latex, lagrangian_latex, parse_lagrangian

__all__ = [
    "Comparison",
    "RecoveredRollout",
    "compare",
    "equations_latex",
    "lagrangian_latex",
    "parse_lagrangian",
    "recovered_system",
    "rollout_compare",
]
