"""The zoo's independent verdicts: is a recovered Lagrangian the true one?

Independent of physym's comparison and distillation (it imports neither, nor any physym
module: the true ``L`` comes in as an expression, its parameters as numbers). Two verdicts:

``equivalent``
    The Euler–Lagrange accelerations of both Lagrangians, derived here
    (``M = ∂²L/∂q̇²``, ``f = ∂L/∂q − (∂²L/∂q̇∂q) q̇``, ``q̈ = M⁻¹f``), agree on fresh random
    states of the box: ``‖q̈_rec − q̈_true‖ / ‖q̈_true‖ ≤ 1e-6`` (float64).

``exact``
    ``L_rec = α L_true + (a null Lagrangian)`` for a constant ``α ≠ 0``. Every number is
    read exactly as written (the truth's decimals and parameters: ``9.81`` is ``981/100``;
    the recovered ``L``'s floats likewise). The Euler–Lagrange rows ``(M, f)`` are linear in
    ``L``, so the claim is ``M_rec = α M_true`` and ``f_rec = α f_true`` identically. It is
    decided numerically in 60-digit arithmetic (mpmath) at random rational states of the
    box: ``α`` is the ratio of the largest mass-matrix entries at the first state, then both
    identities must hold at every state, each equation ``M[i] q̈ = f[i]`` relative to the
    size of its own terms (so a light coordinate's equation is not judged against a heavy
    one's), to a tolerance:

    * 1e-40 when the recovered ``L`` has only exact rationals: an identity then leaves only
      round-off (~1e-58), while any constant off by more than ~1e-38 leaves more;
    * 1e-12 when it has floats: a float printed to 15 significant digits carries ~5e-16 of
      rounding (and no float can carry an irrational truth such as ``sin(0.61)`` better),
      and 1e-12 leaves a factor of 100 for cancellations in ``f``, while any constant
      fitted rather than found (off by more than ~1e-12) is not exact.

    Why a numeric check is sound: a nonzero real-analytic function of the state vanishes
    only on a set of measure zero, so the residual cannot vanish at several random states
    unless it is identically zero; and 60 digits put round-off far below both tolerances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from zoo_symbols import ExpressionError, exact_decimal, parse, state_symbols, with_rational_floats

__all__ = [
    "EQUIVALENT_RTOL",
    "Verdict",
    "accelerations",
    "check",
    "euler_lagrange_rows",
    "truth_expression",
]

EQUIVALENT_RTOL = 1e-6
FLOAT_RTOL = 1e-12  # exactness of a recovered L with floats (module docstring)
_DIGITS = 60
RATIONAL_RTOL = 1e-40  # exactness of a recovered L with exact rationals only
_N_EXACT_STATES = 8


@dataclass(frozen=True)
class Verdict:
    """The checker's verdicts and their evidence (``to_dict`` for JSON)."""

    equivalent: bool
    exact: bool
    accel_rel_error: float | None
    scale: str | None
    exact_residual: float | None
    method: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def truth_expression(lagrangian: sp.Expr, parameters: Mapping[str, float]) -> sp.Expr:
    """The true ``L`` with exact rationals: parameters and decimals as written."""
    values = {
        s: exact_decimal(parameters[s.name])
        for s in lagrangian.free_symbols
        if s.name in parameters
    }
    return with_rational_floats(sp.sympify(lagrangian).xreplace(values))


def euler_lagrange_rows(
    lagrangian: sp.Expr, q: Sequence[sp.Symbol], v: Sequence[sp.Symbol]
) -> tuple[sp.Matrix, sp.Matrix]:
    """``(M, f)`` with ``M q̈ = f`` the Euler–Lagrange equations of ``lagrangian``."""
    momenta = [sp.diff(lagrangian, vi) for vi in v]
    mass = sp.Matrix([[sp.diff(p, vj) for vj in v] for p in momenta])
    force = sp.Matrix(
        [
            sp.diff(lagrangian, qi) - sum(sp.diff(p, qj) * vj for qj, vj in zip(q, v, strict=True))
            for qi, p in zip(q, momenta, strict=True)
        ]
    )
    return mass, force


