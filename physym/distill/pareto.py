"""Complexity–error fronts and the rule that picks one model from them.

Every backend returns candidate expressions with an error (RMS residual divided by the
target's natural scale) and a complexity (the number of nodes of the SymPy expression
tree, as in PySR). The front keeps a candidate only if it is more accurate than every
simpler one. The **selection rule** takes the simplest model on the front whose error is
at most ``max(floor, ratio × best error, noise)``: ``floor`` treats round-off-level
errors as equal, ``ratio`` tolerates a little overfitting by richer models, and ``noise``
is the network's own measured inconsistency (a model need not beat the accuracy of the
thing it imitates). A knee would pick the same model in the clean cases and is less
predictable when the front is ragged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sympy as sp

__all__ = ["Candidate", "SelectionRule", "complexity", "pareto_front"]


def complexity(expr: sp.Expr) -> int:
    """Number of nodes of the expression tree (numbers and symbols count 1).

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> complexity(3 * sp.cos(x))
    4
    """
    return sum(1 for _ in sp.preorder_traversal(sp.sympify(expr)))


@dataclass(frozen=True)
class Candidate:
    """One model of one target.

    Attributes
    ----------
    expr : sympy.Expr
        The model, in coordinate and velocity symbols (may contain nonlinear parameters).
    error : float
        RMS residual over the target's scale.
    complexity : int
    backend : str
    params : mapping of Symbol to float
        Values of the nonlinear parameters in ``expr`` (e.g. the Lorentz speed).
    """

    expr: sp.Expr
    error: float
    complexity: int
    backend: str
    params: Mapping[sp.Symbol, float] = field(default_factory=dict)

    def numeric(self) -> sp.Expr:
        """``expr`` with the nonlinear parameters substituted."""
        return self.expr.subs(dict(self.params)) if self.params else self.expr


def pareto_front(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Candidates more accurate than every simpler one, by increasing complexity."""
    front: list[Candidate] = []
    for candidate in sorted(candidates, key=lambda c: (c.complexity, c.error)):
        if not front or candidate.error < front[-1].error:
            front.append(candidate)
    return front


@dataclass(frozen=True)
class SelectionRule:
    """Simplest model with error ``<= max(floor, ratio * best, noise)``.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> front = [Candidate(sp.S(0), 1.0, 1, "t"), Candidate(x, 1e-3, 1, "t"),
    ...          Candidate(x + x**3, 9e-4, 6, "t")]
    >>> SelectionRule(ratio=1.5).choose(pareto_front(front)).expr
    x
    """

    ratio: float = 1.5
    floor: float = 1e-8
    noise: float = 0.0

    def threshold(self, front: Sequence[Candidate]) -> float:
        best = min(c.error for c in front)
        return max(self.floor, self.ratio * best, self.noise)

    def accepted(self, front: Sequence[Candidate]) -> list[Candidate]:
        """Candidates within the threshold, simplest first (the first is the choice)."""
        if not front:
            raise ValueError("cannot select from an empty front")
        limit = self.threshold(front)
        return sorted((c for c in front if c.error <= limit), key=lambda c: (c.complexity, c.error))

    def choose(self, front: Sequence[Candidate]) -> Candidate:
        """The selected candidate of a non-empty front."""
        return self.accepted(front)[0]
