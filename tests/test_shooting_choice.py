"""Re-selection of the terms by the positions: a look-alike that fits the derivatives as
well as the true form must lose to it on the positions, whichever came first."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from helpers import builtin
from shooting_helpers import acceleration_error, noisy_estimate

from physym.distill import Distillation
from physym.distill.euler_lagrange import TermDynamics
from physym.distill.polish import ScaleFix
from physym.run.sources.shooting_refit import compare_forms
from physym.run.sources.shooting_starts import linear_start
from physym.shooting.choice import Candidate, choose_closed_form

SCALE = ScaleFix("term", 0.5, 0)


@pytest.fixture(scope="module")
def pendulum():
    """Pendulum positions (0.1 % noise), its true terms and a polynomial look-alike."""
    system = builtin("pendulum")
    theta, theta_dot = system.q_symbols[0], system.qdot_symbols[0]
    estimate, _ = noisy_estimate(system, 0.001, seed=4, n_trajectories=3, t_end=4.0)
    true = TermDynamics([theta_dot**2, sp.cos(theta)], [theta], [theta_dot])
    look = TermDynamics([theta_dot**2, theta**2, theta**4], [theta], [theta_dot])
    return system, estimate, true, look


def derivative_fit(dynamics: TermDynamics, estimate) -> tuple[np.ndarray, float]:
    """Least-squares coefficients on the estimated derivatives, and their relative error."""
    states, accelerations = estimate.states, estimate.accelerations
    weights = np.ones((len(states), 1, 1))
    start = linear_start(dynamics, {}, states, accelerations, weights, SCALE)
    mass, force = dynamics.evaluate(states)
    predicted = dynamics.accelerations(mass, force, start)
    error = np.linalg.norm(predicted - accelerations) / np.linalg.norm(accelerations)
    return start, float(error)


def test_linear_start_solves_exact_accelerations(pendulum):
    system, estimate, true, _ = pendulum
    states = estimate.states
    exact = system.accelerations(states)
    start = linear_start(true, {}, states, exact, np.ones((len(states), 1, 1)), SCALE)
    np.testing.assert_allclose(start, [0.5, 9.81], rtol=1e-9)


def test_positions_choose_the_true_terms_over_a_lookalike(pendulum):
    system, estimate, true, look = pendulum
    true_start, true_error = derivative_fit(true, estimate)
    look_start, look_error = derivative_fit(look, estimate)
    # the premise: on the derivatives the look-alike is as good as the truth (within 10 %)
    assert look_error < 1.1 * true_error
    assert acceleration_error(system, look, look_start) > 100 * acceleration_error(
        system, true, true_start
    )
    lookalike = Candidate("look-alike", look, look_start, {}, SCALE)
    truth = Candidate("true form", true, true_start, {}, SCALE)

    challenged = choose_closed_form([lookalike, truth], estimate)
    assert challenged.index == 1 and challenged.result.terms == ("theta_dot**2", "cos(theta)")
    gravity = challenged.result.constants[1]
    assert abs(gravity.value - 9.81) < 3 * gravity.stderr
    screens = [c["screen"] for c in challenged.compared]
    assert screens[1]["bic"] < screens[0]["bic"] and screens[0]["reduced_chi2"] > 1.1
    full = [c["full"] for c in challenged.compared]
    assert full[1]["bic"] < full[0]["bic"] and [c["chosen"] for c in challenged.compared] == [
        False,
        True,
    ]

    kept = choose_closed_form([truth, lookalike], estimate)
    assert kept.index == 0 and kept.result.terms == ("theta_dot**2", "cos(theta)")
    assert "full" not in kept.compared[1]  # it lost the screening: never fitted in full


def lookalike_distillation() -> Distillation:
    """A distillation that chose the look-alike, with a term whose nonlinear parameter's
    limit 0 removes it, and the true form on its potential's front."""
    return Distillation(
        lagrangian=sp.Integer(0),
        coordinates=("theta",),
        backend="sparse",
        targets="M,A,V",
        scale={"term": "theta_dot**2", "convention": "test", "alpha": 1.0},
        pareto=[
            {"target": "V", "complexity": 4, "error": 3e-3, "expression": "-9.7*cos(theta)"},
            {
                "target": "V",
                "complexity": 11,
                "error": 2e-3,
                "expression": "4.8*theta**2 - 0.35*theta**4",
                "chosen": True,
            },
            {"target": "V", "complexity": 15, "error": 1e-3, "expression": "theta**2 + theta**6"},
            {"target": "M[theta,theta]", "complexity": 1, "error": 1e-3, "expression": "1.0"},
        ],
        coefficients_before_polish={},
        coefficients_after_polish={},
        coefficients={
            "theta_dot**2": "1/2",
            "theta**2": "-4.8",
            "theta**4": "0.35",
            "theta*sin(p_x*theta)": "0.2",
        },
        quadratic_check={},
        curl_check={},
        polish={"params": {"p_x": "0.01"}},
        search={"candidates": [{"lagrangian": "theta_dot**2/2 + 9.7*cos(0.99*theta)"}]},
    )


