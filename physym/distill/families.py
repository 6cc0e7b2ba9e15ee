"""Nonlinear forms of one argument, fitted by variable projection.

A *family* is a few columns of one argument ``u`` with one nonlinear parameter ``p``:
``exp(p u)``; ``exp(p u), exp(2 p u)`` (which spans ``(1 − exp(−a u))²``);
``exp(p u), exp(−p u)`` (``cosh``, ``sinh``);
``exp(p u), u exp(p u)``; ``exp(p u)/u``; ``1/(u + p)``; ``1/√(u² + p)``; ``log(u + p)``;
``log(u² + p)``; ``u^p``; ``u^p, u^{2p}``; ``exp(p u²)``; ``1/cosh²(p u)``; and
``cos(p u), sin(p u)`` with a free frequency for arguments that are not angles. For a
trial ``p`` the linear coefficients are solved by least squares (variable projection), so
the fit is a search over ``p`` alone: a coarse grid from the argument's range, then a
bounded one-dimensional refinement between the grid neighbours of the best point.

Where the network can isolate an argument's part, the families are fitted to that part
alone: ``∂_i f = g'(q_i)`` for a coordinate that interacts with no other, and
``∂_i∂_j f = ∓g''(u)`` for ``u = q_i ∓ q_j`` (the columns are differentiated alike). The
other arguments are fitted to the target itself by backfitting: each family with the
best families of the other arguments held at their current parameters, twice round.
The fitted parameters are only a start: the polish refines them on the data and snaps
them to simple numbers where the data allow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import sympy as sp
from scipy.optimize import minimize_scalar

from physym.distill.grammar import Argument
from physym.distill.library import evaluate_terms

__all__ = ["FAMILIES", "Family", "FittedFamily", "View", "derivative_terms", "fit_families"]


@dataclass(frozen=True)
class Family:
    """Columns of ``u`` with one parameter, its grid, and where it applies."""

    name: str
    columns: Callable[[sp.Expr, sp.Symbol], list[sp.Expr]]
    grid: Callable[[Argument], np.ndarray]
    applies: Callable[[Argument], bool]


def _rates(argument: Argument) -> np.ndarray:
    scaled = np.geomspace(0.3, 8.0, 14)
    return np.concatenate([-scaled[::-1], scaled]) / max(argument.span, 1e-12)


def _poles(argument: Argument, sides: str = "both") -> np.ndarray:
    """Offsets ``p`` that put the zero of ``u + p`` outside the range, near and far."""
    distance = argument.span * np.geomspace(0.02, 10.0, 14)
    below = -(argument.low - distance)  # zero of u + p below the range
    above = -(argument.high + distance)
    return below if sides == "below" else np.concatenate([below, above])


def _one_sign(argument: Argument) -> bool:
    return argument.low > 0 or argument.high < 0


FAMILIES: tuple[Family, ...] = (
    Family("exp", lambda u, p: [sp.exp(p * u)], _rates, lambda a: True),
    Family("exp2", lambda u, p: [sp.exp(p * u), sp.exp(2 * p * u)], _rates, lambda a: True),
    Family(
        "exppm",
        lambda u, p: [sp.exp(p * u), sp.exp(-p * u)],
        lambda a: _rates(a)[_rates(a) > 0],
        lambda a: True,
    ),
    Family("uexp", lambda u, p: [sp.exp(p * u), u * sp.exp(p * u)], _rates, lambda a: True),
    Family("expinv", lambda u, p: [sp.exp(p * u) / u], _rates, _one_sign),
    Family("pole", lambda u, p: [1 / (u + p)], _poles, lambda a: True),
    Family(
        "soft",
        lambda u, p: [1 / sp.sqrt(u**2 + p)],
        lambda a: max(abs(a.low), abs(a.high)) ** 2 * np.geomspace(1e-3, 10.0, 14),
        lambda a: True,
    ),
    Family("log", lambda u, p: [sp.log(u + p)], lambda a: _poles(a, "below"), lambda a: True),
    Family(
        "power",
        lambda u, p: [u**p],
        lambda a: np.setdiff1d(np.linspace(-4, 4, 33), [0]),
        lambda a: a.low > 0,
    ),
    Family(
        "power2",
        lambda u, p: [u**p, u ** (2 * p)],
        lambda a: np.setdiff1d(np.linspace(-8, 8, 33), [0]),
        lambda a: a.low > 0,
    ),
    Family(
        "gauss",
        lambda u, p: [sp.exp(p * u**2)],
        lambda a: -np.geomspace(0.1, 10.0, 14) / max(abs(a.low), abs(a.high)) ** 2,
        lambda a: True,
    ),
    Family(
        "sech2",
        lambda u, p: [1 / sp.cosh(p * u) ** 2],
        lambda a: _rates(a)[_rates(a) > 0],
        lambda a: True,
    ),
    Family(
        "logsoft",
        lambda u, p: [sp.log(u**2 + p)],
        lambda a: max(abs(a.low), abs(a.high)) ** 2 * np.geomspace(1e-3, 10.0, 14),
        lambda a: True,
    ),
    Family(
        "wave",
        lambda u, p: [sp.cos(p * u), sp.sin(p * u)],
        lambda a: 2 * np.pi / max(a.span, 1e-12) * np.geomspace(0.25, 6.0, 16),
        lambda a: not a.periodic,
    ),
)


@dataclass(frozen=True)
class FittedFamily:
    """A family on one argument with its fitted parameter and relative residual."""

    family: str
    argument: Argument
    terms: tuple[sp.Expr, ...]
    symbol: sp.Symbol
    value: float
    residual: float


class _Projector:
    """Residual of a target after least squares on fixed columns plus trial columns."""

    def __init__(self, base: np.ndarray, target: np.ndarray):
        base = base[:, np.all(np.isfinite(base), axis=0)] if base.size else base
        if base.shape[1]:
            norms = np.linalg.norm(base, axis=0)
            base = base[:, norms > 0] / norms[norms > 0]
        self.q = np.linalg.qr(base)[0] if base.shape[1] else np.zeros((len(target), 0))
        self.target = self._out(target)

    def _out(self, values: np.ndarray) -> np.ndarray:
        return values - self.q @ (self.q.T @ values)

    def residual(self, columns: np.ndarray) -> float:
        if not np.all(np.isfinite(columns)):
            return np.inf
        outside = self._out(columns)
        norms = np.linalg.norm(outside, axis=0)
        if np.any(norms <= 1e-8 * np.linalg.norm(columns, axis=0)):
            return np.inf  # the family adds nothing the fixed columns do not span
        coef = np.linalg.lstsq(outside / norms, self.target, rcond=None)[0]
        rest = self.target - (outside / norms) @ coef
        return float(np.sqrt(np.mean(rest**2)))


@dataclass(frozen=True)
class View:
    """What the families of one argument are fitted to.

    Attributes
    ----------
    target : numpy.ndarray, shape ``(batch,)``
        The target, or the derivative of it that isolates this argument's part
        (``∂_i f`` for a coordinate no pair involves, ``∂_i∂_j f`` for ``q_i ∓ q_j``).
    order : int
        Which derivative (0, 1 or 2) of the argument's function ``target`` is.
    base : list of sympy.Expr
        Linear terms fitted alongside (already differentiated ``order`` times).
    """

    target: np.ndarray
    order: int
    base: list[sp.Expr]


_T = sp.Dummy("t")


def _columns(family: Family, argument: Argument, symbol: sp.Symbol, order: int) -> list[sp.Expr]:
    """The family's columns differentiated ``order`` times with respect to the argument."""
    columns = family.columns(_T, symbol)
    return [
        sp.diff(c, _T, order).subs(_T, argument.expr) if order else c.subs(_T, argument.expr)
        for c in columns
    ]