def _numeric(
    entries: Sequence[sp.Expr], symbols: Sequence[sp.Symbol], states: np.ndarray
) -> np.ndarray:
    """Entries evaluated on ``states`` ``(N, k)``; NaN where an entry is not real."""
    columns = list(states.T)
    out = np.empty((len(states), len(entries)))
    for k, entry in enumerate(entries):
        value = np.broadcast_to(
            np.asarray(sp.lambdify(symbols, entry, modules="numpy")(*columns)), (len(states),)
        )
        if np.iscomplexobj(value):
            real = np.abs(value.imag) <= 1e-12 * (1 + np.abs(value.real))
            value = np.where(real, value.real, np.nan)
        out[:, k] = value
    return out


def accelerations(
    lagrangian: sp.Expr, q: Sequence[sp.Symbol], v: Sequence[sp.Symbol], states: np.ndarray
) -> np.ndarray:
    """``q̈ = M⁻¹ f`` on ``states`` ``(N, 2n)``; NaN rows where ``M`` is singular."""
    n = len(q)
    mass, force = euler_lagrange_rows(lagrangian, q, v)
    symbols = [*q, *v]
    with np.errstate(all="ignore"):
        m = _numeric(list(mass), symbols, states).reshape(len(states), n, n)
        f = _numeric(list(force), symbols, states)
        out = np.full((len(states), n), np.nan)
        finite = np.isfinite(m).all(axis=(1, 2)) & np.isfinite(f).all(axis=1)
        regular = finite & (np.abs(np.linalg.det(np.where(finite[:, None, None], m, 1.0))) > 0)
        if regular.any():
            out[regular] = np.linalg.solve(m[regular], f[regular][..., None])[..., 0]
    return out


def indefinite_fraction(
    lagrangian: sp.Expr, q: Sequence[sp.Symbol], v: Sequence[sp.Symbol], states: np.ndarray
) -> float:
    """Fraction of ``states`` where the mass matrix of ``lagrangian`` is neither positive
    nor negative definite (a physicist's ``L`` has a definite one)."""
    n = len(q)
    mass, _ = euler_lagrange_rows(lagrangian, q, v)
    with np.errstate(all="ignore"):
        m = _numeric(list(mass), [*q, *v], states).reshape(len(states), n, n)
    m = m[np.isfinite(m).all(axis=(1, 2))]
    if not len(m):
        return 1.0
    eig = np.linalg.eigvalsh(0.5 * (m + np.swapaxes(m, 1, 2)))
    definite = (eig > 0).all(axis=1) | (eig < 0).all(axis=1)
    return float(1.0 - definite.mean())


def _rational_text(value: mpmath.mpf) -> str:
    """``value`` as the simplest fraction within 1e-30, else as a float."""
    target = Fraction(mpmath.nstr(value, 50, strip_zeros=False))
    for limit in (10**k for k in range(1, 16)):
        candidate = target.limit_denominator(limit)
        if abs(candidate - target) <= abs(target) * Fraction(1, 10**30):
            return str(candidate)
    return mpmath.nstr(value, 17)


def _exact(
    truth: sp.Expr,
    recovered: sp.Expr,
    q: Sequence[sp.Symbol],
    v: Sequence[sp.Symbol],
    low: np.ndarray,
    high: np.ndarray,
    rng: np.random.Generator,
    rtol: float,
) -> tuple[bool, str | None, float | None, str]:
    """Decide ``L_rec = α L_true + null`` at random rational states (module docstring)."""
    symbols = [*q, *v]
    rows_t, rows_r = [
        [*mass, *force]
        for mass, force in (euler_lagrange_rows(lag, q, v) for lag in (truth, recovered))
    ]
    f_t = sp.lambdify(symbols, rows_t, modules="mpmath")
    f_r = sp.lambdify(symbols, rows_r, modules="mpmath")
    n2 = len(q) ** 2
    alpha, worst = None, [mpmath.mpf(0), mpmath.mpf(0)]  # mass rows, force rows
    with mpmath.workdps(_DIGITS):
        for state in rng.uniform(low, high, (_N_EXACT_STATES, len(low))):
            point = [mpmath.mpf(float(x)) for x in state]  # exact binary rationals
            try:
                t_vals = [mpmath.mpmathify(x) for x in f_t(*point)]
                r_vals = [mpmath.mpmathify(x) for x in f_r(*point)]
            except (ValueError, ZeroDivisionError, TypeError) as exc:
                return False, None, None, f"not evaluable at a box state ({exc})"
            if any(isinstance(x, mpmath.mpc) and abs(x.imag) > 0 for x in r_vals):
                return False, None, None, "recovered L is complex at a box state"
            t_vals = [mpmath.re(x) for x in t_vals]
            r_vals = [mpmath.re(x) for x in r_vals]
            if alpha is None:
                k = max(range(n2), key=lambda i: abs(t_vals[i]))
                if t_vals[k] == 0 or r_vals[k] == 0:
                    return False, None, None, "a mass matrix vanishes at a box state"
                alpha = r_vals[k] / t_vals[k]
            n = len(q)
            for i in range(n):  # each equation M[i] q̈ = f[i] against its own size
                mass_idx, force_idx = list(range(i * n, (i + 1) * n)), [n2 + i]
                scale = max(abs(alpha * t_vals[j]) for j in mass_idx + force_idx)
                for part, idx in enumerate((mass_idx, force_idx)):
                    residual = max(abs(r_vals[j] - alpha * t_vals[j]) for j in idx)
                    worst[part] = max(worst[part], residual / scale)
    assert alpha is not None
    mass, force = (float(w) for w in worst)
    if max(worst) <= rtol:
        basis = "identically" if rtol < 1e-30 else "to the printed precision of its floats,"
        return True, _rational_text(alpha), max(mass, force), f"{basis} α × the truth's"
    if mass > 1e-9:
        return False, None, max(mass, force), f"mass matrices not proportional (misfit {mass:.2g})"
    return (
        False,
        _rational_text(alpha),
        max(mass, force),
        f"α = {_rational_text(alpha)}: mass matrices off by {mass:.2g}, forces by {force:.2g}"
        " (relative)",
    )


