"""Fixed-step RK4 over a batch of windows, with the exact derivatives of the discrete map.

Every window is integrated from its own initial state at once (the batch), sample by
sample, with ``substeps`` equal RK4 steps between neighbouring samples (sampling may be
non-uniform; a padded step of length 0 leaves the state as it is). Alongside the state
``x`` the sensitivity matrix ``S = ∂x/∂(x₀, θ)`` is carried through the same stages by the
chain rule, ``dk_i = J(x_i) (S + a_i h dk_{i−1}) + ∂g/∂θ``, which is the derivative of the
RK4 map itself (not of the exact flow), so Gauss–Newton sees the gradient of exactly the
residual it minimises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physym.shooting.equations import ShootingEquations

__all__ = ["Rollout", "rollout"]


@dataclass(frozen=True)
class Rollout:
    """States at every sample of every window, and optionally their sensitivities.

    Attributes
    ----------
    states : numpy.ndarray, shape ``(B, S + 1, 2n)``
    sensitivities : numpy.ndarray, shape ``(B, S + 1, n, 2n + P)``, optional
        ``∂q/∂(x₀, θ)``: positions only (the residuals are positions).
    """

    states: np.ndarray
    sensitivities: np.ndarray | None


def rollout(
    equations: ShootingEquations,
    initial: np.ndarray,
    coefficients: np.ndarray,
    params: np.ndarray,
    steps: np.ndarray,
    substeps: int,
    coefficient_directions: np.ndarray | None = None,
    fit_params: bool = False,
) -> Rollout:
    """Integrate every window over its sample intervals.

    Parameters
    ----------
    equations : ShootingEquations
    initial : numpy.ndarray, shape ``(B, 2n)``
        Each window's state at its first sample.
    coefficients : numpy.ndarray, shape ``(K,)``
    params : numpy.ndarray, shape ``(P_nl,)``
        Values of the terms' nonlinear parameters.
    steps : numpy.ndarray, shape ``(B, S)``
        Time between neighbouring samples of each window (0 for padding).
    substeps : int
        RK4 steps per sample interval.
    coefficient_directions : numpy.ndarray, shape ``(K, P_c)``, optional
        ``∂c/∂θ_c``; with it (or ``fit_params``), sensitivities are returned, with
        columns ``(x₀, θ_c, p)``.
    fit_params : bool
        Also differentiate with respect to the nonlinear parameters.

    Returns
    -------
    Rollout
    """
    n = equations.n_dof
    want = coefficient_directions is not None or fit_params
    directions = (
        np.zeros((equations.n_terms, 0))
        if coefficient_directions is None
        else coefficient_directions
    )
    batch, n_steps = steps.shape
    width = 2 * n + directions.shape[1] + (equations.n_params if fit_params else 0)

    def derivative(x: np.ndarray, s: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        acc = equations.accelerations(x, coefficients, params, jacobians=want)
        g = np.concatenate([x[:, n:], acc.value], axis=1)
        if s is None or acc.state is None or acc.coefficients is None:
            return g, None
        ds = np.empty_like(s)
        ds[:, :n] = s[:, n:]
        ds[:, n:] = acc.state @ s
        parts = [acc.coefficients @ directions]
        if fit_params and acc.params is not None:
            parts.append(acc.params)
        ds[:, n:, 2 * n :] += np.concatenate(parts, axis=2)
        return g, ds

    x = np.array(initial, dtype=np.float64)
    s: np.ndarray | None = None
    if want:
        s = np.zeros((batch, 2 * n, width))
        s[:, :, : 2 * n] = np.eye(2 * n)
    states = np.empty((batch, n_steps + 1, 2 * n))
    states[:, 0] = x
    sensitivities = np.empty((batch, n_steps + 1, n, width)) if s is not None else None
    if sensitivities is not None and s is not None:
        sensitivities[:, 0] = s[:, :n]
    with np.errstate(all="ignore"):
        for i in range(n_steps):
            h = steps[:, i : i + 1] / substeps
            hh = h[..., None]
            for _ in range(substeps):
                k1, d1 = derivative(x, s)
                k2, d2 = derivative(x + 0.5 * h * k1, _step(s, 0.5 * hh, d1))
                k3, d3 = derivative(x + 0.5 * h * k2, _step(s, 0.5 * hh, d2))
                k4, d4 = derivative(x + h * k3, _step(s, hh, d3))
                x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
                if (
                    s is not None
                    and d1 is not None
                    and d2 is not None
                    and d3 is not None
                    and d4 is not None
                ):
                    s = s + hh / 6 * (d1 + 2 * d2 + 2 * d3 + d4)
            states[:, i + 1] = x
            if sensitivities is not None and s is not None:
                sensitivities[:, i + 1] = s[:, :n]
    return Rollout(states, sensitivities)


def _step(s: np.ndarray | None, h: np.ndarray, ds: np.ndarray | None) -> np.ndarray | None:
    return None if s is None or ds is None else s + h * ds
