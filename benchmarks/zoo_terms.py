"""Why a recovered Lagrangian misses: its terms against the truth's, computed.

Both Lagrangians are brought to one canonical sum of terms: expanded, products and powers of
sines and cosines turned into multiple angles (``sin²θ → 1/2 − cos 2θ/2``, so that either way
of writing a term lands on the same key), constants and null Lagrangians (terms whose
Euler–Lagrange expression vanishes, like ``cos θ·θ̇``) dropped, the recovered one divided
by the scale ``α``. Each term is ``number × key``; the keys are compared:

* **missing**: a key of the truth absent from the recovered ``L``;
* **wrong**: a key in both with a different number, or a key whose inner constants differ
  (``exp(−1.7 r)`` against ``exp(−1.69 r)``: same shape, other rate);
* **spurious**: a key only the recovered ``L`` has.

Terms are ranked by their size on the box (RMS of the term over sampled states), so the
reason names what matters first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.simplify.fu import TR8
from zoo_check import euler_lagrange_rows

__all__ = ["TermDiff", "term_diff"]

_COEFF_RTOL = 1e-9
_SHOWN = 3


@dataclass(frozen=True)
class TermDiff:
    """Missing, wrong and spurious terms, each ``(key, detail)`` by decreasing size."""

    missing: tuple[tuple[str, str], ...]
    wrong: tuple[tuple[str, str], ...]
    spurious: tuple[tuple[str, str], ...]

    @property
    def empty(self) -> bool:
        return not (self.missing or self.wrong or self.spurious)

    def reason(self) -> str:
        """One line: ``missing …; wrong …; spurious …`` (at most three of each)."""
        parts = []
        for label, items in (
            ("missing", self.missing),
            ("wrong", self.wrong),
            ("spurious", self.spurious),
        ):
            if items:
                shown = ", ".join(f"{k} ({d})" for k, d in items[:_SHOWN])
                more = f" +{len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
                parts.append(f"{label} {shown}{more}")
        return "; ".join(parts) if parts else "same terms after normalisation"


def _is_null(term: sp.Expr, q: Sequence[sp.Symbol], v: Sequence[sp.Symbol]) -> bool:
    if not any(term.has(s) for s in v):
        return False
    mass, force = euler_lagrange_rows(term, q, v)
    return all(sp.simplify(e) == 0 for e in [*mass, *force])


def canonical_terms(
    expr: sp.Expr, q: Sequence[sp.Symbol], v: Sequence[sp.Symbol]
) -> dict[sp.Expr, sp.Expr]:
    """``key → number``: the canonical sum of ``expr`` (module docstring)."""
    symbols = [*q, *v]
    expanded = sp.expand(TR8(sp.expand(expr)))
    terms: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(expanded):
        number, key = term.as_independent(*symbols, as_Add=False)
        if key == 1:
            continue  # a constant
        terms[key] = terms.get(key, sp.S.Zero) + number
    return {k: c for k, c in terms.items() if c != 0 and not _is_null(c * k, q, v)}


def _shape(key: sp.Expr, v: Sequence[sp.Symbol]) -> tuple:
    """The form of ``key`` without its inner constants: which functions of which
    coordinates, times which powers of the velocities (``cos(θ)`` and ``cos(1.0003 θ)``
    share a shape; ``cos(θ)·θ̇²`` does not)."""
    powers = key.as_powers_dict()
    heads = sorted(type(f).__name__ for f in key.atoms(sp.Function))
    symbols = sorted(s.name for s in key.free_symbols)
    return (
        tuple(heads),
        tuple(symbols),
        tuple(int(powers.get(s, 0)) for s in v)
        if all(sp.sympify(powers.get(s, 0)).is_Integer for s in v)
        else str(key),
    )


def _sizes(
    terms: dict[sp.Expr, sp.Expr], symbols: Sequence[sp.Symbol], states: np.ndarray
) -> dict[sp.Expr, float]:
    sizes = {}
    for key, number in terms.items():
        try:
            value = sp.lambdify(symbols, number * key, modules="numpy")(*states.T)
            value = np.broadcast_to(np.asarray(value, dtype=complex), (len(states),))
            sizes[key] = float(np.sqrt(np.mean(np.abs(value) ** 2)))
        except (TypeError, ValueError, ZeroDivisionError):
            sizes[key] = float("nan")
    return sizes


def _display(expr: sp.Expr, width: int = 80) -> str:
    """A term for a reason: exponentials combined, inner constants to 6 digits, short."""
    expr = sp.powsimp(expr)
    numbers = {r: sp.Float(r, 6) for r in expr.atoms(sp.Rational) if not r.is_Integer}
    text = sp.sstr(expr.xreplace(numbers), full_prec=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def _number(value: sp.Expr) -> str:
    return f"{float(value):.6g}"


def term_diff(
    truth: sp.Expr,
    recovered: sp.Expr,
    alpha: sp.Expr | None,
    q: Sequence[sp.Symbol],
    v: Sequence[sp.Symbol],
    box: tuple[np.ndarray, np.ndarray],
    seed: int = 0,
) -> TermDiff:
    """The term-by-term difference of ``recovered / alpha`` from ``truth``.

    Without ``alpha`` (the mass matrices are not proportional) the scale is read off the
    largest velocity term the two have in common (else the largest common term).
    """
    symbols = [*q, *v]
    true_terms = canonical_terms(truth, q, v)
    rec_terms = canonical_terms(recovered, q, v)
    low, high = box
    states = np.random.default_rng(seed).uniform(low, high, (500, len(low)))
    true_size = _sizes(true_terms, symbols, states)
    if alpha is None:
        common = [k for k in true_terms if k in rec_terms]
        kinetic = [k for k in common if any(k.has(s) for s in v)]
        anchor = max(kinetic or common, key=lambda k: np.nan_to_num(true_size[k]), default=None)
        alpha = rec_terms[anchor] / true_terms[anchor] if anchor is not None else sp.S.One
    rec_terms = {k: c / alpha for k, c in rec_terms.items()}
    size = true_size | _sizes(rec_terms, symbols, states)
    missing, wrong, spurious = [], [], []
    only_true = [k for k in true_terms if k not in rec_terms]
    only_rec = [k for k in rec_terms if k not in true_terms]
    for key in set(true_terms) & set(rec_terms):
        t, r = true_terms[key], rec_terms[key]
        if abs(float(r - t)) > _COEFF_RTOL * abs(float(t)):
            wrong.append((key, f"{_number(t)} → {_number(r)}"))
    for key in list(only_true):  # same shape, other inner constants: a wrong rate
        partner = next((k for k in only_rec if _shape(k, v) == _shape(key, v)), None)
        if partner is not None:
            only_rec.remove(partner)
            only_true.remove(key)
            wrong.append((key, f"as {_display(rec_terms[partner] * partner)}"))
    missing = [(k, _number(true_terms[k])) for k in only_true]
    spurious = [(k, _number(rec_terms[k])) for k in only_rec]

    def ranked(items: list[tuple[sp.Expr, str]]) -> tuple[tuple[str, str], ...]:
        order = sorted(items, key=lambda kd: -np.nan_to_num(size.get(kd[0], 0.0), nan=0.0))
        return tuple((_display(k), d) for k, d in order)

    return TermDiff(ranked(missing), ranked(wrong), ranked(spurious))