def derivative_terms(terms: Sequence[sp.Expr], argument: Argument, order: int) -> list[sp.Expr]:
    """``d^order/du^order`` of terms written in the argument ``u`` (zeros dropped)."""
    out = []
    for term in terms:
        in_t = term.subs(argument.expr, _T) if order else term
        derived = sp.diff(in_t, _T, order).subs(_T, argument.expr) if order else in_t
        if derived != 0 and (derived.free_symbols or order):
            out.append(derived)
    return out


def _fit_one(
    family: Family,
    argument: Argument,
    symbol: sp.Symbol,
    view: View,
    inputs: np.ndarray,
    symbols: Sequence[sp.Symbol],
    projector: _Projector,
    grid: np.ndarray | None = None,
) -> tuple[float, float]:
    columns = [
        c.xreplace(dict(argument.params)) for c in _columns(family, argument, symbol, view.order)
    ]
    compiled = sp.lambdify((*symbols, symbol), columns, "numpy")
    values = list(inputs.T)

    def residual(p: float) -> float:
        with np.errstate(all="ignore"):
            out = compiled(*values, p)
        design = np.column_stack(
            [np.broadcast_to(np.asarray(c, dtype=np.float64), (inputs.shape[0],)) for c in out]
        )
        return projector.residual(design)

    grid = family.grid(argument) if grid is None else grid
    scores = [residual(float(p)) for p in grid]
    k = int(np.argmin(scores))
    if not np.isfinite(scores[k]):
        return float(grid[k]), np.inf
    lo, hi = sorted((grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]))
    if hi > lo and np.sign(lo) == np.sign(hi):  # never across p = 0 (a degenerate column)
        best = minimize_scalar(
            residual,
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-10 * max(abs(lo), abs(hi))},
        )
        if best.fun < scores[k]:
            return float(best.x), float(best.fun)
    return float(grid[k]), float(scores[k])


