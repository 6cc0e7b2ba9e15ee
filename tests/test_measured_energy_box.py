"""The energy metric of a fit to measured positions starts from states the data cover:
for a pendulum swinging within ±1 rad, not θ ∈ [0, 2π] (issue 10, item 4)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import physym
import physym.data
from physym.cli.main import main


def test_energy_metric_starts_inside_the_measured_range(tmp_path: Path) -> None:
    pendulum = physym.load_system("pendulum")
    rows = []
    for run, theta0 in enumerate((1.0, -0.7)):
        trajectory = physym.data.simulate(pendulum, [theta0, 0.0], 4.0, n_points=301)
        rows += [(run, t, x[0]) for t, x in zip(trajectory.t, trajectory.states, strict=True)]
    table = np.array(rows)
    data = tmp_path / "swing.csv"
    np.savetxt(data, table, delimiter=",", header="run,t,theta", comments="")
    out = tmp_path / "run"
    argv = ["fit", "pendulum", "--data", str(data), "--trajectory-column", "run", "--out",
            str(out), "--epochs", "1", "--quiet", "--no-distill", "--set",
            "fallback_model=none", "--set", "rollout_states=1", "--set", "rollout_t_end=0.5",
            "--set", "energy_states=8", "--set", "energy_t_end=0.5"]  # fmt: skip
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    box = summary["rollout"]["energy_metric"]["ic_box"]
    theta = table[:, 2]
    # the measured angle spans [-1, 1]; the box may exceed it by the estimate's trimming only
    assert theta.min() - 1e-6 <= box["theta"][0] and box["theta"][1] <= theta.max() + 1e-6
    assert box["theta"][1] - box["theta"][0] > 1.5  # and covers most of it
    # velocities of a swing from ±1 rad stay below sqrt(2 g (1 - cos 1)) = 3.0
    speed = np.sqrt(2 * 9.81 * (1 - np.cos(1.0)))
    assert -speed - 1e-3 <= box["theta_dot"][0] and box["theta_dot"][1] <= speed + 1e-3
    assert summary["rollout"]["energy_metric"]["paper_reference"] is None
