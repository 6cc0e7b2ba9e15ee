"""The free parameters ``θ`` of a shooting fit, and the scale condition eliminated exactly.

``L`` is defined only up to a factor, so one linear condition ``Σ_k a_k c_k = v``
(:class:`~physym.distill.polish.ScaleFix`) fixes it. It is not a penalty: one coefficient,
the *pivot*, is eliminated, ``c_j = (v − Σ_{k≠j} a_k c_k)/a_j``, so that
``c = offset + directions · θ_c`` is affine in the free coefficients ``θ_c``. Coefficients
held fixed (a term dropped, a constant rationalised) enter the offset. The terms'
nonlinear parameters, when fitted, follow ``θ_c`` in ``θ``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp

from physym.distill.euler_lagrange import TermDynamics
from physym.distill.polish import ScaleFix

__all__ = ["Parametrisation", "ShootingError", "scale_vector"]


class ShootingError(ValueError):
    """The shooting fit cannot be set up or cannot proceed (the message says why)."""


def scale_vector(
    dynamics: TermDynamics, scale: ScaleFix, params: Mapping[sp.Symbol, float]
) -> np.ndarray:
    """``a`` of the condition ``Σ_k a_k c_k = v`` (for ``"mass"``: at the starting params)."""
    n_terms = len(dynamics.terms)
    if scale.kind == "term":
        if not 0 <= scale.index < n_terms:
            raise ShootingError(
                f"scale condition names term {scale.index}, but there are {n_terms} terms"
            )
        return np.eye(n_terms)[scale.index]
    if scale.kind == "mass":
        if len(scale.state) != 2 * dynamics.n_dof or not 0 <= scale.index < dynamics.n_dof:
            raise ShootingError(
                f"mass scale condition needs a state of {2 * dynamics.n_dof} "
                f"numbers and a coordinate index < {dynamics.n_dof}"
            )
        mass, _ = dynamics.evaluate(np.asarray(scale.state, dtype=np.float64)[None, :], params)
        return np.nan_to_num(mass[0, :, scale.index, scale.index])
    raise ShootingError(f"unknown scale condition kind {scale.kind!r}; use 'term' or 'mass'")


@dataclass(frozen=True, eq=False)
class Parametrisation:
    """``θ = (θ_c, p)`` and the affine map ``c = offset + directions · θ_c``.

    Attributes
    ----------
    offset : numpy.ndarray, shape ``(K,)``
    directions : numpy.ndarray, shape ``(K, P_c)``
    free : tuple of int
        The coefficient that each entry of ``θ_c`` is.
    pivot : int
        The coefficient the scale condition determines.
    fixed : dict of int to float
        Coefficients held at a value.
    n_params : int
        Nonlinear parameters in ``θ`` after ``θ_c`` (0 when they are held fixed).
    """

    offset: np.ndarray
    directions: np.ndarray
    free: tuple[int, ...]
    pivot: int
    fixed: dict[int, float]
    n_params: int

    @classmethod
    def build(
        cls,
        start: np.ndarray,
        vector: np.ndarray,
        value: float,
        fixed: Mapping[int, float],
        n_params: int,
    ) -> Parametrisation:
        """Choose the pivot (the largest ``|a_k c_k|`` among the coefficients not fixed)."""
        n_terms = len(start)
        open_ = [k for k in range(n_terms) if k not in fixed and vector[k] != 0]
        if not open_:
            raise ShootingError(
                "the scale condition involves no coefficient that is free to "
                "change; fix the scale with another term"
            )
        pivot = max(open_, key=lambda k: (abs(vector[k] * start[k]), abs(vector[k])))
        free = tuple(k for k in range(n_terms) if k not in fixed and k != pivot)
        offset = np.zeros(n_terms)
        for k, v in fixed.items():
            offset[k] = float(v)
        offset[pivot] = (value - vector @ offset) / vector[pivot]
        directions = np.zeros((n_terms, len(free)))
        for i, k in enumerate(free):
            directions[k, i] = 1.0
            directions[pivot, i] = -vector[k] / vector[pivot]
        return cls(
            offset, directions, free, pivot, {k: float(v) for k, v in fixed.items()}, n_params
        )

    @property
    def size(self) -> int:
        """Length of ``θ``."""
        return len(self.free) + self.n_params

    def coefficients(self, theta: np.ndarray) -> np.ndarray:
        """``c`` of shape ``(K,)``."""
        return self.offset + self.directions @ theta[: len(self.free)]

    def params(self, theta: np.ndarray, start: np.ndarray) -> np.ndarray:
        """The nonlinear parameters: fitted ones from ``θ``, else ``start``."""
        return theta[len(self.free) :] if self.n_params else start

    def theta(self, coefficients: np.ndarray, params: np.ndarray) -> np.ndarray:
        """``θ`` of given coefficients (which must satisfy the condition) and params."""
        own = coefficients[list(self.free)]
        return np.concatenate([own, params]) if self.n_params else own

    def covariance(self, theta_covariance: np.ndarray) -> np.ndarray:
        """Covariance of ``(c, fitted p)`` from that of ``θ``: ``G Σ Gᵀ``."""
        n_free, n_terms = len(self.free), len(self.offset)
        jacobian = np.zeros((n_terms + self.n_params, self.size))
        jacobian[:n_terms, :n_free] = self.directions
        jacobian[n_terms:, n_free:] = np.eye(self.n_params)
        return jacobian @ theta_covariance @ jacobian.T
