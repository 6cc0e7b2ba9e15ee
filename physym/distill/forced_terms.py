"""Equations of motion linear in the constants of ``L = Σ c_k φ_k`` and ``R = Σ d_k ψ_k``.

``d/dt ∂L/∂q̇ − ∂L/∂q + ∂R/∂q̇ = Q`` reads ``Σ_k c_k (H_k q̈ − f_k) + Σ_k d_k ∂ψ_k/∂q̇ = Q``
with each Lagrangian term's own mass matrix ``H_k = ∂²φ_k/∂q̇²`` and force
``f_k = ∂φ_k/∂q − (∂²φ_k/∂q̇∂q) q̇ − ∂²φ_k/∂q̇∂t``. A Rayleigh term is a column with
``H = 0`` and ``f = −∂ψ_k/∂q̇``, so one compiled table serves both, and the known forces
are the right-hand side: with them the constants are absolute (no free scale).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from physym.systems.names import time_symbol

__all__ = ["ForcedTerms"]


class ForcedTerms:
    """Compiled ``H_k`` and ``f_k`` of Lagrangian terms, then Rayleigh terms.

    Parameters
    ----------
    lagrangian_terms, dissipation_terms : sequence of sympy.Expr
        In ``q``, ``q̇`` and ``t``.
    q_symbols, v_symbols : sequence of sympy.Symbol

    Examples
    --------
    >>> x, v = sp.symbols("x x_dot", real=True)
    >>> terms = ForcedTerms([v**2 / 2, x**2], [v**2 / 2], [x], [v])
    >>> mass, force = terms.evaluate(np.array([[1.0, 2.0]]), np.zeros(1))
    >>> mass[0, :, 0, 0].tolist(), force[0, :, 0].tolist()
    ([1.0, 0.0, 0.0], [0.0, 2.0, -2.0])
    """

    def __init__(
        self,
        lagrangian_terms: Sequence[sp.Expr],
        dissipation_terms: Sequence[sp.Expr],
        q_symbols: Sequence[sp.Symbol],
        v_symbols: Sequence[sp.Symbol],
    ):
        self.lagrangian_terms = tuple(lagrangian_terms)
        self.dissipation_terms = tuple(dissipation_terms)
        self.q, self.v = tuple(q_symbols), tuple(v_symbols)
        n = len(self.q)
        t = time_symbol()
        entries: list[sp.Expr] = []
        for term in self.lagrangian_terms:
            grad_v = [sp.diff(term, s) for s in self.v]
            entries += [sp.diff(g, s) for g in grad_v for s in self.v]
            entries += [
                sp.diff(term, self.q[i])
                - sum(sp.diff(grad_v[i], self.q[j]) * self.v[j] for j in range(n))
                - sp.diff(grad_v[i], t)
                for i in range(n)
            ]
        for term in self.dissipation_terms:
            entries += [sp.Integer(0)] * (n * n) + [-sp.diff(term, s) for s in self.v]
        self._function = sp.lambdify((*self.q, *self.v, t), entries, modules="numpy", cse=True)

    @property
    def n_terms(self) -> int:
        return len(self.lagrangian_terms) + len(self.dissipation_terms)

    @property
    def n_dof(self) -> int:
        return len(self.q)

    def evaluate(self, states: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``H`` ``(B, K, n, n)`` and ``f`` ``(B, K, n)`` at ``states`` ``(B, 2n)``, ``t``."""
        n, batch = self.n_dof, len(states)
        columns = [states[:, i] for i in range(2 * n)] + [np.asarray(t, dtype=np.float64)]
        with np.errstate(all="ignore"):
            values = [
                np.broadcast_to(np.asarray(e, dtype=np.float64), (batch,))
                for e in self._function(*columns)
            ]
        table = np.stack(values, axis=-1).reshape(batch, self.n_terms, n * n + n)
        return table[..., : n * n].reshape(batch, self.n_terms, n, n), table[..., n * n :]

    @staticmethod
    def accelerations(
        mass: np.ndarray, force: np.ndarray, coefficients: np.ndarray, known: np.ndarray
    ) -> np.ndarray:
        """``q̈ = (Σ c_k H_k)⁻¹ (Σ c_k f_k + Q)``, ``(B, n)`` (NaN where singular)."""
        total_mass = np.einsum("k,bkij->bij", coefficients, mass)
        total_force = np.einsum("k,bki->bi", coefficients, force) + known
        out = np.full(total_force.shape, np.nan)
        good = np.isfinite(total_mass).all(axis=(1, 2)) & np.isfinite(total_force).all(axis=1)
        if good.any():
            det = np.abs(np.linalg.det(total_mass[good]))
            ok = np.flatnonzero(good)[det > 1e-300]
            out[ok] = np.linalg.solve(total_mass[ok], total_force[ok][..., None])[..., 0]
        return out
