"""A user's own data: derivative estimation and loaders with one-line errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import physym
from physym.data import (
    DataError,
    dataset_from_positions,
    estimate_derivatives,
    load_positions,
    load_samples,
    make_dataset,
    simulate,
)

# Stated tolerances for sin(t) sampled every 2π/400 on [0, 4π], edges included.
TOLERANCES = {"savgol": (1e-8, 1e-6), "spline": (1e-6, 1e-4)}


@pytest.fixture(scope="module")
def pendulum() -> physym.System:
    return physym.load_system("pendulum")


@pytest.mark.parametrize("method", ["savgol", "spline"])
def test_derivatives_of_sampled_sine(method: str) -> None:
    t = np.linspace(0, 4 * math.pi, 801)
    velocity, acceleration = estimate_derivatives(t, np.sin(t), method=method)
    tol_v, tol_a = TOLERANCES[method]
    assert np.abs(velocity - np.cos(t)).max() < tol_v
    assert np.abs(acceleration + np.sin(t)).max() < tol_a


@pytest.mark.parametrize(
    ("method", "options"), [("savgol", {"window": 61, "order": 4}), ("spline", {})]
)
def test_derivatives_of_noisy_sine(method: str, options: dict) -> None:
    t = np.linspace(0, 4 * math.pi, 2001)
    noisy = np.sin(t) + 1e-4 * np.random.default_rng(0).normal(size=t.size)
    velocity, acceleration = estimate_derivatives(t, noisy[:, None], method=method, **options)
    middle = slice(100, -100)
    assert np.abs(velocity[middle, 0] - np.cos(t[middle])).max() < 5e-3
    assert np.abs(acceleration[middle, 0] + np.sin(t[middle])).max() < 5e-2


def test_spline_accepts_non_uniform_times_and_savgol_refuses_them() -> None:
    t = np.cumsum(np.random.default_rng(1).uniform(0.005, 0.015, size=800))
    velocity, _ = estimate_derivatives(t, np.sin(t), method="spline")
    assert np.abs(velocity - np.cos(t)).max() < 1e-4
    with pytest.raises(DataError, match=r"uniform time step.*spline"):
        estimate_derivatives(t, np.sin(t), method="savgol")


def test_positions_of_a_simulated_pendulum_give_its_exact_accelerations(
    tmp_path: Path, pendulum: physym.System
) -> None:
    trajectory = simulate(pendulum, [1.0, 0.0], t_end=4.0, n_points=801)
    path = tmp_path / "positions.csv"
    rows = [
        f"{t!r},{q!r}"
        for t, q in zip(trajectory.t.tolist(), trajectory.states[:, 0].tolist(), strict=True)
    ]
    path.write_text("t,theta\n" + "\n".join(rows) + "\n")
    t, q = load_positions(path, pendulum)
    data = dataset_from_positions(pendulum, t, q)
    np.testing.assert_allclose(data.states, trajectory.states, atol=1e-6)
    np.testing.assert_allclose(data.accelerations, pendulum.accelerations(data.states), atol=1e-5)


def test_load_samples_from_csv_and_npz(tmp_path: Path, pendulum: physym.System) -> None:
    data = make_dataset(pendulum, 20, seed=2)
    columns = np.hstack((data.states, data.accelerations))
    csv = tmp_path / "samples.csv"
    rows = "\n".join(",".join(repr(float(v)) for v in row) for row in columns)
    csv.write_text("# measured pendulum\ntheta,theta_dot,theta_ddot\n" + rows + "\n")
    npz = tmp_path / "samples.npz"
    np.savez(npz, theta=columns[:, 0], theta_dot=columns[:, 1], theta_ddot=columns[:, 2])
    for path in (csv, npz, data.save(tmp_path / "dataset.npz")):
        loaded = load_samples(path, pendulum)
        np.testing.assert_array_equal(loaded.states, data.states)
        np.testing.assert_array_equal(loaded.accelerations, data.accelerations)
        assert loaded.accelerations_clean is None


POSITIONS_HEADER = "t,x,y\n"
GOOD_ROWS = [f"{0.1 * i:.1f},{i},{2 * i}" for i in range(12)]


def _rows(replace: dict[int, str]) -> str:
    rows = [replace.get(i, row) for i, row in enumerate(GOOD_ROWS)]
    return POSITIONS_HEADER + "\n".join(rows) + "\n"


MALFORMED_POSITIONS = {
    "missing_columns": (
        "t,x\n" + "\n".join(r.rsplit(",", 1)[0] for r in GOOD_ROWS),
        r"missing position column\(s\) 'y'",
    ),
    "non_monotonic": (_rows({5: "0.3,5,10"}), r"not increasing at line 7 \(t = 0.3 after 0.4\)"),
    "nan": (_rows({3: "0.3,nan,6"}), r"column 'x' has NaN or a missing value at line 5"),
    "empty_cell": (_rows({4: "0.4,4,"}), r"column 'y' has NaN or a missing value at line 6"),
    "not_a_number": (_rows({2: "0.2,two,4"}), r"column 'x' at line 4: cannot read 'two'"),
    "ragged": (_rows({6: "0.6,6"}), r"line 8: expected 3 values, got 2"),
    "too_few": (POSITIONS_HEADER + "\n".join(GOOD_ROWS[:4]), r"too few samples \(4\)"),
    "empty": ("", "empty file"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_POSITIONS))
def test_malformed_position_files_give_one_line_errors(tmp_path: Path, case: str) -> None:
    text, message = MALFORMED_POSITIONS[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message) as info:
        load_positions(path, ["x", "y"])
    assert "\n" not in str(info.value) and path.name in str(info.value)


@pytest.mark.parametrize("case", ["missing", "binary", "directory", "npz_nan"])
def test_unreadable_files_give_one_line_errors(
    tmp_path: Path, case: str, pendulum: physym.System
) -> None:
    path = tmp_path / f"{case}.csv"
    message = {
        "missing": "no such data file",
        "binary": "unreadable data file",
        "directory": "unreadable data file",
        "npz_nan": "column 'theta' has NaN",
    }[case]
    if case == "binary":
        path.write_bytes(b"\xff\xfe\x00\x81 binary")
    elif case == "directory":
        path.mkdir()
    elif case == "npz_nan":
        path = tmp_path / "samples.npz"
        np.savez(path, theta=[0.1, np.nan], theta_dot=[0, 0], theta_ddot=[1, 1])
    with pytest.raises(DataError, match=message) as info:
        load_samples(path, pendulum)
    assert "\n" not in str(info.value)


def test_samples_missing_columns_are_all_named(tmp_path: Path, pendulum) -> None:
    path = tmp_path / "s.csv"
    path.write_text("theta,speed\n0.1,0.2\n")
    with pytest.raises(DataError, match="'theta_dot', 'theta_ddot' \\(found: theta, speed\\)"):
        load_samples(path, pendulum)


def test_derivative_option_errors() -> None:
    t = np.linspace(0, 1, 5)
    with pytest.raises(DataError, match="too few samples for savgol"):
        estimate_derivatives(t, t)
    with pytest.raises(DataError, match="odd"):
        estimate_derivatives(np.linspace(0, 1, 50), np.linspace(0, 1, 50), window=10)
    with pytest.raises(DataError, match="not increasing at row 2"):
        estimate_derivatives([0.0, 1.0, 1.0, 2.0], [0.0, 1.0, 2.0, 3.0], method="spline")
    with pytest.raises(DataError, match="unknown derivative method"):
        estimate_derivatives(t, t, method="finite")