def test_alternatives_from_limits_search_candidates_and_front_models(pendulum):
    from physym.run.sources.shooting_candidates import alternative_forms
    from physym.run.sources.shooting_refit import _estimate_space, closed_form_terms

    estimate = pendulum[1]
    distillation = lookalike_distillation()
    dynamics, start, params, scale = closed_form_terms(distillation)
    incumbent = Candidate("distillation", dynamics, start, params, scale)
    forms = alternative_forms(incumbent, distillation, estimate, _estimate_space(estimate))
    found = {c.label: {sp.sstr(t) for t in c.dynamics.terms} for c in forms}
    assert found == {
        "distillation": {"theta_dot**2", "theta**2", "theta**4", "theta*sin(p_x*theta)"},
        "limit p_x -> 0": {"theta_dot**2", "theta**2", "theta**4"},
        # its number inside a term becomes a fitted parameter, started at that number
        "search candidate 0 (None)": {"theta_dot**2", "cos(p_alt0*theta)"},
        # the potential part (every term without a velocity) replaced by the front's model
        "V model of complexity 4": {"theta_dot**2", "cos(theta)"},
        "V model of complexity 15": {"theta_dot**2", "theta**2", "theta**6"},
        # θ's own terms (θ², θ⁴; θ², θ⁶) replaced by the polynomial of lower degree
        "lower polynomial": {
            "theta_dot**2",
            "theta*sin(p_x*theta)",
            *(f"theta**{k}" for k in (2, 3)),
            "theta",
        },
        "V model of complexity 15, lower polynomial": {
            "theta_dot**2",
            *(f"theta**{k}" for k in range(2, 6)),
            "theta",
        },
    }
    by_label = {c.label: c for c in forms}
    assert by_label["search candidate 0 (None)"].params == {"p_alt0": 0.99}
    swap = by_label["V model of complexity 4"]
    assert swap.scale is not None and swap.coefficients[swap.scale.index] == 0.5
    cosine = [sp.sstr(t) for t in swap.dynamics.terms].index("cos(theta)")
    assert abs(swap.coefficients[cosine] - 9.81) < 0.3  # least squares on the derivatives


@pytest.mark.slow
def test_alternatives_of_a_distillation_are_compared(pendulum):
    """The refit of the look-alike distillation returns the true form and records why."""
    estimate = pendulum[1]
    result, record = compare_forms(lookalike_distillation(), estimate, None)
    labels = [c["label"] for c in record["compared"]]
    assert labels[0] == "distillation" and "limit p_x -> 0" in labels
    assert record["changed"] and record["chosen"] in (
        "V model of complexity 4",
        "search candidate 0 (None)",
    )
    kept = {c.name: c for c in result.constants if c.role != "dropped"}
    assert any("cos" in name for name in kept) and not {"theta**2", "theta**4"} & set(kept)
    assert record["compared"][0]["full"]["reduced_chi2"] > 1.2