def check(
    lagrangian: sp.Expr,
    parameters: Mapping[str, float],
    coordinates: Sequence[str],
    box: tuple[np.ndarray, np.ndarray],
    recovered: str | sp.Expr,
    *,
    n_states: int = 2000,
    seed: int = 20260,
) -> Verdict:
    """The checker's verdicts on ``recovered`` against the true ``lagrangian``.

    Parameters
    ----------
    lagrangian : sympy.Expr
        The true ``L`` in the coordinate, ``<q>_dot`` and parameter symbols.
    parameters : mapping of str to float
    coordinates : sequence of str
    box : (low, high)
        Corners of the sampling box, each ``(2n,)`` (coordinates, then velocities).
    recovered : str or sympy.Expr
        The recovered ``L`` (``summary.json``'s ``recovered_lagrangian``).
    n_states, seed : int
        Fresh states for the ``equivalent`` verdict.
    """
    q, v = state_symbols(coordinates)
    names = [s.name for s in (*q, *v)]
    truth = truth_expression(lagrangian, parameters)
    try:
        text_form = parse(recovered, names) if isinstance(recovered, str) else sp.sympify(recovered)
    except ExpressionError as exc:
        return Verdict(False, False, None, None, None, "none", f"unreadable: {exc}")
    rtol = FLOAT_RTOL if text_form.atoms(sp.Float) else RATIONAL_RTOL
    rec = with_rational_floats(text_form)
    if rec.free_symbols - set(q) - set(v):
        return Verdict(False, False, None, None, None, "none", "recovered L has unknown names")
    if not any(rec.has(s) for s in v):
        return Verdict(
            False, False, None, None, None, "none", "recovered L has no velocity dependence"
        )
    low, high = (np.asarray(b, dtype=float) for b in box)
    rng = np.random.default_rng(seed)
    states = rng.uniform(low, high, (n_states, len(low)))
    a_true = accelerations(truth, q, v, states)
    a_rec = accelerations(rec, q, v, states)
    bad = int((~np.isfinite(a_rec).all(axis=1)).sum())
    if bad:
        return Verdict(
            False,
            False,
            None,
            None,
            None,
            "numeric",
            f"recovered accelerations undefined at {bad} of {n_states} states",
        )
    error = float(np.linalg.norm(a_rec - a_true) / np.linalg.norm(a_true))
    equivalent = error <= EQUIVALENT_RTOL
    exact, scale, residual, detail = _exact(truth, rec, q, v, low, high, rng, rtol)
    reason = (
        f"accelerations agree to {error:.2g}; {detail}"
        if equivalent
        else f"accelerations differ by {error:.2g} (relative); {detail}"
    )
    return Verdict(
        equivalent,
        exact and equivalent,
        error,
        scale,
        residual,
        "numeric float64 + mpmath 60 digits",
        reason,
    )
