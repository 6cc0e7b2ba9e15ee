"""Backends: the registry, operon's model strings, and PySR without importing PySR."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from physym import load_system
from physym.distill import (
    BACKENDS,
    Backend,
    BackendUnavailableError,
    ExpressionModel,
    SelectionRule,
    StateSpace,
    distill,
    get_backend,
    pareto_front,
)
from physym.distill.backends.operon import parse_model_string
from physym.distill.backends.pysr import front_from_table, pysr_unavailable_reason
from physym.distill.base import Problem
from physym.systems.expression_parser import SpecError

HAS_PYSR = importlib.util.find_spec("pysr") is not None
HAS_OPERON = importlib.util.find_spec("pyoperon") is not None


def pendulum_problem(n=200):
    space = StateSpace.from_system(load_system("pendulum"))
    q = space.sample_q(n, np.random.default_rng(0))
    target = 9.81 - 9.81 * np.cos(q[:, 0])
    return Problem("V", space.q_symbols, q, target, float(np.std(target)), "q", space)


def test_registry_names_the_builtin_backends():
    assert {"sparse", "operon", "pysr"} <= set(BACKENDS)
    assert get_backend("sparse").name == "sparse"
    with pytest.raises(ValueError, match=r"unknown distillation backend 'magic'.*sparse"):
        get_backend("magic")


def test_the_registry_names_backends_without_importing_them():
    # No import circle: the registry loads a backend module only when it is asked for.
    code = (
        "import sys, physym.distill.registry as r; "
        "print(sorted(r.BACKENDS), any(m.startswith('physym.distill.backends') "
        "for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "['centres', 'forms', 'operon', 'pysr', 'sparse'] False"
    assert get_backend("forms").name == "forms"


def test_importing_physym_distill_imports_no_optional_backend():
    code = (
        "import sys, physym.distill; "
        "print(any(m.split('.')[0] in ('pysr', 'juliacall', 'pyoperon') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(HAS_PYSR, reason="pysr is installed here; this checks the missing case")
def test_pysr_missing_is_one_clear_line():
    reason = pysr_unavailable_reason()
    assert reason is not None and "\n" not in reason
    for needle in ("pip install physym[pysr]", "PYTHON_JULIACALL_EXE", "PYTHON_JULIACALL_PROJECT"):
        assert needle in reason
    system = load_system("pendulum")
    with pytest.raises(BackendUnavailableError, match="PYTHON_JULIACALL_EXE"):
        distill(ExpressionModel.from_system(system), system, backend="pysr", n_states=50)
    assert "pysr" not in sys.modules


@pytest.mark.skipif(
    not HAS_PYSR,
    reason="pysr is not installed, so the Julia check after "
    "the package check cannot be reached (and importing pysr here would try "
    "to download Julia)",
)
def test_pysr_without_julia_names_the_julia_variables(monkeypatch, tmp_path):
    monkeypatch.delenv("PYTHON_JULIACALL_EXE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    reason = pysr_unavailable_reason()
    assert reason is not None and "PYTHON_JULIACALL_PROJECT" in reason


def test_pysr_table_converts_to_candidates():
    problem = pendulum_problem()
    theta = problem.symbols[0]
    x0 = sp.Symbol("x0")
    scale = problem.scale
    table = [
        {"complexity": 1, "loss": 1.0, "equation": "0.5"},
        {"complexity": 5, "loss": 0.1, "equation": f"{9.81 / scale} * (1 - cos(x0))"},
        {"complexity": 4, "loss": 0.2, "sympy_format": (9.0 / scale) * x0**2 / 2},
        {"complexity": 3, "loss": 0.0, "equation": "__import__('os').system('true')"},
    ]
    candidates = front_from_table(table, problem)
    assert len(candidates) == 3  # the malicious row is refused by the safe parser
    exact = min(candidates, key=lambda c: c.error)
    assert exact.error < 1e-12 and exact.expr.free_symbols == {theta}
    assert all(c.backend == "pysr" for c in candidates)


def test_pysr_style_output_becomes_a_distillation():
    """A backend that answers with PySR-style tables goes through the whole pipeline."""

    class TableBackend(Backend):
        name = "table"

        def fit(self, problem, *, seed=0):
            s = float(problem.scale)
            rows = {
                "M[theta,theta]": [f"1.0 / {s!r}"],
                "V": ["0.1", f"{9.81 / s!r} * (1 - cos(x0))", f"{4.0 / s!r} * x0 * x0"],
            }
            return front_from_table(
                [{"equation": e} for e in rows[problem.name]], problem, backend=self.name
            )

    system = load_system("pendulum")
    result = distill(
        ExpressionModel.from_system(system), system, backend=TableBackend(), n_states=200
    )
    theta, theta_dot = system.q_symbols[0], system.qdot_symbols[0]
    assert result.backend == "table"
    assert (
        sp.simplify(result.lagrangian - (theta_dot**2 / 2 + sp.Rational(981, 100) * sp.cos(theta)))
        == 0
    )


def test_operon_model_strings_are_parsed_safely():
    theta = sp.Symbol("theta", real=True)
    expr = parse_model_string("(0.5 + (2.0 * cos((1.0 * x0)) ^ 2))", (theta,))
    assert expr.free_symbols == {theta}
    for bad in ("__import__('os')", "x0.real", "x1 + 1", "open('f')"):
        with pytest.raises(SpecError):
            parse_model_string(bad, (theta,))


@pytest.mark.skipif(not HAS_OPERON, reason="pyoperon is not installed")
def test_operon_finds_the_pendulum_potential_and_snaps_its_constants():
    from physym.distill.backends import OperonBackend

    problem = pendulum_problem()
    backend = OperonBackend(generations=50, population_size=200, max_time=10)
    chosen = SelectionRule().choose(pareto_front(backend.fit(problem, seed=0)))
    theta = problem.symbols[0]
    assert chosen.error < 1e-10
    assert chosen.expr.has(sp.cos(theta))  # cos(1.0000014 θ) snapped to cos(θ)