def test_parameter_limits_only_where_smooth_and_finite():
    from physym.run.sources.shooting_candidates import _limits

    x, v, p, q, r = sp.symbols("x x_dot p q r", real=True)
    terms = [v**2, 1 / sp.sqrt(x**2 + p), v**2 * sp.cos(q * x), sp.exp(-r * x) / r]
    incumbent = Candidate(
        "i", TermDynamics(terms, [x], [v], (p, q, r)), np.ones(4), {"p": 1, "q": 1, "r": 1}
    )
    limits = dict(_limits(incumbent))
    # p -> 0 gives 1/|x| (no smooth equations), r -> 0 diverges: only q -> 0 is offered,
    # where v² cos(q x) becomes the plain v² the incumbent already has
    assert set(limits) == {"limit q -> 0"}
    assert limits["limit q -> 0"] == [v**2, 1 / sp.sqrt(x**2 + p), sp.exp(-r * x) / r]


def test_report_lists_the_forms_compared():
    from physym.report.builder import _forms_lines

    forms = {
        "chosen": "limit p -> 0",
        "rule": "the rule",
        "compared": [
            {"label": "distillation", "lagrangian": "x_dot**2/2 - cos(p*x)", "chosen": False},
            {
                "label": "limit p -> 0",
                "lagrangian": "x_dot**2/2",
                "screen": {"reduced_chi2": 1.01, "bic": 20.5},
                "full": {"reduced_chi2": 1.0, "bic": 30.25},
                "chosen": True,
            },
        ],
    }
    lines = _forms_lines(forms)
    assert "chosen: limit p -> 0" in lines[1]
    assert lines[-1] == "| limit p -> 0 | `x_dot**2/2` | 1.01 | 20.5 | 1 | 30.25 | yes |"
    assert lines[-2].startswith("| distillation |") and "n/a" in lines[-2]
    assert _forms_lines({"compared": forms["compared"][:1]}) == []  # nothing was compared


def test_an_incumbent_the_data_cannot_determine_gives_way(pendulum):
    """``cos θ`` written twice (the data cannot split its coefficient): recorded, and the
    alternative that can be fitted is chosen; with no alternative the error is raised."""
    _, estimate, true, _ = pendulum
    theta, theta_dot = true.q_symbols[0], true.v_symbols[0]
    twice = TermDynamics([theta_dot**2, sp.cos(theta), 2 * sp.cos(theta)], [theta], [theta_dot])
    broken = Candidate("duplicate", twice, np.array([0.5, 4.9, 2.45]), {}, SCALE)
    truth = Candidate("true form", true, np.array([0.5, 9.7]), {}, SCALE)
    choice = choose_closed_form([broken, truth], estimate)
    assert choice.index == 1
    assert choice.compared[0]["full"]["error"].startswith("ShootingError: the data do not")
    with pytest.raises(Exception, match="the data do not determine"):
        choose_closed_form([broken], estimate)


def test_lower_polynomial_replaces_a_coordinates_lookalike_part():
    from physym.run.sources.shooting_candidates import _lower_polynomial

    r, theta, r_dot = sp.symbols("r theta r_dot", real=True)
    kinetic = [r_dot**2, r**2 * theta**2]
    lookalike = [*kinetic, r * sp.cos(theta), r**4, r**3, 1 / sp.sqrt(r)]
    assert _lower_polynomial(lookalike, [r, theta]) == [*kinetic, r * sp.cos(theta), r, r**2, r**3]
    # a lone power, or no power of 3 or more: nothing to replace
    assert _lower_polynomial([*kinetic, r**4], [r, theta]) is None
    assert _lower_polynomial([*kinetic, r**2, sp.sin(r)], [r, theta]) is None
