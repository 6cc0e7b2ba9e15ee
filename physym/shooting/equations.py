"""The equations of motion of ``L = Σ_k c_k φ_k`` with the Jacobians that sensitivities need.

The Euler–Lagrange equations of ``L`` read ``E(x, q̈) = M q̈ − f = 0`` with
``M = Σ_k c_k H_k`` and ``f = Σ_k c_k f_k`` (the terms' own mass matrices and forces of
:class:`~physym.distill.euler_lagrange.TermDynamics`, which the tests check these against).
Differentiating ``E(x, q̈(x, θ)) = 0`` gives the Jacobians of the accelerations without a
third symbolic solve:

``∂q̈/∂x = −M⁻¹ ∂E/∂x``,  ``∂q̈/∂c_k = −M⁻¹ (H_k q̈ − f_k)``,  ``∂q̈/∂p = −M⁻¹ ∂E/∂p``,

with ``q̈`` held fixed inside ``E``. ``M``, ``f`` and the three ``∂E`` are derived once,
symbolically, and lambdified into two functions with common subexpressions shared.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import sympy as sp

from physym.distill.euler_lagrange import TermDynamics

__all__ = ["Accelerations", "ShootingEquations"]


@dataclass(frozen=True)
class Accelerations:
    """``q̈`` at a batch of states and, when asked for, its Jacobians.

    Attributes
    ----------
    value : numpy.ndarray, shape ``(batch, n)``
        NaN where the mass matrix is singular or not finite.
    state : numpy.ndarray, shape ``(batch, n, 2n)``, optional
        ``∂q̈/∂(q, q̇)``.
    coefficients : numpy.ndarray, shape ``(batch, n, K)``, optional
        ``∂q̈/∂c``.
    params : numpy.ndarray, shape ``(batch, n, P)``, optional
        ``∂q̈/∂p`` for the terms' nonlinear parameters.
    """

    value: np.ndarray
    state: np.ndarray | None = None
    coefficients: np.ndarray | None = None
    params: np.ndarray | None = None


class ShootingEquations:
    """Compiled ``M``, ``f`` and ``∂E`` of ``Σ_k c_k φ_k`` for the terms of ``dynamics``.

    Parameters
    ----------
    dynamics : TermDynamics
        The terms ``φ_k``, the coordinate and velocity symbols and the names of the
        nonlinear parameters inside the terms.

    Examples
    --------
    >>> x, v = sp.symbols("x x_dot", real=True)
    >>> equations = ShootingEquations(TermDynamics([v**2, x**2], [x], [v]))
    >>> equations.accelerations(np.array([[1.0, 0.0]]), np.array([0.5, -2.0]), ()).value
    array([[-4.]])
    """

    def __init__(self, dynamics: TermDynamics):
        self.dynamics = dynamics
        self.n_dof = n = dynamics.n_dof
        self.n_terms = len(dynamics.terms)
        self.n_params = len(dynamics.params)
        q, v, params = dynamics.q_symbols, dynamics.v_symbols, dynamics.params
        state = (*q, *v)
        c = sp.symbols(f"_shooting_c0:{self.n_terms}", real=True)
        a = sp.symbols(f"_shooting_a0:{n}", real=True)
        lagrangian = sp.Add(*(ck * term for ck, term in zip(c, dynamics.terms, strict=True)))
        momenta = [sp.diff(lagrangian, s) for s in v]
        mass = [sp.diff(p, s) for p in momenta for s in v]
        force = [
            sp.diff(lagrangian, q[i]) - sum(sp.diff(momenta[i], q[j]) * v[j] for j in range(n))
            for i in range(n)
        ]
        residual = [sum(mass[i * n + j] * a[j] for j in range(n)) - force[i] for i in range(n)]
        jacobians = [sp.diff(r, s) for r in residual for s in (*state, *c, *params)]
        self._mass_force = sp.lambdify(
            (*state, *c, *params), mass + force, modules="numpy", cse=True
        )
        self._jacobians = sp.lambdify(
            (*state, *c, *params, *a), jacobians, modules="numpy", cse=True
        )

    def accelerations(
        self,
        states: np.ndarray,
        coefficients: np.ndarray,
        params: np.ndarray | tuple[float, ...],
        jacobians: bool = False,
    ) -> Accelerations:
        """``q̈`` (and its Jacobians) at ``states`` ``(batch, 2n)``."""
        n, batch = self.n_dof, states.shape[0]
        arguments = [
            *states.T,
            *np.asarray(coefficients, dtype=np.float64),
            *np.asarray(params, dtype=np.float64),
        ]
        entries = _stack(self._mass_force(*arguments), batch)
        mass = entries[:, : n * n].reshape(batch, n, n)
        force = entries[:, n * n :]
        value = _solve(mass, force[..., None])[..., 0]
        if not jacobians:
            return Accelerations(value)
        width = 2 * n + self.n_terms + self.n_params
        derivatives = _stack(self._jacobians(*arguments, *value.T), batch).reshape(batch, n, width)
        solved = -_solve(mass, derivatives)
        k = 2 * n + self.n_terms
        return Accelerations(value, solved[..., : 2 * n], solved[..., 2 * n : k], solved[..., k:])


def _stack(entries: list, batch: int) -> np.ndarray:
    out = np.empty((batch, len(entries)))
    with np.errstate(all="ignore"):
        for i, entry in enumerate(entries):
            out[:, i] = entry  # arrays of the batch, or constants broadcast
    return out


def _solve(mass: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``M⁻¹ rhs`` per batch entry; NaN or inf where ``M`` is singular or not finite.

    One and two degrees of freedom (the common case, and the hot loop of every rollout)
    use the explicit inverse, which is several times faster than a batched LAPACK call.
    """
    n = mass.shape[1]
    with np.errstate(all="ignore"):
        if n == 1:
            return rhs / mass
        if n == 2:
            a, b, c, d = mass[:, 0, 0], mass[:, 0, 1], mass[:, 1, 0], mass[:, 1, 1]
            det = (a * d - b * c)[:, None]
            top, bottom = rhs[:, 0], rhs[:, 1]
            return np.stack(
                [
                    (d[:, None] * top - b[:, None] * bottom) / det,
                    (a[:, None] * bottom - c[:, None] * top) / det,
                ],
                axis=1,
            )
    out = np.full(rhs.shape, np.nan)
    good = np.isfinite(mass).all(axis=(1, 2)) & np.isfinite(rhs).all(axis=(1, 2))
    try:
        out[good] = np.linalg.solve(mass[good], rhs[good])
    except np.linalg.LinAlgError:  # one singular matrix in the batch: go one by one
        for row in np.flatnonzero(good):
            with contextlib.suppress(np.linalg.LinAlgError):
                out[row] = np.linalg.solve(mass[row], rhs[row])
    return out
