"""PySR backend (the ``physym[pysr]`` extra; needs Julia).

``import pysr`` starts Julia and, when none is configured, tries to download one, so PySR
is imported only inside :meth:`PySRBackend.fit`, after :meth:`PySRBackend.check_available`
has looked (without importing) for the package and for a Julia. Any failure becomes one
:class:`~physym.distill.base.BackendUnavailableError` line saying what to set or install.
PySR's ``equations_`` table converts to physym candidates with :func:`front_from_table`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from physym.distill.base import Backend, BackendUnavailableError, Problem
from physym.distill.pareto import Candidate, complexity
from physym.systems.expression_parser import SpecError, parse_expression

__all__ = ["PySRBackend", "front_from_table", "pysr_unavailable_reason"]

_HINT = (
    "install it with `pip install physym[pysr]` and point PySR at a Julia with "
    "PYTHON_JULIACALL_EXE (the julia executable) and PYTHON_JULIACALL_PROJECT "
    "(a Julia project directory)"
)


def pysr_unavailable_reason() -> str | None:
    """Why PySR cannot run here, or ``None``; never imports PySR (or Julia)."""
    if importlib.util.find_spec("pysr") is None:
        return f"the 'pysr' backend needs the pysr package: {_HINT}"
    if not os.environ.get("PYTHON_JULIACALL_EXE") and shutil.which("julia") is None:
        return f"the 'pysr' backend found no Julia (PYTHON_JULIACALL_EXE is unset): {_HINT}"
    return None


def _rows(table: Any) -> list[Mapping[str, Any]]:
    if hasattr(table, "to_dict"):  # a pandas DataFrame
        return list(table.to_dict(orient="records"))
    return [dict(row) for row in table]


def front_from_table(table: Any, problem: Problem, backend: str = "pysr") -> list[Candidate]:
    """Candidates from a PySR ``equations_`` table (DataFrame or list of row mappings).

    Each row needs an ``equation`` string in variables ``x0, x1, …`` (parsed safely) or a
    ``sympy_format`` expression in the symbols ``x0, x1, …``. Errors are recomputed on the
    problem's data, so the table's own loss column is not trusted.
    """
    names = {f"x{i}": s for i, s in enumerate(problem.symbols)}
    candidates: list[Candidate] = []
    for row in _rows(table):
        expr = row.get("sympy_format")
        if isinstance(expr, sp.Basic):
            expr = expr.xreplace(
                {sp.Symbol(k): v for k, v in names.items()}
                | {sp.Symbol(k, real=True): v for k, v in names.items()}
            )
            if not expr.free_symbols <= set(problem.symbols):
                continue
        else:
            try:
                expr = parse_expression(str(row["equation"]), names, where="pysr model")
            except (SpecError, KeyError):
                continue
        expr = problem.scale * expr
        fn = sp.lambdify(problem.symbols, expr, modules="numpy")
        with np.errstate(all="ignore"):
            values = np.broadcast_to(
                np.asarray(fn(*problem.inputs.T), dtype=np.float64), problem.target.shape
            )
        error = problem.error(values)
        if np.isfinite(error):
            candidates.append(Candidate(expr, error, complexity(expr), backend))
    return candidates


class PySRBackend(Backend):
    """PySR's ``PySRRegressor``, one search per target (options passed through)."""

    name = "pysr"

    def __init__(self, **options: Any):
        defaults: dict[str, Any] = dict(
            niterations=40,
            binary_operators=["+", "-", "*", "/"],
            unary_operators=["sin", "cos", "sqrt"],
            maxsize=30,
            verbosity=0,
            progress=False,
            deterministic=True,
            parallelism="serial",
        )
        self.options: dict[str, Any] = defaults | options

    def check_available(self) -> None:
        reason = pysr_unavailable_reason()
        if reason is not None:
            raise BackendUnavailableError(reason)

    def fit(self, problem: Problem, *, seed: int = 0) -> list[Candidate]:
        self.check_available()
        try:
            from pysr import PySRRegressor
        except Exception as exc:  # ImportError, or Julia failing to start / download
            raise BackendUnavailableError(
                f"the 'pysr' backend could not start ({type(exc).__name__}): {_HINT}"
            ) from None
        regressor = PySRRegressor(random_state=seed, **self.options)
        names = [f"x{i}" for i in range(len(problem.symbols))]
        regressor.fit(problem.inputs, problem.target / problem.scale, variable_names=names)
        return front_from_table(regressor.equations_, problem)
