"""One zoo row: a run's ``summary.json`` scored by the independent checker.

``score(entry, system, summary, …)`` reads what physym said (verdicts, errors, timings,
``closed_form`` when the summary has it), asks :mod:`zoo_check` for its own verdicts, and
for a miss computes the reason by form with :mod:`zoo_terms`. ``failure(entry, …)`` is the
row of a system whose run crashed or timed out: a miss with its reason, never a gap.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import sympy as sp
from zoo_catalogue import Entry
from zoo_check import check, indefinite_fraction, truth_expression
from zoo_symbols import ExpressionError, parse, state_symbols, with_rational_floats
from zoo_terms import term_diff

from physym import System

__all__ = ["CHECK_SECONDS", "disagreements", "failure", "score"]

CHECK_SECONDS = 600  # the checker's budget per system (SymPy on a 40-term nest is slow)


class _CheckTimeoutError(Exception):
    pass


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    """Raise :class:`_CheckTimeoutError` after ``seconds`` (main thread only; else no limit)."""

    def expire(signum: int, frame: Any) -> None:
        raise _CheckTimeoutError

    try:
        previous = signal.signal(signal.SIGALRM, expire)
    except ValueError:  # not the main thread
        yield
        return
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _base(entry: Entry, system: System | None, mode: str, seed: int) -> dict[str, Any]:
    return {
        "system": entry.name,
        "dof": system.n_dof if system else None,
        "form": entry.form,
        "family": entry.family,
        "source": system.source if system else "",
        "mode": mode,
        "seed": seed,
    }


def failure(
    entry: Entry,
    system: System | None,
    mode: str,
    seed: int,
    status: str,
    reason: str,
    wall_s: float | None = None,
) -> dict[str, Any]:
    """The row of a run that crashed (``status="failed"``) or timed out."""
    return {
        **_base(entry, system, mode, seed),
        "status": status,
        "closed_form": None,
        "physym": {"exact": None, "equivalent": None},
        "checker": {"exact": False, "equivalent": False, "reason": reason},
        "accel_rel_error": {},
        "distill_s": None,
        "wall_s": wall_s,
        "cpu_s": None,
        "recovered_lagrangian": None,
        "miss": f"{status}: {reason}",
        "disagreements": [],
    }


def disagreements(physym: dict[str, Any], checker: dict[str, Any]) -> list[str]:
    """physym's verdicts that the checker contradicts, e.g. ``"exact: physym false, checker
    true"`` (none where physym gave no verdict or the checker could not decide)."""
    out = []
    for key in ("exact", "equivalent"):
        mine, theirs = checker.get(key), physym.get(key)
        if mine is not None and theirs is not None and bool(mine) != bool(theirs):
            out.append(f"{key}: physym {str(theirs).lower()}, checker {str(mine).lower()}")
    return out


def _miss_reason(system: System, recovered: str, verdict: dict[str, Any]) -> str:
    q, v = state_symbols(system.coordinates)
    truth = truth_expression(system.lagrangian, system.parameters)
    try:
        rec = with_rational_floats(parse(recovered, [s.name for s in (*q, *v)]))
    except ExpressionError as exc:
        return f"unreadable recovered L: {exc}"
    if rec.is_number:
        return f"recovered L is the constant {recovered}"
    alpha = sp.Rational(verdict["scale"]) if verdict.get("scale") else None
    head = (
        "equivalent, not exact"
        if verdict["equivalent"]
        else f"not equivalent (accelerations off by {verdict['accel_rel_error']:.2g})"
        if verdict.get("accel_rel_error") is not None
        else "not equivalent"
    )
    low, high = system.box
    states = np.random.default_rng(3).uniform(low, high, (500, low.size))
    indefinite = indefinite_fraction(rec, q, v, states)
    if indefinite > 0:
        head += f", mass matrix indefinite at {indefinite:.0%} of box states"
    return f"{head}: {term_diff(truth, rec, alpha, q, v, system.box).reason()}"


def score(
    entry: Entry,
    system: System,
    summary: dict[str, Any],
    *,
    mode: str,
    seed: int,
    wall_s: float | None,
    cpu_s: float | None,
) -> dict[str, Any]:
    """The zoo row of a finished run (``summary``: its ``summary.json``)."""
    recovered = summary.get("recovered_lagrangian")
    physym = {"exact": summary.get("exact"), "equivalent": summary.get("equivalent")}
    base = {
        **_base(entry, system, mode, seed),
        "status": "done",
        "closed_form": summary.get("closed_form", "absent"),
        "physym": physym,
        "accel_rel_error": summary.get("accel_rel_error") or {},
        "distill_s": (summary.get("timings") or {}).get("distill"),
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "recovered_lagrangian": recovered,
    }
    if not isinstance(recovered, str):
        reason = "no recovered Lagrangian in summary.json"
        return {
            **base,
            "checker": {"exact": False, "equivalent": False, "reason": reason},
            "miss": reason,
            "disagreements": disagreements(physym, {}),
        }
    try:
        with _time_limit(CHECK_SECONDS):
            verdict = check(
                system.lagrangian, system.parameters, system.coordinates, system.box, recovered
            ).to_dict()
            miss = None if verdict["exact"] else _miss_reason(system, recovered, verdict)
    except _CheckTimeoutError:
        verdict = {
            "exact": None,
            "equivalent": None,
            "reason": f"checker gave up after {CHECK_SECONDS} s",
        }
        miss = verdict["reason"]
    except Exception as exc:  # a row with the error beats a lost row (physym's verdicts stay)
        verdict = {
            "exact": None,
            "equivalent": None,
            "reason": f"checker error: {type(exc).__name__}: {exc}"[:300],
        }
        miss = verdict["reason"]
    return {
        **base,
        "checker": verdict,
        "miss": miss,
        "disagreements": disagreements(physym, verdict),
    }
