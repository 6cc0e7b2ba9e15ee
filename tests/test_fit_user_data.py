"""Fitting from measured positions: derivative estimates, the whole loop, file errors.

Positions come from exact trajectories of built-in systems, written to CSV with 0 %, 0.1 %
and 1 % relative noise; the estimated velocities and accelerations are checked against the
exact ones, a tiny fit from a noise-free CSV must recover the oscillator (its accelerations
checked against ``−x`` here, independently of the pipeline's verdict), and malformed files
must give one-line ``physym: error:`` messages.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import physym
from physym.cli.main import main
from physym.data import DataError
from physym.data.measured import load_measured_positions
from physym.data.smoothing_window import choose_savgol_filter
from physym.data.state_estimate import estimate_states, measured_dataset
from physym.data.synthetic_positions import simulate_positions, write_positions_csv

# Relative errors over the kept samples: (velocity, acceleration), measured 5e-11/2e-9,
# 2e-3/1.2e-2 and 1.3e-2/5e-2 with these trajectories (the window is undersmoothed: more
# noise per sample, less bias); the bounds leave a factor 2–3.
DERIVATIVE_TOLERANCES = {0.0: (1e-8, 1e-6), 1e-3: (6e-3, 3e-2), 1e-2: (4e-2, 1.2e-1)}
TINY = [
    "--epochs",
    "15",
    "--quiet",
    "--set",
    "rollout_states=2",
    "--set",
    "energy_states=0",
    "--set",
    "fallback_model=none",
]


@pytest.fixture(scope="module")
def pendulum() -> physym.System:
    return physym.load_system("pendulum")


def _relative(estimate: np.ndarray, exact: np.ndarray) -> float:
    return float(np.linalg.norm(estimate - exact) / np.linalg.norm(exact))


@pytest.mark.parametrize("noise", sorted(DERIVATIVE_TOLERANCES))
def test_derivatives_from_noisy_csv_match_the_exact_ones(tmp_path: Path, pendulum, noise):
    data = simulate_positions(
        pendulum, n_trajectories=4, t_end=10.0, dt=0.01, noise=noise, box_fraction=0.6, seed=1
    )
    path = write_positions_csv(tmp_path / "pendulum.csv", data, pendulum.coordinates)
    measured = load_measured_positions(path, ["theta"], trajectory_column="trajectory")
    assert measured.n_trajectories == 4 and len(measured) == len(data.t)
    estimate = estimate_states(measured, periodic=["theta"])
    kept = estimate.kept
    tol_v, tol_a = DERIVATIVE_TOLERANCES[noise]
    assert _relative(estimate.q_dot[kept], data.states[kept, 1:]) < tol_v
    assert _relative(estimate.q_ddot[kept], data.accelerations[kept]) < tol_a
    # the trimmed edges are where the one-sided fits are poor: half the window each end
    trim = estimate.settings["trim"]
    assert trim == estimate.settings["windows"][0] // 2
    assert int((~kept).sum()) == 2 * trim * 4


def test_the_window_grows_with_the_noise_and_exact_data_get_a_high_order() -> None:
    t = np.arange(2001) * 0.01
    rng = np.random.default_rng(0)
    windows = {}
    for noise in (0.0, 1e-3, 1e-2):
        y = np.sin(2 * t) + noise * rng.normal(size=t.size)
        windows[noise] = choose_savgol_filter(0.01, y)
    assert windows[0.0][1] >= 7 and windows[0.0][0] <= 11
    assert windows[0.0][0] < windows[1e-3][0] < windows[1e-2][0]


def test_spline_derivatives_at_low_noise(tmp_path: Path, pendulum) -> None:
    data = simulate_positions(
        pendulum, n_trajectories=2, t_end=10.0, dt=0.01, noise=1e-3, box_fraction=0.6, seed=2
    )
    path = write_positions_csv(tmp_path / "p.csv", data, pendulum.coordinates)
    measured = load_measured_positions(path, ["theta"], trajectory_column="trajectory")
    estimate = estimate_states(measured, periodic=["theta"], method="spline")
    assert _relative(estimate.q_ddot[estimate.kept], data.accelerations[estimate.kept]) < 6e-2


def test_periodic_angles_are_unwrapped_before_differentiating(tmp_path: Path, pendulum):
    """A pendulum going over the top, recorded as an angle wrapped to (−π, π]."""
    data = simulate_positions(pendulum, initial_states=[[0.0, 7.0]], t_end=6.0, dt=0.01)
    wrapped = np.remainder(data.q + np.pi, 2 * np.pi) - np.pi
    assert np.abs(np.diff(wrapped[:, 0])).max() > 6  # it does jump
    path = write_positions_csv(
        tmp_path / "wrapped.csv",
        type(data)(data.t, wrapped, data.trajectory, data.states, data.accelerations),
        ["theta"],
    )
    estimate = estimate_states(load_measured_positions(path, ["theta"]), periodic=["theta"])
    assert _relative(estimate.q_ddot[estimate.kept], data.accelerations[estimate.kept]) < 1e-6
    states = estimate.states
    assert states[:, 0].min() >= -np.pi and states[:, 0].max() < np.pi


def test_dataset_splits_by_time_blocks(tmp_path: Path, pendulum) -> None:
    data = simulate_positions(pendulum, n_trajectories=2, t_end=5.0, dt=0.01, box_fraction=0.5)
    path = write_positions_csv(tmp_path / "p.csv", data, pendulum.coordinates)
    estimate = estimate_states(
        load_measured_positions(path, ["theta"], trajectory_column="trajectory")
    )
    dataset = measured_dataset(estimate, "p", seed=3)
    assert len(dataset) == int(estimate.kept.sum())
    test = dataset.test_index  # 5 of 50 contiguous blocks: at most 5 runs of indices
    assert len(test) > 0 and int(np.sum(np.diff(test) > 1)) + 1 <= 5
    thinned = measured_dataset(estimate, "p", max_samples=100)
    assert len(thinned) == 100


# ------------------------------------------------------------------ the whole loop


def _euler_lagrange_acceleration(lagrangian: sp.Expr) -> sp.Expr:
    x, v = sp.symbols("x x_dot", real=True)
    dl_dv = sp.diff(lagrangian, v)
    return sp.simplify((sp.diff(lagrangian, x) - sp.diff(dl_dv, x) * v) / sp.diff(dl_dv, v))


@pytest.fixture(scope="module")
def oscillator_csv(tmp_path_factory) -> Path:
    system = physym.load_system("harmonic_oscillator")
    data = simulate_positions(system, n_trajectories=4, t_end=8.0, dt=0.02, seed=4)
    return write_positions_csv(
        tmp_path_factory.mktemp("data") / "oscillator.csv", data, system.coordinates
    )


@pytest.fixture(scope="module")
def measured_run(oscillator_csv, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fit") / "measured"
    status = main(
        [
            "fit",
            "--data",
            str(oscillator_csv),
            "--coordinates",
            "x",
            "--trajectory-column",
            "trajectory",
            "--out",
            str(out),
            *TINY,
        ]
    )
    assert status == 0
    return out


def test_fit_from_positions_alone_recovers_the_oscillator(measured_run: Path) -> None:
    summary = json.loads((measured_run / "summary.json").read_text())
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
    assert summary["system"] == "oscillator.csv"
    assert summary["true_lagrangian"] is None
    assert summary["equivalent"] is None and summary["exact"] is None
    assert summary["scale"] is None
    x, v = sp.symbols("x x_dot", real=True)
    recovered = sp.sympify(summary["recovered_lagrangian"], locals={"x": x, "x_dot": v})
    acceleration = sp.lambdify(x, _euler_lagrange_acceleration(recovered), "numpy")
    points = np.random.default_rng(3).uniform(-1, 1, 200)
    np.testing.assert_allclose(
        np.broadcast_to(acceleration(points), points.shape), -points, rtol=0, atol=1e-6
    )
    assert summary["accel_rel_error"]["recovered"] < 1e-6
    rollout = summary["rollout"]
    assert rollout["against"] == "measured positions"
    assert rollout["recovered"]["position_error_rms"] < 1e-5
    assert rollout["recovered"]["energy_drift"] < 1e-6
    measured = summary["measured"]
    assert measured["trajectories"] == 4 and measured["reference"] is None
    assert measured["derivative"]["trim"] > 0


def test_measured_run_directory_and_reload(measured_run: Path) -> None:
    names = {p.name for p in measured_run.iterdir()}
    assert {
        "config.json",
        "data.npz",
        "measured.npz",
        "model.pt",
        "summary.json",
        "report.md",
        "rollout_measured.npz",
        "trajectories_measured.png",
        "energy_measured.png",
        "loss.png",
    } <= names
    assert "system.json" not in names
    report = (measured_run / "report.md").read_text()
    assert "no true Lagrangian" in report
    run = physym.load_run(measured_run)
    assert run.system is None and run.config.coordinates == ("x",)
    assert run.recovered_lagrangian is not None
    assert "oscillator.csv" in repr(run) and "measured" in run._repr_latex_()


def test_distill_again_from_a_measured_run(measured_run: Path, capsys) -> None:
    before = json.loads((measured_run / "summary.json").read_text())["recovered_lagrangian"]
    assert main(["distill", str(measured_run)]) == 0
    capsys.readouterr()
    summary = json.loads((measured_run / "summary.json").read_text())
    assert summary["recovered_lagrangian"] == before
    assert summary["true_lagrangian"] is None and "recovered" in summary["rollout"]


def test_fit_config_for_measured_data(tmp_path: Path) -> None:
    from physym.training import ConfigError, FitConfig

    config = FitConfig.from_dict(
        {
            "data": "traj.csv",
            "coordinates": ["x", "theta"],
            "periodic": ["theta"],
            "derivative_window": 31,
        }
    )
    assert config.system is None and config.coordinates == ("x", "theta")
    assert FitConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    toml = tmp_path / "measured.toml"
    toml.write_text('data = "traj.csv"\ncoordinates = ["x"]\nderivative = "spline"\n')
    assert FitConfig.from_toml(toml).derivative == "spline"
    for bad, message in (
        ({"system": "pendulum", "coordinates": ["x"]}, "measured data only"),
        ({"data": "a.csv", "coordinates": ["x"], "derivative_window": 30}, "must be odd"),
        ({"data": "a.csv", "coordinates": ["x"], "noise": 0.1}, "'noise'"),
        ({"data": "a.csv", "coordinates": ["x"], "derivative": "fft"}, "savgol, spline"),
    ):
        with pytest.raises(ConfigError, match=message):
            FitConfig.from_dict(bad)


def test_fit_with_a_reference_compares_with_its_lagrangian(oscillator_csv, tmp_path):
    run = physym.fit(
        "harmonic_oscillator",
        tmp_path / "ref",
        data=str(oscillator_csv),
        trajectory_column="trajectory",
        epochs=15,
        rollout_states=2,
        energy_states=0,
        rollout_t_end=2.0,
        fallback_model="none",
        progress=False,
    )
    summary = run.summary
    assert summary["true_lagrangian"] is not None
    assert summary["exact"] is True and summary["equivalent"] is True
    assert summary["measured"]["derivative_error"] < 1e-6
    assert summary["measured"]["rollout"]["recovered"]["position_error_rms"] < 1e-5
    low, high = run.system.box  # the sampling box is the one the data cover
    np.testing.assert_allclose(low, run.data.states.min(axis=0))
    np.testing.assert_allclose(high, run.data.states.max(axis=0))


# ------------------------------------------------------------------ malformed files


GOOD = ["t,x"] + [f"{0.1 * i:.1f},{np.cos(0.1 * i):.6f}" for i in range(30)]


def _csv(tmp_path: Path, lines: list[str], name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


X = ["--coordinates", "x"]
MALFORMED = {  # (file maker, arguments after --data FILE, message)
    "missing_column": (
        lambda p: _csv(p, ["t,y", *GOOD[1:]]),
        X,
        "missing position column(s) 'x' (found: t, y)",
    ),
    "non_monotonic_time": (
        lambda p: _csv(p, [*GOOD[:6], "0.3,0.5", *GOOD[7:]]),
        X,
        "is not increasing at line 7",
    ),
    "nan": (
        lambda p: _csv(p, [*GOOD[:4], "0.3,nan", *GOOD[5:]]),
        X,
        "column 'x' has NaN or a missing value at line 5",
    ),
    "too_few_samples": (lambda p: _csv(p, GOOD[:6]), X, "too few samples (5)"),
    "unequal_spacing": (
        lambda p: _csv(p, [*GOOD[:10], "0.95,0.5", *GOOD[11:]]),
        X,
        "needs one uniform time step",
    ),
    "unknown_extension": (lambda p: _csv(p, GOOD, "d.xlsx"), X, "unknown file extension '.xlsx'"),
    "missing_file": (lambda p: p / "absent.csv", X, "no such data file"),
    "no_coordinates": (lambda p: _csv(p, GOOD), [], "needs 'coordinates'"),
    "stray_periodic": (
        lambda p: _csv(p, GOOD),
        ["--coordinates", "x", "--periodic", "phi"],
        "periodic coordinate 'phi' is not one of the coordinates",
    ),
    "reference_mismatch": (
        lambda p: _csv(p, GOOD),
        ["pendulum", *X],
        "coordinates x differ from those of 'pendulum'",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_files_give_one_line_errors(tmp_path: Path, capsys, case: str) -> None:
    make, extra, message = MALFORMED[case]
    out = tmp_path / "run"
    status = main(["fit", "--data", str(make(tmp_path)), "--out", str(out), *extra, "--quiet"])
    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith("physym: error:") and error.count("\n") == 1, error
    assert message in error
    assert not out.exists()  # refused before the run directory is made


def test_no_reference_and_no_data_is_one_line(tmp_path: Path, capsys) -> None:
    assert main(["fit", "--out", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("physym: error:") and "'data'" in error


def test_measured_positions_loader_names_the_trajectory(tmp_path: Path) -> None:
    lines = (
        ["run,t,x"]
        + [f"1,{0.1 * i:.1f},{i}" for i in range(12)]
        + [f"2,{0.1 * i:.1f},{i}" for i in range(5)]
    )
    with pytest.raises(DataError, match=r"trajectory run = 2: too few samples \(5\)"):
        load_measured_positions(_csv(tmp_path, lines), ["x"], trajectory_column="run")
