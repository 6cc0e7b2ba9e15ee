"""Euler–Lagrange columns of candidate terms: the equations of motion are linear in them.

For ``L = Σ_k c_k φ_k(q, q̇)`` the Euler–Lagrange expression is
``EL_i = Σ_k c_k [Σ_j ∂²φ_k/∂q̇_i∂q̇_j q̈_j + Σ_j ∂²φ_k/∂q̇_i∂q_j q̇_j − ∂φ_k/∂q_i]``,
i.e. ``Σ_k c_k (H_k q̈ − f_k)`` with the term's own mass matrix ``H_k`` and force
``f_k``. Both are derived symbolically once per term and lambdified; with data
``(states, q̈)`` the columns ``H_k q̈ − f_k`` make the residual a linear function of ``c``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["TermDynamics"]


class TermDynamics:
    """Compiled ``H_k`` and ``f_k`` of each term ``φ_k``.

    Parameters
    ----------
    terms : sequence of sympy.Expr
    q_symbols, v_symbols : sequence of sympy.Symbol
    params : sequence of sympy.Symbol
        Nonlinear parameters the terms may contain; their values are passed at evaluation.

    Examples
    --------
    >>> x, v = sp.symbols("x x_dot", real=True)
    >>> dyn = TermDynamics([v**2 / 2, x**2], [x], [v])
    >>> mass, force = dyn.evaluate(np.array([[1.0, 0.0]]))
    >>> mass[0, :, 0, 0], force[0, :, 0]
    (array([1., 0.]), array([0., 2.]))
    """

    def __init__(
        self,
        terms: Sequence[sp.Expr],
        q_symbols: Sequence[sp.Symbol],
        v_symbols: Sequence[sp.Symbol],
        params: Sequence[sp.Symbol] = (),
    ):
        self.terms = tuple(sp.sympify(t) for t in terms)
        self.q_symbols = tuple(q_symbols)
        self.v_symbols = tuple(v_symbols)
        self.params = tuple(params)
        self.n_dof = len(self.q_symbols)
        self._functions = [
            _compiled(t, self.q_symbols, self.v_symbols, self.params) for t in self.terms
        ]

    def evaluate(
        self,
        states: np.ndarray,
        params: Mapping[sp.Symbol, float] | None = None,
        terms: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``H`` of shape ``(batch, K, n, n)`` and ``f`` of shape ``(batch, K, n)``.

        ``terms``: indices of the terms to evaluate (all by default; ``K`` is their number).
        """
        params = params or {}
        n, batch = self.n_dof, states.shape[0]
        columns = [states[:, i] for i in range(2 * n)]
        values = [float(params[p]) for p in self.params]
        chosen = range(len(self.terms)) if terms is None else list(terms)
        mass = np.empty((batch, len(chosen), n, n))
        force = np.empty((batch, len(chosen), n))
        for slot, k in enumerate(chosen):
            with np.errstate(all="ignore"):
                entries = [
                    np.broadcast_to(np.asarray(e, dtype=np.float64), (batch,))
                    for e in self._functions[k](*columns, *values)
                ]
            mass[:, slot] = np.stack(entries[: n * n], axis=-1).reshape(batch, n, n)
            force[:, slot] = np.stack(entries[n * n :], axis=-1)
        return mass, force

    def terms_with(self, symbol: sp.Symbol) -> list[int]:
        """Indices of the terms that contain the parameter ``symbol``."""
        return [k for k, term in enumerate(self.terms) if symbol in term.free_symbols]

    @staticmethod
    def columns(mass: np.ndarray, force: np.ndarray, accelerations: np.ndarray) -> np.ndarray:
        """``H_k q̈ − f_k``, shape ``(batch, K, n)``."""
        return np.einsum("bkij,bj->bki", mass, accelerations) - force

    @staticmethod
    def accelerations(mass: np.ndarray, force: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
        """``q̈ = (Σ c_k H_k)⁻¹ Σ c_k f_k``, shape ``(batch, n)`` (NaN where singular)."""
        total_mass = np.einsum("k,bkij->bij", coefficients, mass)
        total_force = np.einsum("k,bki->bi", coefficients, force)
        out = np.full(total_force.shape, np.nan)
        regular = np.isfinite(total_mass).all(axis=(1, 2)) & np.isfinite(total_force).all(axis=1)
        if regular.any():
            det = np.abs(np.linalg.det(total_mass[regular]))
            ok = np.flatnonzero(regular)[det > 1e-300]
            out[ok] = np.linalg.solve(total_mass[ok], total_force[ok][..., None])[..., 0]
        return out


@functools.lru_cache(maxsize=4096)
def _compiled(
    term: sp.Expr, q: tuple[sp.Symbol, ...], v: tuple[sp.Symbol, ...], params: tuple[sp.Symbol, ...]
) -> Callable[..., Any]:
    """Lambdified ``H`` (row-major) and ``f`` entries of one term (cached: the search
    assembles the same terms many times)."""
    n = len(q)
    grad_v = [sp.diff(term, s) for s in v]
    mass = [sp.diff(g, s) for g in grad_v for s in v]
    force = [
        sp.diff(term, q[i]) - sum(sp.diff(grad_v[i], q[j]) * v[j] for j in range(n))
        for i in range(n)
    ]
    return sp.lambdify((*q, *v, *params), mass + force, modules="numpy", cse=True)
