"""A conservative fit must say when measured data are not conservative.

Positions of the damped oscillator (``R = c ẋ²/2``) are fitted with a *conservative* spec of
the same spring: the run must warn — summary ``warnings``, the CLI and the report — that
the data are not explained by a conservative ``L``, never come back silently as an undamped
success. Positions of the undamped oscillator must not warn. The energy rule is checked
on its own with exact trajectories and the true ``L``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import physym
from physym.cli.main import main
from physym.data.synthetic_positions import simulate_positions, write_positions_csv
from physym.distill import StateSpace
from physym.run.honesty import ENERGY_DRIFT, WARNING_PREFIX, energy_drifts

SPRING = """name = "spring"
coordinates = ["x"]
lagrangian = "m*x_dot**2/2 - k*x**2/2"
[parameters]
m = 1.0
k = 4.0
[sampling]
x = [-2, 2]
x_dot = [-4, 4]
"""
# Two epochs without distillation checks: the warning rests on the data, not on a
# well-trained network.
TINY = [
    "--epochs",
    "2",
    "--quiet",
    "--set",
    "stop_when_found=false",
    "--set",
    "rollout_states=0",
    "--set",
    "energy_states=0",
    "--set",
    "fallback_model=none",
]


def _positions_csv(directory: Path, name: str) -> Path:
    system = physym.load_system(name)
    data = simulate_positions(system, n_trajectories=3, t_end=6.0, dt=0.02, seed=4)
    return write_positions_csv(directory / f"{name}.csv", data, system.coordinates)


def _fit(tmp_path: Path, name: str, capsys) -> tuple[dict, str, str]:
    spec = tmp_path / "spring.toml"
    spec.write_text(SPRING)
    out = tmp_path / "run"
    status = main(
        [
            "fit",
            str(spec),
            "--data",
            str(_positions_csv(tmp_path, name)),
            "--trajectory-column",
            "trajectory",
            "--out",
            str(out),
            *TINY,
        ]
    )
    assert status == 0
    captured = capsys.readouterr()
    printed = captured.out + captured.err  # warnings go to stderr
    return (
        json.loads((out / "summary.json").read_text()),
        printed,
        (out / "report.md").read_text(),
    )


def test_damped_data_fitted_as_conservative_warn_everywhere(tmp_path, capsys) -> None:
    summary, printed, report = _fit(tmp_path, "damped_oscillator", capsys)
    warnings = summary["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith(WARNING_PREFIX)
    assert "add dissipation or forces" in warnings[0]
    check = summary["conservative_check"]
    assert check["explained"] is False
    # friction of 0.4 ẋ against a spring of 4 x: a residual of tens of per cent
    assert check["residual"] > 0.05 and check["residual"] > check["threshold"]
    assert check["energy_trend"] == "decays"
    assert f"physym: warning: {warnings[0]}" in printed
    assert "## Warnings" in report and warnings[0] in report


def test_conservative_data_do_not_warn(tmp_path, capsys) -> None:
    summary, printed, report = _fit(tmp_path, "harmonic_oscillator", capsys)
    assert summary["warnings"] == []
    assert summary["conservative_check"]["explained"] is True
    assert "warning" not in printed and "## Warnings" not in report


@pytest.mark.parametrize(
    ("name", "decays"), [("damped_oscillator", True), ("harmonic_oscillator", False)]
)
def test_energy_drift_of_exact_trajectories(name: str, decays: bool) -> None:
    system = physym.load_system(name)
    data = simulate_positions(system, n_trajectories=3, t_end=6.0, dt=0.02, seed=1)
    space = StateSpace.from_system(system)
    assert system.lagrangian_numeric.free_symbols <= {*space.q_symbols, *space.v_symbols}
    drifts = energy_drifts(system.lagrangian_numeric, space, data.states, data.t, data.trajectory)
    assert len(drifts) == 3
    if decays:  # E = E0 exp(−c t) on average: it loses most of itself in 6 s
        assert np.all(drifts < -1.0)
    else:
        assert np.all(np.abs(drifts) < 1e-6) and ENERGY_DRIFT > 1e-6
