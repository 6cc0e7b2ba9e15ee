"""Last step: rationalise parameters and coefficients where the data agree, build ``L``."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp

from physym.distill.polish import Polisher
from physym.distill.rationalise import rational_candidates, rationalise_greedy

__all__ = ["finish"]

_SLACK, _ABSOLUTE = 0.05, 1e-12


def _snap_params(
    polisher: Polisher, coefficients: np.ndarray, refit: bool, limit: float
) -> np.ndarray:
    """Parameters to simple rationals: all at once first (coupled parameters only snap
    together), then one at a time."""
    simplest = {s: rational_candidates(v) for s, v in polisher.params.items()}
    if len(simplest) > 1 and all(simplest.values()):
        values = dict(polisher.params)
        polisher.params.update({s: r[0] for s, r in simplest.items()})
        polisher.refresh(list(simplest))
        trial = polisher.solve() if refit else coefficients
        if polisher.error(trial) <= limit:
            return trial
        polisher.params.update(values)
        polisher.refresh(list(simplest))
    for symbol, value in list(polisher.params.items()):
        for rational in rational_candidates(value):
            polisher.params[symbol] = float(rational)
            polisher.refresh([symbol])
            trial = polisher.solve() if refit else coefficients
            if polisher.error(trial) <= limit:
                polisher.params[symbol] = rational
                coefficients = trial
                break
        else:
            polisher.params[symbol] = value
            polisher.refresh([symbol])
    return coefficients


def finish(
    polisher: Polisher, coefficients: np.ndarray, refit: bool, slack: float = _SLACK
) -> tuple[sp.Expr, dict[int, sp.Number], dict[sp.Symbol, sp.Number], float]:
    """Rationalise what the fit allows; return ``L``, its coefficients, params and error.

    With ``refit`` the coefficients not yet rational are re-solved after each one is fixed
    (the polish's least squares); without it they keep their values. A rational is kept
    only if the acceleration error on the polish data stays within ``slack`` (5 %; plus
    1e-12) of the error before rationalising.
    """
    limit = polisher.error(coefficients) * (1 + slack) + _ABSOLUTE
    coefficients = _snap_params(polisher, coefficients, refit, limit)
    active = [k for k in polisher.active if coefficients[k] != 0]

    def with_fixed(fixed: Mapping[int, sp.Rational]) -> np.ndarray:
        if refit:
            return polisher.solve(fixed)
        trial = coefficients.copy()
        for k, v in fixed.items():
            trial[k] = float(v)
        return trial

    fixed = rationalise_greedy(
        {k: float(coefficients[k]) for k in active},
        lambda f: polisher.error(with_fixed(f)),
        polisher.error(coefficients),
        slack=slack,
        absolute=_ABSOLUTE,
    )
    numeric = with_fixed(fixed)
    final: dict[int, sp.Number] = {}
    for k in active:
        value = fixed.get(k, sp.Float(float(numeric[k])))
        if value != 0:
            final[k] = value
    params = {
        s: (v if isinstance(v, sp.Rational) else sp.Float(float(v)))
        for s, v in polisher.params.items()
    }
    terms = polisher.dynamics.terms
    lagrangian = sp.Add(*(value * terms[k].subs(params) for k, value in final.items()))
    return lagrangian, final, params, polisher.error(numeric)
