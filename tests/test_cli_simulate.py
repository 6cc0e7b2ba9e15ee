"""``physym simulate``: writes a loadable trajectory and a figure; bad input is one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import physym
from physym.cli.main import main
from physym.data import Trajectory, sample_states


def test_simulate_writes_npz_and_png(tmp_path: Path, capsys) -> None:
    out, png = tmp_path / "run" / "traj.npz", tmp_path / "traj.png"
    status = main(
        [
            "simulate",
            "pendulum",
            "--t-end",
            "6",
            "--points",
            "300",
            "--out",
            str(out),
            "--plot",
            str(png),
            "--initial-state=-1.0,0.5",
        ]
    )
    assert status == 0
    trajectory = Trajectory.load(out)
    assert trajectory.states.shape == (300, 2) and trajectory.t[-1] == 6.0
    np.testing.assert_allclose(trajectory.states[0], [-1.0, 0.5])
    assert trajectory.energy_drift < 1e-10
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "energy" in printed and "drift" in printed and "natural periods" in printed


def test_default_initial_state_is_a_seeded_box_sample(tmp_path: Path) -> None:
    out = tmp_path / "traj.npz"
    assert (
        main(
            [
                "simulate",
                "pendulum",
                "--t-end",
                "1",
                "--points",
                "5",
                "--seed",
                "3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    expected = sample_states(physym.load_system("pendulum"), 1, seed=3)[0]
    np.testing.assert_array_equal(Trajectory.load(out).states[0], expected)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--t-end", "-2"], "--t-end must be a positive number"),
        (["--t-end", "1", "--initial-state", "0.1,0.2,0.3"], "needs 2 values (theta, theta_dot)"),
        (["--t-end", "1", "--initial-state", "0.1,abc"], "cannot read 'abc'"),
        (["--t-end", "1", "--points", "1"], "--points must be at least 2"),
    ],
)
def test_bad_arguments_give_one_line_errors(tmp_path: Path, capsys, extra, message) -> None:
    status = main(["simulate", "pendulum", "--out", str(tmp_path / "t.npz"), *extra])
    error = capsys.readouterr().err
    assert status == 2
    assert message in error and error.count("\n") == 1 and error.startswith("physym: error:")
    assert not (tmp_path / "t.npz").exists()


def test_unwritable_output_is_reported_before_integrating(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a folder")
    status = main(["simulate", "pendulum", "--t-end", "1", "--out", str(blocker / "t.npz")])
    error = capsys.readouterr().err
    assert status == 2 and "is not a directory" in error and error.count("\n") == 1
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        status = main(["simulate", "pendulum", "--t-end", "1", "--out", str(locked / "t.npz")])
        assert status == 2 and "not writable" in capsys.readouterr().err


def test_python_dash_m_physym_simulate(tmp_path: Path) -> None:
    out = tmp_path / "traj.npz"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "physym",
            "simulate",
            "double_pendulum",
            "--t-end",
            "2",
            "--points",
            "50",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "drift" in result.stdout
    assert Trajectory.load(out).states.shape == (50, 4)
