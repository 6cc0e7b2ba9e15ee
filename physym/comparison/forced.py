"""Comparison of a recovered ``L`` and ``R`` with a system that has friction, forces or time.

* **equivalent**: on fresh states, times and inputs drawn from the sampling box, the
  accelerations of the recovered ``L`` and ``R`` *under the true known forces* match the
  exact ones (relative error within the tolerance).
* **exact**: ``L_rec/α − L_true`` is a null Lagrangian (its Euler–Lagrange expression,
  time derivatives included, simplifies to zero) and ``R_rec/α − R_true = 0``, with
  ``α = 1`` when known forces are present (they fix the scale); without forces ``α`` is
  read off the mass matrices and rationalised. The true system's float constants are
  taken as the simplest rationals within round-off first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from physym.comparison._symbolic import rationalise
from physym.distill.forced_terms import ForcedTerms
from physym.systems.names import time_symbol

__all__ = ["compare_forced", "euler_lagrange_expression"]

#: Relative round-off of the true system's float constants (``0.1 + 0.05`` is not
#: ``0.15``): each becomes the simplest rational this close before the symbolic check.
_ROUND_OFF = 1e-12


def euler_lagrange_expression(
    lagrangian: sp.Expr, q: tuple[sp.Symbol, ...], v: tuple[sp.Symbol, ...]
) -> list[sp.Expr]:
    """``d/dt ∂Λ/∂q̇_i − ∂Λ/∂q_i`` with accelerations as symbols ``<q>_ddot``."""
    t = time_symbol()
    accelerations = [sp.Symbol(f"{s}_ddot", real=True) for s in q]
    out = []
    for i in range(len(q)):
        p = sp.diff(lagrangian, v[i])
        total = sum(
            sp.diff(p, v[j]) * accelerations[j] + sp.diff(p, q[j]) * v[j] for j in range(len(q))
        ) + sp.diff(p, t)
        out.append(total - sp.diff(lagrangian, q[i]))
    return out


def _is_zero(expr: sp.Expr) -> bool:
    expr = sp.expand(expr)
    return expr == 0 or sp.simplify(sp.expand_trig(expr)) == 0


def compare_forced(
    system: Any,
    lagrangian: sp.Expr,
    dissipation: sp.Expr | None,
    *,
    n_states: int = 2000,
    seed: int = 0,
    tolerance: float = 1e-6,
) -> dict[str, Any]:
    """Summary entries (``equivalent``, ``exact``, ``scale``, the recovered error…).

    Parameters
    ----------
    system : System
        The true system (its known forces are used for both).
    lagrangian, dissipation : sympy.Expr
        The recovered ``L`` (may contain ``t``) and ``R`` (``None``: none recovered).
    n_states, seed : int
        Fresh states, times and inputs drawn from the sampling box.
    tolerance : float
        Relative acceleration error that counts as equivalent.
    """
    from physym.data.sampling import sample_states, sample_time_and_inputs

    states = sample_states(system, n_states, seed=seed)
    t, inputs = (
        sample_time_and_inputs(system, n_states, seed=seed)
        if system.time_dependent or system.has_inputs
        else (None, None)
    )
    truth = system.accelerations(states, t, inputs)
    known = (
        system.dynamics.generalised_forces(states, t, inputs)
        if system.has_forces
        else np.zeros_like(truth)
    )
    recovered_r = sp.Integer(0) if dissipation is None else dissipation
    terms = ForcedTerms(
        [lagrangian],
        [recovered_r] if dissipation is not None else [],
        system.q_symbols,
        system.qdot_symbols,
    )
    mass, force = terms.evaluate(states, np.zeros(len(states)) if t is None else t)
    predicted = ForcedTerms.accelerations(mass, force, np.ones(terms.n_terms), known)
    error = (
        float(np.linalg.norm(predicted - truth) / np.linalg.norm(truth))
        if np.all(np.isfinite(predicted))
        else float("inf")
    )
    equivalent = bool(error <= tolerance)
    scale = _scale(system, mass[:, 0], states)
    exact = False
    if equivalent and scale is not None:
        q, v = system.q_symbols, system.qdot_symbols
        true_l = rationalise(system.lagrangian_numeric, _ROUND_OFF)
        true_r = rationalise(sp.sympify(system.dissipation_numeric), _ROUND_OFF)
        residual_l = euler_lagrange_expression(lagrangian / scale - true_l, q, v)
        exact = all(_is_zero(e) for e in residual_l) and _is_zero(recovered_r / scale - true_r)
    return {
        "equivalent": equivalent,
        "exact": bool(exact),
        "scale": None if scale is None else float(scale),
        "scale_exact": None if scale is None else sp.sstr(scale),
        "accel_rel_error_recovered": error,
        "comparison": {
            "check": "numeric (true forces, fresh states, times and inputs)"
            + (" and symbolic" if equivalent else ""),
            "fresh_states": n_states,
            "tolerance": tolerance,
            "scale_rule": "1: known forces fix the scale"
            if system.has_forces
            else "alpha from the mass matrices, rationalised",
        },
    }


def _scale(system: Any, recovered_mass: np.ndarray, states: np.ndarray) -> sp.Expr | None:
    """``α`` with ``L_rec ≈ α L_true``: 1 with known forces, else from the mass matrices."""
    if system.has_forces:
        return sp.Integer(1)
    true_mass = system.dynamics.mass_matrix(states, np.zeros(len(states)))
    ratio = float(np.sum(recovered_mass * true_mass) / np.sum(true_mass * true_mass))
    if not np.isfinite(ratio) or ratio == 0:
        return None
    exact = sp.nsimplify(ratio, rational=True, tolerance=1e-8 * abs(ratio))
    return exact if sp.denom(exact) <= 10**6 else sp.Float(ratio, 15)
