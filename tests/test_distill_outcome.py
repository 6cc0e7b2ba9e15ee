"""The honest outcome: a closed form that did not pass is never reported as recovered."""

from __future__ import annotations

import json

from test_distill_recovery import perturbed_lagrangian
from test_report import make_run

import physym
from physym.distill import ExpressionModel, distill
from physym.distill.outcome import NO_CLOSED_FORM, apply_outcome, outcome_line
from physym.io import write_json
from physym.report import build_report


def test_a_run_without_a_closed_form_says_so_in_summary_report_and_cli(tmp_path):
    run = make_run(tmp_path / "run")
    pendulum = physym.load_system("pendulum")
    # Without independent data nothing beats the network: the closed form only imitates
    # it, so the verdict is "approximate", not "found".
    model = ExpressionModel(perturbed_lagrangian(pendulum, 1e-2), pendulum.coordinates)
    result = distill(model, pendulum, n_states=300, fallback_backend=None)
    assert result.closed_form == "approximate"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["exact"] is True  # the run as make_run wrote it: the true L recovered
    apply_outcome(summary, result)
    write_json(run / "summary.json", summary)

    assert summary["exact"] is False and summary["equivalent"] is False
    assert summary["comparison"]["exact"] is False
    assert summary["comparison"]["reason"].startswith(NO_CLOSED_FORM)
    assert summary["recovered_lagrangian"] is None
    best = summary["best_candidate"]
    assert best["closed_form"] == "approximate"
    assert best["accel_rel_error"] == result.acceptance["error"] > 1e-9
    assert "theta" in best["lagrangian"]

    report = build_report(run).read_text()
    assert NO_CLOSED_FORM.capitalize() in report
    assert r"L_{\mathrm{best}}" in report
    assert "| exactly recovered (scale + null Lagrangian) | no |" in report
    assert "| dynamically equivalent | no |" in report
    line = outcome_line(summary)
    assert line is not None and NO_CLOSED_FORM in line and f"{best['accel_rel_error']:.3g}" in line


def test_a_found_closed_form_keeps_the_summary_and_has_no_best_candidate(tmp_path):
    pendulum = physym.load_system("pendulum")
    result = distill(
        ExpressionModel.from_system(pendulum), pendulum, n_states=300, fallback_backend=None
    )
    assert result.found
    summary = {"exact": True, "equivalent": True, "recovered_lagrangian": "L"}
    apply_outcome(summary, result)
    assert summary == {
        "exact": True,
        "equivalent": True,
        "recovered_lagrangian": "L",
        "closed_form": "found",
        "best_candidate": None,
    }
    assert outcome_line(summary) is None
