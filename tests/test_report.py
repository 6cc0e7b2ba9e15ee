"""report.md from run directories, including incomplete ones, and ``physym report DIR``.

The run directories are built here from real computations only: the exact pendulum data,
a one-parameter model ``θ̈ = c sin θ`` fitted to it by gradient descent (its loss curve and
rollout stand in for the network's), and the true Lagrangian as the "recovered" one.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import time
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import physym
from physym.comparison import compare, recovered_system, rollout_compare
from physym.data import sample_states
from physym.io import save_npz, write_json
from physym.report import ReportError, build_report
from physym.rollout.evaluation import RolloutPlan, integrate_plan, rollout_energies

HORIZON = 2.0


def _fit_sine_model(states: np.ndarray, accelerations: np.ndarray) -> tuple[float, list, list]:
    """Gradient descent on c in θ̈ = c sin θ; returns c and the train/val loss per epoch."""
    features = np.sin(states[:, 0])
    train, val = slice(0, 150), slice(150, None)
    c, lr = 0.0, 0.5
    train_loss, val_loss = [], []
    for _ in range(25):
        residual = c * features[train] - accelerations[train, 0]
        c -= lr * 2 * np.mean(residual * features[train])
        train_loss.append(float(np.mean((c * features[train] - accelerations[train, 0]) ** 2)))
        val_loss.append(float(np.mean((c * features[val] - accelerations[val, 0]) ** 2)))
    return c, train_loss, val_loss


def make_run(directory: Path, *, distilled: bool = True, network_rollout: bool = True) -> Path:
    """A pendulum run directory with the DESIGN.md §5 files, from real computations."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    system = physym.load_system("pendulum")
    states = sample_states(system, 200, seed=0)
    accelerations = system.accelerations(states)
    timings["data"] = time.perf_counter() - start

    start = time.perf_counter()
    c, train_loss, val_loss = _fit_sine_model(states, accelerations)
    timings["train"] = time.perf_counter() - start
    test = sample_states(system, 100, seed=1)
    exact_test = system.accelerations(test)
    model_test = c * np.sin(test[:, :1])
    network_error = float(np.linalg.norm(model_test - exact_test) / np.linalg.norm(exact_test))

    config = {"system": "pendulum", "seed": 0, "samples": 200, "rollout_t_end": HORIZON}
    write_json(directory / "config.json", config)
    save_npz(directory / "data.npz", {"states": states, "accelerations": accelerations})
    write_json(
        directory / "metrics.json",
        {"epoch": list(range(1, 26)), "train_loss": train_loss, "val_loss": val_loss},
    )
    summary = {
        "system": "pendulum",
        "true_lagrangian": sp.sstr(system.lagrangian),
        "accel_rel_error": {"network": network_error},
        "timings": timings,
        "versions": {
            name: importlib.metadata.version(name) for name in ("physym", "numpy", "sympy", "torch")
        },
    }
    rollout_arrays = None
    if network_rollout:
        # the batched RK4 of a fit: exact system, the sine model, one plan for both
        starts = sample_states(system, 2, seed=2)
        plan = RolloutPlan(starts, np.linspace(0, HORIZON, 41), starts[:0], 0.0, 0.01)
        exact = integrate_plan(system.accelerations, plan).trajectories
        predicted = integrate_plan(lambda x: c * np.sin(x[:, :1]), plan).trajectories
        rollout_arrays = {
            "t": plan.t,
            "true": exact,
            "predicted": predicted,
            "energy_true": rollout_energies(system, exact),
            "energy_predicted": rollout_energies(system, predicted),
        }
    if distilled:
        start = time.perf_counter()
        recovered = sp.sstr(system.lagrangian_numeric)  # the true L, standing in for distil
        comparison = compare(system, recovered, n_states=300)
        rollout = rollout_compare(
            system, recovered, sample_states(system, 2, seed=2), HORIZON, n_points=41
        )
        timings["compare"] = time.perf_counter() - start
        summary.update(
            {
                "recovered_lagrangian": recovered,
                "equivalent": comparison.equivalent,
                "exact": comparison.exact,
                "scale": comparison.scale,
                "backend": "none (test: the true L stands in for the distilled one)",
                "comparison": comparison.to_dict(),
            }
        )
        summary["accel_rel_error"]["recovered"] = comparison.accel_rel_error
        summary["rollout"] = {"recovered": rollout.to_dict()}
        if rollout_arrays is not None:
            mine = integrate_plan(
                recovered_system(system, recovered).accelerations, plan
            ).trajectories
            rollout_arrays.update(recovered=mine, energy_recovered=rollout_energies(system, mine))
    if rollout_arrays is not None:
        save_npz(directory / "rollout.npz", rollout_arrays)
    write_json(directory / "summary.json", summary)
    return directory


@pytest.fixture(scope="module")
def full_run(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("run"))


