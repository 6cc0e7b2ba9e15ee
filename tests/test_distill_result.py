"""The Distillation record: contents, serialisation and display."""

from __future__ import annotations

import dataclasses
import json

import pytest
import sympy as sp

from physym import load_system
from physym.distill import Distillation, ExpressionModel, distill


@pytest.fixture(scope="module")
def result() -> Distillation:
    system = load_system("double_pendulum")
    return distill(ExpressionModel.from_system(system), system, n_states=300, fallback_backend=None)


def test_record_holds_the_evidence(result):
    assert result.backend == "sparse" and result.targets == "M,A,V"
    assert result.coordinates == ("theta1", "theta2")
    assert set(result.quadratic_check) >= {"passed", "measured", "tolerance"}
    assert set(result.curl_check) >= {"kept", "measured", "tolerance"}
    assert result.scale["convention"] == "coefficient of theta1_dot**2 is 1/2"
    assert result.scale["alpha"] == pytest.approx(2.0)  # (m1 + m2) l1² = 2
    assert result.coefficients["cos(theta1)"] == "981/100"
    assert result.coefficients_after_polish["cos(theta2)"] == pytest.approx(4.905)
    assert result.coefficients_before_polish["cos(theta2)"] == pytest.approx(4.905)
    assert {"targets", "regression", "polish", "total"} <= set(result.timings)
    chosen = [row for row in result.pareto if row["chosen"]]
    assert {row["target"] for row in chosen} == {
        "M[theta1,theta1]",
        "M[theta1,theta2]",
        "M[theta2,theta2]",
        "V",
    }
    assert all(set(row) >= {"complexity", "error", "expression"} for row in result.pareto)
    symbols = {s.name: s for s in result.lagrangian.free_symbols}
    assert all(s.is_real for s in symbols.values())


def test_round_trip_through_json(result):
    data = json.loads(json.dumps(result.to_dict()))
    again = Distillation.from_dict(data)
    assert sp.simplify(again.lagrangian - result.lagrangian) == 0
    for field in dataclasses.fields(Distillation):
        if field.name != "lagrangian":
            assert getattr(again, field.name) == data[field.name] or field.name == "coordinates"
    assert again.coordinates == result.coordinates
    assert sp.sympify(data["lagrangian"]).free_symbols  # plain sympify parses it too


def test_display(result):
    text = str(result)
    assert "L = " in text and "981*cos(theta1)/100" in text
    assert "quadratic check: passed=True" in text
    assert "M[theta1,theta2]" in text
    assert result.sympy() is result.lagrangian
    assert "\\cos" in result.latex()
    assert result._repr_latex_().startswith("$L_{\\mathrm{rec}} = ")