def fit_families(
    arguments: Sequence[Argument],
    views: Sequence[View],
    inputs: np.ndarray,
    symbols: Sequence[sp.Symbol],
    new_symbol: Callable[[], sp.Symbol],
    *,
    keep: int = 3,
    rounds: int = 2,
    values: np.ndarray | None = None,
) -> list[FittedFamily]:
    """Fit every family that applies on every argument (see the module docstring).

    Parameters
    ----------
    arguments : sequence of Argument
    views : sequence of View
        One per argument: what its families are fitted to. Arguments seen through a
        derivative are fitted once; the others (order 0) by backfitting, with the best
        family of every other argument among their fixed columns.
    inputs : numpy.ndarray, shape ``(batch, n)``
    symbols : sequence of sympy.Symbol
        The columns of ``inputs``.
    new_symbol : callable
        Returns a fresh parameter symbol.
    keep : int
        Families kept per argument, lowest residual first (a family's extra columns count
        as a doubling of its residual each).
    rounds : int
        Backfitting rounds.
    values : numpy.ndarray, optional
        The target itself (centred): parameters fitted to a derivative are then refitted
        to it, near their value, with the other arguments' best families held fixed.

    Returns
    -------
    list of FittedFamily
        Per argument the ``keep`` best, residuals relative to the view's RMS.
    """
    best: dict[int, FittedFamily] = {}
    fitted: dict[int, list[FittedFamily]] = {}
    known = {s: v for argument in arguments for s, v in argument.params.items()}
    order = sorted(range(len(arguments)), key=lambda a: -views[a].order)
    for round_ in range(rounds):
        for a in order:
            argument, view = arguments[a], views[a]
            if view.order and round_:
                continue
            base = (
                evaluate_terms(view.base, symbols, inputs, known)
                if view.base
                else np.zeros((inputs.shape[0], 0))
            )
            if not view.order:
                extra = [
                    evaluate_terms(list(f.terms), symbols, inputs, {**known, f.symbol: f.value})
                    for b, f in best.items()
                    if b != a
                ]
                base = np.column_stack([base, *extra]) if extra else base
            projector = _Projector(base, view.target)
            scale = max(float(np.sqrt(np.mean(view.target**2))), 1e-300)
            results = []
            for family in FAMILIES:
                if not family.applies(argument):
                    continue
                symbol = new_symbol()
                value, residual = _fit_one(
                    family, argument, symbol, view, inputs, symbols, projector
                )
                if np.isfinite(residual):
                    results.append(
                        FittedFamily(
                            family.name,
                            argument,
                            tuple(_columns(family, argument, symbol, 0)),
                            symbol,
                            value,
                            residual / scale,
                        )
                    )
            # A family with more columns must earn them: it ranks as if its residual were
            # twice as large per extra column (on a noisy target a spare column always
            # lowers the residual a little, and drags the parameter off).
            results.sort(key=lambda f: f.residual * 2.0 ** (len(f.terms) - 1))
            fitted[a] = results[:keep]
            if results:
                best[a] = results[0]
    if values is not None:
        _refine_on_values(arguments, views, inputs, symbols, values, known, best, fitted)
    return [f for a in sorted(fitted) for f in fitted[a]]


def _refine_on_values(
    arguments: Sequence[Argument],
    views: Sequence[View],
    inputs: np.ndarray,
    symbols: Sequence[sp.Symbol],
    values: np.ndarray,
    known: dict[sp.Symbol, float],
    best: dict[int, FittedFamily],
    fitted: dict[int, list[FittedFamily]],
) -> None:
    """Parameters fitted to a derivative, refitted to the target itself near their value.

    A derivative isolates an argument's part but, read off a trained network, it carries
    the network's error amplified (rates 10–20 % off); the values are more accurate once
    the other arguments' parts are held at their best families.
    """
    by_name = {f.name: f for f in FAMILIES}
    for a, argument in enumerate(arguments):
        if not views[a].order:
            continue
        extra = [
            evaluate_terms(list(f.terms), symbols, inputs, {**known, f.symbol: f.value})
            for b, f in best.items()
            if b != a
        ]
        projector = _Projector(np.column_stack([np.ones(len(values)), *extra]), values)
        scale = max(float(np.sqrt(np.mean(values**2))), 1e-300)
        refined = []
        for f in fitted.get(a, []):
            grid = f.value * np.linspace(0.6, 1.4, 17)
            view = View(values, 0, [])
            value, residual = _fit_one(
                by_name[f.family], argument, f.symbol, view, inputs, symbols, projector, grid
            )
            refined.append(
                replace(f, value=value, residual=residual / scale) if np.isfinite(residual) else f
            )
        fitted[a] = refined
        if refined:
            best[a] = min(refined, key=lambda f: f.residual * 2.0 ** (len(f.terms) - 1))