def test_report_of_a_complete_run(full_run):
    path = build_report(full_run)
    assert path == full_run / "report.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# physym report: pendulum")
    assert physym.load_system("pendulum").description in text
    assert r"L_{\mathrm{true}} =" in text and r"L_{\mathrm{rec}} =" in text
    assert text.count("$$") >= 6 and r"\dot{\theta}" in text
    assert "| dynamically equivalent | yes | symbolic check; held-out" in text
    assert "| exactly recovered (scale + null Lagrangian) | yes |" in text
    assert "recorded in summary.json" in text
    for key in (
        "accel_rel_error.network",
        "accel_rel_error.recovered",
        "timings.train",
        "rollout.recovered.state_error_final",
        "backend",
        "versions.sympy",
    ):
        assert f"| `{key}` |" in text, key
    for png in ("trajectories_recovered.png", "energy_recovered.png", "loss.png"):
        assert (full_run / png).stat().st_size > 1000
        assert f"![{png}]({png})" in text
    assert "## Notes" not in text
    assert not list(full_run.glob(".*.tmp"))


def test_rebuild_keeps_figures_unless_asked(full_run):
    build_report(full_run)
    figure = full_run / "trajectories_recovered.png"
    before = figure.stat().st_mtime_ns
    build_report(full_run)
    assert figure.stat().st_mtime_ns == before
    build_report(full_run, replot=True)
    assert figure.stat().st_mtime_ns != before


def test_run_without_distillation_says_so(tmp_path):
    run = make_run(tmp_path, distilled=False, network_rollout=False)
    text = build_report(run).read_text(encoding="utf-8")
    assert "**No recovered Lagrangian**" in text
    assert "No verdicts: there is no recovered Lagrangian" in text
    assert not (run / "trajectories_recovered.png").exists()
    assert (run / "loss.png").exists()


def test_verdicts_are_computed_when_the_summary_has_none(tmp_path):
    run = make_run(tmp_path, network_rollout=False)
    summary = json.loads((run / "summary.json").read_text())
    for key in ("comparison", "equivalent", "exact", "scale"):
        del summary[key]
    summary["recovered_lagrangian"] = "theta_dot**2 + 19.62*cos(theta)"
    write_json(run / "summary.json", summary)
    text = build_report(run).read_text(encoding="utf-8")
    assert "computed by the report" in text
    assert "| scale α | 2 |" in text
    assert r"L_{\mathrm{rec}} / \alpha" in text


def test_unfinished_run_with_only_a_config(tmp_path):
    write_json(tmp_path / "config.json", {"system": "pendulum", "seed": 0})
    text = build_report(tmp_path).read_text(encoding="utf-8")
    assert "summary.json is missing" in text
    assert "No figures" in text


def test_unloadable_system_and_broken_files_become_notes(tmp_path):
    write_json(tmp_path / "config.json", {"system": "no_such_system"})
    (tmp_path / "metrics.json").write_text("{not json")
    write_json(
        tmp_path / "summary.json",
        {"system": "no_such_system", "recovered_lagrangian": "x_dot**2 + cos(x)"},
    )
    text = build_report(tmp_path).read_text(encoding="utf-8")
    assert "## Notes" in text
    assert "system could not be loaded" in text and "metrics.json is unreadable" in text
    assert r"\dot{x}" in text  # the recovered L is still shown


def test_python_system_files_are_never_executed(tmp_path):
    (tmp_path / "evil.py").write_text("raise SystemExit('executed')\n")
    write_json(tmp_path / "config.json", {"system": "evil.py"})
    text = build_report(tmp_path).read_text(encoding="utf-8")
    assert "does not run" in text


def test_not_a_run_directory(tmp_path):
    with pytest.raises(ReportError, match="not a physym run directory"):
        build_report(tmp_path)
    with pytest.raises(ReportError, match="no such directory"):
        build_report(tmp_path / "missing")


def test_cli_report_command(full_run, tmp_path, capsys, monkeypatch):
    from physym.cli import main as cli_main
    from physym.cli import report_cmd

    parser = argparse.ArgumentParser()
    report_cmd.add_parser(parser)
    assert report_cmd.run(parser.parse_args([str(full_run)])) == 0
    assert capsys.readouterr().out.strip() == str(full_run / "report.md")
    with pytest.raises(cli_main.CLIError, match="not a physym run"):
        report_cmd.run(parser.parse_args([str(tmp_path)]))

    monkeypatch.setattr(cli_main, "COMMANDS", {"report": ("physym.cli.report_cmd", "report")})
    assert cli_main.main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("physym: error:") and err.count("\n") == 1


def test_degenerate_recovered_lagrangian_is_reported(tmp_path):
    run = make_run(tmp_path, network_rollout=False)
    summary = json.loads((run / "summary.json").read_text())
    for key in ("comparison", "equivalent", "exact", "scale"):
        del summary[key]
    summary["recovered_lagrangian"] = "theta*theta_dot + cos(theta)"
    write_json(run / "summary.json", summary)
    text = build_report(run, replot=True).read_text(encoding="utf-8")
    assert "| dynamically equivalent | no |" in text
    assert "degenerate" in text
    # figures are drawn from saved arrays only: none of this L was rolled out
    assert "no rollout of the recovered Lagrangian is saved" in text
    assert not (run / "trajectories_recovered.png").exists()
