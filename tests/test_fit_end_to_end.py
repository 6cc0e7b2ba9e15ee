"""The whole loop on a tiny problem: train, distil, compare, report — and exact recovery.

The harmonic oscillator ``L = ẋ²/2 − x²/2`` (m = k = 1) trains in seconds; the recovered
Lagrangian must be the true one up to scale, checked against the spec's own closed form
(not the pipeline's verdict alone): its Euler–Lagrange accelerations equal ``−x`` on fresh
states to 1e-9.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from physym.cli.main import main
from physym.runs import load_run

TINY = [
    "--samples",
    "500",
    "--epochs",
    "20",
    "--quiet",
    "--set",
    "rollout_states=2",
    "--set",
    "rollout_t_end=2.0",
    "--set",
    "energy_states=0",
]


@pytest.fixture(scope="module")
def oscillator_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "oscillator"
    assert main(["fit", "harmonic_oscillator", "--out", str(out), *TINY]) == 0
    return out


def _euler_lagrange_acceleration(lagrangian: sp.Expr) -> sp.Expr:
    x, v = sp.symbols("x x_dot", real=True)
    dl_dv = sp.diff(lagrangian, v)
    # d/dt ∂L/∂v = ∂²L/∂v² a + ∂²L/∂v∂x v  =  ∂L/∂x
    a = (sp.diff(lagrangian, x) - sp.diff(dl_dv, x) * v) / sp.diff(dl_dv, v)
    return sp.simplify(a)


def test_recovers_the_oscillator_exactly(oscillator_run):
    summary = json.loads((oscillator_run / "summary.json").read_text())
    assert summary["exact"] is True and summary["equivalent"] is True
    assert summary["backend"] == "sparse"
    recovered = sp.sympify(
        summary["recovered_lagrangian"],
        locals={"x": sp.Symbol("x", real=True), "x_dot": sp.Symbol("x_dot", real=True)},
    )
    acceleration = _euler_lagrange_acceleration(recovered)
    x = np.random.default_rng(3).uniform(-2, 2, 200)
    values = sp.lambdify(sp.Symbol("x", real=True), acceleration, "numpy")(x)
    np.testing.assert_allclose(np.broadcast_to(values, x.shape), -x, rtol=0, atol=1e-9)
    assert summary["accel_rel_error"]["recovered"] <= 1e-6
    assert summary["accel_rel_error"]["network"] > summary["accel_rel_error"]["recovered"]
    x_, v_ = sp.symbols("x x_dot", real=True)
    truth = v_**2 / 2 - x_**2 / 2
    assert sp.simplify(recovered - sp.nsimplify(summary["scale"]) * truth) == 0


def test_summary_files_and_report(oscillator_run):
    names = {p.name for p in oscillator_run.iterdir()}
    assert {
        "report.md",
        "distillation.json",
        "trajectories_recovered.png",
        "energy_recovered.png",
    } <= names
    summary = json.loads((oscillator_run / "summary.json").read_text())
    for key in (
        "system",
        "true_lagrangian",
        "recovered_lagrangian",
        "equivalent",
        "exact",
        "scale",
        "accel_rel_error",
        "rollout",
        "timings",
        "backend",
        "versions",
    ):
        assert key in summary, key
    assert {"distill", "compare", "report"} <= set(summary["timings"])
    recovered_rollout = summary["rollout"]["recovered"]
    # the reference is the exact system under the same RK4 and step: an exact L follows it
    # to round-off, and drifts in energy exactly as the integrator makes the truth drift
    assert recovered_rollout["state_error_rms"] <= 1e-9
    floor = summary["rollout"]["integrator_floor"]["energy_drift"]
    assert recovered_rollout["energy_drift"] == pytest.approx(floor, rel=1e-6, abs=1e-14)
    with np.load(oscillator_run / "rollout.npz") as arrays:
        assert arrays["recovered"].shape == arrays["true"].shape
    report = (oscillator_run / "report.md").read_text()
    assert "exact" in report.lower() and "x_{dot}" not in report


def test_notebook_view_and_plot(oscillator_run):
    import matplotlib

    matplotlib.use("Agg")
    run = load_run(oscillator_run)
    latex = run._repr_latex_()
    assert latex.startswith("$") and "L_{\\mathrm{rec}}" in latex and "exact" in latex
    assert run.recovered_lagrangian.free_symbols == {
        sp.Symbol("x", real=True),
        sp.Symbol("x_dot", real=True),
    }
    figure = run.plot()
    assert len(figure.axes) == 3
    assert any("recovered" in line.get_label() for line in figure.axes[1].lines)


def test_distill_command_reruns_the_distillation(oscillator_run, capsys):
    (oscillator_run / "report.md").unlink()
    assert main(["distill", str(oscillator_run), "--backend", "sparse"]) == 0
    summary = json.loads((oscillator_run / "summary.json").read_text())
    assert summary["backend"] == "sparse" and summary["exact"] is True
    assert (oscillator_run / "report.md").is_file()
    assert "exact=True" in capsys.readouterr().out


@pytest.mark.slow
def test_distill_command_reruns_with_another_backend(oscillator_run, capsys):
    pytest.importorskip("pyoperon", reason="the operon backend needs pyoperon (physym[operon])")
    assert main(["distill", str(oscillator_run), "--backend", "operon"]) == 0
    summary = json.loads((oscillator_run / "summary.json").read_text())
    assert summary["backend"] == "operon" and summary["equivalent"] is True
    assert (
        json.loads((oscillator_run / "config.json").read_text())["distill"]["backend"] == "operon"
    )


def test_distill_command_on_a_missing_run_is_one_line(tmp_path, capsys):
    assert main(["distill", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("physym: error:") and len(err.strip().splitlines()) == 1
