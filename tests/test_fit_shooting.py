"""The shooting refinement inside a fit from measured positions (issue 12).

A tiny fit of the harmonic oscillator from noisy positions must refit the closed form's
constant to the positions, with an interval that holds the truth; the recovered ``L`` is
re-derived here (its acceleration ``−(c/a) x`` from ``L = a ẋ² + c x²``) and checked
against the truth within the reported uncertainty. A closed form whose constants the data
cannot determine (a total-derivative term) must make the refinement fail, be recorded,
and leave the fit to finish with the polish's result.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import physym
from physym.config import RunConfig
from physym.data.synthetic_positions import simulate_positions, write_positions_csv
from physym.distill import Distillation
from physym.run.context import RunContext, Stage
from physym.run.fit import STAGES
from physym.run.sources.shooting_refit import SHOOTING_FILE, closed_form_terms

NOISE = 0.01  # of the coordinate's spread
TINY = {
    "trajectory_column": "trajectory",
    "epochs": 15,
    "rollout_states": 2,
    "energy_states": 0,
    "rollout_t_end": 2.0,
    "fallback_model": "none",
    "progress": False,
}


@pytest.fixture(scope="module")
def noisy_csv(tmp_path_factory) -> Path:
    system = physym.load_system("harmonic_oscillator")
    data = simulate_positions(system, n_trajectories=4, t_end=8.0, dt=0.02, seed=4, noise=NOISE)
    return write_positions_csv(
        tmp_path_factory.mktemp("data") / "oscillator.csv", data, system.coordinates
    )


@pytest.fixture(scope="module")
def refined_run(noisy_csv, tmp_path_factory) -> physym.FitResult:
    out = tmp_path_factory.mktemp("fit") / "refined"
    return physym.fit("harmonic_oscillator", out, data=str(noisy_csv), **TINY)


def test_constants_are_refitted_with_intervals_that_hold_the_truth(refined_run):
    summary = refined_run.summary
    assert summary["shooting"]["status"] == "applied"
    assert 0.7 < summary["shooting"]["reduced_chi2"] < 1.5  # weights from the measured noise
    assert summary["shooting"]["misses_positions"] is False
    constants = {c["name"]: c for c in summary["constants"]}
    assert set(constants) == {"x**2", "x_dot**2"}
    kinetic, potential = constants["x_dot**2"], constants["x**2"]
    assert kinetic["role"] == "scale" and kinetic["sigma"] == 0
    # truth: L ∝ ẋ²/2 − x²/2 (m = k = 1), so with the kinetic coefficient held at 1/2
    # the potential's is −1/2; 1 % noise on 4 × 8 s determines it to ~1e-4
    truth = -kinetic["value"]
    assert 0 < potential["sigma"] < 1e-3 * abs(truth)
    low, high = potential["interval_95"]
    assert low <= truth <= high
    assert high - low == pytest.approx(2 * 1.959964 * potential["sigma"], rel=1e-6)
    # rational only where the rational lies within the interval
    for c in summary["constants"]:
        if c["rational"] is not None:
            value = float(sp.Rational(c["rational"]))
            assert c["interval_95"][0] <= value <= c["interval_95"][1]


def test_recovered_lagrangian_is_the_refined_one(refined_run):
    summary = refined_run.summary
    x, v = sp.symbols("x x_dot", real=True)
    recovered = sp.sympify(summary["recovered_lagrangian"], locals={"x": x, "x_dot": v})
    a, c = recovered.coeff(v, 2), recovered.coeff(x, 2)
    assert sp.simplify(recovered - a * v**2 - c * x**2) == 0
    constants = {k["name"]: k for k in summary["constants"]}
    assert float(c) == pytest.approx(float(sp.sympify(constants["x**2"]["in_lagrangian"])))
    # independent truth: ẍ = −x; the refit's ω² is within 3σ of 1
    omega2 = -float(c) / float(a)
    sigma = constants["x**2"]["sigma"] / float(a)
    assert abs(omega2 - 1) <= 3 * sigma
    assert summary["accel_rel_error"]["recovered"] <= 3 * sigma + 1e-12
    saved = json.loads((refined_run.path / SHOOTING_FILE).read_text())
    assert np.asarray(saved["covariance"]).shape == (2, 2)
    report = (refined_run.path / "report.md").read_text()
    assert "## Constants" in report and "value ± 1σ" in report


def _with_duplicate_term(ctx: RunContext) -> None:
    """The distillation with ``x²`` written twice (``x²`` and ``2x²``, the same ``L``): the
    data cannot tell the two coefficients apart. Its search candidates and fronts are
    removed: with them, the re-selection would fit the right form instead."""
    distillation = ctx.distillation
    assert distillation is not None
    coefficients = {
        **{t: c for t, c in distillation.coefficients.items() if t != "x**2"},
        "x**2": "-1/4",
        "2*x**2": "-1/8",
    }
    ctx.distillation = dataclasses.replace(
        distillation,
        coefficients=coefficients,
        pareto=[],
        search={**distillation.search, "candidates": []},
    )


def test_a_failed_refinement_is_recorded_and_the_fit_goes_on(noisy_csv, tmp_path):
    stages = []
    for stage in STAGES:
        stages.append(stage)
        if stage.name == "distill":
            stages.append(Stage("inject", _with_duplicate_term))
    run = physym.fit(
        "harmonic_oscillator", tmp_path / "failed", data=str(noisy_csv), stages=stages, **TINY
    )
    summary = run.summary
    shooting = summary["shooting"]
    assert shooting["status"] == "failed"
    assert shooting["error"].startswith("ShootingError: the data do not determine")
    assert "\n" not in shooting["error"]
    assert summary["constants"] is None
    assert not (run.path / SHOOTING_FILE).exists()
    # the polish's L (distillation.json) goes on to the comparison
    polish = json.loads((run.path / "distillation.json").read_text())["lagrangian"]
    assert summary["recovered_lagrangian"] == polish
    assert summary["accel_rel_error"]["recovered"] < 1e-3  # the polish's constants
    report = (run.path / "report.md").read_text()
    assert "were not refitted" in report and "failed" in report


def test_the_option_switches_it_off_by_flat_and_nested_names():
    flat = RunConfig.from_dict({"system": "pendulum", "shooting": False})
    nested = RunConfig.from_dict({"system": "pendulum", "distill": {"shooting": False}})
    assert flat.distill.shooting is False and flat == nested
    assert RunConfig.from_dict({"system": "pendulum"}).distill.shooting is True


def test_terms_parameters_and_scale_come_from_the_distillation():
    x, v = sp.symbols("x x_dot", real=True)
    distillation = Distillation(
        lagrangian=v**2 / 2 - sp.Float(3.2) * sp.cos(sp.Float(0.7) * x),
        coordinates=("x",),
        backend="sparse",
        targets="M,A,V",
        scale={"convention": "coefficient of x_dot**2 is 1/2", "term": "x_dot**2"},
        pareto=[],
        coefficients_before_polish={},
        coefficients_after_polish={"x_dot**2": 0.5, "cos(w_x*x)": -3.19, "x**4": 0.0},
        coefficients={"x_dot**2": "1/2", "cos(w_x*x)": "-3.2"},
        quadratic_check={},
        curl_check={},
        polish={"params": {"w_x": "0.700000000000000"}},
    )
    dynamics, start, params, scale = closed_form_terms(distillation)
    assert [sp.sstr(t) for t in dynamics.terms] == ["x_dot**2", "cos(w_x*x)"]
    assert [str(p) for p in dynamics.params] == ["w_x"] and params == {"w_x": 0.7}
    np.testing.assert_allclose(start, [0.5, -3.19])  # the polish's, not the rounded value
    assert scale is not None and (scale.kind, scale.value, scale.index) == ("term", 0.5, 0)


def test_training_checks_refit_repeated_terms_and_see_the_same_closed_form(refined_run):
    from physym.run.sources import MeasuredPositions
    from physym.run.sources.shooting_check import ShootingCheck

    source = MeasuredPositions()
    data = source.load(refined_run.config.nested, refined_run.system, refined_run.path)
    assert data is not None and source.estimate is not None
    record = json.loads((refined_run.path / "distillation.json").read_text())
    polish = Distillation.from_dict(record)
    check = ShootingCheck(source.estimate, data)
    model = refined_run.model
    assert check(polish, model) is polish  # new terms: the polish's verdict
    second = check(polish, model)  # the same terms again: refitted
    assert second.lagrangian != polish.lagrangian
    assert second.polish["lagrangian"] == sp.sstr(polish.lagrangian)
    assert second.closed_form == "found"
    # a later check from other polish constants converges to the same constants: the
    # same closed form, so that the stopping rule sees two equal checks
    nudged = {t: v * (1 + 1e-3) for t, v in polish.coefficients_after_polish.items()}
    third = check(dataclasses.replace(polish, coefficients_after_polish=nudged), model)
    assert third.lagrangian == second.lagrangian
    assert check.original(third).coefficients_after_polish == nudged
    assert check.original(polish) is polish


def test_a_chi2_well_above_one_is_flagged_as_missing_the_positions():
    from physym.run.sources.shooting_refit import misses_positions
    from physym.shooting import ShootingResult

    def result(chi2: float) -> ShootingResult:
        return ShootingResult(("x",), (), np.zeros((0, 0)), chi2, 16000, True, (0.01,), {}, {})

    assert not misses_positions(result(1.02 * 16000))  # right terms gave 1.01 to 1.03
    assert misses_positions(result(1.21 * 16000))  # a wrong potential gave 1.21 and 1.61
