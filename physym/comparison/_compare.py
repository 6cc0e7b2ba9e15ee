"""``compare(true_system, recovered_lagrangian)``: is the recovered L the same physics?

A Lagrangian is fixed only up to a scale ``α`` and a null Lagrangian ``dF(q)/dt + c``; for
some systems even more Lagrangians give the same motion (DESIGN.md §4). So the verdicts are

* **equivalent**: the Euler–Lagrange accelerations agree on held-out states within the
  tolerance, proven symbolically where SymPy manages (``check="symbolic"``), else on the
  numbers alone (``check="numeric"``);
* **exact**: in addition ``L_rec/α − L_true`` is a null Lagrangian, its Euler–Lagrange
  expression simplifying to 0 once coefficients are rationalised.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from physym.comparison._result import Comparison
from physym.comparison._symbolic import (
    as_rational,
    decide_zero,
    euler_lagrange_rows,
    numeric_coefficients,
    rationalise,
    simple_rational,
    snap_coefficients,
)
from physym.systems.dynamics import DegenerateLagrangianError, as_states
from physym.systems.expression_parser import SpecError
from physym.systems.latex import parse_lagrangian
from physym.systems.system import System, _as_real_symbols
from physym.timeouts import SymbolicTimeoutError, time_limit

__all__ = ["compare", "recovered_system"]

# Coefficients of the truth are rationalised as written (9.81 -> 981/100).
_TRUTH_RTOL = 1e-12
_N_PROBES = 8


def recovered_system(true_system: System, recovered_lagrangian: sp.Expr | str) -> System:
    """The recovered Lagrangian as a :class:`System` with the true system's coordinates and box.

    Parameter names still in the expression take the true system's values.

    Raises
    ------
    ValueError
        If the expression uses a name that is neither a coordinate, a velocity nor a
        parameter of ``true_system``. (A degenerate Lagrangian is accepted here; its
        :attr:`System.dynamics` raises ``DegenerateLagrangianError``.)

    Examples
    --------
    >>> from physym import load_system
    >>> recovered_system(load_system("pendulum"), "theta_dot**2 + 19.62*cos(theta)").name
    'pendulum_recovered'
    """
    names = [*true_system.coordinates, *true_system.velocity_names]
    if isinstance(recovered_lagrangian, str):
        expr = parse_lagrangian(recovered_lagrangian, names, where="recovered Lagrangian")
    else:
        expr = _as_real_symbols(sp.sympify(recovered_lagrangian))
    values = {s: v for s, v in true_system.parameter_symbols.items() if s in expr.free_symbols}
    expr = expr.subs(values) if values else expr
    unknown = sorted(str(s) for s in expr.free_symbols if str(s) not in names)
    if unknown:
        raise ValueError(
            f"recovered Lagrangian uses {unknown[0]!r}, which is not a coordinate, "
            f"velocity or parameter of system {true_system.name!r}"
        )
    try:
        return System(
            f"{true_system.name}_recovered",
            true_system.coordinates,
            expr,
            {},
            true_system.sampling,
            periodic=true_system.periodic,
        )
    except SpecError as exc:  # pragma: no cover - names were checked above
        raise ValueError(str(exc)) from None


@dataclass
class _Symbolic:
    """What the symbolic stage established (filled in step by step, so a timeout keeps it)."""

    exact: str = "unknown"
    equivalent: str = "unknown"
    normalised: sp.Expr | None = None
    timed_out: bool = False


def compare(
    true_system: System,
    recovered_lagrangian: sp.Expr | str,
    *,
    states: Any = None,
    n_states: int = 2000,
    seed: int = 0,
    tolerance: float = 1e-6,
    symbolic_timeout: float = 10.0,
) -> Comparison:
    """Compare a recovered Lagrangian with the true system.

    Parameters
    ----------
    true_system : System
    recovered_lagrangian : sympy.Expr or str
        In the coordinate and ``<q>_dot`` symbols; parameters, if any, take the system's
        values. Floats are fine (``9.81`` matches ``981/100``).
    states : array_like, shape ``(batch, 2n)``, optional
        Held-out states; by default ``n_states`` drawn uniformly from the sampling box.
    n_states, seed : int
        Size and seed of the default held-out set.
    tolerance : float
        Largest relative acceleration error ``‖â − a‖/‖a‖`` that counts as equivalent, and
        the relative tolerance for rationalising coefficients.
    symbolic_timeout : float
        Seconds allowed for SymPy; past them the numeric verdict stands (0 skips SymPy).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import sympy as sp
    >>> from physym import load_system
    >>> pendulum = load_system("pendulum")
    >>> theta, theta_dot = sp.symbols("theta theta_dot", real=True)
    >>> c = compare(pendulum, 3 * pendulum.lagrangian_numeric + sp.cos(theta) * theta_dot)
    >>> c.equivalent, c.exact, c.check, c.scale_rational
    (True, True, 'symbolic', '3')
    """
    start = time.perf_counter()
    system = recovered_system(true_system, recovered_lagrangian)
    held_out = _held_out_states(true_system, states, n_states, seed)
    truth = true_system.lagrangian_numeric
    common = dict(
        system=true_system.name,
        coordinates=true_system.coordinates,
        true_lagrangian=truth,
        recovered_lagrangian=system.lagrangian,
        n_states=len(held_out),
        tolerance=tolerance,
    )
    a_true = true_system.accelerations(held_out)

    def result(**values: Any) -> Comparison:
        values.setdefault("normalised_lagrangian", None)
        for key in (
            "scale",
            "scale_rational",
            "scale_residual",
            "accel_rel_error",
            "max_abs_error",
        ):
            values.setdefault(key, None)
        return Comparison(
            **common, **values, seconds=time.perf_counter() - start, true_accelerations=a_true
        )

    def rejected(reason: str, **values: Any) -> Comparison:
        return result(
            equivalent=False,
            exact=False,
            exact_decided=True,
            check="numeric",
            reason=reason,
            **values,
        )

    try:
        with np.errstate(all="ignore"):  # non-finite values are a verdict below
            mass_rec = system.mass_matrix(held_out)
            undefined = ~np.isfinite(mass_rec).all(axis=(1, 2))
            if undefined.any():
                state = ", ".join(
                    f"{k}={v:.6g}"
                    for k, v in zip(
                        true_system.state_names, held_out[np.argmax(undefined)], strict=True
                    )
                )
                return rejected(
                    f"recovered Lagrangian is not defined (non-finite mass "
                    f"matrix) at {int(undefined.sum())} of {len(held_out)} "
                    f"held-out states, e.g. ({state})"
                )
            a_rec = system.accelerations(held_out)
    except DegenerateLagrangianError as exc:
        return rejected(f"recovered Lagrangian is degenerate: {exc}")
    if not np.isfinite(a_rec).all():
        bad = int((~np.isfinite(a_rec).all(axis=1)).sum())
        return rejected(
            f"recovered accelerations are not finite at {bad} of {len(held_out)} held-out states",
            recovered_accelerations=a_rec,
        )

    error = float(np.linalg.norm(a_rec - a_true)) / max(float(np.linalg.norm(a_true)), 1e-300)
    max_abs = float(np.max(np.abs(a_rec - a_true)))
    scale, scale_rational, misfit = _fit_scale(
        true_system.mass_matrix(held_out), mass_rec, tolerance
    )
    numbers = dict(
        scale=scale,
        scale_rational=scale_rational,
        scale_residual=misfit,
        accel_rel_error=error,
        max_abs_error=max_abs,
        recovered_accelerations=a_rec,
    )
    evidence = f"held-out ‖â−a‖/‖a‖ = {error:.3g} on {len(held_out)} states"
    if not error <= tolerance:
        return rejected(f"{evidence} exceeds the tolerance {tolerance:g}", **numbers)

    proportional = scale is not None and misfit is not None and misfit <= math.sqrt(tolerance)
    alphas: list[sp.Expr] = []
    if proportional and scale is not None:
        # The simplest fraction near the fitted scale first; then the float scale itself,
        # whose quotient's coefficients snap to the truth's: a scale such as 2000/1911
        # (L_true = 0.47775 θ̇² + …, L_rec = θ̇²/2 + …) is not the simplest fraction
        # within the tolerance, but L_rec/α matches L_true coefficient by coefficient.
        alphas = [sp.Rational(scale_rational)] if scale_rational else []
        alphas.append(sp.Float(scale))
    found = _symbolic_checks(
        true_system, truth, system.lagrangian, alphas, held_out, tolerance, symbolic_timeout
    )
    exact = found.exact == "zero"
    decided = exact or found.exact == "nonzero" or not proportional
    symbolic = exact or found.equivalent == "zero"
    if symbolic and system.lagrangian.has(sp.Float):
        evidence += f" (the proof is for its coefficients rationalised within {tolerance:g})"
    return result(
        equivalent=True,
        exact=exact,
        exact_decided=decided,
        check="symbolic" if symbolic else "numeric",
        normalised_lagrangian=found.normalised,
        **numbers,
        reason=_explain(found, evidence, proportional, symbolic_timeout),
    )


def _held_out_states(system: System, states: Any, n_states: int, seed: int) -> np.ndarray:
    """The given states, or the same uniform draw as ``physym.data.sample_states``."""
    if states is not None:
        return as_states(states, system.n_dof)
    low, high = system.box
    return np.random.default_rng(seed).uniform(low, high, size=(n_states, len(low)))


def _fit_scale(
    mass_true: np.ndarray, mass_rec: np.ndarray, tolerance: float
) -> tuple[float | None, str | None, float | None]:
    """``α`` minimising ``‖M_rec − α M_true‖`` over all states, its fraction, and the misfit.

    The fraction (at most 1000 in the denominator, within ``tolerance``) is given only
    where the mass matrices are proportional, i.e. the relative misfit is at most
    ``sqrt(tolerance)``.
    """
    norm_true = float(np.sum(mass_true * mass_true))
    norm_rec = float(np.linalg.norm(mass_rec))
    if norm_true == 0 or norm_rec == 0:
        return None, None, None
    alpha = float(np.sum(mass_rec * mass_true) / norm_true)
    if alpha == 0 or not math.isfinite(alpha):
        return None, None, None
    misfit = float(np.linalg.norm(mass_rec - alpha * mass_true) / norm_rec)
    if misfit > math.sqrt(tolerance):  # no constant scale: a fraction would mislead
        return alpha, None, misfit
    fraction = simple_rational(alpha, max(tolerance, 1e-12), max_denominator=1000)
    return alpha, None if fraction is None else str(fraction), misfit


def _symbolic_checks(
    true_system: System,
    truth: sp.Expr,
    recovered: sp.Expr,
    alphas: list[sp.Expr],
    states: np.ndarray,
    tolerance: float,
    seconds: float,
) -> _Symbolic:
    """Exactness first (cheap when it holds), then equivalence of the accelerations.

    Exactness is tried with each candidate scale in ``alphas`` in turn.
    """
    found = _Symbolic()
    q, v = true_system.q_symbols, true_system.qdot_symbols
    qdd = tuple(sp.Symbol(f"{name}_ddot", real=True) for name in true_system.coordinates)
    rng = np.random.default_rng(1)
    probes = np.hstack(
        [states[:_N_PROBES], rng.uniform(-1, 1, (min(len(states), _N_PROBES), len(q)))]
    )
    symbols = (*q, *v, *qdd)
    try:
        with time_limit(seconds) as enforced:
            truth_r = _exact_truth(true_system, truth)
            mass_t, force_t = euler_lagrange_rows(truth_r, q, v)
            scale_rows = mass_t * sp.Matrix(qdd)
            if alphas:
                alphas = [
                    *_ratio_scales(recovered, truth_r, v, float(alphas[-1]), tolerance),
                    *alphas,
                ]
            for alpha in alphas:
                normalised = snap_coefficients(recovered / alpha, truth_r, tolerance)
                mass_d, force_d = euler_lagrange_rows(normalised - truth_r, q, v)
                rows = mass_d * sp.Matrix(qdd) - force_d
                verdict = _all_zero(
                    [(rows[i], [scale_rows[i], force_t[i]]) for i in range(len(q))],
                    symbols,
                    probes,
                    enforced,
                )
                if found.normalised is None or verdict == "zero":
                    found.normalised, found.exact = normalised, verdict
                if verdict == "zero":
                    return found
            # Accelerations do not depend on the scale, so L_rec/α serves where it exists.
            rational = (
                found.normalised
                if found.normalised is not None
                else rationalise(recovered, tolerance)
            )
            mass_r, force_r = euler_lagrange_rows(rational, q, v)
            # M_rec q̈_true = f_rec with q̈_true = adj(M_true) f_true / det(M_true): no division.
            lhs = mass_r * (mass_t.adjugate() * force_t)
            rhs = mass_t.det() * force_r
            found.equivalent = _all_zero(
                [(lhs[i] - rhs[i], [lhs[i], rhs[i]]) for i in range(len(q))],
                symbols,
                probes,
                enforced,
            )
    except SymbolicTimeoutError:
        found.timed_out = True
    return found


def _ratio_scales(
    recovered: sp.Expr,
    truth: sp.Expr,
    velocities: Sequence[sp.Symbol],
    scale: float,
    tolerance: float,
) -> list[sp.Expr]:
    """Exact scales ``c_rec / c_true`` of terms quadratic in the velocities that both
    Lagrangians write alike (``θ̇²``), where they agree with the fitted scale.

    A total derivative or a constant never changes such a term, so where ``L_rec`` is
    ``α L_true`` plus those, this ratio is ``α`` exactly, whatever its denominator.
    """
    symbols = truth.free_symbols | recovered.free_symbols
    true_terms = numeric_coefficients(truth, symbols)
    out: list[sp.Expr] = []
    for term, coefficient in numeric_coefficients(recovered, symbols).items():
        reference = true_terms.get(term)
        if (
            reference is None
            or reference == 0
            or not reference.is_Rational
            or not coefficient.is_number
        ):
            continue
        poly = term.as_poly(*velocities)
        if poly is None or poly.total_degree() != 2:
            continue
        value = as_rational(float(coefficient), tolerance) if coefficient.is_Float else coefficient
        ratio = sp.nsimplify(value / reference)
        if (
            ratio.is_Rational
            and abs(float(ratio) - scale) <= tolerance * abs(scale)
            and ratio not in out
        ):
            out.append(ratio)
    return out[:2]


def _exact_truth(system: System, truth: sp.Expr) -> sp.Expr:
    """The true Lagrangian with every parameter rationalised *before* it is substituted.

    Products of float parameters carry round-off (``0.035·9.81·0.0425`` is
    ``0.014592375000000003``), which would make an exact recovery look 2e-16 off; the
    parameters as written (``7/200``, ``981/100``, ``17/400``) do not.
    """
    values = {s: as_rational(v, _TRUTH_RTOL) for s, v in system.parameter_symbols.items()}
    exact = sp.expand(system.lagrangian.subs(values)) if values else truth
    return rationalise(exact, _TRUTH_RTOL)


def _all_zero(
    rows: list[tuple[sp.Expr, list[sp.Expr]]],
    symbols: tuple[sp.Symbol, ...],
    probes: np.ndarray,
    allow_simplify: bool,
) -> str:
    verdicts = [
        decide_zero(r, parts, symbols, probes, allow_simplify=allow_simplify) for r, parts in rows
    ]
    if "nonzero" in verdicts:
        return "nonzero"
    return "zero" if all(v == "zero" for v in verdicts) else "unknown"


def _explain(found: _Symbolic, evidence: str, proportional: bool, seconds: float) -> str:
    if found.exact == "zero":
        return f"L_rec/α − L_true simplifies to a null Lagrangian; {evidence}"
    parts = []
    if found.equivalent == "zero":
        parts.append("M_rec q̈_true − f_rec simplifies to 0")
    if not proportional:
        parts.append("mass matrices are not proportional, so not a scale + null Lagrangian")
    elif found.exact == "nonzero":
        parts.append("L_rec/α − L_true is not a null Lagrangian")
    elif not found.timed_out:
        parts.append("SymPy could not decide whether L_rec/α − L_true is a null Lagrangian")
    if found.timed_out:
        parts.append(
            "symbolic check skipped"
            if seconds <= 0
            else f"symbolic check timed out after {seconds:g} s"
        )
    elif found.equivalent == "nonzero":
        parts.append("the accelerations are not identical, but differ by less than the tolerance")
    elif found.equivalent != "zero":
        parts.append("SymPy could not prove the accelerations equal")
    return "; ".join([*parts, evidence])
