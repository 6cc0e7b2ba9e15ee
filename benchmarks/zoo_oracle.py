"""Oracle mode: distil a stand-in for a trained network, no training.

The "network" is the true Lagrangian perturbed as a well-trained network would be (as
``perturbed_lagrangian`` in ``tests/test_distill_recovery.py``):
``α (L + ε E ξ(q, q̇)) + dF(q)/dt + 17/10`` with ``ε = 1e-3``, ``E`` the RMS of ``L`` on the
box, ``ξ`` a smooth non-quadratic function of unit size and ``F`` a gauge term. It is wrapped
by :class:`physym.distill.ExpressionModel`, distilled by :func:`physym.distill.distill` with
exact samples as the fit passes its training data, and compared by :func:`physym.compare`
on fresh states as the fit does. The result is a dict with the keys of a fit's
``summary.json`` that the zoo reads, so both modes are scored the same way.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import sympy as sp

from physym import System, compare

__all__ = ["EPSILON", "oracle_summary", "perturbed_lagrangian"]

EPSILON = 1e-3
N_SAMPLES = 4000  # the distillation polishes on at most 4000 samples
_FRESH_SEED_OFFSET = 7919  # as the fit: comparison states are not the training ones


def perturbed_lagrangian(
    system: System, epsilon: float = EPSILON, alpha: float = 2.7, seed: int = 1
) -> sp.Expr:
    """``α (L + ε E ξ) + dF/dt + 17/10`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    q, v, n = system.q_symbols, system.qdot_symbols, system.n_dof
    low, high = system.box
    states = rng.uniform(low, high, (500, 2 * n))
    energy = float(np.sqrt(np.mean(system.lagrangian_value(states) ** 2)))
    noise = sum(
        sp.sin(
            sp.Float(rng.uniform(0.5, 1)) * 2 * q[i] / (high[i] - low[i])
            + sp.Float(rng.uniform(0.5, 1)) * 2 * v[i] / (high[n + i] - low[n + i])
            + sp.Float(rng.uniform(0, 6))
        )
        for i in range(n)
    )
    gauge = sp.Rational(2, 5) * sp.sin(q[0] + sp.Rational(3, 10)) + q[0] * q[-1] ** 2 / 5
    total_derivative = sum(sp.diff(gauge, q[i]) * v[i] for i in range(n))
    return (
        alpha * (system.lagrangian_numeric + epsilon * energy * noise)
        + total_derivative
        + sp.Rational(17, 10)
    )


def oracle_summary(system: System, seed: int = 0) -> dict[str, Any]:
    """Distil the perturbed truth of ``system`` and compare: a ``summary.json``-like dict."""
    from physym.distill import ExpressionModel, distill

    begin = time.perf_counter()
    model = ExpressionModel(perturbed_lagrangian(system, seed=seed + 1), system.coordinates)
    low, high = system.box
    states = np.random.default_rng(seed + 7).uniform(low, high, (N_SAMPLES, low.size))
    data = (states, system.accelerations(states))
    start = time.perf_counter()
    result = distill(model, system, data=data, seed=seed)
    distilled = time.perf_counter()
    comparison = compare(system, result.lagrangian, n_states=2000, seed=seed + _FRESH_SEED_OFFSET)
    end = time.perf_counter()
    return {
        "system": system.name,
        "true_lagrangian": sp.sstr(system.lagrangian_numeric),
        "recovered_lagrangian": sp.sstr(result.lagrangian),
        "equivalent": bool(comparison.equivalent),
        "exact": bool(comparison.exact),
        "scale": comparison.scale,
        "closed_form": result.closed_form,
        "accel_rel_error": {
            "network": result.acceptance.get("network_error"),
            "recovered": comparison.accel_rel_error,
        },
        "timings": {"distill": distilled - start, "compare": end - distilled, "total": end - begin},
        "backend": result.backend,
    }
